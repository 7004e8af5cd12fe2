import {
  BadRequestException,
  ForbiddenException,
  Injectable,
  NotFoundException,
} from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { EntityManager, Repository } from 'typeorm';
import { Block } from '../blocks/block.entity';
import { BlocksService } from '../blocks/blocks.service';
import { PageRequest } from '../common/pagination';
import {
  advanceConversation,
  recountUnread,
  refreshConversation,
  sendState,
  unreadTotal,
} from '../conversations/read-marks';
import { TransactionService } from '../database/transaction.service';
import { FollowsService } from '../follows/follows.service';
import { NotificationKind } from '../notifications/notification-group.entity';
import { NotificationCenterService } from '../notifications/notification-center.service';
import { NotificationsService } from '../notifications/notifications.service';
import { User } from '../users/user.entity';
import { UsersService } from '../users/users.service';
import { Message } from './message.entity';

/** The id of the row an INSERT created: MySQL reports insertId, SQLite the identifiers. */
function insertedId(raw: unknown, identifiers: Record<string, unknown>[]): number {
  const fromRaw = (raw as { insertId?: unknown } | undefined)?.insertId;
  return Number(identifiers[0]?.id ?? fromRaw ?? raw);
}

/** A received message, and whether it was unread when the inbox was opened. */
export type InboxMessage = Message & { isNew: boolean };

@Injectable()
export class MessagesService {
  constructor(
    @InjectRepository(Message) private readonly messages: Repository<Message>,
    private readonly users: UsersService,
    private readonly blocks: BlocksService,
    private readonly notifications: NotificationsService,
    private readonly center: NotificationCenterService,
    private readonly follows: FollowsService,
    private readonly transactions: TransactionService,
  ) {}

  /**
   * The user `sender` may write to: 404 for an unknown name, 400 for themselves, 403 when
   * either blocked the other (the one blocked is told only that they can't write).
   */
  async findRecipient(sender: User, username: string): Promise<User> {
    const recipient = await this.users.findByUsernameOrFail(username);
    if (recipient.id === sender.id) {
      throw new BadRequestException('messages.no_self');
    }
    await this.assertMayWrite(sender, recipient);
    return recipient;
  }

  private async assertMayWrite(sender: User, recipient: User, manager = this.messages.manager) {
    if (await this.blocks.isBlocked(recipient, sender, manager)) {
      throw new ForbiddenException('messages.blocked_by_recipient');
    }
    if (await this.blocks.isBlocked(sender, recipient, manager)) {
      throw new ForbiddenException('messages.you_blocked');
    }
    await this.assertAccepts(recipient, sender, manager);
  }

  /** A recipient who takes messages only from people they follow: 403 for anyone else. */
  private async assertAccepts(recipient: User, sender: User, manager: EntityManager) {
    if (
      recipient.messagesFromFollowingOnly &&
      !(await this.follows.isFollowing(recipient, sender, manager))
    ) {
      throw new ForbiddenException('messages.only_followed');
    }
  }

  /**
   * Stores the message, moves both sides of the conversation, and records the recipient's
   * unread count, their notification center's line and both sides' new_message, in one
   * transaction (eight statements, and three more for the center line and its bell). Both
   * users' rows are locked (one statement, ascending ids): sends to one user count one after
   * the other, so the last count written is the true one; inserting the message takes shared
   * locks on both rows (the foreign keys), so locking only one would let A->B and B->A
   * deadlock; and both users' events are numbered under them. A block takes the blocker's
   * lock, so the check here, read under both locks, can't race one.
   */
  send(sender: User, recipient: User, body: string): Promise<Message> {
    return this.transactions.run(async (tx) => {
      const locked = await this.users.lockAllForUpdate(tx.manager, [recipient.id, sender.id]);
      const state = await sendState(tx.manager, sender.id, recipient.id);
      if (state.recipientBlocksSender) {
        throw new ForbiddenException('messages.blocked_by_recipient');
      }
      if (state.senderBlocksRecipient) {
        throw new ForbiddenException('messages.you_blocked');
      }
      const [locksRecipient] = locked;
      await this.assertAccepts(locksRecipient, sender, tx.manager);
      // Never at or before the recipient's read mark, or the message would count as read.
      const lastRead = state.readMark?.getTime() ?? 0;
      const message = tx.manager.getRepository(Message).create({
        senderId: sender.id,
        recipientId: recipient.id,
        body,
        timestamp: new Date(Math.max(Date.now(), lastRead + 1)),
      });
      const inserted = await tx.manager
        .createQueryBuilder()
        .insert()
        .into(Message)
        .values(message)
        .updateEntity(false)
        .execute();
      message.id = insertedId(inserted.raw, inserted.identifiers);
      await advanceConversation(tx.manager, message, state.readMark !== null);
      const center = await this.center.add(tx, locksRecipient, {
        kind: NotificationKind.Message,
        actorId: sender.id,
      });
      await this.notifications.record(tx, locked, [
        ...center,
        { userId: recipient.id, name: 'unread_message_count', data: state.recipientUnread + 1 },
        {
          userId: recipient.id,
          name: 'new_message',
          data: { id: message.id, peer: sender.username },
        },
        {
          userId: sender.id,
          name: 'new_message',
          data: { id: message.id, peer: recipient.username },
        },
      ]);
      return message;
    });
  }

