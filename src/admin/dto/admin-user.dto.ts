import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsEnum, IsOptional, IsString, MaxLength } from 'class-validator';
import { PageQueryDto } from '../../common/api/page-query.dto';
import {
  API_CLEAN_TEXT_MESSAGE,
  CleanText,
  MaxVisibleLength,
  TrimText,
} from '../../common/forms/form-validators';
import { ABOUT_ME_MAX } from '../../users/dto/edit-profile.dto';
import { Role, User } from '../../users/user.entity';

export class AdminUserDto {
  @ApiProperty() id!: number;
  @ApiProperty() username!: string;
  @ApiProperty() email!: string;
  @ApiProperty({ enum: Role }) role!: Role;
  @ApiProperty() disabled!: boolean;
  @ApiProperty({ type: String, nullable: true }) about_me!: string | null;
  @ApiProperty({ format: 'date-time' }) created_at!: string;
  @ApiProperty({ format: 'date-time' }) last_seen!: string;
  @ApiProperty({ description: 'Unread private messages' }) unread_count!: number;
}

export function mapAdminUser(user: User, unreadCount: number): AdminUserDto {
  return {
    id: user.id,
    username: user.username,
    email: user.email,
    role: user.role,
    disabled: user.disabled,
    about_me: user.aboutMe,
    created_at: user.createdAt.toISOString(),
    last_seen: user.lastSeen.toISOString(),
    unread_count: unreadCount,
  };
}

export class UserQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ description: 'Part of a username or email' })
  @IsOptional()
  @IsString()
  @MaxLength(120)
  @CleanText({ message: API_CLEAN_TEXT_MESSAGE })
  q?: string;
}

export class UpdateUserDto {
  @ApiPropertyOptional({ enum: Role })
  @IsOptional()
  @IsEnum(Role)
  role?: Role;

  @ApiPropertyOptional({ description: 'A disabled user is logged out everywhere at once' })
  @IsOptional()
  @IsBoolean()
  disabled?: boolean;

  @ApiPropertyOptional({ type: String, nullable: true, maxLength: ABOUT_ME_MAX })
  @IsOptional()
  @TrimText()
  @IsString()
  @MaxVisibleLength(ABOUT_ME_MAX, 1000, {
    message: `about_me must be at most ${ABOUT_ME_MAX} characters`,
  })
  @CleanText({ multiline: true, message: API_CLEAN_TEXT_MESSAGE })
  about_me?: string | null;
}
