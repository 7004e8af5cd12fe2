import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';

/** Checks environment variables against a class-validator class; throws one readable error. */
export function validateConfig<T extends object>(
  env: Record<string, string | undefined>,
  envClass: new () => T,
): T {
  const validated = plainToInstance(envClass, env, { enableImplicitConversion: true });
  const errors = validateSync(validated, { skipMissingProperties: false });
  if (errors.length > 0) {
    const details = errors
      .map((e) => `${e.property}: ${Object.values(e.constraints ?? {}).join(', ')}`)
      .join('; ');
    throw new Error(`Invalid configuration: ${details}`);
  }
  return validated;
}
