import { PickType } from '@nestjs/swagger';
import { MaxLength } from 'class-validator';
import { CleanText, NotBlank } from '../../common/forms/form-validators';
import { RegisterDto } from './register.dto';

/** A new email address for the account, which only the current password may ask for. */
export class ChangeEmailDto extends PickType(RegisterDto, ['email'] as const) {
  @NotBlank()
  @MaxLength(256, { message: 'validation.too_long', context: { max: 256 } })
  @CleanText()
  current_password!: string;
}
