import {
  BadRequestException,
  Body,
  Controller,
  Get,
  HttpCode,
  NotFoundException,
  Patch,
  Query,
  Req,
} from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
} from '@nestjs/swagger';
import type { Request } from 'express';
import { SessionsService } from '../auth/sessions.service';
import { CurrentUser } from '../auth/decorators';
import { ErrorDto } from '../common/api/error.dto';
import { paginate, PaginatedDto, toPageRequest } from '../common/api/paginated';
import { ID_PARAM, IdParam } from '../common/api/id-param';
import { MessagesService } from '../messages/messages.service';
import { Role, User } from '../users/user.entity';
import { UsersService } from '../users/users.service';
import { AdminApi } from './admin-api.decorator';
import { AdminUserDto, mapAdminUser, UpdateUserDto, UserQueryDto } from './dto/admin-user.dto';

const UserPage = PaginatedDto(AdminUserDto, 'AdminUserPage');

@AdminApi('admin: users')
@ApiBadRequestResponse({ type: ErrorDto, description: 'Invalid id, query or body' })
@Controller('api/admin/users')
export class AdminUsersController {
  constructor(
    private readonly users: UsersService,
    private readonly messages: MessagesService,
    private readonly sessions: SessionsService,
  ) {}

  @Get()
  @HttpCode(200)
  @ApiOperation({ summary: 'List users, optionally matching q' })
  @ApiOkResponse({ type: UserPage })
  async list(@Query() query: UserQueryDto, @Req() req: Request) {
    const page = toPageRequest(query);
    const [users, total] = await this.users.search(query.q, page);
    const unread = await this.messages.unreadCounts(users);
    return paginate(
      req,
      page,
      users.map((u) => mapAdminUser(u, unread.get(u.id) ?? 0)),
      total,
    );
  }

  @Get(':id')
  @HttpCode(200)
  @ApiOperation({ summary: 'One user' })
  @ApiOkResponse({ type: AdminUserDto })
  @ApiNotFoundResponse({ type: ErrorDto })
  @ApiParam(ID_PARAM)
  async get(@IdParam() id: number): Promise<AdminUserDto> {
    return this.view(await this.find(id));
  }

  @Patch(':id')
  @HttpCode(200)
  @ApiOperation({ summary: 'Change role, disable (logs the user out everywhere) or edit about_me' })
  @ApiOkResponse({ type: AdminUserDto })
  @ApiNotFoundResponse({ type: ErrorDto })
  @ApiParam(ID_PARAM)
  async update(
    @IdParam() id: number,
    @Body() body: UpdateUserDto,
    @CurrentUser() admin: User,
  ): Promise<AdminUserDto> {
    const user = await this.find(id);
    if (user.id === admin.id && (body.disabled === true || body.role === Role.User)) {
      throw new BadRequestException('errors.admin_self_lockout');
    }
    await this.users.update(user, {
      ...(body.role !== undefined ? { role: body.role } : {}),
      ...(body.disabled !== undefined ? { disabled: body.disabled } : {}),
      ...(body.about_me !== undefined ? { aboutMe: body.about_me || null } : {}),
    });
    if (body.disabled) {
      await this.sessions.endAll(user.id);
    }
    return this.view(user);
  }

  private async find(id: number): Promise<User> {
    const user = await this.users.findById(id);
    if (!user) {
      throw new NotFoundException('errors.user_not_found');
    }
    return user;
  }

  private async view(user: User): Promise<AdminUserDto> {
    return mapAdminUser(user, await this.messages.unreadCount(user));
  }
}
