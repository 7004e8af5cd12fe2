import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';

/** An environment variable the app can't run with; the message names it and says why. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

/**
 * Checks environment variables against a class-validator class; throws one readable error.
 * An empty value (`TRUST_PROXY=` in .env or docker-compose) counts as unset.
 */
export function validateConfig<T extends object>(
  env: Record<string, string | undefined>,
  envClass: new () => T,
): T {
  const set = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== ''));
  const validated = plainToInstance(envClass, set, { enableImplicitConversion: true });
  const errors = validateSync(validated, { skipMissingProperties: false });
  if (errors.length > 0) {
    const details = errors
      .map((e) => `${e.property}: ${[...new Set(Object.values(e.constraints ?? {}))].join(', ')}`)
      .join('; ');
    throw new ConfigError(`Invalid configuration: ${details}`);
  }
  return validated;
}
