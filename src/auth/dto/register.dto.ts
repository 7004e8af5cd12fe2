import { Transform } from 'class-transformer';
import { IsEmail, MaxLength, MinLength } from 'class-validator';
import { NotBlank, SameAs } from '../../common/forms/form-validators';
import { IsUsername } from '../../users/dto/username';

export const PASSWORD_MIN = 8;

export class RegisterDto {
  @IsUsername()
  username!: string;

  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value))
  @NotBlank()
  @MaxLength(120, { message: 'validation.too_long', context: { max: 120 } })
  @IsEmail({}, { message: 'validation.email' })
  email!: string;

  @NotBlank()
  @MinLength(PASSWORD_MIN, { message: 'validation.too_short', context: { min: PASSWORD_MIN } })
  @MaxLength(256, { message: 'validation.too_long', context: { max: 256 } })
  password!: string;

  @NotBlank()
  @SameAs('password')
  password2!: string;
}
