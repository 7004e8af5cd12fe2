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
import { PostsService } from '../posts/posts.service';
import { AdminApi } from './admin-api.decorator';
import { AdminPostDto, mapAdminPost, PostQueryDto } from './dto/admin-post.dto';

const PostPage = PaginatedDto(AdminPostDto, 'AdminPostPage');

@AdminApi('admin: posts')
@ApiBadRequestResponse({ type: ErrorDto, description: 'Invalid id or query' })
@Controller('api/admin/posts')
export class AdminPostsController {
  constructor(private readonly posts: PostsService) {}

  @Get()
  @HttpCode(200)
  @ApiOperation({
    summary: "List posts, newest first, by text or author's username (q) and/or author id",
  })
  @ApiOkResponse({ type: PostPage })
  async list(@Query() query: PostQueryDto, @Req() req: Request) {
    const page = toPageRequest(query);
    const [posts, total] = await this.posts.search(query.q, query.author, page);
    return paginate(req, page, posts.map(mapAdminPost), total);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({
    summary:
      'Delete a post (moderation): it leaves every timeline, its mentions leave the notification centers, open pages drop it',
  })
  @ApiNoContentResponse()
  @ApiNotFoundResponse({ type: ErrorDto })
  @ApiParam(ID_PARAM)
  remove(@IdParam() id: number): Promise<void> {
    return this.posts.remove(id);
  }
}
