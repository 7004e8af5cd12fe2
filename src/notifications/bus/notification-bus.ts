/** A stored notification on its way to the user's open streams. */
export interface StreamEvent {
  /** The notification id: the SSE event id, so a client can resume after it. */
  id: number;
  name: string;
  /** {name, data, timestamp} as JSON, serialised once for every connection it goes to. */
  json: string;
}

export type StreamListener = (event: StreamEvent) => void;

/** Control event for one user: end their open streams (the account was disabled). */
export const CLOSE_STREAMS = '__close_streams';
/** Control event for every stream: fan-out may have lost events, catch up from the database. */
export const RESYNC = '__resync';

export function controlEvent(name: typeof CLOSE_STREAMS | typeof RESYNC): StreamEvent {
  return { id: 0, name, json: '' };
}

/**
 * Carries committed notifications to the streams of their user. The in-process bus serves a
 * single process; a pub/sub implementation (Redis) fans out across processes behind the same
 * interface, so controllers and services never change.
 */
export abstract class NotificationBus {
  abstract publish(userId: number, event: StreamEvent): void;

  /** Hands one event to every open stream: the same object, so its bytes are built once. */
  abstract publishToAll(event: StreamEvent): void;

  /** Calls `listener` for each event of the user until the returned function is called. */
  abstract subscribe(userId: number, listener: StreamListener): () => void;

  /** Subscriptions open in this process (for /health and the tests). */
  abstract get subscriptionCount(): number;
}
