import { Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AllConfigType } from '../config/config.type';
import { InProcessNotificationBus } from './bus/in-process-notification-bus';
import { NotificationBus } from './bus/notification-bus';
import { RedisNotificationBus } from './bus/redis-notification-bus';
import { AuthModule } from '../auth/auth.module';
import { UsersModule } from '../users/users.module';
import { Notification } from './notification.entity';
import { NotificationStreamEndpoint } from './notification-stream.endpoint';
import { NotificationStreamService } from './notification-stream.service';
import { NotificationsController } from './notifications.controller';
import { NotificationsService } from './notifications.service';

@Module({
  imports: [TypeOrmModule.forFeature([Notification]), UsersModule, AuthModule],
  controllers: [NotificationsController],
  providers: [
    NotificationsService,
    NotificationStreamService,
    // GET /notifications/stream: served before Express, see there why.
    NotificationStreamEndpoint,
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
