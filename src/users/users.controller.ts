import { ApiExcludeController } from '@nestjs/swagger';
import { Body, Controller, Get, Param, Post, Render, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { CurrentUser, Public } from '../auth/decorators';
import { validateForm } from '../common/forms/validate-form';
import { flash } from '../common/views/flash';
import { identiconSvg } from './avatar';
import { EditProfileDto } from './dto/edit-profile.dto';
import { User } from './user.entity';
import { UsersService } from './users.service';

/** The page's email address section: the address, and when it was confirmed (null: not yet). */
const emailAddress = (me: User) => ({ email: me.email, confirmedAt: me.emailConfirmedAt });

@Controller()
// Browser pages and feeds, not part of the documented JSON API.
@ApiExcludeController()
export class UsersController {
  constructor(private readonly users: UsersService) {}

  @Get('edit_profile')
  @Render('users/edit-profile')
  editProfileForm(@CurrentUser() me: User) {
    // The notification preferences' form on the same page reads the user's own row.
    return {
      form: { username: me.username, about_me: me.aboutMe ?? '' },
      preferences: me,
      emailAddress: emailAddress(me),
    };
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
      return res.status(400).render('users/edit-profile', {
        form: { username, about_me },
        errors,
        preferences: me,
        emailAddress: emailAddress(me),
      });
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
}
