import { BadRequestException, ForbiddenException, Injectable, OnModuleInit } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { EntityManager, In, Repository } from 'typeorm';
import { BlocksService } from '../blocks/blocks.service';
import { PageRequest } from '../common/pagination';
import { TransactionService, Tx } from '../database/transaction.service';
import { NotificationKind } from '../notifications/notification-group.entity';
import { NotificationCenterService } from '../notifications/notification-center.service';
import { NotificationsService } from '../notifications/notifications.service';
import { User } from '../users/user.entity';
import { UsersService } from '../users/users.service';
import { Follow } from './follow.entity';

/**
 * Work a feature that depends on follows does inside every follow and unfollow, in the same
 * transaction and under both users' row locks (posts fill or empty the follower's timeline).
 */
export type FollowChangeListener = (
  tx: Tx,
  follower: User,
  followed: User,
  following: boolean,
) => Promise<void>;

/** Follows, with the counts on both users' rows kept in step. */
@Injectable()
export class FollowsService implements OnModuleInit {
  private readonly listeners: FollowChangeListener[] = [];

  constructor(
    @InjectRepository(Follow) private readonly follows: Repository<Follow>,
    private readonly users: UsersService,
    private readonly blocks: BlocksService,
    private readonly center: NotificationCenterService,
    private readonly notifications: NotificationsService,
    private readonly transactions: TransactionService,
  ) {}

  onModuleInit(): void {
    // A block ends every follow between the two, both ways, and keeps new ones out.
    this.blocks.onChange(async (tx, blocker, other, blocking) => {
      if (blocking) {
        await this.end(tx, blocker, other);
        await this.end(tx, other, blocker);
      }
    });
  }

  onChange(listener: FollowChangeListener): void {
    this.listeners.push(listener);
  }

  /**
   * `me` follows `other`: 400 for oneself, 403 when either blocked the other; following again
   * changes nothing. The followed user is notified (their preferences permitting).
   */
  follow(me: User, other: User): Promise<void> {
    if (me.id === other.id) {
      throw new BadRequestException('follows.no_self');
    }
    return this.transactions.run(async (tx) => {
      const locked = await this.users.lockAllForUpdate(tx.manager, [me.id, other.id]);
      const [follower, followed] = locked;
      if (await this.blocks.eitherBlocked(tx.manager, follower.id, followed.id)) {
        throw new ForbiddenException('follows.blocked');
      }
      const repository = tx.manager.getRepository(Follow);
      if (await repository.existsBy({ followerId: follower.id, followedId: followed.id })) {
        return;
      }
      await repository.insert({
        followerId: follower.id,
        followedId: followed.id,
        createdAt: new Date(),
      });
      await this.adjustCounts(tx.manager, follower, followed, 1);
      for (const listener of this.listeners) {
        await listener(tx, follower, followed, true);
      }
      const events = await this.center.add(tx, followed, {
        kind: NotificationKind.Follow,
        actorId: follower.id,
      });
      await this.notifications.record(tx, locked, events);
    });
  }

  /** `me` stops following `other` (nothing happens if they did not). */
  unfollow(me: User, other: User): Promise<void> {
    return this.transactions.run(async (tx) => {
      const [follower, followed] = await this.users.lockAllForUpdate(tx.manager, [me.id, other.id]);
      await this.end(tx, follower, followed);
    });
  }

  isFollowing(follower: User, followed: User, manager?: EntityManager): Promise<boolean> {
    return (manager ?? this.follows.manager)
      .getRepository(Follow)
      .existsBy({ followerId: follower.id, followedId: followed.id });
  }

  /** The ids among `ids` that `me` follows (one query for a page of buttons). */
  async followedAmong(me: User, ids: number[]): Promise<Set<number>> {
    if (ids.length === 0) {
      return new Set();
    }
    const rows = await this.follows.find({
      select: { followedId: true },
      where: { followerId: me.id, followedId: In([...new Set(ids)]) },
    });
    return new Set(rows.map((row) => row.followedId));
  }

  /** The user's followers, newest first, one more than the page to tell of an older page. */
  async followers(user: User, page: PageRequest): Promise<User[]> {
    const rows = await this.follows.find({
      where: { followedId: user.id },
      relations: { follower: true },
      order: { createdAt: 'DESC', followerId: 'DESC' },
      skip: page.offset,
      take: page.perPage + 1,
    });
    return rows.map((row) => row.follower);
  }

  /** The people the user follows, newest first, as `followers`. */
  async following(user: User, page: PageRequest): Promise<User[]> {
    const rows = await this.follows.find({
      where: { followerId: user.id },
      relations: { followed: true },
      order: { createdAt: 'DESC', followedId: 'DESC' },
      skip: page.offset,
      take: page.perPage + 1,
    });
    return rows.map((row) => row.followed);
  }

  count(): Promise<number> {
    return this.follows.count();
  }

  private async end(tx: Tx, follower: User, followed: User): Promise<void> {
    const deleted = await tx.manager
      .getRepository(Follow)
      .delete({ followerId: follower.id, followedId: followed.id });
    if (!deleted.affected) {
      return;
    }
    await this.adjustCounts(tx.manager, follower, followed, -1);
    for (const listener of this.listeners) {
      await listener(tx, follower, followed, false);
    }
  }

  private async adjustCounts(manager: EntityManager, follower: User, followed: User, by: number) {
    const users = manager.getRepository(User);
    await users.increment({ id: follower.id }, 'followingCount', by);
    await users.increment({ id: followed.id }, 'followersCount', by);
    follower.followingCount += by;
    followed.followersCount += by;
  }
}
