import { BadRequestException, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { EntityManager, Repository } from 'typeorm';
import { TransactionService, Tx } from '../database/transaction.service';
import { User } from '../users/user.entity';
import { UsersService } from '../users/users.service';
import { Block } from './block.entity';

/**
 * Work a feature that depends on blocks does inside every block and unblock, in the same
 * transaction and under both users' row locks (conversations push the blocker's unread count,
 * follows end both ways), so blocks depend on nothing that depends on them. `blocker` and
 * `other` are the locked rows; `blocking` is false for an unblock.
 */
export type BlockChangeListener = (
  tx: Tx,
  blocker: User,
  other: User,
  blocking: boolean,
) => Promise<void>;

@Injectable()
export class BlocksService {
  private readonly listeners: BlockChangeListener[] = [];

  constructor(
    @InjectRepository(Block) private readonly blocks: Repository<Block>,
    private readonly users: UsersService,
    private readonly transactions: TransactionService,
  ) {}

  onChange(listener: BlockChangeListener): void {
    this.listeners.push(listener);
  }

  /** Whether `blocker` blocked `blocked` (read inside the caller's transaction if given). */
  isBlocked(blocker: User, blocked: User, manager?: EntityManager): Promise<boolean> {
    return (manager ?? this.blocks.manager)
      .getRepository(Block)
      .existsBy({ blockerId: blocker.id, blockedId: blocked.id });
  }

  /** Whether either of the two users blocked the other. */
  eitherBlocked(manager: EntityManager, a: number, b: number): Promise<boolean> {
    return manager.getRepository(Block).exists({
      where: [
        { blockerId: a, blockedId: b },
        { blockerId: b, blockedId: a },
      ],
    });
  }

  /**
   * Under both users' row locks, which a send between them takes too: a message is either
   * stored before the block or refused after it. The badge loses (or regains) the peer's unread
   * messages at once.
   */
  block(me: User, other: User): Promise<void> {
    if (me.id === other.id) {
      throw new BadRequestException('messages.no_self_block');
    }
    return this.change(me, other, true, async (manager) => {
      if (!(await this.isBlocked(me, other, manager))) {
        await manager
          .getRepository(Block)
          .insert({ blockerId: me.id, blockedId: other.id, createdAt: new Date() });
      }
    });
  }

  unblock(me: User, other: User): Promise<void> {
    return this.change(me, other, false, async (manager) => {
      await manager.getRepository(Block).delete({ blockerId: me.id, blockedId: other.id });
    });
  }

  /** The users `me` blocked, by name. */
  async blockedBy(me: User): Promise<User[]> {
    const rows = await this.blocks.find({
      where: { blockerId: me.id },
      relations: { blocked: true },
      order: { createdAt: 'DESC' },
    });
    return rows.map((row) => row.blocked);
  }

  /**
   * Both users' rows are locked, in ascending id order as a send takes them: the block row's
   * foreign key takes a shared lock on the other user's row, so locking only one would let a
   * block and a send between the two deadlock.
   */
  private change(
    me: User,
    other: User,
    blocking: boolean,
    write: (manager: EntityManager) => Promise<void>,
  ): Promise<void> {
    return this.transactions.run(async (tx) => {
      const [blocker, peer] = await this.users.lockAllForUpdate(tx.manager, [me.id, other.id]);
      await write(tx.manager);
      for (const listener of this.listeners) {
        await listener(tx, blocker, peer, blocking);
      }
    });
  }
}
