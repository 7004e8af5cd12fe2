/**
 * Every notification the server itself stores, and the payload it carries: one typed map for
 * server and tests. No index signature, so a misspelt name does not compile. Names an admin
 * sends through the API are free-form and go through NotificationsService.notifyUser.
 */
export interface NotificationPayloads {
  /** The recipient's number of unread private messages (the badge: every conversation). */
  unread_message_count: number;
  /** A message in a conversation with `peer`, either way: an open thread fetches it. */
  new_message: { id: number; peer: string };
  /** A message in a conversation with `peer` was deleted: open pages drop it. */
  message_deleted: { id: number; peer: string };
  /** `peer` opened the conversation at `at` (ms): read receipts under one's messages. */
  conversation_seen: { peer: string; at: number };
  /**
   * A session of the user ended (null: all of them). Streams of that session end; the event
   * itself is never sent to a client.
   */
  session_ended: { session: string | null };
  /** A post for the user's home timeline (their own, or by someone they follow). */
  new_post: { id: number; author: string };
  /** A line of the notification center was added or grew (follow, mention, message). */
  notification: { kind: string; group: number };
  /** How many notifications the user has not seen (the bell). */
  notification_count: number;
}

export type NotificationName = keyof NotificationPayloads;

export const SESSION_ENDED = 'session_ended' satisfies NotificationName;

/**
 * The names that are also state: their newest value is kept per user (the notifications
 * table) for GET /notifications?since= and a new stream's start. The others are history only.
 */
export const STATE_NAMES: ReadonlySet<string> = new Set<NotificationName>([
  'unread_message_count',
  'notification_count',
]);

/** One event to record for a user: a name of the map with its payload. */
export type UserEvent = {
  [N in NotificationName]: { userId: number; name: N; data: NotificationPayloads[N] };
}[NotificationName];

/** What /notifications returns and the event stream sends, per notification. */
export interface NotificationDto {
  name: string;
  data: unknown;
  timestamp: number;
  /** Set on an announcement to every user. */
  everyone?: true;
}
