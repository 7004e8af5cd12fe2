import { applyDecorators } from '@nestjs/common';
import { Matches, MaxLength } from 'class-validator';
import { CleanText, NotBlank, TrimText } from '../../common/forms/form-validators';

export const USERNAME_MAX = 64;

/**
 * Usernames appear in URLs (/user/<name>): ASCII letters, digits, dot, dash and underscore,
 * which also keeps case-insensitive uniqueness identical on SQLite and MySQL.
 */
export function IsUsername(): PropertyDecorator {
  return applyDecorators(
    TrimText(),
    NotBlank(),
    MaxLength(USERNAME_MAX, { message: 'validation.too_long', context: { max: USERNAME_MAX } }),
    Matches(/^[A-Za-z0-9_.-]+$/, { message: 'validation.username_chars' }),
    CleanText(),
  );
}
