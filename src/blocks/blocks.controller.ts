import { ApiExcludeController } from '@nestjs/swagger';
import { Controller, Get, Param, Post, Render, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { CurrentUser } from '../auth/decorators';
import { formNextOr } from '../common/http/safe-redirect';
import { flash } from '../common/views/flash';
import { profilePath, User } from '../users/user.entity';
import { UsersService } from '../users/users.service';
import { BlocksService } from './blocks.service';

@Controller()
// Browser pages, not part of the documented JSON API.
@ApiExcludeController()
export class BlocksController {
  constructor(
    private readonly blocks: BlocksService,
    private readonly users: UsersService,
  ) {}

  /** The settings page of the users one blocked, each with Unblock. */
  @Get('blocked')
  @Render('messages/blocked')
  async list(@CurrentUser() me: User) {
    return { users: await this.blocks.blockedBy(me) };
  }

  @Post('user/:username/block')
  async block(
    @Param('username') username: string,
    @CurrentUser() me: User,
    @Req() req: Request,
    @Res() res: Response,
  ) {
    const other = await this.users.findByUsernameOrFail(username);
    await this.blocks.block(me, other);
    flash(req, res, {
      category: 'success',
      key: 'messages.blocked',
      args: { username: other.username },
    });
    return res.redirect(302, formNextOr(req.body, profilePath(other)));
  }

  @Post('user/:username/unblock')
  async unblock(
    @Param('username') username: string,
    @CurrentUser() me: User,
    @Req() req: Request,
    @Res() res: Response,
  ) {
    const other = await this.users.findByUsernameOrFail(username);
    await this.blocks.unblock(me, other);
    flash(req, res, {
      category: 'success',
      key: 'messages.unblocked',
      args: { username: other.username },
    });
    return res.redirect(302, formNextOr(req.body, profilePath(other)));
  }
}
