import { Module } from '@nestjs/common';
import { ConversationsModule } from '../conversations/conversations.module';
import { FollowsModule } from '../follows/follows.module';
import { PostsModule } from '../posts/posts.module';
import { UsersModule } from '../users/users.module';
import { HomeController } from './home.controller';

@Module({
  imports: [UsersModule, ConversationsModule, PostsModule, FollowsModule],
  controllers: [HomeController],
})
export class HomeModule {}
