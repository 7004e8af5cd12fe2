import { MaxLength, MinLength } from 'class-validator';
import {
  CleanText,
  IsEmailAddress,
  NotBlank,
  SameAs,
  TrimText,
} from '../../common/forms/form-validators';
import { IsUsername } from '../../users/dto/username';

export const PASSWORD_MIN = 8;

export class RegisterDto {
  @IsUsername()
  username!: string;

  @TrimText()
  @NotBlank()
  @MaxLength(120, { message: 'validation.too_long', context: { max: 120 } })
  @IsEmailAddress()
  @CleanText()
  email!: string;

  @NotBlank()
  @MinLength(PASSWORD_MIN, { message: 'validation.too_short', context: { min: PASSWORD_MIN } })
  @MaxLength(256, { message: 'validation.too_long', context: { max: 256 } })
  @CleanText()
  password!: string;

  @NotBlank()
  @SameAs('password')
  password2!: string;
}
