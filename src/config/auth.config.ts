import { Logger } from '@nestjs/common';
import { registerAs } from '@nestjs/config';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { IsOptional, IsString, Matches, MinLength } from 'class-validator';
import { ConfigError, validateConfig } from './validate-config';

const DEV_SECRET_FILE = 'data/jwt-secret';
const DURATION = /^\d+[smhd]?$/;

class AuthEnv {
  @IsOptional()
  @IsString()
  @MinLength(32, { message: 'JWT_SECRET must be at least 32 characters' })
  JWT_SECRET?: string;

  @IsOptional()
  @Matches(DURATION, { message: 'JWT_EXPIRES_IN must be a duration like 900, 15m, 12h or 1d' })
  JWT_EXPIRES_IN?: string;

  @IsOptional()
  @Matches(DURATION, { message: 'JWT_REMEMBER_EXPIRES_IN must be a duration like 30d' })
  JWT_REMEMBER_EXPIRES_IN?: string;
}

export interface AuthConfig {
  jwtSecret: string;
  /** Token life without "remember me" (the cookie itself ends with the browser session). */
  expiresIn: string;
  rememberExpiresIn: string;
}

/**
 * Development convenience: a random secret kept under data/ so logins survive restarts.
 * Production must set JWT_SECRET explicitly (a generated secret would differ per replica).
 */
function developmentSecret(): string {
  if (existsSync(DEV_SECRET_FILE)) {
    return readFileSync(DEV_SECRET_FILE, 'utf8').trim();
  }
  const secret = randomBytes(48).toString('base64url');
  mkdirSync(dirname(DEV_SECRET_FILE), { recursive: true });
  writeFileSync(DEV_SECRET_FILE, secret, { mode: 0o600 });
  new Logger('AuthConfig').warn(
    `JWT_SECRET is not set: generated one and stored it in ${DEV_SECRET_FILE} (development only)`,
  );
  return secret;
}

export default registerAs('auth', (): AuthConfig => {
  const env = validateConfig(process.env, AuthEnv);
  if (!env.JWT_SECRET && process.env.NODE_ENV === 'production') {
    throw new ConfigError('Invalid configuration: JWT_SECRET is required when NODE_ENV=production');
  }
  return {
    jwtSecret: env.JWT_SECRET ?? developmentSecret(),
    expiresIn: env.JWT_EXPIRES_IN ?? '1d',
    rememberExpiresIn: env.JWT_REMEMBER_EXPIRES_IN ?? '30d',
  };
});
