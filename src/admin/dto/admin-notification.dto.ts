import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  IsDefined,
  IsNotIn,
  IsOptional,
  IsString,
  Matches,
  Validate,
  ValidatorConstraint,
  ValidatorConstraintInterface,
} from 'class-validator';
import { PageQueryDto } from '../../common/api/page-query.dto';
import { CanonicalId } from '../../common/api/parse-id.pipe';
import { API_CLEAN_TEXT_MESSAGE, CleanText } from '../../common/forms/form-validators';
import { Notification } from '../../notifications/notification.entity';

export class AdminNotificationDto {
  @ApiProperty() id!: number;
  @ApiProperty({ type: Number, nullable: true, description: 'null: for every user' })
  user_id!: number | null;
  @ApiProperty() name!: string;
  @ApiProperty({ description: 'The JSON payload' }) data!: unknown;
  @ApiProperty({ description: 'Unix seconds' }) timestamp!: number;
}

export function mapAdminNotification(row: Notification): AdminNotificationDto {
  return {
    id: row.id,
    user_id: row.userId,
    name: row.name,
    data: row.payload,
    timestamp: row.timestamp,
  };
}

export class NotificationQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ description: 'User id' })
  @IsOptional()
  @CanonicalId()
  user?: number;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @CleanText({ message: API_CLEAN_TEXT_MESSAGE })
  name?: string;
}

@ValidatorConstraint({ name: 'userTarget' })
class UserTarget implements ValidatorConstraintInterface {
  validate(value: unknown): boolean {
    return value === 'all' || (Number.isInteger(value) && (value as number) > 0);
  }

  defaultMessage(): string {
    return 'user must be a user id or "all"';
  }
}

/** Names the server manages itself can't be sent by hand. */
export const RESERVED_NOTIFICATIONS = ['unread_message_count'];

export class SendNotificationDto {
  @ApiProperty({
    oneOf: [
      { type: 'integer', minimum: 1 },
      { type: 'string', enum: ['all'] },
    ],
  })
  @Validate(UserTarget)
  user!: number | 'all';

  @ApiProperty({ example: 'announcement', pattern: '^[a-z][a-z0-9_]{0,127}$' })
  @IsString()
  @Matches(/^[a-z][a-z0-9_]{0,127}$/, {
    message: 'name must be lowercase letters, digits and underscores (at most 128)',
  })
  @IsNotIn(RESERVED_NOTIFICATIONS, { message: 'name is managed by the server' })
  @CleanText({ message: API_CLEAN_TEXT_MESSAGE })
  name!: string;

  @ApiProperty({
    description: 'Any JSON value; "announcement" shows data.message as a banner',
    example: { message: 'Maintenance tonight at 22:00 UTC' },
  })
  @IsDefined()
  @CleanText({ multiline: true, json: true, message: API_CLEAN_TEXT_MESSAGE })
  data!: unknown;
}

export class SendNotificationResultDto {
  @ApiProperty({ description: 'Users the notification is for' }) users!: number;
}
