import { ApiExcludeController } from '@nestjs/swagger';
import { Body, Controller, Get, Post, Query, Render, Req, Res } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { Request, Response } from 'express';
import { CurrentUser } from '../auth/decorators';
import { lookaheadPager, parsePage } from '../common/pagination';
import { flash } from '../common/views/flash';
import { AllConfigType } from '../config/config.type';
import { User } from '../users/user.entity';
import { NotificationCenterService } from './notification-center.service';
import {
  NotificationPreferencesService,
  parsePreferences,
} from './notification-preferences.service';

/**
 * The notification center (a page: the tutorial's GET /notifications?since= stays the JSON it
 * was) and the notification preferences of the settings page.
 */
@Controller('notifications')
// Browser pages and forms, not part of the documented JSON API.
@ApiExcludeController()
export class NotificationCenterController {
  constructor(
    private readonly center: NotificationCenterService,
    private readonly preferences: NotificationPreferencesService,
    private readonly config: ConfigService<AllConfigType, true>,
  ) {}

  /** Opening the page marks everything seen (every tab's bell goes to 0). */
  @Get('center')
  @Render('notifications/center')
  async page(@CurrentUser() me: User, @Query('page') rawPage: unknown) {
    const page = parsePage(rawPage, this.config.getOrThrow('app.postsPerPage', { infer: true }));
    const seenBefore = await this.center.markSeen(me);
    const fetched = await this.center.page(me, page);
    return {
      groups: await this.center.views(fetched.slice(0, page.perPage), seenBefore),
      pager: lookaheadPager('/notifications/center', page, fetched.length),
      // The bell of this page is already cleared.
      unseenNotifications: 0,
    };
  }

  @Post('preferences')
  async savePreferences(
    @Body() body: unknown,
    @CurrentUser() me: User,
    @Req() req: Request,
    @Res() res: Response,
  ) {
    await this.preferences.save(me, parsePreferences(body));
    flash(req, res, { category: 'success', key: 'notifications.preferences_saved' });
    return res.redirect(302, '/edit_profile#notification-preferences');
  }
}
