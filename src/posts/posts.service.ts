import { Injectable, NotFoundException } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Brackets, EntityManager, Repository } from 'typeorm';
import { BlocksService } from '../blocks/blocks.service';
import { PageRequest } from '../common/pagination';
import { TransactionService } from '../database/transaction.service';
import { FollowsService } from '../follows/follows.service';
import { NotificationBus } from '../notifications/bus/notification-bus';
import { NotificationKind } from '../notifications/notification-group.entity';
import { NotificationCenterService } from '../notifications/notification-center.service';
import { UserEvent } from '../notifications/notification-types';
import { NotificationsService } from '../notifications/notifications.service';
import { deletionTopics, postTopics } from '../notifications/stream-topics';
import { User } from '../users/user.entity';
import { UsersService } from '../users/users.service';
import { PostFanoutService } from './post-fanout.service';
import { extractMentions } from './post-text';
import { Post } from './post.entity';
import { TimelineEntry } from './timeline-entry.entity';
import { exploreQuery, homeTimelineQuery, profileQuery } from './timelines';

/** What views/partials/post.hbs shows of a post. */
export interface PostView {
  id: number;
  body: string;
  timestamp: Date;
  author: User;
  /** The viewer wrote it: a Delete button. */
  mine: boolean;
  /** The mentioned users that exist, lower-cased name to name (the rest stay plain text). */
  mentions: Map<string, string>;
}

@Injectable()
export class PostsService {
  constructor(
    @InjectRepository(Post) private readonly posts: Repository<Post>,
    private readonly users: UsersService,
    private readonly follows: FollowsService,
    private readonly blocks: BlocksService,
    private readonly center: NotificationCenterService,
    private readonly notifications: NotificationsService,
    private readonly fanout: PostFanoutService,
    private readonly bus: NotificationBus,
    private readonly transactions: TransactionService,
  ) {}

  /**
   * Stores the post in its author's timeline and notifies the people it mentions, in one
   * transaction under the rows of the author and of everyone mentioned; then delivers it to
   * the followers' timelines in batches (PostFanoutService) and tells explore and profile
   * pages.
   */
  async create(author: User, body: string): Promise<Post> {
    const mentioned = await this.users.findByUsernamesLower(extractMentions(body));
    const post = await this.transactions.run(async (tx) => {
      const others = mentioned.filter((user) => user.id !== author.id);
      const locked = await this.users.lockAllForUpdate(tx.manager, [
        author.id,
        ...others.map((user) => user.id),
      ]);
      const [me, ...recipients] = locked;
      const stored = await this.insert(tx.manager, me, body);
      const events: UserEvent[] = [
        { userId: me.id, name: 'new_post', data: { id: stored.id, author: me.username } },
      ];
      for (const recipient of recipients) {
        if (await this.mentionReaches(tx.manager, me, recipient)) {
          events.push(
            ...(await this.center.add(tx, recipient, {
              kind: NotificationKind.Mention,
              actorId: me.id,
              postId: stored.id,
            })),
          );
        }
      }
      await this.notifications.record(tx, locked, events);
      tx.afterCommit(() =>
        this.bus.publishToTopics(
          postTopics(me.id),
          JSON.stringify({ action: 'created', id: stored.id, author: me.username }),
        ),
      );
      return stored;
    });
    if (post.fanoutAfter !== null) {
      this.fanout.start(post.id);
    }
    return post;
  }

  /** An author deletes their own post: 404 for anyone else's, as for one that never was. */
  async removeOwn(me: User, id: number): Promise<void> {
    if (!(await this.posts.existsBy({ id, authorId: me.id }))) {
      throw new NotFoundException('posts.not_found');
    }
    await this.remove(id);
  }

  /**
   * Deletes a post (its author, or moderation): it leaves every timeline, its mentions leave
   * the notification centers (and the bells of those who had not seen them), and open pages
   * drop it.
   */
  async remove(id: number): Promise<void> {
    await this.transactions.run(async (tx) => {
      const found = await tx.manager.getRepository(Post).findOneBy({ id });
      if (!found) {
        throw new NotFoundException('posts.not_found');
      }
      const mentions = await this.center.mentionsOf(tx.manager, id);
      const locked = await this.users.lockAllForUpdate(tx.manager, [
        found.authorId,
        ...mentions.keys(),
      ]);
      const events = await this.center.forgetMentions(tx, locked.slice(1), mentions);
      const deleted = await tx.manager.getRepository(Post).delete({ id });
      if (!deleted.affected) {
        throw new NotFoundException('posts.not_found');
      }
      await tx.manager.getRepository(User).decrement({ id: found.authorId }, 'postsCount', 1);
      await this.notifications.record(tx, locked, events);
      tx.afterCommit(() =>
        this.bus.publishToTopics(
          deletionTopics(found.authorId),
          JSON.stringify({ action: 'deleted', id }),
        ),
      );
    });
  }

