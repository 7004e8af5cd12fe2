import { Transform } from 'class-transformer';
import { IsOptional, MaxLength } from 'class-validator';
import { CleanText, NotBlank, TrimText } from '../../common/forms/form-validators';

export class LoginDto {
  @TrimText()
  @NotBlank()
  @MaxLength(120, { message: 'validation.too_long', context: { max: 120 } })
  @CleanText()
  username!: string;

  @NotBlank()
  @MaxLength(256, { message: 'validation.too_long', context: { max: 256 } })
  @CleanText()
  password!: string;

  @IsOptional()
  @Transform(({ value }: { value: unknown }) => value === 'y' || value === 'on' || value === true)
  remember_me?: boolean;
}