  /** A sender deletes their own message: 404 for anyone else's, as for one that never was. */
  async removeOwn(me: User, id: number): Promise<Message> {
    const message = await this.messages.findOne({
      where: { id, senderId: me.id },
      relations: { sender: true, recipient: true },
    });
    if (!message) {
      throw new NotFoundException('errors.message_not_found');
    }
    await this.remove(id);
    return message;
  }

  /**
   * Deletes a message for both sides (its sender, or moderation). Under the same locks as a
   * send: the recipient's count is recomputed and pushed, both conversations move back to
   * their newest remaining message, and open pages drop it.
   */
  remove(id: number): Promise<void> {
    return this.transactions.run(async (tx) => {
      const repository = tx.manager.getRepository(Message);
      const found = await repository.findOneBy({ id });
      if (!found) {
        throw new NotFoundException('errors.message_not_found');
      }
      const locked = await this.users.lockAllForUpdate(tx.manager, [
        found.recipientId,
        found.senderId,
      ]);
      const [recipient, sender] = locked;
      const message = await repository.findOneBy({ id });
      if (!message) {
        throw new NotFoundException('errors.message_not_found');
      }
      await repository.delete({ id });
      await refreshConversation(tx.manager, sender.id, recipient.id);
      await recountUnread(tx.manager, recipient.id, sender.id);
      await this.notifications.record(tx, locked, [
        {
          userId: recipient.id,
          name: 'unread_message_count',
          data: await unreadTotal(tx.manager, recipient.id),
        },
        { userId: recipient.id, name: 'message_deleted', data: { id, peer: sender.username } },
        { userId: sender.id, name: 'message_deleted', data: { id, peer: recipient.username } },
      ]);
    });
  }

  /** Messages matching the filter, newest first (admin). */
  list(filter: { senderId?: number; recipientId?: number }, page: PageRequest) {
    return this.messages.findAndCount({
      where: {
        ...(filter.senderId ? { senderId: filter.senderId } : {}),
        ...(filter.recipientId ? { recipientId: filter.recipientId } : {}),
      },
      relations: { sender: true, recipient: true },
      order: { timestamp: 'DESC', id: 'DESC' },
      skip: page.offset,
      take: page.perPage,
    });
  }

  count(): Promise<number> {
    return this.messages.count();
  }

  /**
   * Received messages, newest first, without those of users `user` blocked; each marked new
   * if it was stamped after its conversation's read mark in `readMarks` (from before the
   * inbox marked everything read).
   */
  async inbox(
    user: User,
    page: PageRequest,
    readMarks: Map<number, Date>,
  ): Promise<[InboxMessage[], number]> {
    const blocked = this.messages
      .createQueryBuilder()
      .subQuery()
      .select('1')
      .from(Block, 'b')
      .where('b.blocker_id = m.recipient_id AND b.blocked_id = m.sender_id')
      .getQuery();
    const [messages, total] = await this.messages
      .createQueryBuilder('m')
      .innerJoinAndSelect('m.sender', 'sender')
      .where('m.recipient_id = :id', { id: user.id })
      .andWhere(`NOT EXISTS ${blocked}`)
      .orderBy('m.timestamp', 'DESC')
      .addOrderBy('m.id', 'DESC')
      .skip(page.offset)
      .take(page.perPage)
      .getManyAndCount();
    const isNew = (m: Message) =>
      m.timestamp.getTime() > (readMarks.get(m.senderId)?.getTime() ?? 0);
    return [messages.map((m) => Object.assign(m, { isNew: isNew(m) })), total];
  }

  /** Sent messages, newest first. */
  sent(user: User, page: PageRequest): Promise<[Message[], number]> {
    return this.messages.findAndCount({
      where: { senderId: user.id },
      relations: { recipient: true },
      order: { timestamp: 'DESC', id: 'DESC' },
      skip: page.offset,
      take: page.perPage,
    });
  }
}
