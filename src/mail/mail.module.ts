import { Module } from '@nestjs/common';
import { EmailTemplates } from './email-templates.service';
import { MailSender } from './mail-sender.service';
import { MailService } from './mail.service';

/** Email: the outbox (MailService.queue), its sender, and the email templates. */
@Module({
  providers: [MailService, MailSender, EmailTemplates],
  exports: [MailService, EmailTemplates],
})
export class MailModule {}
