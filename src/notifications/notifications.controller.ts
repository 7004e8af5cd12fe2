import { ApiExcludeController } from '@nestjs/swagger';
import { Controller, Get, Query } from '@nestjs/common';
import { CurrentUser } from '../auth/decorators';
import { User } from '../users/user.entity';
import { NotificationDto } from './notification-types';
import { NotificationsService } from './notifications.service';

/** ?since= as the tutorial reads it: a number of unix seconds, anything else counts as 0. */
export function parseSince(raw: unknown): number {
  const since = typeof raw === 'string' ? Number(raw) : NaN;
  return Number.isFinite(since) ? since : 0;
}

@Controller('notifications')
// Browser pages and feeds, not part of the documented JSON API.
@ApiExcludeController()
export class NotificationsController {
  constructor(private readonly notifications: NotificationsService) {}

  @Get()
  list(@CurrentUser() user: User, @Query('since') since: unknown): Promise<NotificationDto[]> {
    return this.notifications.since(user.id, parseSince(since));
  }
}
