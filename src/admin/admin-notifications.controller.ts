import {
  Body,
  Controller,
  Get,
  HttpCode,
  Post,
  Query,
  Req,
} from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiCreatedResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiPayloadTooLargeResponse,
} from '@nestjs/swagger';
import type { Request } from 'express';
import { ErrorDto } from '../common/api/error.dto';
import { paginate, PaginatedDto, toPageRequest } from '../common/api/paginated';
import { NotificationsService } from '../notifications/notifications.service';
import { AdminApi } from './admin-api.decorator';
import {
  AdminNotificationDto,
  mapAdminNotification,
  NotificationQueryDto,
  SendNotificationDto,
  SendNotificationResultDto,
} from './dto/admin-notification.dto';

const NotificationPage = PaginatedDto(AdminNotificationDto, 'AdminNotificationPage');

@AdminApi('admin: notifications')
@ApiBadRequestResponse({ type: ErrorDto, description: 'Invalid query or body' })
@Controller('api/admin/notifications')
export class AdminNotificationsController {
  constructor(
    private readonly notifications: NotificationsService,
  ) {}

  @Get()
  @HttpCode(200)
  @ApiOperation({ summary: 'Stored notifications, newest first, by user id and/or name' })
  @ApiOkResponse({ type: NotificationPage })
  async list(@Query() query: NotificationQueryDto, @Req() req: Request) {
    const page = toPageRequest(query);
    const [rows, total] = await this.notifications.list(
      { userId: query.user, name: query.name },
      page,
    );
    return paginate(req, page, rows.map(mapAdminNotification), total);
  }

  @Post()
  @HttpCode(201)
  @ApiOperation({
    summary:
      'Notify one user or all users (replaces their notification of that name); delivered live',
  })
  @ApiCreatedResponse({ type: SendNotificationResultDto })
  @ApiNotFoundResponse({ type: ErrorDto, description: 'Unknown user id' })
  @ApiPayloadTooLargeResponse({ type: ErrorDto })
  async send(@Body() body: SendNotificationDto): Promise<SendNotificationResultDto> {
    if (body.user === 'all') {
      return { users: await this.notifications.announce(body.name, body.data) };
    }
    await this.notifications.notifyUser(body.user, body.name, body.data);
    return { users: 1 };
  }
}
