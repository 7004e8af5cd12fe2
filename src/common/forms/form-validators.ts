import { Transform } from 'class-transformer';
import { isEmail, ValidateBy, ValidationOptions } from 'class-validator';
import { CleanTextOptions, isCleanJson, isCleanText, trimText } from './clean-text';
import { codePointLength, visibleLength } from './text-length';

/** Drops spaces and line breaks at the ends of a string; control characters stay, to be refused. */
export function TrimText(): PropertyDecorator {
  return Transform(({ value }: { value: unknown }) => trimText(value));
}

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

/**
 * An email address. validator's isEmail throws a URIError (a 500) on a lone surrogate, so only
 * clean text is handed to it.
 */
export function IsEmailAddress(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isEmail',
      validator: {
        validate: (value: unknown) =>
          typeof value === 'string' && isCleanText(value) && isEmail(value),
      },
    },
    { message: 'validation.email', ...options },
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

/**
 * No control characters (line breaks and tabs allowed in `multiline` text) and no lone
 * surrogates, the one check for every text a form or the API accepts. With `json`, the value
 * is any JSON and every string inside it is checked, keys included. Non-strings pass: the type
 * is the other validators' business.
 */
export function CleanText(
  options: CleanTextOptions & { json?: boolean } & ValidationOptions = {},
): PropertyDecorator {
  const { multiline, json, ...validationOptions } = options;
  const textOptions = { multiline };
  return ValidateBy(
    {
      name: 'cleanText',
      constraints: [textOptions],
      validator: {
        validate: (value: unknown) =>
          json
            ? isCleanJson(value, textOptions)
            : typeof value !== 'string' || isCleanText(value, textOptions),
      },
    },
    { message: 'validation.invalid_characters', ...validationOptions },
  );
}

/** The same check for the JSON API, whose messages are plain English. */
export const API_CLEAN_TEXT_MESSAGE =
  '$property must not contain control characters or unpaired surrogates';
