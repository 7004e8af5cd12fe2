import { Transform } from 'class-transformer';
import { MaxVisibleLength } from '../../common/forms/form-validators';
import { IsUsername } from './username';

export const ABOUT_ME_MAX = 140;

export class EditProfileDto {
  @IsUsername()
  username!: string;

  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : ''))
  @MaxVisibleLength(ABOUT_ME_MAX, 1000)
  about_me!: string;
}
