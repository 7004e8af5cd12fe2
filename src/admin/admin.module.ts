import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { ConversationsModule } from '../conversations/conversations.module';
import { FollowsModule } from '../follows/follows.module';
import { MessagesModule } from '../messages/messages.module';
import { NotificationsModule } from '../notifications/notifications.module';
import { PostsModule } from '../posts/posts.module';
import { UsersModule } from '../users/users.module';
import { AdminMessagesController } from './admin-messages.controller';
import { AdminNotificationsController } from './admin-notifications.controller';
import { AdminPostsController } from './admin-posts.controller';
import { AdminStatsController } from './admin-stats.controller';
import { AdminUsersController } from './admin-users.controller';
import { AdminUsersService } from './admin-users.service';

@Module({
  imports: [
    UsersModule,
    AuthModule,
    MessagesModule,
    ConversationsModule,
    NotificationsModule,
    PostsModule,
    FollowsModule,
  ],
  controllers: [
    AdminUsersController,
    AdminMessagesController,
    AdminNotificationsController,
    AdminPostsController,
    AdminStatsController,
  ],
  providers: [AdminUsersService],
})
export class AdminModule {}
