import { Module } from '@nestjs/common';
import { MessagesModule } from '../messages/messages.module';
import { UsersModule } from '../users/users.module';
import { HomeController } from './home.controller';

@Module({
  imports: [UsersModule, MessagesModule],
  controllers: [HomeController],
})
export class HomeModule {}
