import { Module, OnModuleInit } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { BlocksModule } from '../blocks/blocks.module';
import { FollowsModule } from '../follows/follows.module';
import { FollowsService } from '../follows/follows.service';
import { NotificationsModule } from '../notifications/notifications.module';
import { UsersModule } from '../users/users.module';
import { PostFanoutService } from './post-fanout.service';
import { Post } from './post.entity';
import { PostsController } from './posts.controller';
import { PostsService } from './posts.service';
import { TimelineEntry } from './timeline-entry.entity';
import { addAuthorToTimeline, removeAuthorFromTimeline } from './timeline-entries';

@Module({
  imports: [
    TypeOrmModule.forFeature([Post, TimelineEntry]),
    UsersModule,
    BlocksModule,
    FollowsModule,
    NotificationsModule,
  ],
  controllers: [PostsController],
  providers: [PostsService, PostFanoutService],
  exports: [PostsService],
})
export class PostsModule implements OnModuleInit {
  constructor(private readonly follows: FollowsService) {}

  onModuleInit(): void {
    // A follow brings the followed user's recent posts into the follower's timeline; an
    // unfollow (or a block) takes them all out.
    this.follows.onChange((tx, follower, followed, following) =>
      following
        ? addAuthorToTimeline(tx.manager, follower.id, followed.id)
        : removeAuthorFromTimeline(tx.manager, follower.id, followed.id),
    );
  }
}
