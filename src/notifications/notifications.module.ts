import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { InProcessNotificationBus } from './bus/in-process-notification-bus';
import { NotificationBus } from './bus/notification-bus';
import { UsersModule } from '../users/users.module';
import { Notification } from './notification.entity';
import { NotificationStreamController } from './notification-stream.controller';
import { NotificationStreamService } from './notification-stream.service';
import { NotificationsController } from './notifications.controller';
import { NotificationsService } from './notifications.service';

@Module({
  imports: [TypeOrmModule.forFeature([Notification]), UsersModule],
  // The stream route is declared before /notifications so neither shadows the other.
  controllers: [NotificationStreamController, NotificationsController],
  providers: [
    NotificationsService,
    NotificationStreamService,
    { provide: NotificationBus, useClass: InProcessNotificationBus },
  ],
  exports: [NotificationsService, NotificationStreamService, NotificationBus],
})
export class NotificationsModule {}
