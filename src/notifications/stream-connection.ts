import type { MessageEvent } from '@nestjs/common';
import type { Socket } from 'node:net';
import type { Subscriber } from 'rxjs';
import { StreamEvent } from './bus/notification-bus';
import { Cursor, formatCursor } from './event-cursor';

/** What an @Sse observable emits: Nest's MessageEvent, where frames without data are allowed. */
export type SseMessage = Omit<MessageEvent, 'data'> & { data?: string };

/**
 * The data of a control event (reset, session_ended): EventSource dispatches no event whose
 * data is empty, so a listener for it would never run.
 */
const CONTROL_DATA = '{}';

/**
 * Unsent event data a client that does not read may hold, in Nest's queue (the route's
 * maxPendingDataLength) or held here while a read of the log is sent: past it the client is
 * dropped, reconnects and resumes by id.
 */
export const STREAM_MAX_PENDING_CHARS = 256 * 1024;

/** A comment line: keeps proxies from closing an idle stream; moves no event id. */
const HEARTBEAT: SseMessage = Object.freeze({ comment: '' });

/**
 * One open stream in the registry: the user's events in their order, each once. It sends an
 * event only when it is the next one after its cursor; anything else that arrives live (a
 * gap, an announcement, whose place only the log knows) is held while the log is read from
 * the cursor (`onGap`), and the read's events go out first. It is registered before its first
 * read, so nothing committed meanwhile is missed.
 */
export class StreamConnection {
  /** Which heartbeat slice of the registry holds this connection. */
  heartbeatSlot = 0;
  /** The position of the last event sent; null until the first read placed the stream. */
  private cursor: Cursor | null;
  private subscriber: Subscriber<SseMessage> | null = null;
  /** Live events that arrived while a read of the log runs; null while none runs. */
  private held: StreamEvent[] | null = [];
  private heldChars = 0;
  private stalledSince: number | null = null;
  private ended = false;
  private retryMs = 0;
  /** The socket holds the opening frame until the first read's frames join it (attach). */
  private corked = false;

  constructor(
    readonly userId: number,
    readonly sessionId: string,
    from: Cursor | null,
    private readonly socket: Socket | null,
    private readonly onGap: (connection: StreamConnection, event: StreamEvent) => void,
    /** The topics the page watches (src/notifications/stream-topics.ts). */
    readonly topics: readonly string[] = [],
  ) {
    this.cursor = from;
  }

  /** Where the stream stands: the cursor a read of the log continues from. */
  get position(): Cursor | null {
    return this.cursor;
  }

  /** Whether the stream is between reads, sending events as they come. */
  get live(): boolean {
    return this.held === null && !this.ended;
  }

  attach(subscriber: Subscriber<SseMessage>, retryMs: number): void {
    this.subscriber = subscriber;
    this.retryMs = retryMs;
    // The headers and the opening frame wait in the socket for the first read's frames, so they
    // all leave in one write (uncork).
    this.socket?.cork();
    this.corked = true;
    // The first frame carries the reconnection delay and no data, so no event fires; its id is
    // the client's own cursor (empty for a fresh stream), so it moves nothing.
    subscriber.next({ id: this.cursor ? formatCursor(this.cursor) : '', retry: retryMs });
  }

  /**
   * Lets out what the socket held since attach(). Nest writes the frames handed to it one per
   * tick: the socket is uncorked once those ticks have run.
   */
  private uncork(): void {
    if (this.corked) {
      this.corked = false;
      setImmediate(() => this.socket?.uncork());
    }
  }

  /** A read of the log starts (a catch-up): live events wait for it. */
  beginRead(): void {
    this.held ??= [];
  }

  /**
   * A read's result: the current state (`state` frames of the cursor's id: they move nothing),
   * then the events after the cursor, in order, then what arrived meanwhile.
   */
  replayed(events: StreamEvent[], state: string[] = []): void {
    const id = this.cursor ? formatCursor(this.cursor) : '';
    state.forEach((json) => this.subscriber?.next({ type: 'state', id, data: json }));
    // Before the events: sending them may wait for the socket to drain, which a cork prevents.
    this.uncork();
    this.sendPaced(events, 0);
  }

