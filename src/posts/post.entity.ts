import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { TIMESTAMP_COLUMN, User } from '../users/user.entity';

export const POST_MAX = 140;
/** Code points the column holds: 140 visible characters may take several each. */
export const POST_COLUMN_LENGTH = 1000;

@Entity({ name: 'posts' })
// A profile's posts, newest first: one index range scan, read backwards.
@Index('IDX_posts_author_timestamp', ['authorId', 'timestamp', 'id'])
// Explore (everyone's posts, newest first): the same, over the whole table.
@Index('IDX_posts_timestamp', ['timestamp', 'id'])
// Search on MariaDB/MySQL: an InnoDB FULLTEXT index, kept in step by every write's transaction.
// SQLite has no FULLTEXT index (TypeORM would build a B-tree over every body there): `where`,
// which the MySQL driver leaves out, makes it an empty partial index on SQLite, and the FTS5
// table posts_fts with its triggers (the SQLite migration Search, written by hand: the CLI
// knows neither) does the searching. A migration that rebuilds posts on SQLite drops those
// triggers with the old table and must create them again as that migration does.
@Index('IDX_posts_body_fulltext', ['body'], { fulltext: true, where: '0' })
export class Post {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column({ name: 'author_id', type: 'int' })
  authorId!: number;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'author_id' })
  author!: User;

  @Column({ type: 'varchar', length: POST_COLUMN_LENGTH })
  body!: string;

  @Column(TIMESTAMP_COLUMN)
  timestamp!: Date;

  /**
   * The follower id the post's delivery to home timelines has reached; null once every
   * follower has it. Delivery runs in batches after the post commits, and a process that
   * stopped half-way resumes from here.
   */
  @Index()
  @Column({ name: 'fanout_after', type: 'int', nullable: true })
  fanoutAfter!: number | null;
}
