import { Module, OnModuleInit } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuthModule } from '../auth/auth.module';
import { LayoutLocalsService } from '../common/views/layout-locals.service';
import { AllConfigType } from '../config/config.type';
import { UsersModule } from '../users/users.module';
import { AnnouncementSequence } from './announcement-sequence.entity';
import { inClusterWorker } from '../cluster/worker-channel';
import { ClusterNotificationBus } from './bus/cluster-notification-bus';
import { InProcessNotificationBus } from './bus/in-process-notification-bus';
import { NotificationBus } from './bus/notification-bus';
import { RedisNotificationBus } from './bus/redis-notification-bus';
import { formatCursor } from './event-cursor';
import { EventLogService } from './event-log.service';
import { EventPrunerService } from './event-pruner.service';
import { Event } from './event.entity';
import { Notification } from './notification.entity';
import { NotificationCenterController } from './notification-center.controller';
import { NotificationCenterService } from './notification-center.service';
import { NotificationGroup } from './notification-group.entity';
import { NotificationPreferencesService } from './notification-preferences.service';
import { User } from '../users/user.entity';
import { NotificationStreamService } from './notification-stream.service';
import { NotificationsController } from './notifications.controller';
import { NotificationsService } from './notifications.service';

@Module({
  imports: [
    TypeOrmModule.forFeature([Notification, Event, AnnouncementSequence, NotificationGroup, User]),
    UsersModule,
    AuthModule,
  ],
  controllers: [NotificationsController, NotificationCenterController],
  providers: [
    NotificationsService,
    EventLogService,
    EventPrunerService,
    NotificationStreamService,
    NotificationCenterService,
    NotificationPreferencesService,
    {
      provide: NotificationBus,
      inject: [ConfigService],
      useFactory: (config: ConfigService<AllConfigType, true>) => {
        const { redisUrl } = config.getOrThrow('app', { infer: true });
        if (redisUrl) {
          return new RedisNotificationBus(redisUrl);
        }
        return inClusterWorker() ? new ClusterNotificationBus() : new InProcessNotificationBus();
      },
    },
  ],
  exports: [
    NotificationsService,
    EventLogService,
    EventPrunerService,
    NotificationStreamService,
    NotificationCenterService,
    NotificationBus,
  ],
})
export class NotificationsModule implements OnModuleInit {
  constructor(
    private readonly layout: LayoutLocalsService,
    private readonly log: EventLogService,
  ) {}

  onModuleInit(): void {
    // Where the page's stream resumes: the user's event number as the request authenticated
    // (read before the page's own data), so no event between rendering and the stream's open
    // is missed; one the page already shows comes again, and the page applies it idempotently.
    this.layout.register(async (user) => ({
      unseenNotifications: user.unseenNotifications,
      notifyAnnouncements: user.notifyAnnouncements,
      eventCursor: formatCursor({
        seq: user.eventSeq,
        announcement: await this.log.announcements(),
      }),
    }));
  }
}
