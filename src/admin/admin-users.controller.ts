import { Body, Controller, Get, HttpCode, Patch, Query, Req } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
} from '@nestjs/swagger';
import type { Request } from 'express';
import { CurrentUser } from '../auth/decorators';
import { ErrorDto } from '../common/api/error.dto';
import { paginate, PaginatedDto, toPageRequest } from '../common/api/paginated';
import { ID_PARAM, IdParam } from '../common/api/id-param';
import { User } from '../users/user.entity';
import { AdminApi } from './admin-api.decorator';
import { AdminUsersService } from './admin-users.service';
import { AdminUserDto, UpdateUserDto, UserQueryDto } from './dto/admin-user.dto';

const UserPage = PaginatedDto(AdminUserDto, 'AdminUserPage');

@AdminApi('admin: users')
@ApiBadRequestResponse({ type: ErrorDto, description: 'Invalid id, query or body' })
@Controller('api/admin/users')
export class AdminUsersController {
  constructor(private readonly adminUsers: AdminUsersService) {}

  @Get()
  @HttpCode(200)
  @ApiOperation({ summary: 'List users, optionally matching q' })
  @ApiOkResponse({ type: UserPage })
  async list(@Query() query: UserQueryDto, @Req() req: Request) {
    const page = toPageRequest(query);
    const [users, total] = await this.adminUsers.search(query.q, page);
    return paginate(req, page, users, total);
  }

  @Get(':id')
  @HttpCode(200)
  @ApiOperation({ summary: 'One user' })
  @ApiOkResponse({ type: AdminUserDto })
  @ApiNotFoundResponse({ type: ErrorDto })
  @ApiParam(ID_PARAM)
  get(@IdParam() id: number): Promise<AdminUserDto> {
    return this.adminUsers.get(id);
  }

  @Patch(':id')
  @HttpCode(200)
  @ApiOperation({ summary: 'Change role, disable (logs the user out everywhere) or edit about_me' })
  @ApiOkResponse({ type: AdminUserDto })
  @ApiNotFoundResponse({ type: ErrorDto })
  @ApiParam(ID_PARAM)
  update(
    @IdParam() id: number,
    @Body() body: UpdateUserDto,
    @CurrentUser() admin: User,
  ): Promise<AdminUserDto> {
    return this.adminUsers.update(admin, id, body);
  }
}
