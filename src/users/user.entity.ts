import { Column, Entity, OneToMany, PrimaryGeneratedColumn } from 'typeorm';
import type { Message } from '../messages/message.entity';

export enum Role {
  User = 'user',
  Admin = 'admin',
}

/** Sub-second UTC timestamps that behave the same on SQLite and MySQL. */
export const TIMESTAMP_COLUMN = { type: 'datetime', precision: 3 } as const;

@Entity({ name: 'users' })
export class User {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column({ type: 'varchar', length: 64, unique: true })
  username!: string;

  /**
   * The username in lower case, computed by the database: its unique index makes usernames
   * unique regardless of case on every database (SQLite compares the username itself
   * case-sensitively), and lookups by name use it. Never written by the app.
   */
  @Column({
    name: 'username_lower',
    type: 'varchar',
    length: 64,
    unique: true,
    asExpression: 'LOWER(username)',
    generatedType: 'STORED',
    insert: false,
    update: false,
    select: false,
  })
  usernameLower!: string;

  @Column({ type: 'varchar', length: 120, unique: true })
  email!: string;

  @Column({ name: 'password_hash', type: 'varchar', length: 255 })
  passwordHash!: string;

  // 140 characters as a person counts them; the column leaves room for multi-code-point ones.
  @Column({ name: 'about_me', type: 'varchar', length: 1000, nullable: true })
  aboutMe!: string | null;

  @Column({ type: 'varchar', length: 16, default: Role.User })
  role!: Role;

  /** Set by an admin: the user can't log in, their tokens stop working, their streams close. */
  @Column({ type: 'boolean', default: false })
  disabled!: boolean;

  /**
   * The number of the user's newest event (src/notifications/event.entity.ts). Events are
   * numbered under this row's lock, so a user's events commit in the order of their numbers.
   */
  @Column({ name: 'event_seq', type: 'int', default: 0 })
  eventSeq!: number;

  // Counts the pages show, kept in step by the writes that change them (never counted per page).
  @Column({ name: 'posts_count', type: 'int', default: 0 })
  postsCount!: number;

  @Column({ name: 'followers_count', type: 'int', default: 0 })
  followersCount!: number;

  @Column({ name: 'following_count', type: 'int', default: 0 })
  followingCount!: number;

  /** Notifications that arrived since the user last opened the notification center. */
  @Column({ name: 'unseen_notifications', type: 'int', default: 0 })
  unseenNotifications!: number;

  /** When the user last opened the notification center: newer groups are marked new. */
  @Column({ name: 'notifications_seen_at', ...TIMESTAMP_COLUMN, nullable: true })
  notificationsSeenAt!: Date | null;

  /** Notification preferences: which kinds reach the notification center. */
  @Column({ name: 'notify_follows', type: 'boolean', default: true })
  notifyFollows!: boolean;

  @Column({ name: 'notify_mentions', type: 'boolean', default: true })
  notifyMentions!: boolean;

  // Off unless chosen: the Messages badge counts private messages already.
  @Column({ name: 'notify_messages', type: 'boolean', default: false })
  notifyMessages!: boolean;

  @Column({ name: 'notify_announcements', type: 'boolean', default: true })
  notifyAnnouncements!: boolean;

  /** Mentions notify only when they come from people the user follows. */
  @Column({ name: 'mentions_from_following_only', type: 'boolean', default: false })
  mentionsFromFollowingOnly!: boolean;

  /** Only people the user follows may send them private messages. */
  @Column({ name: 'messages_from_following_only', type: 'boolean', default: false })
  messagesFromFollowingOnly!: boolean;

  /** The language of the user's pages, remembered for what reaches them outside (email). */
  @Column({ type: 'varchar', length: 8, default: 'en' })
  language!: string;

  /** When the user opened the confirmation link sent to `email`; null until then. */
  @Column({ name: 'email_confirmed_at', ...TIMESTAMP_COLUMN, nullable: true })
  emailConfirmedAt!: Date | null;

  /** Reset links made before this are refused (the password they were for is gone). */
  @Column({ name: 'password_changed_at', ...TIMESTAMP_COLUMN, nullable: true })
  passwordChangedAt!: Date | null;

  /** Which kinds also reach the user by email, in a digest (once the address is confirmed). */
  @Column({ name: 'email_follows', type: 'boolean', default: false })
  emailFollows!: boolean;

  @Column({ name: 'email_mentions', type: 'boolean', default: true })
  emailMentions!: boolean;

  @Column({ name: 'email_messages', type: 'boolean', default: true })
  emailMessages!: boolean;

  @Column({ name: 'email_announcements', type: 'boolean', default: false })
  emailAnnouncements!: boolean;

  /** Items up to this moment were in a digest already (or read): the next one starts after. */
  @Column({ name: 'digested_until', ...TIMESTAMP_COLUMN, nullable: true })
  digestedUntil!: Date | null;

  /** The last digest: at most one goes out per EMAIL_DIGEST_AFTER. */
  @Column({ name: 'digest_sent_at', ...TIMESTAMP_COLUMN, nullable: true })
  digestSentAt!: Date | null;

  @Column({ name: 'created_at', ...TIMESTAMP_COLUMN })
  createdAt!: Date;

  @Column({ name: 'last_seen', ...TIMESTAMP_COLUMN })
  lastSeen!: Date;

  // Named by string so users/ does not import messages/ at run time (dependencies point
  // messages -> users).
  @OneToMany('Message', 'sender')
  messagesSent!: Message[];

  @OneToMany('Message', 'recipient')
  messagesReceived!: Message[];
}

/** The user's profile page. */
export function profilePath(user: Pick<User, 'username'>): string {
  return `/user/${encodeURIComponent(user.username)}`;
}
