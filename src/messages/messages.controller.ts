import { ApiExcludeController } from '@nestjs/swagger';
import {
  Body,
  Controller,
  Get,
  Param,
  Post,
  Query,
  Render,
  Req,
  Res,
  UseFilters,
} from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { Request, Response } from 'express';
import { CurrentUser } from '../auth/decorators';
import { IdParam } from '../common/api/id-param';
import { validateForm } from '../common/forms/validate-form';
import { RateLimit } from '../common/http/rate-limit';
import { buildPager, parsePage } from '../common/pagination';
import { flash } from '../common/views/flash';
import { AllConfigType } from '../config/config.type';
import { conversationPath } from '../conversations/conversations.controller';
import { ReadMarksService } from '../conversations/read-marks.service';
import { User } from '../users/user.entity';
import { SendMessageDto } from './dto/send-message.dto';
import { MESSAGE_MAX } from './message.entity';
import { MessagesService } from './messages.service';
import { SendRateLimitedFilter } from './send-rate-limited.filter';

@Controller()
// Browser pages and feeds, not part of the documented JSON API.
@ApiExcludeController()
export class MessagesController {
  constructor(
    private readonly messages: MessagesService,
    private readonly readMarks: ReadMarksService,
    private readonly config: ConfigService<AllConfigType, true>,
  ) {}

  @Get('send_message/:recipient')
  @Render('messages/send')
  async sendForm(@Param('recipient') username: string, @CurrentUser() me: User) {
    const recipient = await this.messages.findRecipient(me, username);
    return { recipient: recipient.username, form: {}, max: MESSAGE_MAX };
  }

  /** The send form and a conversation's reply form both post here. */
  @Post('send_message/:recipient')
  @RateLimit('send', 'send-address')
  @UseFilters(SendRateLimitedFilter)
  async send(
    @Param('recipient') username: string,
    @Body() body: unknown,
    @CurrentUser() me: User,
    @Req() req: Request,
    @Res() res: Response,
  ) {
    const recipient = await this.messages.findRecipient(me, username);
    const result = validateForm(SendMessageDto, body);
    if (!result.ok) {
      return res.status(400).render('messages/send', {
        recipient: recipient.username,
        form: { message: typeof result.value.message === 'string' ? result.value.message : '' },
        errors: result.errors,
        max: MESSAGE_MAX,
      });
    }
    await this.messages.send(me, recipient, result.value.message);
    flash(req, res, { category: 'success', key: 'messages.sent' });
    return res.redirect(302, conversationPath(recipient.username));
  }

  @Get('messages')
  @Render('messages/inbox')
  async inbox(@CurrentUser() me: User, @Query('page') rawPage: unknown) {
    const readMarks = await this.readMarks.markAllRead(me);
    const page = parsePage(rawPage, this.perPage());
    const [messages, total] = await this.messages.inbox(me, page, readMarks);
    return { messages, pager: buildPager('/messages', page, total), tab: 'inbox' };
  }

  @Get('messages/sent')
  @Render('messages/sent')
  async sent(@CurrentUser() me: User, @Query('page') rawPage: unknown) {
    const page = parsePage(rawPage, this.perPage());
    const [messages, total] = await this.messages.sent(me, page);
    return { messages, pager: buildPager('/messages/sent', page, total), tab: 'sent' };
  }

  /** Deletes one's own message for both sides, then back to the conversation. */
  @Post('messages/:id/delete')
  async remove(
    @IdParam() id: number,
    @CurrentUser() me: User,
    @Req() req: Request,
    @Res() res: Response,
  ) {
    const message = await this.messages.removeOwn(me, id);
    flash(req, res, { category: 'success', key: 'messages.deleted' });
    return res.redirect(302, conversationPath(message.recipient.username));
  }

  private perPage(): number {
    return this.config.getOrThrow('app.postsPerPage', { infer: true });
  }
}
