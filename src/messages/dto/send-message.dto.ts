import { Transform } from 'class-transformer';
import { MaxVisibleLength, NotBlank } from '../../common/forms/form-validators';
import { MESSAGE_COLUMN_LENGTH, MESSAGE_MAX } from '../message.entity';

export class SendMessageDto {
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value))
  @NotBlank()
  @MaxVisibleLength(MESSAGE_MAX, MESSAGE_COLUMN_LENGTH)
  message!: string;
}
