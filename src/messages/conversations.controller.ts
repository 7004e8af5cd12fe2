import { ApiExcludeController } from '@nestjs/swagger';
import { BadRequestException, Controller, Get, Param, Query, Render, Res } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { Response } from 'express';
import { CurrentUser } from '../auth/decorators';
import { parseId } from '../common/api/parse-id.pipe';
import { buildPager, parsePage } from '../common/pagination';
import { AllConfigType } from '../config/config.type';
import { User } from '../users/user.entity';
import { BlocksService } from './blocks.service';
import { ConversationsService } from './conversations.service';
import { Message, MESSAGE_MAX } from './message.entity';
import { conversationPath } from './messages.controller';
import { MessagesService } from './messages.service';

/** How many new messages one live update fetches at most (the rest on the next). */
const LIVE_BATCH = 50;

@Controller('conversations')
// Browser pages and feeds, not part of the documented JSON API.
@ApiExcludeController()
export class ConversationsController {
  constructor(
    private readonly conversations: ConversationsService,
    private readonly messages: MessagesService,
    private readonly blocks: BlocksService,
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
    const peer = await this.peerOf(me, username);
    if (await this.blocks.isBlocked(me, peer)) {
      return { peer: peer.username, youBlocked: true, messages: [] };
    }
    await this.conversations.markRead(me, peer);
    const page = parsePage(rawPage, this.perPage());
    const [messages, total] = await this.conversations.thread(me, peer, page);
    const seenAt = await this.conversations.seenBy(peer, me);
    return {
      peer: peer.username,
      messages: this.forViewer(me, messages, seenAt),
      pager: buildPager(conversationPath(peer.username), page, total),
      newest: page.page === 1,
      blockedByPeer: await this.blocks.isBlocked(peer, me),
      max: MESSAGE_MAX,
    };
  }

  /**
   * The messages after `after`, rendered by the thread's own partial, for an open thread to
   * append when a new_message notification arrives; it has them in view, so they are read.
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
    const peer = await this.peerOf(me, username);
    if (await this.blocks.isBlocked(me, peer)) {
      return res.render('conversations/messages', { layout: false, messages: [] });
    }
    await this.conversations.markRead(me, peer);
    const messages = await this.conversations.after(me, peer, after, LIVE_BATCH);
    const seenAt = await this.conversations.seenBy(peer, me);
    return res.render('conversations/messages', {
      layout: false,
      messages: this.forViewer(me, messages, seenAt),
    });
  }

  private async peerOf(me: User, username: string): Promise<User> {
    const peer = await this.messages.findUser(username);
    if (peer.id === me.id) {
      throw new BadRequestException('messages.no_self');
    }
    return peer;
  }

  /** Which messages are the viewer's own; "Seen" goes under the newest of those, if it was. */
  private forViewer(me: User, messages: Message[], seenAt: Date) {
    const lastMine = messages.map((m) => m.senderId).lastIndexOf(me.id);
    return messages.map((m, i) =>
      Object.assign(m, {
        mine: m.senderId === me.id,
        seen: i === lastMine && m.timestamp.getTime() <= seenAt.getTime(),
      }),
    );
  }

  private perPage(): number {
    return this.config.getOrThrow('app.postsPerPage', { infer: true });
  }
}
