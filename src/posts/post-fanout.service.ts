import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { EntityManager, IsNull, Not, Repository } from 'typeorm';
import { TransactionService } from '../database/transaction.service';
import { NotificationsService } from '../notifications/notifications.service';
import { User } from '../users/user.entity';
import { UsersService } from '../users/users.service';
import { Post } from './post.entity';
import { TimelineEntry } from './timeline-entry.entity';

/** Followers per transaction: short locks, and statements well under parameter limits. */
export const FANOUT_BATCH = 500;

/**
 * Delivers a post to its author's followers: a row in each home timeline and a `new_post` in
 * each log, in batches of followers in id order, each its own transaction that also moves the
 * post's `fanout_after`. A batch is delivered exactly once, whichever process runs it, and a
 * delivery cut short (a crash, a restart) resumes at start-up where it stopped.
 */
@Injectable()
export class PostFanoutService implements OnApplicationBootstrap {
  private readonly logger = new Logger(PostFanoutService.name);
  private readonly running = new Set<number>();

  constructor(
    @InjectRepository(Post) private readonly posts: Repository<Post>,
    private readonly users: UsersService,
    private readonly notifications: NotificationsService,
    private readonly transactions: TransactionService,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const pending = await this.posts.find({
      select: { id: true },
      where: { fanoutAfter: Not(IsNull()) },
      order: { id: 'ASC' },
    });
    pending.forEach((post) => this.start(post.id));
  }

  /** Starts delivering the post in the background (once per process at a time). */
  start(postId: number): void {
    if (this.running.has(postId)) {
      return;
    }
    this.running.add(postId);
    this.deliver(postId)
      .catch((error: unknown) =>
        this.logger.error(`Delivering post ${postId} stopped; it resumes at the next start`, error),
      )
      .finally(() => this.running.delete(postId));
  }

  /** Delivers every batch left; resolves once the post reached every follower. */
  async deliver(postId: number): Promise<void> {
    while (await this.deliverBatch(postId)) {
      // Each batch commits on its own. Between batches the event loop serves requests and
      // sends the batch's events: better-sqlite3 is synchronous, so without this a whole
      // delivery would hold the process (bench/results/fanout.md).
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  /** One batch; false once there is nothing left (or the post is gone). */
  private deliverBatch(postId: number): Promise<boolean> {
    return this.transactions.run(async (tx) => {
      const sqlite = tx.manager.connection.options.type === 'better-sqlite3';
      // The post's row serialises batches (another process may resume the same delivery);
      // the author's is not locked, so users are locked in ascending order only.
      const [post] = await tx.manager.getRepository(Post).find({
        where: { id: postId },
        lock: sqlite ? undefined : { mode: 'pessimistic_write' },
      });
      if (!post || post.fanoutAfter === null) {
        return false;
      }
      const author = await tx.manager.getRepository(User).findOneByOrFail({ id: post.authorId });
      const rows = await tx.manager.query<{ follower_id: number }[]>(
        `SELECT follower_id FROM follows WHERE followed_id = ? AND follower_id > ?
         ORDER BY follower_id LIMIT ${FANOUT_BATCH}`,
        [post.authorId, post.fanoutAfter],
      );
      const ids = rows.map((row) => Number(row.follower_id));
      const done = ids.length < FANOUT_BATCH;
      await tx.manager
        .getRepository(Post)
        .update({ id: post.id }, { fanoutAfter: done ? null : ids[ids.length - 1] });
      if (ids.length === 0) {
        return false;
      }
      const followers = await this.users.lockAllForUpdate(tx.manager, ids);
      await this.addToTimelines(tx.manager, post, followers);
      await this.notifications.record(
        tx,
        followers,
        followers.map((follower) => ({
          userId: follower.id,
          name: 'new_post' as const,
          data: { id: post.id, author: author.username },
        })),
      );
      return !done;
    });
  }

  private async addToTimelines(
    manager: EntityManager,
    post: Post,
    followers: User[],
  ): Promise<void> {
    await manager
      .createQueryBuilder()
      .insert()
      .into(TimelineEntry)
      .values(
        followers.map((follower) => ({
          userId: follower.id,
          postId: post.id,
          authorId: post.authorId,
          timestamp: post.timestamp,
        })),
      )
      .orIgnore()
      .updateEntity(false)
      .execute();
  }
}
