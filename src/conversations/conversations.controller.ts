import { ApiExcludeController } from '@nestjs/swagger';
import { BadRequestException, Controller, Get, Param, Query, Render, Res } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { Response } from 'express';
import { CurrentUser } from '../auth/decorators';
import { parseId } from '../common/api/parse-id.pipe';
import { buildPager, parsePage } from '../common/pagination';
import { AllConfigType } from '../config/config.type';
import { MESSAGE_MAX } from '../messages/message.entity';
import { User } from '../users/user.entity';
import { ConversationsService } from './conversations.service';

export function conversationPath(username: string): string {
  return `/conversations/${encodeURIComponent(username)}`;
}

@Controller('conversations')
// Browser pages and feeds, not part of the documented JSON API.
@ApiExcludeController()
export class ConversationsController {
  constructor(
    private readonly conversations: ConversationsService,
    private readonly config: ConfigService<AllConfigType, true>,
  ) {}

  @Get()
  @Render('conversations/list')
  async list(@CurrentUser() me: User, @Query('page') rawPage: unknown) {
    const page = parsePage(rawPage, this.perPage());
    const [conversations, total] = await this.conversations.list(me, page);
    return {
      conversations,
      pager: buildPager('/conversations', page, total),
      tab: 'conversations',
    };
  }

  /** The exchange with one person; opening it marks it read. */
  @Get(':username')
  @Render('conversations/thread')
  async thread(
    @Param('username') username: string,
    @CurrentUser() me: User,
    @Query('page') rawPage: unknown,
  ) {
    const page = parsePage(rawPage, this.perPage());
    const thread = await this.conversations.openThread(me, username, page);
    if (thread.youBlocked) {
      return thread;
    }
    return {
      peer: thread.peer,
      messages: thread.messages,
      pager: buildPager(conversationPath(thread.peer), page, thread.total),
      newest: page.page === 1,
      blockedByPeer: thread.blockedByPeer,
      max: MESSAGE_MAX,
    };
  }

  /**
   * The messages after `after`, rendered by the thread's own partial, for an open thread to
   * append when a new_message notification arrives.
   */
  @Get(':username/messages')
  async newer(
    @Param('username') username: string,
    @Query('after') rawAfter: unknown,
    @CurrentUser() me: User,
    @Res() res: Response,
  ) {
    const after = rawAfter === undefined || rawAfter === '0' ? 0 : parseId(rawAfter);
    if (after === null) {
      throw new BadRequestException('messages.bad_after');
    }
    return res.render('conversations/messages', {
      layout: false,
      messages: await this.conversations.newerMessages(me, username, after),
    });
  }

  private perPage(): number {
    return this.config.getOrThrow('app.postsPerPage', { infer: true });
  }
}
