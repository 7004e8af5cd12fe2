import { Module } from '@nestjs/common';
import { ConversationsModule } from '../conversations/conversations.module';
import { UsersModule } from '../users/users.module';
import { HomeController } from './home.controller';

@Module({
  imports: [UsersModule, ConversationsModule],
  controllers: [HomeController],
})
export class HomeModule {}
