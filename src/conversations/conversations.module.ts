import { Module, OnModuleInit } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { BlocksModule } from '../blocks/blocks.module';
import { BlocksService } from '../blocks/blocks.service';
import { LayoutLocalsService } from '../common/views/layout-locals.service';
import { NotificationsModule } from '../notifications/notifications.module';
import { UsersModule } from '../users/users.module';
import { Conversation } from './conversation.entity';
import { ConversationsController } from './conversations.controller';
import { ConversationsService } from './conversations.service';
import { ReadMarksService } from './read-marks.service';

@Module({
  imports: [
    TypeOrmModule.forFeature([Conversation]),
    UsersModule,
    NotificationsModule,
    BlocksModule,
  ],
  controllers: [ConversationsController],
  providers: [ConversationsService, ReadMarksService],
  exports: [ConversationsService, ReadMarksService],
})
export class ConversationsModule implements OnModuleInit {
  constructor(
    private readonly layout: LayoutLocalsService,
    private readonly blocks: BlocksService,
    private readonly readMarks: ReadMarksService,
  ) {}

  onModuleInit(): void {
    // The navbar badge on every page a logged-in user sees.
    this.layout.register(async (user) => ({
      unreadMessageCount: await this.readMarks.unreadCount(user),
    }));
    // A blocked peer's messages leave the blocker's badge, and come back on an unblock.
    this.blocks.onChange((tx, blocker) => this.readMarks.pushUnreadCount(tx, blocker));
  }
}
