import { Controller, Delete, Get, HttpCode, Query, Req } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
} from '@nestjs/swagger';
import type { Request } from 'express';
import { ErrorDto } from '../common/api/error.dto';
import { paginate, PaginatedDto, toPageRequest } from '../common/api/paginated';
import { ID_PARAM, IdParam } from '../common/api/id-param';
import { MessagesService } from '../messages/messages.service';
import { AdminApi } from './admin-api.decorator';
import { AdminMessageDto, mapAdminMessage, MessageQueryDto } from './dto/admin-message.dto';

const MessagePage = PaginatedDto(AdminMessageDto, 'AdminMessagePage');

@AdminApi('admin: messages')
@ApiBadRequestResponse({ type: ErrorDto, description: 'Invalid id or query' })
@Controller('api/admin/messages')
export class AdminMessagesController {
  constructor(private readonly messages: MessagesService) {}

  @Get()
  @HttpCode(200)
  @ApiOperation({ summary: 'List messages, newest first, by sender and/or recipient id' })
  @ApiOkResponse({ type: MessagePage })
  async list(@Query() query: MessageQueryDto, @Req() req: Request) {
    const page = toPageRequest(query);
    const [messages, total] = await this.messages.list(
      { senderId: query.sender, recipientId: query.recipient },
      page,
    );
    return paginate(req, page, messages.map(mapAdminMessage), total);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: "Delete a message; the recipient's unread count is updated live" })
  @ApiNoContentResponse()
  @ApiNotFoundResponse({ type: ErrorDto })
  @ApiParam(ID_PARAM)
  remove(@IdParam() id: number): Promise<void> {
    return this.messages.remove(id);
  }
}
