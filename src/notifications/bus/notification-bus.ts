/** A committed event on its way to the open streams of its user (or of everyone). */
export interface StreamEvent {
  /** Whose log holds it; null for an announcement to everyone. */
  userId: number | null;
  /** Its number in that log, or among announcements. */
  seq: number;
  /** How many announcements committed before it: its place among them. */
  announcementsBefore: number;
  name: string;
  /** {name, data, timestamp} as JSON, serialised once for every connection it goes to. */
  json: string;
  /**
   * For a session end: the session that ended, or null for all of the user's sessions. The
   * stream acts on it and never sends it (other sessions' ids stay on the server).
   */
  endsSession?: string | null;
}

/**
 * This process's registry of open streams: the one place the bus hands what it carries to.
 * The control message (resync) is a call of its own, never a fake event.
 */
export interface StreamReceiver {
  /** An event for one user's streams, or for every stream when `userId` is null. */
  deliver(userId: number | null, event: StreamEvent): void;
  /** A live frame (JSON) for the streams of pages that watch one of `topics`. */
  deliverToTopics(topics: string[], json: string): void;
  /** Fan-out may have lost events: every stream catches up from the database. */
  resync(): void;
}

/** What one process hands the others (Redis, the cluster channel): an event, or a call to catch up. */
export type BusEnvelope =
  | { kind: 'event'; /** null: for every user. */ userId: number | null; event: StreamEvent }
  | { kind: 'topics'; topics: string[]; json: string }
  /** A publish may have been lost: the other processes catch up from the database. */
  | { kind: 'resync' };

/** Hands what another process sent to this process's registry. */
export function deliverEnvelope(receiver: StreamReceiver | null, envelope: BusEnvelope): void {
  if (envelope.kind === 'resync') {
    receiver?.resync();
  } else if (envelope.kind === 'topics') {
    receiver?.deliverToTopics(envelope.topics, envelope.json);
  } else {
    receiver?.deliver(envelope.userId, envelope.event);
  }
}

/**
 * Carries committed events (session ends among them) to the open streams of their user. The
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

  /**
   * A live frame for pages watching `topics` (a new post on explore). Not stored: a page that
   * missed one reloads its list on a reset or reconnect, nothing else depends on it.
   */
  abstract publishToTopics(topics: string[], json: string): void;
}
