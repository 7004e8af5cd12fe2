import { Controller, Get, Headers, Query, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Response } from 'express';
import { CurrentUser } from '../auth/decorators';
import { User } from '../users/user.entity';
import { NotificationStreamService, parseLastEventId } from './notification-stream.service';

// Browser pages and feeds, not part of the documented JSON API.
@ApiExcludeController()
@Controller('notifications')
export class NotificationStreamController {
  constructor(private readonly streams: NotificationStreamService) {}

  /**
   * The logged-in user's notifications as Server-Sent Events; resumes after Last-Event-ID.
   * Auth, guards and filters run as for any route; the stream itself is written by
   * NotificationStreamService, off Nest's @Sse machinery (see there why).
   */
  @Get('stream')
  stream(
    @CurrentUser() user: User,
    @Headers('last-event-id') lastEventIdHeader: unknown,
    @Query('lastEventId') lastEventIdQuery: unknown,
    @Res() res: Response,
  ): void {
    this.streams.open(user.id, parseLastEventId(lastEventIdHeader, lastEventIdQuery), res);
  }
}
