import { Controller, Get, HttpCode } from '@nestjs/common';
import { ApiOkResponse, ApiOperation } from '@nestjs/swagger';
import { FollowsService } from '../follows/follows.service';
import { MessagesService } from '../messages/messages.service';
import { NotificationCenterService } from '../notifications/notification-center.service';
import { NotificationStreamService } from '../notifications/notification-stream.service';
import { NotificationsService } from '../notifications/notifications.service';
import { PostsService } from '../posts/posts.service';
import { UsersService } from '../users/users.service';
import { AdminApi } from './admin-api.decorator';
import { StatsDto } from './dto/stats.dto';

@AdminApi('admin: stats')
@Controller('api/admin/stats')
export class AdminStatsController {
  constructor(
    private readonly users: UsersService,
    private readonly messages: MessagesService,
    private readonly notifications: NotificationsService,
    private readonly posts: PostsService,
    private readonly follows: FollowsService,
    private readonly center: NotificationCenterService,
    private readonly streams: NotificationStreamService,
  ) {}

  @Get()
  @HttpCode(200)
  @ApiOperation({
    summary:
      'Counts of users, messages, notifications, posts, follows, notification center lines and open streams',
  })
  @ApiOkResponse({ type: StatsDto })
  async stats(): Promise<StatsDto> {
    const [users, messages, notifications, posts, follows, groups] = await Promise.all([
      this.users.count(),
      this.messages.count(),
      this.notifications.count(),
      this.posts.count(),
      this.follows.count(),
      this.center.count(),
    ]);
    return {
      users,
      messages,
      notifications,
      posts,
      follows,
      notification_groups: groups,
      open_streams: this.streams.openCount,
    };
  }
}
