import { Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { ServerResponse } from 'node:http';
import { AllConfigType } from '../config/config.type';
import {
  CLOSE_STREAMS,
  controlEvent,
  NotificationBus,
  RESYNC,
  StreamEvent,
} from './bus/notification-bus';
import { NotificationsService } from './notifications.service';
import { SseConnection } from './sse-connection';

/** Last-Event-ID as sent by EventSource (header) or by our script (query): a notification id. */
export function parseLastEventId(...candidates: unknown[]): number | null {
  for (const value of candidates) {
    if (typeof value === 'string' && /^\d{1,15}$/.test(value)) {
      return Number(value);
    }
  }
  return null;
}

/**
 * Heartbeats go out in slices, one slice per tick, spread over the interval, never all at once:
 * at 19,000 streams a tick writes ~100 of them, so an event never waits behind ~1,000 heartbeat
 * writes in one go.
 */
const HEARTBEAT_TICK_MS = 100;

/**
 * Every open notification stream of this process, by user. Why not Nest's @Sse: measured in
 * bench/ (README, Performance), its per-connection machinery (an SseStream transform, RxJS
 * operators and a probe timer per stream) cost ~3x the memory of a plain response, and
 * serialised each event once per connection. Here a stream is the response itself plus a small
 * SseConnection; an event's bytes are built once and written to every connection of its user;
 * heartbeats are spread over the interval in slices.
 */
@Injectable()
export class NotificationStreamService implements OnModuleDestroy {
  private readonly logger = new Logger(NotificationStreamService.name);
  private readonly settings: { heartbeatMs: number; retryMs: number; stallTimeoutMs: number };
  private readonly byUser = new Map<
    number,
    { connections: Set<SseConnection>; unsubscribe: () => void }
  >();
  private readonly heartbeatSlices: Set<SseConnection>[];
  private readonly heartbeatTimer: NodeJS.Timeout;
  private heartbeatTick = 0;
  private nextSlice = 0;
  private openStreams = 0;

  constructor(
    private readonly bus: NotificationBus,
    private readonly notifications: NotificationsService,
    config: ConfigService<AllConfigType, true>,
  ) {
    const app = config.getOrThrow('app', { infer: true });
    this.settings = {
      heartbeatMs: app.sseHeartbeatMs,
      retryMs: app.sseRetryMs,
      stallTimeoutMs: app.sseStallTimeoutMs,
    };
    const slices = Math.max(1, Math.round(this.settings.heartbeatMs / HEARTBEAT_TICK_MS));
    this.heartbeatSlices = Array.from({ length: slices }, () => new Set<SseConnection>());
    this.heartbeatTimer = setInterval(
      () => this.heartbeatSlice(),
      Math.max(10, Math.floor(this.settings.heartbeatMs / slices)),
    );
    this.heartbeatTimer.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.heartbeatTimer);
  }

  /** Streams open in this process. */
  get openCount(): number {
    return this.openStreams;
  }

  /**
   * Closes the user's open streams in every process; EventSource reconnects and is refused
   * once the user is logged out.
   */
  closeStreamsOf(userId: number): void {
    this.bus.publish(userId, controlEvent(CLOSE_STREAMS));
  }

  /** Starts the stream on `res`: the stored backlog first, then live events. */
  open(userId: number, lastEventId: number | null, res: ServerResponse): void {
    res.writeHead(200, {
      'Content-Type': 'text/event-stream',
      'Cache-Control': 'no-cache, no-transform',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
    });
    res.socket?.setNoDelay(true);
    res.socket?.setTimeout(0);
    // The first frame carries the reconnection delay and no data, so no event fires; its id is
    // the client's own cursor, so it moves nothing.
    res.write(`id: ${lastEventId ?? 0}\nretry: ${this.settings.retryMs}\n\n`);

    const connection = new SseConnection(
      res,
      userId,
      lastEventId ?? 0,
      this.settings.stallTimeoutMs,
    );
    this.add(connection);
    res.once('close', () => this.remove(connection));
    // Subscribed (above) before the backlog is read: nothing committed in between is missed.
    this.notifications.backlog(userId, lastEventId).then(
      (backlog) => connection.startLive(backlog),
      (error: unknown) => this.fail(connection, error),
    );
  }

  private add(connection: SseConnection): void {
    let user = this.byUser.get(connection.userId);
    if (!user) {
      const connections = new Set<SseConnection>();
      const unsubscribe = this.bus.subscribe(connection.userId, (event) =>
        this.dispatch(connections, event),
      );
      user = { connections, unsubscribe };
      this.byUser.set(connection.userId, user);
    }
    user.connections.add(connection);
    connection.heartbeatSlot = this.nextSlice++ % this.heartbeatSlices.length;
    this.heartbeatSlices[connection.heartbeatSlot].add(connection);
    this.openStreams++;
  }

  private remove(connection: SseConnection): void {
    connection.close();
    this.heartbeatSlices[connection.heartbeatSlot].delete(connection);
    const user = this.byUser.get(connection.userId);
    if (user?.connections.delete(connection)) {
      this.openStreams--;
      if (user.connections.size === 0) {
        user.unsubscribe();
        this.byUser.delete(connection.userId);
      }
    }
  }

  private dispatch(connections: Set<SseConnection>, event: StreamEvent): void {
    if (event.name === CLOSE_STREAMS) {
      connections.forEach((c) => c.res.end());
    } else if (event.name === RESYNC) {
      connections.forEach((c) => this.catchUp(c));
    } else {
      connections.forEach((c) => c.deliver(event));
    }
  }

  /** Fan-out may have lost events (Redis was away): send what was stored after the last one. */
  private catchUp(connection: SseConnection): void {
    this.notifications.backlog(connection.userId, connection.lastSentId).then(
      (missed) => missed.forEach((event) => connection.deliver(event)),
      (error: unknown) => this.fail(connection, error),
    );
  }

  private fail(connection: SseConnection, error: unknown): void {
    this.logger.error(error instanceof Error ? error.stack : String(error));
    connection.res.end();
  }

  private heartbeatSlice(): void {
    this.heartbeatSlices[this.heartbeatTick++ % this.heartbeatSlices.length].forEach((c) =>
      c.heartbeat(),
    );
  }
}
