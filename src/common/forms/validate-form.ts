import { plainToInstance } from 'class-transformer';
import { ValidationError, validateSync } from 'class-validator';

/** A field error as an i18n key plus its arguments, translated when the form is rendered. */
export interface FieldError {
  key: string;
  args?: Record<string, unknown>;
}

export type FormErrors<T> = Partial<Record<keyof T & string, FieldError>>;

export type FormResult<T> = { ok: true; value: T } | { ok: false; value: T; errors: FormErrors<T> };

/** One message per field: "required" wins over the others, which would only add noise. */
function firstError(error: ValidationError): FieldError {
  const failed = Object.entries(error.constraints ?? {});
  const [constraint, key] = failed.find(([name]) => name === 'notBlank') ??
    failed[0] ?? ['', 'validation.invalid'];
  const context = error.contexts?.[constraint] as Record<string, unknown> | undefined;
  return { key, args: context };
}

/**
 * Validates a submitted HTML form against a DTO and returns errors per field, so the page can
 * be rendered again with the messages next to the fields (the global ValidationPipe would
 * answer with JSON instead). Unknown fields are dropped.
 */
export function validateForm<T extends object>(dto: new () => T, body: unknown): FormResult<T> {
  const value = plainToInstance(dto, body ?? {}, { excludeExtraneousValues: false });
  const errors = validateSync(value, { whitelist: true });
  if (errors.length === 0) {
    return { ok: true, value };
  }
  const byField: FormErrors<T> = {};
  for (const error of errors) {
    byField[error.property as keyof T & string] = firstError(error);
  }
  return { ok: false, value, errors: byField };
}

/** Adds a server-side error (duplicate username, wrong password...) to a form's errors. */
export function fieldError<T>(field: keyof T & string, key: string): FormErrors<T> {
  return { [field]: { key } } as FormErrors<T>;
}
