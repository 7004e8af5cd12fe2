import type { ServerResponse } from 'node:http';
import { StreamEvent } from './bus/notification-bus';

const HEARTBEAT = Buffer.from(':\n\n');

/** Each event's wire bytes, built once and shared by every connection it is written to. */
const wireBytes = new WeakMap<StreamEvent, Buffer>();

export function eventBytes(event: StreamEvent): Buffer {
  let bytes = wireBytes.get(event);
  if (!bytes) {
    bytes = Buffer.from(`id: ${event.id}\ndata: ${event.json}\n\n`);
    wireBytes.set(event, bytes);
  }
  return bytes;
}

/**
 * One open event stream: a response written directly (no per-connection stream, observable or
 * timer while it is healthy). A client that stops reading holds at most one waiting event per
 * notification name, and is dropped if it reads nothing for `stallTimeoutMs`.
 */
export class SseConnection {
  lastSentId: number;
  /** Which heartbeat slice of the stream service holds this connection. */
  heartbeatSlot = 0;
  /** Live events that arrive while the backlog is read; null once the backlog was sent. */
  private early: StreamEvent[] | null = [];
  private backlogIds: Set<number> | null = null;
  private waiting: Map<string, StreamEvent> | null = null;
  private stallTimer: NodeJS.Timeout | null = null;

  constructor(
    readonly res: ServerResponse,
    readonly userId: number,
    lastEventId: number,
    private readonly stallTimeoutMs: number,
  ) {
    this.lastSentId = lastEventId;
  }

  /** Sends the backlog, then what arrived meanwhile, skipping what the backlog had. */
  startLive(backlog: StreamEvent[]): void {
    const early = this.early ?? [];
    this.early = null;
    this.backlogIds = backlog.length ? new Set(backlog.map((event) => event.id)) : null;
    backlog.forEach((event) => this.send(event));
    early.forEach((event) => this.deliver(event));
  }

  deliver(event: StreamEvent): void {
    if (this.early) {
      this.early.push(event);
    } else if (!this.backlogIds?.has(event.id)) {
      this.send(event);
    }
  }

  heartbeat(): void {
    if (!this.res.writableNeedDrain) {
      this.res.write(HEARTBEAT);
    }
  }

  close(): void {
    if (this.stallTimer) {
      clearTimeout(this.stallTimer);
      this.stallTimer = null;
    }
    this.res.removeListener('drain', this.flush);
    this.waiting = null;
  }

  private send(event: StreamEvent): void {
    if (this.res.writableNeedDrain) {
      (this.waiting ??= new Map()).set(event.name, event);
      if (!this.stallTimer) {
        this.res.once('drain', this.flush);
        this.stallTimer = setTimeout(() => this.res.destroy(), this.stallTimeoutMs);
      }
      return;
    }
    this.lastSentId = Math.max(this.lastSentId, event.id);
    this.res.write(eventBytes(event));
  }

  private readonly flush = (): void => {
    const waiting = [...(this.waiting?.values() ?? [])].sort((a, b) => a.id - b.id);
    this.close();
    waiting.forEach((event) => this.send(event));
  };
}
