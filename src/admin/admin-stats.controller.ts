import { Controller, Get, HttpCode } from '@nestjs/common';
import { ApiOkResponse, ApiOperation } from '@nestjs/swagger';
import { MessagesService } from '../messages/messages.service';
import { NotificationStreamService } from '../notifications/notification-stream.service';
import { NotificationsService } from '../notifications/notifications.service';
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
    private readonly streams: NotificationStreamService,
  ) {}

  @Get()
  @HttpCode(200)
  @ApiOperation({ summary: 'Counts of users, messages, notifications and open streams' })
  @ApiOkResponse({ type: StatsDto })
  async stats(): Promise<StatsDto> {
    const [users, messages, notifications] = await Promise.all([
      this.users.count(),
      this.messages.count(),
      this.notifications.count(),
    ]);
    return { users, messages, notifications, open_streams: this.streams.openCount };
  }
}
