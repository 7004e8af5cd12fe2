import {
  BeforeApplicationShutdown,
  HttpException,
  HttpStatus,
  Injectable,
  Logger,
  OnModuleDestroy,
} from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { Socket } from 'node:net';
import { Observable } from 'rxjs';
import { AllConfigType } from '../config/config.type';
import { SessionsService } from '../auth/sessions.service';
import { AnnouncementPlacement } from './announcement-placement';
import { NotificationBus, StreamEvent, StreamReceiver } from './bus/notification-bus';
import { Cursor, UNKNOWN_CURSOR } from './event-cursor';
import { EventLogService } from './event-log.service';
import { NotificationsService } from './notifications.service';
import { SseMessage, StreamConnection } from './stream-connection';

/** Open streams whose sessions one query checks. */
const SESSION_CHECK_BATCH = 500;

/** Who opens a stream, and from where it resumes. */
export interface StreamRequest {
  userId: number;
  sessionId: string;
  /** Where the client resumes (its Last-Event-ID): null for a fresh stream. */
  from: Cursor | typeof UNKNOWN_CURSOR | null;
  /** The topics the page watches (parseTopics); none by default. */
  topics?: string[];
  /** The client's socket, watched for a client that stops reading. */
  socket: Socket | null;
  /** Nest's @SseSignal(): aborted however the stream ends, even before it was subscribed. */
  signal: AbortSignal;
}

/**
 * Heartbeats go out in slices, one slice per tick, spread over the interval: one timer for
 * every stream, and never a write to all streams in one go.
 */
const HEARTBEAT_TICK_MS = 100;

/**
 * The per-user registry of this process's open notification streams. The bus hands it every
 * committed event; each stream of the event's user sends it in the user's order (see
 * StreamConnection), reading the log where something came out of order or was lost.
 */
