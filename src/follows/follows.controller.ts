import { ApiExcludeController } from '@nestjs/swagger';
import { Controller, Get, Param, Post, Query, Render, Req, Res } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { Request, Response } from 'express';
import { CurrentUser } from '../auth/decorators';
import { formNextOr } from '../common/http/safe-redirect';
import { lookaheadPager, parsePage } from '../common/pagination';
import { flash } from '../common/views/flash';
import { AllConfigType } from '../config/config.type';
import { profilePath, User } from '../users/user.entity';
import { UsersService } from '../users/users.service';
import { FollowsService } from './follows.service';

@Controller('user/:username')
// Browser pages and forms, not part of the documented JSON API.
@ApiExcludeController()
export class FollowsController {
  constructor(
    private readonly follows: FollowsService,
    private readonly users: UsersService,
    private readonly config: ConfigService<AllConfigType, true>,
  ) {}

  @Post('follow')
  async follow(
    @Param('username') username: string,
    @CurrentUser() me: User,
    @Req() req: Request,
    @Res() res: Response,
  ) {
    const other = await this.users.findByUsernameOrFail(username);
    await this.follows.follow(me, other);
    flash(req, res, {
      category: 'success',
      key: 'follows.followed',
      args: { username: other.username },
    });
    return res.redirect(302, formNextOr(req.body, profilePath(other)));
  }

  @Post('unfollow')
  async unfollow(
    @Param('username') username: string,
    @CurrentUser() me: User,
    @Req() req: Request,
    @Res() res: Response,
  ) {
    const other = await this.users.findByUsernameOrFail(username);
    await this.follows.unfollow(me, other);
    flash(req, res, {
      category: 'success',
      key: 'follows.unfollowed',
      args: { username: other.username },
    });
    return res.redirect(302, formNextOr(req.body, profilePath(other)));
  }

  @Get('followers')
  @Render('follows/list')
  followers(
    @Param('username') username: string,
    @CurrentUser() me: User,
    @Query('page') page: unknown,
  ) {
    return this.list(username, me, page, 'followers');
  }

  @Get('following')
  @Render('follows/list')
  following(
    @Param('username') username: string,
    @CurrentUser() me: User,
    @Query('page') page: unknown,
  ) {
    return this.list(username, me, page, 'following');
  }

  private async list(
    username: string,
    me: User,
    rawPage: unknown,
    which: 'followers' | 'following',
  ) {
    const user = await this.users.findByUsernameOrFail(username);
    const page = parsePage(rawPage, this.config.getOrThrow('app.postsPerPage', { infer: true }));
    const fetched = await this.follows[which](user, page);
    const people = fetched.slice(0, page.perPage);
    const followed = await this.follows.followedAmong(
      me,
      people.map((person) => person.id),
    );
    return {
      user,
      which,
      isFollowers: which === 'followers',
      people: people.map((person) => ({
        user: person,
        isMe: person.id === me.id,
        following: followed.has(person.id),
      })),
      pager: lookaheadPager(
        `/user/${encodeURIComponent(user.username)}/${which}`,
        page,
        fetched.length,
      ),
    };
  }
}
