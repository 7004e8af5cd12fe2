import { ApiExcludeController } from '@nestjs/swagger';
import { Body, Controller, Get, Post, Query, Render, Req, Res, UseFilters } from '@nestjs/common';
import type { Request, Response } from 'express';
import { CurrentUser } from '../auth/decorators';
import { IdParam } from '../common/api/id-param';
import { formNextOr } from '../common/http/safe-redirect';
import { RateLimit } from '../common/http/rate-limit';
import { validateForm } from '../common/forms/validate-form';
import { flash } from '../common/views/flash';
import { User } from '../users/user.entity';
import { CreatePostDto } from './dto/create-post.dto';
import { POST_MAX } from './post.entity';
import { PostRateLimitedFilter } from './post-rate-limited.filter';
import { PostsService } from './posts.service';

/** At most this many posts in one live fetch. */
const LIVE_FETCH_MAX = 50;

/** `?ids=3,2,1` as distinct positive ids, at most LIVE_FETCH_MAX; junk is left out. */
export function parseIds(raw: unknown): number[] {
  const ids = (typeof raw === 'string' ? raw : '')
    .split(',')
    .filter((id) => /^[1-9]\d{0,9}$/.test(id))
    .map(Number)
    .filter((id) => id <= 2 ** 31 - 1);
  return [...new Set(ids)].slice(0, LIVE_FETCH_MAX);
}

@Controller('posts')
// Browser forms and fragments, not part of the documented JSON API.
@ApiExcludeController()
export class PostsController {
  constructor(private readonly posts: PostsService) {}

  /** The home page's form: the post, then back to where it was written. */
  @Post()
  @RateLimit('send', 'send-address')
  @UseFilters(PostRateLimitedFilter)
  async create(
    @Body() body: unknown,
    @CurrentUser() me: User,
    @Req() req: Request,
    @Res() res: Response,
  ) {
    const result = validateForm(CreatePostDto, body);
    if (!result.ok) {
      return res.status(400).render('posts/form', {
        form: { post: typeof result.value.post === 'string' ? result.value.post : '' },
        errors: result.errors,
        max: POST_MAX,
      });
    }
    await this.posts.create(me, result.value.post);
    flash(req, res, { category: 'success', key: 'posts.posted' });
    return res.redirect(302, formNextOr(req.body, '/'));
  }

  @Post(':id/delete')
  async remove(
    @IdParam() id: number,
    @CurrentUser() me: User,
    @Req() req: Request,
    @Res() res: Response,
  ) {
    await this.posts.removeOwn(me, id);
    flash(req, res, { category: 'success', key: 'posts.deleted' });
    return res.redirect(302, formNextOr(req.body, '/'));
  }

  /** The posts a live page was told of, rendered as the page renders them (escaped alike). */
  @Get('live')
  @Render('posts/live')
  async live(@Query('ids') ids: unknown, @CurrentUser() me: User) {
    const posts = await this.posts.visibleTo(me, parseIds(ids));
    return { layout: false, posts: await this.posts.views(posts, me) };
  }
}
