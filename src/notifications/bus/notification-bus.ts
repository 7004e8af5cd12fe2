/** A stored notification on its way to the user's open streams. */
export interface StreamEvent {
  /** The notification id: the SSE event id, so a client can resume after it. */
  id: number;
  name: string;
  /** {name, data, timestamp} as JSON, serialised once for every connection it goes to. */
  json: string;
}

/**
 * This process's registry of open streams: the one place the bus hands what it carries to.
 * Control messages (end streams, resync) are calls of their own, never fake events.
 */
export interface StreamReceiver {
  /** An event for one user's streams, or for every stream when `userId` is null. */
  deliver(userId: number | null, event: StreamEvent): void;
  /** Ends the user's streams opened with session `sessionId`, or all of them when null. */
  endStreams(userId: number, sessionId: string | null): void;
  /** Fan-out may have lost events: every stream catches up from the database. */
  resync(): void;
}

/**
 * Carries committed notifications and session ends to the open streams of their user. The
 * in-process bus serves a single process; a pub/sub implementation (Redis) fans out across
 * processes behind the same interface, so controllers and services never change.
 */
export abstract class NotificationBus {
  protected receiver: StreamReceiver | null = null;

  /** Called once by the stream registry of this process. */
  attach(receiver: StreamReceiver): void {
    this.receiver = receiver;
  }

  abstract publish(userId: number, event: StreamEvent): void;

  /** Hands one event to every open stream: the same object, so its bytes are built once. */
  abstract publishToAll(event: StreamEvent): void;

  /** Ends the user's streams of one session (logout), or all of them (null), in every process. */
  abstract endStreams(userId: number, sessionId: string | null): void;
}
