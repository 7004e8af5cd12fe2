import { registerAs } from '@nestjs/config';
import { IsInt, IsOptional, IsString, Matches, Max, Min } from 'class-validator';
import { validateConfig } from './validate-config';

const DURATION = /^\d+[smhd]?$/;
const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };

class MailEnv {
  @IsOptional()
  @Matches(/^smtps?:\/\/.+/, { message: 'SMTP_URL must look like smtp://user:pass@host:587' })
  SMTP_URL?: string;

  @IsOptional()
  @IsString()
  MAIL_FROM?: string;

  @IsOptional()
  @IsString()
  MAIL_DIR?: string;

  @IsOptional()
  @Matches(/^https?:\/\/[^/]+$/, {
    message: 'PUBLIC_URL must look like https://example.com (no path, no trailing slash)',
  })
  PUBLIC_URL?: string;

  @IsOptional()
  @Matches(DURATION, { message: 'EMAIL_DIGEST_AFTER must be a duration like 3600, 30m, 1h or 1d' })
  EMAIL_DIGEST_AFTER?: string;

  @IsOptional()
  @IsInt()
  @Min(100)
  MAIL_RETRY_BASE_MS?: number;

  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(50)
  MAIL_MAX_ATTEMPTS?: number;

  @IsOptional()
  @IsInt()
  @Min(50)
  MAIL_POLL_MS?: number;

  @IsOptional()
  @IsInt()
  @Min(50)
  DIGEST_TICK_MS?: number;
}

export interface MailConfig {
  /** SMTP server (STARTTLS when offered; smtps:// for TLS from the start); null: .eml files. */
  smtpUrl: string | null;
  /** The From header, e.g. `Microblog <no-reply@example.com>`. */
  from: string;
  /** Where emails go as .eml files when there is no SMTP server. */
  mailDir: string;
  /** The site's address as people reach it: the links in emails start with it. */
  publicUrl: string;
  /** A user with unread items who has not been seen for this long gets a digest email. */
  digestAfterSeconds: number;
  /** The wait before the first retry of a refused delivery; each later one doubles (to 1 h). */
  retryBaseMs: number;
  /** Deliveries tried before an email is marked failed (and logged as an error). */
  maxAttempts: number;
  /** How often each process looks for due emails. */
  pollMs: number;
  /**
   * How often each process tries the digest lease; the holder then looks for due digests.
   * Default: a quarter of digestAfterSeconds, at least 250 ms and at most a minute.
   */
  digestTickMs: number;
}

/** Seconds in a duration like 90, 45s, 30m, 1h or 2d. */
export function durationSeconds(value: string): number {
  const unit = /[smhd]$/.test(value) ? value.slice(-1) : 's';
  return parseInt(value, 10) * UNIT_SECONDS[unit];
}

/** The `mail` namespace from environment variables; throws naming every invalid one. */
export function readMailConfig(variables: NodeJS.ProcessEnv): MailConfig {
  const env = validateConfig(variables, MailEnv);
  const port = variables.PORT || '3000';
  const host = variables.HOST || '127.0.0.1';
  const digestAfterSeconds = durationSeconds(env.EMAIL_DIGEST_AFTER ?? '1h');
  return {
    smtpUrl: env.SMTP_URL || null,
    from: env.MAIL_FROM || 'Microblog <no-reply@localhost>',
    mailDir: env.MAIL_DIR || 'data/mail',
    publicUrl: env.PUBLIC_URL || `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    digestAfterSeconds,
    retryBaseMs: env.MAIL_RETRY_BASE_MS ?? 30_000,
    maxAttempts: env.MAIL_MAX_ATTEMPTS ?? 10,
    pollMs: env.MAIL_POLL_MS ?? 5_000,
    digestTickMs: env.DIGEST_TICK_MS ?? Math.max(250, Math.min(60_000, digestAfterSeconds * 250)),
  };
}

export default registerAs('mail', (): MailConfig => readMailConfig(process.env));
