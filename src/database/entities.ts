import { EmailToken } from '../auth/email-token.entity';
import { Session } from '../auth/session.entity';
import { Block } from '../blocks/block.entity';
import { Lease } from './lease.entity';
import { OutboundEmail } from '../mail/outbound-email.entity';
import { Follow } from '../follows/follow.entity';
import { Conversation } from '../conversations/conversation.entity';
import { Message } from '../messages/message.entity';
import { AnnouncementSequence } from '../notifications/announcement-sequence.entity';
import { Event } from '../notifications/event.entity';
import { NotificationGroup } from '../notifications/notification-group.entity';
import { Notification } from '../notifications/notification.entity';
import { Post } from '../posts/post.entity';
import { TimelineEntry } from '../posts/timeline-entry.entity';
import { User } from '../users/user.entity';

/** Every entity, listed explicitly (globs pick up .d.ts files and raw .ts under test runners). */
export const ENTITIES = [User, Message, Conversation, Block, Notification, Event, AnnouncementSequence, Session, Post, TimelineEntry, Follow, NotificationGroup, EmailToken, OutboundEmail, Lease];
