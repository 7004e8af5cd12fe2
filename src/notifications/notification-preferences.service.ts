import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { User } from '../users/user.entity';

/** The preferences the settings page edits, each a checkbox (email: "also by email", a digest). */
export type NotificationPreferences = Pick<
  User,
  | 'notifyFollows'
  | 'notifyMentions'
  | 'notifyMessages'
  | 'notifyAnnouncements'
  | 'mentionsFromFollowingOnly'
  | 'messagesFromFollowingOnly'
  | 'emailFollows'
  | 'emailMentions'
  | 'emailMessages'
  | 'emailAnnouncements'
>;

/** The form's field for each preference. */
export const PREFERENCE_FIELDS: Record<keyof NotificationPreferences, string> = {
  notifyFollows: 'notify_follows',
  notifyMentions: 'notify_mentions',
  notifyMessages: 'notify_messages',
  notifyAnnouncements: 'notify_announcements',
  mentionsFromFollowingOnly: 'mentions_from_following_only',
  messagesFromFollowingOnly: 'messages_from_following_only',
  emailFollows: 'email_follows',
  emailMentions: 'email_mentions',
  emailMessages: 'email_messages',
  emailAnnouncements: 'email_announcements',
};

/** A checkbox is on when the form sends its field (any value), off when it leaves it out. */
export function parsePreferences(body: unknown): NotificationPreferences {
  const fields = (body && typeof body === 'object' ? body : {}) as Record<string, unknown>;
  const entries = Object.entries(PREFERENCE_FIELDS).map(([key, field]) => [
    key,
    fields[field] !== undefined,
  ]);
  return Object.fromEntries(entries) as NotificationPreferences;
}

@Injectable()
export class NotificationPreferencesService {
  constructor(@InjectRepository(User) private readonly users: Repository<User>) {}

  async save(user: User, preferences: NotificationPreferences): Promise<void> {
    await this.users.update({ id: user.id }, preferences);
  }
}
