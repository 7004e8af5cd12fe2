/**
 * Every notification the server itself stores, and the payload it carries: one typed map for
 * server and tests. No index signature, so a misspelt name does not compile. Names an admin
 * sends through the API are free-form and go through NotificationsService.addCustom.
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
}

export type NotificationName = keyof NotificationPayloads;

/** What /notifications returns and the event stream sends, per notification. */
export interface NotificationDto {
  name: string;
  data: unknown;
  timestamp: number;
}