@Injectable()
export class NotificationStreamService
  implements StreamReceiver, OnModuleDestroy, BeforeApplicationShutdown
{
  private readonly logger = new Logger(NotificationStreamService.name);
  private readonly settings: {
    heartbeatMs: number;
    retryMs: number;
    stallTimeoutMs: number;
    maxPerUser: number;
  };
  private readonly byUser = new Map<number, Set<StreamConnection>>();
  private readonly byTopic = new Map<string, Set<StreamConnection>>();
  private readonly heartbeatSlices: Set<StreamConnection>[];
  private readonly heartbeatTimer: NodeJS.Timeout;
  private heartbeatTick = 0;
  private nextSlice = 0;
  private openStreams = 0;
  private readonly announcements: AnnouncementPlacement;

  constructor(
    bus: NotificationBus,
    private readonly log: EventLogService,
    private readonly notifications: NotificationsService,
    private readonly sessions: SessionsService,
    config: ConfigService<AllConfigType, true>,
  ) {
    const app = config.getOrThrow('app', { infer: true });
    this.settings = {
      heartbeatMs: app.sseHeartbeatMs,
      retryMs: app.sseRetryMs,
      stallTimeoutMs: app.sseStallTimeoutMs,
      maxPerUser: app.sseMaxStreamsPerUser,
    };
    const slices = Math.max(1, Math.round(this.settings.heartbeatMs / HEARTBEAT_TICK_MS));
    this.heartbeatSlices = Array.from({ length: slices }, () => new Set<StreamConnection>());
    this.heartbeatTimer = setInterval(
      () => this.heartbeatSlice(),
      Math.max(10, Math.floor(this.settings.heartbeatMs / slices)),
    );
    this.heartbeatTimer.unref();
    this.announcements = new AnnouncementPlacement(log, (c) => this.catchUp(c));
    bus.attach(this);
  }

  onModuleDestroy(): void {
    clearInterval(this.heartbeatTimer);
  }

  /**
   * Before the HTTP server stops: every stream ends with a retry hint, so the server can wait
   * for the requests in flight without open streams holding it, and clients come back (to
   * another process, or this one restarted) and resume by id.
   */
  beforeApplicationShutdown(): void {
    this.byUser.forEach((connections) =>
      connections.forEach((c) => c.closeForRestart(this.settings.retryMs)),
    );
  }

  /** Streams open in this process. */
  get openCount(): number {
    return this.openStreams;
  }

  /**
   * The user's stream: the current state, the events after the client's cursor (or a reset
   * when the log no longer has them), then live events. It counts against the user's cap from
   * now on, so a flood of connects can't pass it; 429 over the cap.
   */
  open(request: StreamRequest): Observable<SseMessage> {
    if ((this.byUser.get(request.userId)?.size ?? 0) >= this.settings.maxPerUser) {
      throw new HttpException('errors.too_many_streams', HttpStatus.TOO_MANY_REQUESTS);
    }
    const from = request.from === UNKNOWN_CURSOR ? null : request.from;
    const connection = new StreamConnection(
      request.userId,
      request.sessionId,
      from,
      request.socket,
      (c, event) => (event.userId === null ? this.announcements.add(c, event) : this.catchUp(c)),
      request.topics,
    );
    this.add(connection);
    const release = () => this.remove(connection);
    request.signal.addEventListener('abort', release, { once: true });
    return new Observable<SseMessage>((subscriber) => {
      connection.attach(subscriber, this.settings.retryMs);
      // Registered (above) before the log is read: nothing committed in between is missed.
      this.start(connection, request.from).catch((error: unknown) => this.fail(connection, error));
      return release;
    });
  }

  deliver(userId: number | null, event: StreamEvent): void {
    if (userId === null) {
      this.byUser.forEach((connections) => connections.forEach((c) => c.deliver(event)));
    } else {
      this.byUser.get(userId)?.forEach((c) => c.deliver(event));
    }
  }

  deliverToTopics(topics: string[], json: string): void {
    const connections = new Set(topics.flatMap((topic) => [...(this.byTopic.get(topic) ?? [])]));
    connections.forEach((c) => c.sendLive(json));
  }

  /**
   * Fan-out may have lost events (Redis was away), session ends among them: streams whose
   * session is gone end, the others catch up from the log.
   */
  resync(): void {
    this.endLostSessions()
      .catch((error: unknown) => this.logger.error(error instanceof Error ? error.stack : error))
      .finally(() =>
        this.byUser.forEach((connections) =>
          connections.forEach((c) => {
            if (c.live) {
              c.beginRead();
              this.catchUp(c);
            }
          }),
        ),
      );
  }

  private async start(connection: StreamConnection, from: StreamRequest['from']): Promise<void> {
    if (from !== null && from !== UNKNOWN_CURSOR) {
      const events = await this.log.replay(connection.userId, from);
      if (events) {
        connection.replayed(events, await this.state(connection.userId));
        return;
      }
    }
    const position = await this.log.position(connection.userId);
    connection.startAt(position, from !== null, await this.state(connection.userId));
  }

  /** The connection holds what came out of order: it reads the log from its cursor. */
  private catchUp(connection: StreamConnection): void {
    const from = connection.position as Cursor;
    this.log
      .replay(connection.userId, from)
      .then(async (events) => {
        if (events) {
          connection.replayed(events);
        } else {
          const position = await this.log.position(connection.userId);
          connection.startAt(position, true, await this.state(connection.userId));
        }
      })
      .catch((error: unknown) => this.fail(connection, error));
  }

  /** The user's current state, as the frames a stream starts with. */
  private async state(userId: number): Promise<string[]> {
    return (await this.notifications.since(userId, 0)).map((dto) => JSON.stringify(dto));
  }

  private async endLostSessions(): Promise<void> {
    const connections = [...this.byUser.values()].flatMap((set) => [...set]);
    for (let i = 0; i < connections.length; i += SESSION_CHECK_BATCH) {
      const batch = connections.slice(i, i + SESSION_CHECK_BATCH);
      const live = await this.sessions.live([...new Set(batch.map((c) => c.sessionId))]);
      batch.filter((c) => !live.has(c.sessionId)).forEach((c) => c.endSession());
    }
  }

  private add(connection: StreamConnection): void {
    let connections = this.byUser.get(connection.userId);
    if (!connections) {
      connections = new Set();
      this.byUser.set(connection.userId, connections);
    }
    connections.add(connection);
    connection.topics.forEach((topic) => {
      const watching = this.byTopic.get(topic) ?? new Set<StreamConnection>();
      this.byTopic.set(topic, watching.add(connection));
    });
    connection.heartbeatSlot = this.nextSlice++ % this.heartbeatSlices.length;
    this.heartbeatSlices[connection.heartbeatSlot].add(connection);
    this.openStreams++;
  }

  /** Idempotent: called by the observable's teardown and by the request's abort signal. */
  private remove(connection: StreamConnection): void {
    const connections = this.byUser.get(connection.userId);
    if (!connections?.delete(connection)) {
      return;
    }
    this.openStreams--;
    connection.topics.forEach((topic) => {
      const watching = this.byTopic.get(topic);
      if (watching?.delete(connection) && watching.size === 0) {
        this.byTopic.delete(topic);
      }
    });
    this.heartbeatSlices[connection.heartbeatSlot].delete(connection);
    if (connections.size === 0) {
      this.byUser.delete(connection.userId);
    }
  }

  private fail(connection: StreamConnection, error: unknown): void {
    this.logger.error(error instanceof Error ? error.stack : String(error));
    connection.close();
  }

  private heartbeatSlice(): void {
    const now = Date.now();
    this.heartbeatSlices[this.heartbeatTick++ % this.heartbeatSlices.length].forEach((c) =>
      c.heartbeat(now, this.settings.stallTimeoutMs),
    );
  }
}
