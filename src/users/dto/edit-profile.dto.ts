import { Transform } from 'class-transformer';
import { trimText } from '../../common/forms/clean-text';
import { CleanText, MaxVisibleLength } from '../../common/forms/form-validators';
import { IsUsername } from './username';

export const ABOUT_ME_MAX = 140;

export class EditProfileDto {
  @IsUsername()
  username!: string;

  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? trimText(value) : ''))
  @MaxVisibleLength(ABOUT_ME_MAX, 1000)
  @CleanText({ multiline: true })
  about_me!: string;
}
