import { Controller, Get, HttpCode, Param, Post, Render } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { Public } from '../auth/decorators';
import { SkipCsrf } from '../common/csrf/csrf.guard';
import { UnsubscribeService } from './unsubscribe.service';

/**
 * The unsubscribe link of notification emails, for people who are not logged in (it works in
 * any browser, and from the mail client itself).
 */
@Controller('unsubscribe')
// Browser pages, not part of the documented JSON API.
@ApiExcludeController()
@Public()
export class UnsubscribeController {
  constructor(private readonly unsubscribe: UnsubscribeService) {}

  /** Asks first: mail scanners and link previews open links, and must unsubscribe nobody. */
  @Get(':token')
  @Render('digests/unsubscribe')
  confirm(@Param('token') token: string) {
    return this.unsubscribe.page(token);
  }

  /**
   * RFC 8058 one-click: the mail client posts `List-Unsubscribe=One-Click` here with no cookies,
   * so there is no CSRF token to check; the signed link is the proof instead (a forged or
   * altered one is refused). The page's button posts the same.
   */
  @Post(':token')
  @SkipCsrf()
  @HttpCode(200)
  @Render('digests/unsubscribed')
  confirmed(@Param('token') token: string) {
    return this.unsubscribe.unsubscribe(token);
  }
}
