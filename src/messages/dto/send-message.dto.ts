import {
  CleanText,
  MaxVisibleLength,
  NotBlank,
  TrimText,
} from '../../common/forms/form-validators';
import { MESSAGE_COLUMN_LENGTH, MESSAGE_MAX } from '../message.entity';

export class SendMessageDto {
  @TrimText()
  @NotBlank()
  @MaxVisibleLength(MESSAGE_MAX, MESSAGE_COLUMN_LENGTH)
  @CleanText({ multiline: true })
  message!: string;
}
