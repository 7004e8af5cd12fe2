/** Every kind of notification and the payload it carries: one typed map for server and tests. */
export interface NotificationPayloads {
  /** The recipient's number of unread private messages. */
  unread_message_count: number;
  /** Anything else an admin sends through the API, e.g. "announcement" ({message}). */
  [adminNotification: string]: unknown;
}

export type NotificationName = Extract<keyof NotificationPayloads, string>;

/** What /notifications returns and the event stream sends, per notification. */
export interface NotificationDto {
  name: string;
  data: unknown;
  timestamp: number;
}