  home(user: User, page: PageRequest): Promise<Post[]> {
    return this.page(homeTimelineQuery(this.posts.manager, user.id), page);
  }

  explore(viewer: User, page: PageRequest): Promise<Post[]> {
    return this.page(exploreQuery(this.posts.manager, viewer.id), page);
  }

  byAuthor(author: User, page: PageRequest): Promise<Post[]> {
    return this.page(profileQuery(this.posts.manager, author.id), page);
  }

  /**
   * Posts by id, newest first, without those of people `viewer` blocked (a live page fetching
   * the ones it was told of; posts are public, as on explore).
   */
  async visibleTo(viewer: User, ids: number[]): Promise<Post[]> {
    if (ids.length === 0) {
      return [];
    }
    return exploreQuery(this.posts.manager, viewer.id)
      .andWhere('p.id IN (:...ids)', { ids })
      .getMany();
  }

  /** Admin: posts matching `q` (in the body or the author's name), newest first. */
  search(q: string | undefined, authorId: number | undefined, page: PageRequest) {
    const query = this.posts
      .createQueryBuilder('p')
      .innerJoinAndSelect('p.author', 'author')
      .orderBy('p.timestamp', 'DESC')
      .addOrderBy('p.id', 'DESC')
      .skip(page.offset)
      .take(page.perPage);
    if (authorId) {
      query.andWhere('p.author_id = :authorId', { authorId });
    }
    if (q) {
      // "!" escapes LIKE wildcards: a backslash means different things on SQLite and MySQL.
      const pattern = `%${q.toLowerCase().replace(/[!%_]/g, (c) => `!${c}`)}%`;
      query.andWhere(
        new Brackets((w) =>
          w
            .where("LOWER(p.body) LIKE :pattern ESCAPE '!'", { pattern })
            .orWhere("LOWER(author.username) LIKE :pattern ESCAPE '!'", { pattern }),
        ),
      );
    }
    return query.getManyAndCount();
  }

  count(): Promise<number> {
    return this.posts.count();
  }

  /** Posts as the pages show them: one query finds every mentioned user of the page. */
  async views(posts: Post[], viewer: User): Promise<PostView[]> {
    const names = [...new Set(posts.flatMap((post) => extractMentions(post.body)))];
    const known = await this.users.findByUsernamesLower(names);
    const mentions = new Map(known.map((user) => [user.username.toLowerCase(), user.username]));
    return posts.map((post) => ({
      id: post.id,
      body: post.body,
      timestamp: post.timestamp,
      author: post.author,
      mine: post.authorId === viewer.id,
      mentions,
    }));
  }

  /** A page of posts, read one past the page (more than perPage: there is an older page). */
  private page(query: ReturnType<typeof homeTimelineQuery>, page: PageRequest): Promise<Post[]> {
    return query
      .offset(page.offset)
      .limit(page.perPage + 1)
      .getMany();
  }

  private async insert(manager: EntityManager, author: User, body: string): Promise<Post> {
    const post = manager.getRepository(Post).create({
      authorId: author.id,
      body,
      timestamp: new Date(),
      // Delivered to followers after commit, from the first follower on.
      fanoutAfter: author.followersCount > 0 ? 0 : null,
    });
    await manager.getRepository(Post).insert(post);
    await manager.getRepository(TimelineEntry).insert({
      userId: author.id,
      postId: post.id,
      authorId: author.id,
      timestamp: post.timestamp,
    });
    await manager.getRepository(User).increment({ id: author.id }, 'postsCount', 1);
    author.postsCount += 1;
    return post;
  }

  /**
   * A mention notifies unless either blocked the other, or the person mentioned takes
   * mentions only from people they follow and does not follow the author.
   */
  private async mentionReaches(manager: EntityManager, author: User, recipient: User) {
    if (await this.blocks.eitherBlocked(manager, author.id, recipient.id)) {
      return false;
    }
    return (
      !recipient.mentionsFromFollowingOnly || this.follows.isFollowing(recipient, author, manager)
    );
  }
}
