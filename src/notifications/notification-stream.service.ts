import { Injectable, Logger, MessageEvent } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { Response } from 'express';
import { Observable } from 'rxjs';
import { AllConfigType } from '../config/config.type';
import {
  CLOSE_STREAMS,
  controlEvent,
  NotificationBus,
  RESYNC,
  StreamEvent,
} from './bus/notification-bus';
import { NotificationsService } from './notifications.service';

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
 * One user's live notification stream: their stored backlog first, then live events, with no
 * gap and no duplicate between the two.
 */
@Injectable()
export class NotificationStreamService {
  private readonly logger = new Logger(NotificationStreamService.name);
  private readonly settings: { heartbeatMs: number; retryMs: number; stallTimeoutMs: number };
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
  }

  /**
   * Closes the user's open streams in every process; EventSource reconnects and is refused
   * once the user is logged out.
   */
  closeStreamsOf(userId: number): void {
    this.bus.publish(userId, controlEvent(CLOSE_STREAMS));
  }

  /** Streams open in this process. */
  get openCount(): number {
    return this.openStreams;
  }

  open(userId: number, lastEventId: number | null, res: Response): Observable<MessageEvent> {
    return new Observable<MessageEvent>((subscriber) => {
      this.openStreams++;
      let lastSentId = lastEventId ?? 0;
      const toMessage = (event: StreamEvent): MessageEvent => {
        lastSentId = Math.max(lastSentId, event.id);
        return { id: String(event.id), data: event.json };
      };

      // Events that wait while the client is not reading, newest per name: a client that
      // does not read holds at most one event per kind of notification.
      const waiting = new Map<string, StreamEvent>();
      let stallTimer: NodeJS.Timeout | undefined;
      const flush = () => {
        clearTimeout(stallTimer);
        stallTimer = undefined;
        const events = [...waiting.values()].sort((a, b) => a.id - b.id);
        waiting.clear();
        events.forEach((event) => subscriber.next(toMessage(event)));
      };
      const send = (event: StreamEvent) => {
        if (!res.writableNeedDrain) {
          subscriber.next(toMessage(event));
          return;
        }
        waiting.set(event.name, event);
        if (!stallTimer) {
          res.once('drain', flush);
          stallTimer = setTimeout(() => {
            this.logger.warn(`Dropping a stream of user ${userId}: its client reads nothing`);
            res.destroy();
          }, this.settings.stallTimeoutMs);
        }
      };

      // Subscribe before reading the backlog, so nothing committed in between is missed;
      // what arrives meanwhile waits, and what the backlog already had is skipped.
      let early: StreamEvent[] | null = [];
      const inBacklog = new Set<number>();
      const catchUp = () =>
        this.notifications.backlog(userId, lastSentId).then(
          (missed) => missed.forEach(send),
          (error: unknown) => subscriber.error(error),
        );
      const unsubscribe = this.bus.subscribe(userId, (event) => {
        if (event.name === CLOSE_STREAMS) {
          subscriber.complete();
        } else if (event.name === RESYNC) {
          void catchUp();
        } else if (early) {
          early.push(event);
        } else if (!inBacklog.has(event.id)) {
          send(event);
        }
      });

      // The first frame carries the reconnection delay and no data (so no event fires); its id
      // is the client's own cursor, so it moves nothing. Every frame but a comment needs an
      // explicit id: Nest would number it with a per-connection counter.
      subscriber.next({ id: String(lastEventId ?? 0), retry: this.settings.retryMs });
      this.notifications.backlog(userId, lastEventId).then(
        (backlog) => {
          backlog.forEach((event) => inBacklog.add(event.id));
          const pending = early ?? [];
          early = null;
          [...backlog, ...pending.filter((e) => !inBacklog.has(e.id))].forEach(send);
        },
        (error: unknown) => subscriber.error(error),
      );

      const heartbeat = setInterval(() => {
        if (!res.writableNeedDrain) {
          subscriber.next({ comment: '' });
        }
      }, this.settings.heartbeatMs);
      heartbeat.unref();

      return () => {
        this.openStreams--;
        unsubscribe();
        clearInterval(heartbeat);
        clearTimeout(stallTimer);
        res.removeListener('drain', flush);
        waiting.clear();
      };
    });
  }
}
