import { ApiExcludeController } from '@nestjs/swagger';
import {
  Body,
  Controller,
  Get,
  NotFoundException,
  Param,
  Post,
  Query,
  Render,
  Req,
  Res,
} from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { Request, Response } from 'express';
import { CurrentUser, Public } from '../auth/decorators';
import { buildPager, parsePage } from '../common/pagination';
import { validateForm } from '../common/forms/validate-form';
import { flash } from '../common/views/flash';
import { AllConfigType } from '../config/config.type';
import { identiconSvg } from './avatar';
import { EditProfileDto } from './dto/edit-profile.dto';
import { User } from './user.entity';
import { searchTerm } from './user-search';
import { UsersService } from './users.service';

@Controller()
// Browser pages and feeds, not part of the documented JSON API.
@ApiExcludeController()
export class UsersController {
  constructor(
    private readonly users: UsersService,
    private readonly config: ConfigService<AllConfigType, true>,
  ) {}

  @Get('explore')
  @Render('explore')
  explore(@Query('page') page: unknown, @Query('q') q: unknown) {
    return this.userList('/explore', page, searchTerm(q));
  }

  @Get('user/:username')
  @Render('users/profile')
  async profile(@Param('username') username: string, @CurrentUser() me: User) {
    const user = await this.users.findByUsername(username);
    if (!user) {
      throw new NotFoundException('errors.user_not_found');
    }
    return { user, isMe: user.id === me.id };
  }

  @Get('edit_profile')
  @Render('users/edit-profile')
  editProfileForm(@CurrentUser() me: User) {
    return { form: { username: me.username, about_me: me.aboutMe ?? '' } };
  }

  @Post('edit_profile')
  async editProfile(
    @Body() body: unknown,
    @CurrentUser() me: User,
    @Req() req: Request,
    @Res() res: Response,
  ) {
    const result = validateForm(EditProfileDto, body);
    const { username, about_me } = result.value;
    const errors = result.ok
      ? await this.users.editProfile(me, { username, aboutMe: about_me || null })
      : result.errors;
    if (errors) {
      return res.status(400).render('users/edit-profile', { form: { username, about_me }, errors });
    }
    flash(req, res, { category: 'success', key: 'users.profile_saved' });
    return res.redirect(302, '/edit_profile');
  }

  @Public()
  @Get('avatars/:username')
  avatar(@Param('username') username: string, @Res() res: Response) {
    res
      .type('image/svg+xml')
      .set('Cache-Control', 'public, max-age=86400')
      .send(identiconSvg(username.slice(0, 64)));
  }

  /** All users by name, or those whose name starts with `q` when it is given. */
  private async userList(basePath: string, rawPage: unknown, q = '') {
    const perPage = this.config.getOrThrow('app.postsPerPage', { infer: true });
    const page = parsePage(rawPage, perPage);
    const [users, total] = q
      ? await this.users.searchByPrefix(q, page)
      : await this.users.list(page);
    return { users, q, pager: buildPager(basePath, page, total, { q }) };
  }
}
