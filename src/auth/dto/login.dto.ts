import { Transform } from 'class-transformer';
import { IsOptional, MaxLength } from 'class-validator';
import { NotBlank } from '../../common/forms/form-validators';

export class LoginDto {
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value))
  @NotBlank()
  @MaxLength(120, { message: 'validation.too_long', context: { max: 120 } })
  username!: string;

  @NotBlank()
  @MaxLength(256, { message: 'validation.too_long', context: { max: 256 } })
  password!: string;

  @IsOptional()
  @Transform(({ value }: { value: unknown }) => value === 'y' || value === 'on' || value === true)
  remember_me?: boolean;
}
