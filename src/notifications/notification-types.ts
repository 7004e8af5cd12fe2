/**
 * Every notification the server itself stores, and the payload it carries: one typed map for
 * server and tests. No index signature, so a misspelt name does not compile. Names an admin
 * sends through the API are free-form and go through NotificationsService.addCustom.
 */
export interface NotificationPayloads {
  /** The recipient's number of unread private messages. */
  unread_message_count: number;
}

export type NotificationName = keyof NotificationPayloads;

/** What /notifications returns and the event stream sends, per notification. */
export interface NotificationDto {
  name: string;
  data: unknown;
  timestamp: number;
}
