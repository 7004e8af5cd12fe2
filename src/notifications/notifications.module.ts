import { Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AllConfigType } from '../config/config.type';
import { UsersModule } from '../users/users.module';
import { InProcessNotificationBus } from './bus/in-process-notification-bus';
import { NotificationBus } from './bus/notification-bus';
import { RedisNotificationBus } from './bus/redis-notification-bus';
import { Notification } from './notification.entity';
import { NotificationStreamService } from './notification-stream.service';
import { NotificationsController } from './notifications.controller';
import { NotificationsService } from './notifications.service';

@Module({
  imports: [TypeOrmModule.forFeature([Notification]), UsersModule],
  controllers: [NotificationsController],
  providers: [
    NotificationsService,
    NotificationStreamService,
    {
      provide: NotificationBus,
      inject: [ConfigService],
      useFactory: (config: ConfigService<AllConfigType, true>) => {
        const { redisUrl } = config.getOrThrow('app', { infer: true });
        return redisUrl ? new RedisNotificationBus(redisUrl) : new InProcessNotificationBus();
      },
    },
  ],
  exports: [NotificationsService, NotificationStreamService, NotificationBus],
})
export class NotificationsModule {}
