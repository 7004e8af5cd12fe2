import { registerAs } from '@nestjs/config';
import { IsIn, IsInt, IsOptional, Matches, Max, Min } from 'class-validator';
import { IsHost, IsTrustProxy, parseTrustProxy, TrustProxy } from './env-validators';
import { validateConfig } from './validate-config';

export const NODE_ENVS = ['development', 'production', 'test'] as const;

class AppEnv {
  @IsOptional()
  @IsIn(NODE_ENVS)
  NODE_ENV?: (typeof NODE_ENVS)[number];

  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(65535)
  PORT?: number;

  @IsOptional()
  @IsHost()
  HOST?: string;

  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(100)
  POSTS_PER_PAGE?: number;

  @IsOptional()
  @IsInt()
  @Min(1)
  LOGIN_RATE_LIMIT?: number;

  @IsOptional()
  @IsInt()
  @Min(1)
  SEND_RATE_LIMIT?: number;

  @IsOptional()
  @Matches(/^rediss?:\/\/.+/, { message: 'REDIS_URL must look like redis://host:6379' })
  REDIS_URL?: string;

  @IsOptional()
  @IsInt()
  @Min(50)
  SSE_HEARTBEAT_MS?: number;

  @IsOptional()
  @IsInt()
  @Min(100)
  SSE_RETRY_MS?: number;

  @IsOptional()
  @IsInt()
  @Min(100)
  SSE_STALL_TIMEOUT_MS?: number;

  @IsOptional()
  @IsTrustProxy()
  TRUST_PROXY?: string;

  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(1000)
  SSE_MAX_STREAMS_PER_USER?: number;

  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(3650)
  EVENT_RETENTION_DAYS?: number;

  @IsOptional()
  @IsInt()
  @Min(10)
  EVENT_RETENTION_PER_USER?: number;

  @IsOptional()
  @IsInt()
  @Min(1)
  REGISTER_RATE_LIMIT?: number;

  @IsOptional()
  @IsInt()
  @Min(1)
  SEND_ADDRESS_RATE_LIMIT?: number;

  @IsOptional()
  @IsInt()
  @Min(1)
  PASSWORD_RESET_RATE_LIMIT?: number;

  @IsOptional()
  @IsInt()
  @Min(1)
  PASSWORD_RESET_ACCOUNT_RATE_LIMIT?: number;

  @IsOptional()
  @IsInt()
  @Min(1)
  EMAIL_CHANGE_RATE_LIMIT?: number;

  @IsOptional()
  @IsInt()
  @Min(1)
  CONFIRMATION_RESEND_RATE_LIMIT?: number;

  @IsOptional()
  @IsIn(['on', 'off'], { message: 'API_DOCS must be on or off' })
  API_DOCS?: 'on' | 'off';
}

export interface AppConfig {
  nodeEnv: (typeof NODE_ENVS)[number];
  port: number;
  host: string;
  postsPerPage: number;
  /** Login attempts (pages and API tokens together) allowed per client address per minute. */
  loginRateLimit: number;
  /** Registrations allowed per client address per hour. */
  registerRateLimit: number;
  /** Messages one user may send per minute. */
  sendRateLimit: number;
  /** Messages all users behind one client address may send per minute (against account farms). */
  sendAddressRateLimit: number;
  /** "Forgot your password?" requests allowed per client address per hour. */
  passwordResetRateLimit: number;
  /** Reset requests allowed per submitted email address per hour, whoever sends them. */
  passwordResetAccountRateLimit: number;
  /** Email address changes (each checks the password) allowed per client address per hour. */
  emailChangeRateLimit: number;
  /** Confirmation links one user may have sent again per hour. */
  confirmationResendRateLimit: number;
  /** Serve the OpenAPI document and Swagger UI at /api/docs (default: off in production). */
  apiDocs: boolean;
  /** Redis for fan-out across processes; unset: in-process delivery only. */
  redisUrl: string | null;
  /** Comment lines on idle event streams, so proxies keep the connection. */
  sseHeartbeatMs: number;
  /** Reconnection delay suggested to EventSource clients. */
  sseRetryMs: number;
  /** A stream whose client reads nothing for this long is dropped (it reconnects and resumes). */
  sseStallTimeoutMs: number;
  /** Express `trust proxy`: which forwarding proxies' X-Forwarded-* headers are believed. */
  trustProxy: TrustProxy;
  /** Open event streams one user may hold in one process; the next one gets 429. */
  sseMaxStreamsPerUser: number;
  /** How long a user's events stay replayable; a stream resuming from before gets `reset`. */
  eventRetentionDays: number;
  /** The most events kept per user, whatever their age (the oldest go first). */
  eventRetentionPerUser: number;
}

/** The `app` namespace from environment variables; throws naming every invalid one. */
export function readAppConfig(variables: NodeJS.ProcessEnv): AppConfig {
  const env = validateConfig(variables, AppEnv);
  return {
    nodeEnv: env.NODE_ENV ?? 'development',
    port: env.PORT ?? 3000,
    host: env.HOST ?? '127.0.0.1',
    postsPerPage: env.POSTS_PER_PAGE ?? 25,
    loginRateLimit: env.LOGIN_RATE_LIMIT ?? 10,
    registerRateLimit: env.REGISTER_RATE_LIMIT ?? 10,
    sendRateLimit: env.SEND_RATE_LIMIT ?? 30,
    sendAddressRateLimit: env.SEND_ADDRESS_RATE_LIMIT ?? 120,
    passwordResetRateLimit: env.PASSWORD_RESET_RATE_LIMIT ?? 10,
    passwordResetAccountRateLimit: env.PASSWORD_RESET_ACCOUNT_RATE_LIMIT ?? 3,
    emailChangeRateLimit: env.EMAIL_CHANGE_RATE_LIMIT ?? 10,
    confirmationResendRateLimit: env.CONFIRMATION_RESEND_RATE_LIMIT ?? 3,
    apiDocs: (env.API_DOCS ?? (env.NODE_ENV === 'production' ? 'off' : 'on')) === 'on',
    redisUrl: env.REDIS_URL || null,
    sseHeartbeatMs: env.SSE_HEARTBEAT_MS ?? 20_000,
    sseRetryMs: env.SSE_RETRY_MS ?? 3_000,
    sseStallTimeoutMs: env.SSE_STALL_TIMEOUT_MS ?? 60_000,
    trustProxy: env.TRUST_PROXY === undefined ? false : parseTrustProxy(env.TRUST_PROXY),
    sseMaxStreamsPerUser: env.SSE_MAX_STREAMS_PER_USER ?? 10,
    eventRetentionDays: env.EVENT_RETENTION_DAYS ?? 7,
    eventRetentionPerUser: env.EVENT_RETENTION_PER_USER ?? 10_000,
  };
}

export default registerAs('app', (): AppConfig => readAppConfig(process.env));
