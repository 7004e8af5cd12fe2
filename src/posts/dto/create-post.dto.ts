import {
  CleanText,
  MaxVisibleLength,
  NotBlank,
  TrimText,
} from '../../common/forms/form-validators';
import { POST_COLUMN_LENGTH, POST_MAX } from '../post.entity';

export class CreatePostDto {
  @TrimText()
  @NotBlank()
  @MaxVisibleLength(POST_MAX, POST_COLUMN_LENGTH)
  @CleanText({ multiline: true })
  post!: string;
}
