import { DataSource } from 'typeorm';
import { Follow } from '../../src/follows/follow.entity';
import { Message } from '../../src/messages/message.entity';
import { AnnouncementSequence } from '../../src/notifications/announcement-sequence.entity';
import { Event } from '../../src/notifications/event.entity';
import { NotificationGroup } from '../../src/notifications/notification-group.entity';
import { Notification } from '../../src/notifications/notification.entity';
import { Post } from '../../src/posts/post.entity';
import { TimelineEntry } from '../../src/posts/timeline-entry.entity';
import { User } from '../../src/users/user.entity';

/**
 * Deletes every row, children before parents (TRUNCATE is refused across foreign keys), and
 * sets the announcement counter back to 0 (its one row stays: migrations create it).
 */
export async function clearDatabase(dataSource: DataSource): Promise<void> {
  for (const entity of [
    Notification,
    Event,
    Message,
    NotificationGroup,
    TimelineEntry,
    Post,
    Follow,
    User,
  ]) {
    await dataSource.createQueryBuilder().delete().from(entity).execute();
  }
  await dataSource.getRepository(AnnouncementSequence).update({ id: 1 }, { lastSeq: 0 });
}
