import type { MessageEvent } from '@nestjs/common';
import type { Socket } from 'node:net';
import type { Subscriber } from 'rxjs';
import { StreamEvent } from './bus/notification-bus';

/** What an @Sse observable emits: Nest's MessageEvent, where frames without data are allowed. */
export type SseMessage = Omit<MessageEvent, 'data'> & { data?: string };

/** A comment line: keeps proxies from closing an idle stream; moves no event id. */
const HEARTBEAT: SseMessage = Object.freeze({ comment: '' });

/** Each event's message, built once and shared by every connection it is written to. */
const messages = new WeakMap<StreamEvent, SseMessage>();

/**
 * The event as Nest's @Sse writes it: the notification id as the SSE id, and its JSON as a
 * string, so Nest does not stringify it again for every connection.
 */
export function messageOf(event: StreamEvent): SseMessage {
  let message = messages.get(event);
  if (!message) {
    message = { id: String(event.id), data: event.json };
    messages.set(event, message);
  }
  return message;
}

/**
 * One open stream in the registry. It is registered before its backlog is read, so events
 * committed meanwhile wait in `early` and nothing is missed; those the backlog also holds are
 * sent once.
 */
export class StreamConnection {
  lastSentId: number;
  /** Which heartbeat slice of the registry holds this connection. */
  heartbeatSlot = 0;
  private subscriber: Subscriber<SseMessage> | null = null;
  /** Live events that arrive while the backlog is read; null once the backlog was sent. */
  private early: StreamEvent[] | null = [];
  private backlogIds: Set<number> | null = null;
  private stalledSince: number | null = null;
  /** While catch-up queries run: the newest id sent per name meanwhile, so none repeats. */
  private sentDuringCatchUp: Map<string, number> | null = null;
  private catchUps = 0;

  constructor(
    readonly userId: number,
    readonly sessionId: string,
    lastEventId: number | null,
    private readonly socket: Socket | null,
  ) {
    this.lastSentId = lastEventId ?? 0;
  }

  attach(subscriber: Subscriber<SseMessage>, retryMs: number): void {
    this.subscriber = subscriber;
    // The first frame carries the reconnection delay and no data, so no event fires; its id is
    // the client's own cursor, so it moves nothing.
    subscriber.next({ id: String(this.lastSentId), retry: retryMs });
  }

  /** Sends the backlog, then what arrived meanwhile, skipping what the backlog had. */
  startLive(backlog: StreamEvent[]): void {
    const early = this.early ?? [];
    this.early = null;
    this.backlogIds = backlog.length ? new Set(backlog.map((event) => event.id)) : null;
    backlog.forEach((event) => this.send(event));
    early.forEach((event) => this.deliver(event));
  }

  /** Whether the backlog was sent and events go out as they come. */
  get live(): boolean {
    return this.early === null;
  }

  /** A catch-up query (after a fan-out outage) starts; see endCatchUp. */
  beginCatchUp(): void {
    this.sentDuringCatchUp ??= new Map();
    this.catchUps++;
  }

  /**
   * Sends what the catch-up found, except what went out live while it ran: the same event, or
   * an older one of a name whose newer event was already sent (it would undo it).
   */
  endCatchUp(missed: StreamEvent[]): void {
    const sent = this.sentDuringCatchUp;
    if (--this.catchUps === 0) {
      this.sentDuringCatchUp = null;
    }
    missed
      .filter((event) => event.id > (sent?.get(event.name) ?? 0))
      .forEach((event) => this.deliver(event));
  }

  deliver(event: StreamEvent): void {
    if (this.early) {
      this.early.push(event);
    } else if (!this.backlogIds?.has(event.id)) {
      this.send(event);
    }
  }

  /**
   * A comment line, unless the client has not read what was written: a client that reads
   * nothing for `stallTimeoutMs` is dropped (EventSource reconnects and resumes by id).
   */
  heartbeat(now: number, stallTimeoutMs: number): void {
    if (this.socket?.writableNeedDrain) {
      this.stalledSince ??= now;
      if (now - this.stalledSince >= stallTimeoutMs) {
        this.socket.destroy();
      }
      return;
    }
    this.stalledSince = null;
    this.subscriber?.next(HEARTBEAT);
  }

  /**
   * Ends the stream for good: a `session_ended` event tells the page not to reconnect (its
   * session is over), then the response ends.
   */
  endSession(): void {
    this.subscriber?.next({ type: 'session_ended', id: String(this.lastSentId), data: '' });
    this.subscriber?.complete();
  }

  /** Ends the response; EventSource reconnects and resumes after `lastSentId`. */
  close(): void {
    this.subscriber?.complete();
  }

  /** The server is stopping: tells the client when to come back, then ends the response. */
  closeForRestart(retryMs: number): void {
    this.subscriber?.next({ id: String(this.lastSentId), retry: retryMs });
    this.subscriber?.complete();
  }

  private send(event: StreamEvent): void {
    this.lastSentId = Math.max(this.lastSentId, event.id);
    if (this.sentDuringCatchUp) {
      this.sentDuringCatchUp.set(
        event.name,
        Math.max(event.id, this.sentDuringCatchUp.get(event.name) ?? 0),
      );
    }
    this.subscriber?.next(messageOf(event));
  }
}
