import { BadRequestException, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Brackets, Repository } from 'typeorm';
import { BlocksService } from '../blocks/blocks.service';
import { PageRequest } from '../common/pagination';
import { Message } from '../messages/message.entity';
import { User } from '../users/user.entity';
import { UsersService } from '../users/users.service';
import { Conversation } from './conversation.entity';
import { conversationListQuery, notBlocked, rawDate, readMark } from './read-marks';
import { ReadMarksService } from './read-marks.service';

/** How many new messages one live update fetches at most (the rest on the next). */
const LIVE_BATCH = 50;

/** One row of the conversation list. */
export interface ConversationSummary {
  peer: string;
  lastActivityAt: Date;
  lastMessage: { id: number; body: string; mine: boolean };
  unread: number;
}

interface SummaryRow {
  peer: string;
  activity: string | Date;
  messageId: number | string;
  body: string;
  senderId: number | string;
  unread: number | string;
}

/** A message as its viewer sees it in a thread: their own or not, and "Seen" under it or not. */
export type ThreadMessage = Message & { mine: boolean; seen: boolean };

/** One page of a thread; only the notice when the viewer blocked the peer. */
export type ThreadPage =
  | { peer: string; youBlocked: true; messages: [] }
  | {
      peer: string;
      youBlocked?: undefined;
      messages: ThreadMessage[];
      total: number;
      blockedByPeer: boolean;
    };

@Injectable()
export class ConversationsService {
  constructor(
    @InjectRepository(Conversation) private readonly conversations: Repository<Conversation>,
    private readonly users: UsersService,
    private readonly blocks: BlocksService,
    private readonly readMarks: ReadMarksService,
  ) {}

  /**
   * The messages table, for thread pages. MessagesModule owns it and depends on this module,
   * so it is read through this repository's manager, as read-marks.ts reads it.
   */
  private get messages(): Repository<Message> {
    return this.conversations.manager.getRepository(Message);
  }

  /** The user's conversations, newest activity first (see conversationListQuery). */
  async list(user: User, page: PageRequest): Promise<[ConversationSummary[], number]> {
    const rows = await conversationListQuery(
      this.conversations.manager,
      user.id,
      page,
    ).getRawMany<SummaryRow>();
    const total = await this.count(user);
    return [
      rows.map((row) => ({
        peer: row.peer,
        lastActivityAt: rawDate(row.activity),
        lastMessage: {
          id: Number(row.messageId),
          body: row.body,
          mine: Number(row.senderId) === user.id,
        },
        unread: Number(row.unread),
      })),
      total,
    ];
  }

  private count(user: User): Promise<number> {
    const query = this.conversations
      .createQueryBuilder('c')
      .where('c.user_id = :userId AND c.last_message_id IS NOT NULL', { userId: user.id });
    return notBlocked(query, 'c').getCount();
  }

  /**
   * One page of the exchange with the user named `username`, as `me` opens it: what they sent
   * becomes read. Only the notice when `me` blocked them.
   */
  async openThread(me: User, username: string, page: PageRequest): Promise<ThreadPage> {
    const peer = await this.peerOf(me, username);
    if (await this.blocks.isBlocked(me, peer)) {
      return { peer: peer.username, youBlocked: true, messages: [] };
    }
    await this.readMarks.markRead(me, peer);
    const [messages, total] = await this.thread(me, peer, page);
    const seenAt = await this.seenBy(peer, me);
    return {
      peer: peer.username,
      messages: this.forViewer(me, messages, seenAt),
      total,
      blockedByPeer: await this.blocks.isBlocked(peer, me),
    };
  }

  /**
   * The messages after the one with id `after`, for an open thread to append when a
   * new_message notification arrives; it has them in view, so they are read.
   */
  async newerMessages(me: User, username: string, after: number): Promise<ThreadMessage[]> {
    const peer = await this.peerOf(me, username);
    if (await this.blocks.isBlocked(me, peer)) {
      return [];
    }
    await this.readMarks.markRead(me, peer);
    const messages = await this.after(me, peer, after, LIVE_BATCH);
    const seenAt = await this.seenBy(peer, me);
    return this.forViewer(me, messages, seenAt);
  }

  private async peerOf(me: User, username: string): Promise<User> {
    const peer = await this.users.findByUsernameOrFail(username);
    if (peer.id === me.id) {
      throw new BadRequestException('messages.no_self');
    }
    return peer;
  }

  /** Which messages are the viewer's own; "Seen" goes under the newest of those, if it was. */
  private forViewer(me: User, messages: Message[], seenAt: Date): ThreadMessage[] {
    const lastMine = messages.map((m) => m.senderId).lastIndexOf(me.id);
    return messages.map((m, i) =>
      Object.assign(m, {
        mine: m.senderId === me.id,
        seen: i === lastMine && m.timestamp.getTime() <= seenAt.getTime(),
      }),
    );
  }

  /** The exchange with `peer`, both ways; page 1 is the newest, each page oldest first. */
  private async thread(user: User, peer: User, page: PageRequest): Promise<[Message[], number]> {
    const [newestFirst, total] = await this.betweenQuery(user, peer)
      .orderBy('m.timestamp', 'DESC')
      .addOrderBy('m.id', 'DESC')
      .skip(page.offset)
      .take(page.perPage)
      .getManyAndCount();
    return [newestFirst.reverse(), total];
  }

  /** Messages of the exchange after the one with id `afterId`, oldest first (live updates). */
  private after(user: User, peer: User, afterId: number, limit: number): Promise<Message[]> {
    return this.betweenQuery(user, peer)
      .andWhere('m.id > :afterId', { afterId })
      .orderBy('m.timestamp', 'ASC')
      .addOrderBy('m.id', 'ASC')
      .take(limit)
      .getMany();
  }

  private betweenQuery(user: User, peer: User) {
    return this.messages
      .createQueryBuilder('m')
      .innerJoinAndSelect('m.sender', 'sender')
      .innerJoinAndSelect('m.recipient', 'recipient')
      .where(
        new Brackets((w) =>
          w
            .where('m.sender_id = :me AND m.recipient_id = :peer')
            .orWhere('m.sender_id = :peer AND m.recipient_id = :me'),
        ),
        { me: user.id, peer: peer.id },
      );
  }

  /** When `peer` last read the conversation with `user` (read receipts). */
  private seenBy(peer: User, user: User): Promise<Date> {
    return readMark(this.conversations.manager, peer.id, user.id);
  }
}
