import { EntityManager, SelectQueryBuilder } from 'typeorm';
import { Block } from '../blocks/block.entity';
import { Post } from './post.entity';
import { TimelineEntry } from './timeline-entry.entity';

/**
 * The three timelines, each newest first and each one index range scan read backwards, never a
 * sort: the pages stay as fast at 10^6 posts as at 10^3 (bench/timeline.ts shows the plans).
 * Callers add offset and limit.
 */

/** The user's home timeline: their posts and those of the people they follow. */
export function homeTimelineQuery(
  manager: EntityManager,
  userId: number,
): SelectQueryBuilder<Post> {
  return manager
    .getRepository(Post)
    .createQueryBuilder('p')
    .innerJoin(TimelineEntry, 't', 't.post_id = p.id')
    .innerJoinAndSelect('p.author', 'author')
    .where('t.user_id = :userId', { userId })
    .orderBy('t.timestamp', 'DESC')
    .addOrderBy('t.post_id', 'DESC');
}

/** Everyone's posts, without those of the people `viewerId` blocked. */
export function exploreQuery(manager: EntityManager, viewerId: number): SelectQueryBuilder<Post> {
  const blocked = manager
    .createQueryBuilder()
    .subQuery()
    .select('1')
    .from(Block, 'b')
    .where('b.blocker_id = :viewerId AND b.blocked_id = p.author_id')
    .getQuery();
  // A LEFT join (every post has an author): with an inner join MariaDB starts from the smaller
  // users table and sorts the whole join; this way it reads IDX_posts_timestamp backwards.
  return manager
    .getRepository(Post)
    .createQueryBuilder('p')
    .leftJoinAndSelect('p.author', 'author')
    .where(`NOT EXISTS ${blocked}`, { viewerId })
    .orderBy('p.timestamp', 'DESC')
    .addOrderBy('p.id', 'DESC');
}

/** One user's posts. */
export function profileQuery(manager: EntityManager, authorId: number): SelectQueryBuilder<Post> {
  return manager
    .getRepository(Post)
    .createQueryBuilder('p')
    .innerJoinAndSelect('p.author', 'author')
    .where('p.author_id = :authorId', { authorId })
    .orderBy('p.timestamp', 'DESC')
    .addOrderBy('p.id', 'DESC');
}
