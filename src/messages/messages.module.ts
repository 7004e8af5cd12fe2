import { Module, OnModuleInit } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { LayoutLocalsService } from '../common/views/layout-locals.service';
import { NotificationsModule } from '../notifications/notifications.module';
import { UsersModule } from '../users/users.module';
import { Block } from './block.entity';
import { BlocksController } from './blocks.controller';
import { BlocksService } from './blocks.service';
import { Conversation } from './conversation.entity';
import { ConversationsController } from './conversations.controller';
import { ConversationsService } from './conversations.service';
import { Message } from './message.entity';
import { MessagesController } from './messages.controller';
import { MessagesService } from './messages.service';

@Module({
  imports: [
    TypeOrmModule.forFeature([Message, Conversation, Block]),
    UsersModule,
    NotificationsModule,
  ],
  controllers: [MessagesController, ConversationsController, BlocksController],
  providers: [MessagesService, ConversationsService, BlocksService],
  exports: [MessagesService, ConversationsService],
})
export class MessagesModule implements OnModuleInit {
  constructor(
    private readonly layout: LayoutLocalsService,
    private readonly messages: MessagesService,
  ) {}

  onModuleInit(): void {
    // The navbar badge on every page a logged-in user sees.
    this.layout.register(async (user) => ({
      unreadMessageCount: await this.messages.unreadCount(user),
    }));
  }
}
