import { ApiExcludeController } from '@nestjs/swagger';
import { Controller, Headers, MessageEvent, Query, Req, Sse } from '@nestjs/common';
import type { Request, Response } from 'express';
import { Observable } from 'rxjs';
import { CurrentUser } from '../auth/decorators';
import { User } from '../users/user.entity';
import { NotificationStreamService, parseLastEventId } from './notification-stream.service';

@Controller('notifications')
// Browser pages and feeds, not part of the documented JSON API.
@ApiExcludeController()
export class NotificationStreamController {
  constructor(private readonly streams: NotificationStreamService) {}

  /** The logged-in user's notifications as Server-Sent Events; resumes after Last-Event-ID. */
  // Backstop for a client that stops reading: the service keeps one event per name waiting.
  @Sse('stream', { maxPendingDataLength: 64 * 1024 })
  stream(
    @CurrentUser() user: User,
    @Headers('last-event-id') lastEventIdHeader: unknown,
    @Query('lastEventId') lastEventIdQuery: unknown,
    @Req() req: Request,
  ): Observable<MessageEvent> {
    const lastEventId = parseLastEventId(lastEventIdHeader, lastEventIdQuery);
    return this.streams.open(user.id, lastEventId, req.res as Response);
  }
}
