import { DataSource } from 'typeorm';
import { Message } from '../../src/messages/message.entity';
import { Notification } from '../../src/notifications/notification.entity';
import { User } from '../../src/users/user.entity';

/** Deletes every row, children before parents (TRUNCATE is refused across foreign keys). */
export async function clearDatabase(dataSource: DataSource): Promise<void> {
  for (const entity of [Notification, Message, User]) {
    await dataSource.createQueryBuilder().delete().from(entity).execute();
  }
}
