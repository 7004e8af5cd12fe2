import {
  ConflictException,
  Controller,
  Get,
  Headers,
  Query,
  Req,
  Sse,
  SseSignal,
} from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiConflictResponse,
  ApiCookieAuth,
  ApiOkResponse,
  ApiOperation,
  ApiProduces,
  ApiQuery,
  ApiTags,
  ApiTooManyRequestsResponse,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import type { Request } from 'express';
import { Observable } from 'rxjs';
import { AUTH_COOKIE } from '../auth/auth-cookie';
import { AuthSession, CurrentSession, CurrentUser } from '../auth/decorators';
import { ErrorDto } from '../common/api/error.dto';
import { User } from '../users/user.entity';
import { NotificationDto } from './notification-types';
import { NotificationStreamService, parseLastEventId } from './notification-stream.service';
import { NotificationsService } from './notifications.service';
import { SseMessage } from './stream-connection';

/** Unsent event data a client that does not read may hold before it is dropped. */
const STREAM_MAX_PENDING_CHARS = 256 * 1024;

/** ?since= as the tutorial reads it: a number of unix seconds, anything else counts as 0. */
export function parseSince(raw: unknown): number {
  const since = typeof raw === 'string' ? Number(raw) : NaN;
  return Number.isFinite(since) ? since : 0;
}

/**
 * ?uid= names the user a page was rendered for. A tab left open by the previous user of a
 * shared browser sends their id with the next user's cookie: 409, never the other's data.
 */
export function assertExpectedUser(uid: unknown, user: User): void {
  if (uid !== undefined && uid !== String(user.id)) {
    throw new ConflictException('errors.other_user');
  }
}

@ApiTags('notifications')
@ApiCookieAuth(AUTH_COOKIE)
@ApiBearerAuth()
@ApiUnauthorizedResponse({ type: ErrorDto, description: 'Not logged in, or the session ended' })
@ApiConflictResponse({ type: ErrorDto, description: '`uid` is not the logged-in user' })
@ApiQuery({ name: 'uid', required: false, description: 'The user the page expects' })
@Controller('notifications')
export class NotificationsController {
  constructor(
    private readonly notifications: NotificationsService,
    private readonly streams: NotificationStreamService,
  ) {}

  @Get()
  @ApiOperation({ summary: 'Notifications newer than `since` (unix seconds), oldest first' })
  @ApiQuery({ name: 'since', required: false, type: Number })
  @ApiOkResponse({ description: '[{name, data, timestamp}]' })
  list(
    @CurrentUser() user: User,
    @Query('since') since: unknown,
    @Query('uid') uid: unknown,
  ): Promise<NotificationDto[]> {
    assertExpectedUser(uid, user);
    return this.notifications.since(user.id, parseSince(since));
  }

  @Sse('stream', { maxPendingDataLength: STREAM_MAX_PENDING_CHARS })
  @ApiOperation({
    summary: 'Server-Sent Events: the current notifications, then each one as it is stored',
    description:
      'Each event: `id` = notification id, `data` = {name, data, timestamp}. Resume with the ' +
      '`Last-Event-ID` header or `?lastEventId=`. A `session_ended` event closes the stream ' +
      'for good (logout). Comment lines are heartbeats.',
  })
  @ApiProduces('text/event-stream')
  @ApiQuery({ name: 'lastEventId', required: false, type: Number })
  @ApiOkResponse({ description: 'text/event-stream' })
  @ApiTooManyRequestsResponse({ type: ErrorDto, description: 'Too many open streams' })
  stream(
    @CurrentUser() user: User,
    @CurrentSession() session: AuthSession,
    @Headers('last-event-id') lastEventIdHeader: unknown,
    @Query('lastEventId') lastEventIdQuery: unknown,
    @Query('uid') uid: unknown,
    @Req() req: Request,
    @SseSignal() signal: AbortSignal,
  ): Observable<SseMessage> {
    assertExpectedUser(uid, user);
    // The request lives as long as the stream: it keeps no loaded entity it does not need.
    req.user = undefined;
    return this.streams.open({
      userId: session.userId,
      sessionId: session.id,
      lastEventId: parseLastEventId(lastEventIdHeader, lastEventIdQuery),
      socket: req.socket,
      signal,
    });
  }
}
