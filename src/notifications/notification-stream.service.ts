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
import { NotificationBus, StreamEvent, StreamReceiver } from './bus/notification-bus';
import { NotificationsService } from './notifications.service';
import { SseMessage, StreamConnection } from './stream-connection';

/** Last-Event-ID as sent by EventSource (header) or by our script (query): a notification id. */
export function parseLastEventId(...candidates: unknown[]): number | null {
  for (const value of candidates) {
    if (typeof value === 'string' && /^\d{1,15}$/.test(value)) {
      return Number(value);
    }
  }
  return null;
}

/** Who opens a stream, and from where it resumes. */
export interface StreamRequest {
  userId: number;
  sessionId: string;
  lastEventId: number | null;
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
 * event and session end; it writes each event to the streams of its user, as one message
 * object built once per event.
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
  private readonly heartbeatSlices: Set<StreamConnection>[];
  private readonly heartbeatTimer: NodeJS.Timeout;
  private heartbeatTick = 0;
  private nextSlice = 0;
  private openStreams = 0;

  constructor(
    bus: NotificationBus,
    private readonly notifications: NotificationsService,
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
   * The user's stream: the stored backlog first, then live events. It counts against the
   * user's cap from now on, so a flood of connects can't pass it; 429 over the cap.
   */
  open(request: StreamRequest): Observable<SseMessage> {
    if ((this.byUser.get(request.userId)?.size ?? 0) >= this.settings.maxPerUser) {
      throw new HttpException('errors.too_many_streams', HttpStatus.TOO_MANY_REQUESTS);
    }
    const connection = new StreamConnection(
      request.userId,
      request.sessionId,
      request.lastEventId,
      request.socket,
    );
    this.add(connection);
    const release = () => this.remove(connection);
    request.signal.addEventListener('abort', release, { once: true });
    return new Observable<SseMessage>((subscriber) => {
      connection.attach(subscriber, this.settings.retryMs);
      // Registered (above) before the backlog is read: nothing committed in between is missed.
      this.notifications.backlog(request.userId, request.lastEventId).then(
        (backlog) => connection.startLive(backlog),
        (error: unknown) => this.fail(connection, error),
      );
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

  endStreams(userId: number, sessionId: string | null): void {
    this.byUser.get(userId)?.forEach((connection) => {
      if (sessionId === null || connection.sessionId === sessionId) {
        connection.endSession();
      }
    });
  }

  resync(): void {
    this.byUser.forEach((connections) => connections.forEach((c) => this.catchUp(c)));
  }

  private add(connection: StreamConnection): void {
    let connections = this.byUser.get(connection.userId);
    if (!connections) {
      connections = new Set();
      this.byUser.set(connection.userId, connections);
    }
    connections.add(connection);
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
    this.heartbeatSlices[connection.heartbeatSlot].delete(connection);
    if (connections.size === 0) {
      this.byUser.delete(connection.userId);
    }
  }

  /** Fan-out may have lost events (Redis was away): send what was stored after the last one. */
  private catchUp(connection: StreamConnection): void {
    if (!connection.live) {
      return; // its backlog query is still running and will see everything committed
    }
    connection.beginCatchUp();
    this.notifications.backlog(connection.userId, connection.lastSentId).then(
      (missed) => connection.endCatchUp(missed),
      (error: unknown) => {
        connection.endCatchUp([]);
        this.fail(connection, error);
      },
    );
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
