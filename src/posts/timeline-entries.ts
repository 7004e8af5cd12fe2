import { EntityManager } from 'typeorm';
import { TimelineEntry } from './timeline-entry.entity';

/** How many of a newly followed user's posts join the follower's timeline. */
export const FOLLOW_BACKFILL = 200;

/** The author's newest posts join the user's home timeline (a new follow). */
export async function addAuthorToTimeline(
  manager: EntityManager,
  userId: number,
  authorId: number,
): Promise<void> {
  const ignore = manager.connection.options.type === 'better-sqlite3' ? 'OR IGNORE' : 'IGNORE';
  await manager.query(
    `INSERT ${ignore} INTO timeline_entries (user_id, post_id, author_id, timestamp)
     SELECT ?, id, author_id, timestamp FROM posts
     WHERE author_id = ? ORDER BY timestamp DESC, id DESC LIMIT ${FOLLOW_BACKFILL}`,
    [userId, authorId],
  );
}

/** Every post of the author leaves the user's home timeline (an unfollow or a block). */
export async function removeAuthorFromTimeline(
  manager: EntityManager,
  userId: number,
  authorId: number,
): Promise<void> {
  await manager.getRepository(TimelineEntry).delete({ userId, authorId });
}
