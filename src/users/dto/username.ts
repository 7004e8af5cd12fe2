import { applyDecorators } from '@nestjs/common';
import { Transform } from 'class-transformer';
import { Matches, MaxLength } from 'class-validator';
import { NotBlank } from '../../common/forms/form-validators';

export const USERNAME_MAX = 64;

/**
 * Usernames appear in URLs (/user/<name>): ASCII letters, digits, dot, dash and underscore,
 * which also keeps case-insensitive uniqueness identical on SQLite and MySQL.
 */
export function IsUsername(): PropertyDecorator {
  return applyDecorators(
    Transform(({ value }: { value: unknown }) =>
      typeof value === 'string' ? value.trim() : value,
    ),
    NotBlank(),
    MaxLength(USERNAME_MAX, { message: 'validation.too_long', context: { max: USERNAME_MAX } }),
    Matches(/^[A-Za-z0-9_.-]+$/, { message: 'validation.username_chars' }),
  );
}
