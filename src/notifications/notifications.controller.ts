import {
  ConflictException,
  Controller,
  createParamDecorator,
  ExecutionContext,
  Get,
  Query,
  Req,
  RequestMethod,
  Sse,
  SseSignal,
} from '@nestjs/common';
import type { RouteInfo } from '@nestjs/common/interfaces';
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
import { SkipLastSeen } from '../auth/jwt-auth.guard';
import { ErrorDto } from '../common/api/error.dto';
import { User } from '../users/user.entity';
import { NotificationDto } from './notification-types';
import { parseCursor } from './event-cursor';
import { parseTopics } from './stream-topics';
import { NotificationStreamService } from './notification-stream.service';
import { NotificationsService } from './notifications.service';
import { SseMessage, STREAM_MAX_PENDING_CHARS } from './stream-connection';

/**
 * The event stream's route (the controller's path and its @Sse path), for the middleware it is
 * left out of: it renders no page and holds its request and response for hours.
 */
export const NOTIFICATION_STREAM_ROUTE: RouteInfo = {
  path: 'notifications/stream',
  method: RequestMethod.GET,
};

/** ?since= as the tutorial reads it: a number of unix seconds, anything else counts as 0. */
export function parseSince(raw: unknown): number {
  const since = typeof raw === 'string' ? Number(raw) : NaN;
  return Number.isFinite(since) ? since : 0;
}

/**
 * ?uid= names the user a page was rendered for. A tab left open by the previous user of a
 * shared browser sends their id with the next user's cookie: 409, never the other's data.
 */
export function assertExpectedUser(uid: unknown, userId: number): void {
  if (uid !== undefined && uid !== String(userId)) {
    throw new ConflictException('errors.other_user');
  }
}

/** What a stream request asks for. */
interface StreamQuery {
  /** Where it resumes: the Last-Event-ID header, or ?lastEventId= (EventSource's first try). */
  from: ReturnType<typeof parseCursor>;
  /** ?watch= (parseTopics). */
  topics: string[];
  /** ?uid= (assertExpectedUser). */
  uid: unknown;
}

/**
 * The stream's query and header, read in one parameter: each parameter of a handler costs every
 * connect a pass through Nest's params factory and the pipes.
 */
const StreamQuery = createParamDecorator((_: unknown, ctx: ExecutionContext): StreamQuery => {
  const req = ctx.switchToHttp().getRequest<Request>();
  return {
    from: parseCursor(req.headers['last-event-id'], req.query.lastEventId),
    topics: parseTopics(req.query.watch),
    uid: req.query.uid,
  };
});

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
    assertExpectedUser(uid, user.id);
    return this.notifications.since(user.id, parseSince(since));
  }

  @Sse('stream', { maxPendingDataLength: STREAM_MAX_PENDING_CHARS })
  @SkipLastSeen()
  @ApiOperation({
    summary: "Server-Sent Events: the current state, then every event of the user's log in order",
    description:
      "Each event: `id` = the cursor `seq:announcement` (the user's event number and the " +
      'announcement number), `data` = {name, data, timestamp}. The stream starts with the ' +
      'current state (frames with the id the client sent). Resume with the `Last-Event-ID` ' +
      'header or `?lastEventId=`: every event after it follows, in order, once. When the log ' +
      'no longer holds them (retention), a `reset` event comes instead: reload what the page ' +
      'shows. A `session_ended` event closes the stream for good (logout). Comment lines are ' +
      'heartbeats.',
  })
  @ApiProduces('text/event-stream')
  @ApiQuery({ name: 'lastEventId', required: false, type: String, example: '17:3' })
  @ApiQuery({
    name: 'watch',
    required: false,
    type: String,
    example: 'explore',
    description:
      'Live `post` frames (new and deleted posts, not stored) for the page: `home`, `explore` ' +
      'or `user:<id>`, comma-separated, the last 8 kept; anything else is ignored.',
  })
  @ApiOkResponse({ description: 'text/event-stream' })
  @ApiTooManyRequestsResponse({ type: ErrorDto, description: 'Too many open streams' })
  stream(
    @CurrentSession() session: AuthSession,
    @StreamQuery() query: StreamQuery,
    @Req() req: Request,
    @SseSignal() signal: AbortSignal,
  ): Observable<SseMessage> {
    assertExpectedUser(query.uid, session.userId);
    // The request and the handler's arguments live as long as the stream: the session is all
    // it needs, so the user entity the guard loaded is not kept.
    req.user = undefined;
    return this.streams.open({
      userId: session.userId,
      sessionId: session.id,
      from: query.from,
      topics: query.topics,
      socket: req.socket,
      signal,
    });
  }
}