  /**
   * Sends a read's events as fast as the client takes them: a long replay written at once
   * would pass the stream's limit of unsent data, drop the client, and its reconnect would
   * replay the same again. Live events wait until the last one went out.
   */
  private sendPaced(events: StreamEvent[], from: number): void {
    let next = from;
    while (next < events.length && !this.ended) {
      if (this.socket?.writableNeedDrain) {
        this.socket.once('drain', () => this.sendPaced(events, next));
        return;
      }
      this.accept(events[next++]);
    }
    this.release();
  }

  /**
   * The stream starts at `position` (fresh, or the log no longer holds what follows the
   * client's cursor: `reset` tells the page to reload what it shows), with the current state.
   */
  startAt(position: Cursor, reset: boolean, state: string[]): void {
    this.cursor = position;
    const id = formatCursor(position);
    // A frame without data moves the client's Last-Event-ID and fires no event: the client
    // knows its position even when nothing else follows, so a reconnect resumes, never
    // starts afresh past what happened meanwhile.
    this.subscriber?.next(
      reset ? { type: 'reset', id, data: CONTROL_DATA } : { id, retry: this.retryMs },
    );
    state.forEach((json) => this.subscriber?.next({ type: 'state', id, data: json }));
    this.uncork();
    this.release();
  }

  /**
   * A live frame of a watched topic: a `post` event with the stream's cursor as its id, so it
   * moves nothing. None before the stream has a position (its id would clear the client's).
   */
  sendLive(json: string): void {
    if (!this.ended && this.cursor) {
      this.subscriber?.next({ type: 'post', id: formatCursor(this.cursor), data: json });
    }
  }

  deliver(event: StreamEvent): void {
    if (this.ended) {
      return;
    }
    if (this.held) {
      this.held.push(event);
      this.heldChars += event.json.length;
      if (this.heldChars > STREAM_MAX_PENDING_CHARS) {
        // As Nest does past the route's limit: the socket goes, not only the response (which
        // would wait behind what the client does not read).
        this.ended = true;
        this.socket?.destroy();
        this.subscriber?.complete();
      }
    } else if (this.isNext(event)) {
      this.accept(event);
    } else if (!this.isSent(event)) {
      this.held = [event];
      this.onGap(this, event);
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
    if (this.ended) {
      return;
    }
    this.ended = true;
    const id = this.cursor ? formatCursor(this.cursor) : '';
    this.subscriber?.next({ type: 'session_ended', id, data: CONTROL_DATA });
    this.subscriber?.complete();
    this.uncork();
  }

  /** Ends the response; EventSource reconnects and resumes after the cursor. */
  close(): void {
    this.ended = true;
    this.subscriber?.complete();
    this.uncork();
  }

  /** The server is stopping: tells the client when to come back, then ends the response. */
  closeForRestart(retryMs: number): void {
    this.ended = true;
    this.subscriber?.next({ id: this.cursor ? formatCursor(this.cursor) : '', retry: retryMs });
    this.subscriber?.complete();
    this.uncork();
  }

  /** Sends what was held during a read, in the same way as if it arrived now. */
  private release(): void {
    const held = this.held ?? [];
    this.held = null;
    this.heldChars = 0;
    held.forEach((event) => this.deliver(event));
  }

  private isSent(event: StreamEvent): boolean {
    const cursor = this.cursor as Cursor;
    return event.userId === null ? event.seq <= cursor.announcement : event.seq <= cursor.seq;
  }

  /**
   * The user's next event, with every announcement before it sent. An announcement is never
   * sent live: which of the user's events precede it, only the log knows.
   */
  private isNext(event: StreamEvent): boolean {
    const cursor = this.cursor as Cursor;
    return (
      event.userId !== null &&
      event.seq === cursor.seq + 1 &&
      event.announcementsBefore <= cursor.announcement
    );
  }

  /** Moves the cursor past the event and sends it, or acts on it (a session end). */
  private accept(event: StreamEvent): void {
    if (this.ended || this.isSent(event)) {
      return;
    }
    const cursor = this.cursor as Cursor;
    this.cursor =
      event.userId === null
        ? { seq: cursor.seq, announcement: event.seq }
        : { seq: event.seq, announcement: cursor.announcement };
    if (event.endsSession !== undefined) {
      if (event.endsSession === null || event.endsSession === this.sessionId) {
        this.endSession();
      }
      return;
    }
    this.subscriber?.next({ id: formatCursor(this.cursor), data: event.json });
  }
}
