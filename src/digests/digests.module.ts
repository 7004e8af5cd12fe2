import { Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AllConfigType } from '../config/config.type';
import { MailModule } from '../mail/mail.module';
import { User } from '../users/user.entity';
import { UsersModule } from '../users/users.module';
import { DigestEmails } from './digest-emails.service';
import { DigestScheduler } from './digest-scheduler.service';
import { DigestsService } from './digests.service';
import { UnsubscribeLinks } from './unsubscribe-links';
import { UnsubscribeController } from './unsubscribe.controller';
import { UnsubscribeService } from './unsubscribe.service';

/**
 * Notification email: digests of unread messages and notification center lines, sent by one
 * process at a time (a lease), and the signed unsubscribe links they carry. It reads the tables
 * of messages, follows, posts and the center; nothing depends on it.
 */
@Module({
  imports: [TypeOrmModule.forFeature([User]), MailModule, UsersModule],
  controllers: [UnsubscribeController],
  providers: [
    DigestsService,
    DigestScheduler,
    DigestEmails,
    UnsubscribeService,
    {
      provide: UnsubscribeLinks,
      inject: [ConfigService],
      useFactory: (config: ConfigService<AllConfigType, true>) =>
        new UnsubscribeLinks(config.getOrThrow('auth.jwtSecret', { infer: true })),
    },
  ],
  exports: [DigestsService, UnsubscribeLinks],
})
export class DigestsModule {}
