import { ValidateBy, ValidationOptions } from 'class-validator';
import { codePointLength, visibleLength } from './text-length';

/** Required, and more than whitespace. */
export function NotBlank(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'notBlank',
      validator: {
        validate: (value: unknown) => typeof value === 'string' && value.trim().length > 0,
      },
    },
    { message: 'validation.required', ...options },
  );
}

/**
 * At most `max` characters as a person counts them. Combining marks can pile up inside one
 * visible character, so the code-point total is capped too, at what the column holds.
 */
export function MaxVisibleLength(
  max: number,
  columnLength: number,
  options?: ValidationOptions,
): PropertyDecorator {
  return ValidateBy(
    {
      name: 'maxVisibleLength',
      constraints: [max],
      validator: {
        validate: (value: unknown) =>
          typeof value !== 'string' ||
          (visibleLength(value) <= max && codePointLength(value) <= columnLength),
      },
    },
    { message: 'validation.too_long', context: { max }, ...options },
  );
}

/** Equal to another field of the same form ("repeat password"). */
export function SameAs(field: string, options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'sameAs',
      constraints: [field],
      validator: {
        validate: (value: unknown, args) =>
          value === (args?.object as Record<string, unknown>)[field],
      },
    },
    { message: 'validation.must_match', ...options },
  );
}
