import { ApiExcludeController } from '@nestjs/swagger';
import { Body, Controller, Get, Param, Post, Req, Res, UseFilters } from '@nestjs/common';
import type { Request, Response } from 'express';
import { validateForm } from '../common/forms/validate-form';
import { RateLimit } from '../common/http/rate-limit';
import { flash } from '../common/views/flash';
import { User } from '../users/user.entity';
import { CurrentUser, Public } from './decorators';
import { ChangeEmailDto } from './dto/change-email.dto';
import { EmailChangeService } from './email-change.service';
import { EmailConfirmationService } from './email-confirmation.service';
import { FormRateLimitedFilter, submittedText } from './form-rate-limited.filter';

const EMAIL_SECTION = '/edit_profile#email-address';

@Controller()
// Browser pages, not part of the documented JSON API.
@ApiExcludeController()
export class EmailConfirmationController {
  constructor(
    private readonly confirmations: EmailConfirmationService,
    private readonly changes: EmailChangeService,
  ) {}

  /** The link from the email: confirms the address it went to, if the account still has it. */
  @Public()
  @Get('auth/confirm_email/:link')
  async confirm(
    @Param('link') link: string,
    @CurrentUser() me: User | undefined,
    @Req() req: Request,
    @Res() res: Response,
  ) {
    const confirmed = await this.confirmations.confirm(link);
    if (!confirmed) {
      return res.status(410).render('auth/link-invalid', {
        explanationKey: 'account.confirmation_link_invalid_help',
        retryPath: EMAIL_SECTION,
        retryKey: 'account.go_to_profile',
      });
    }
    flash(req, res, {
      category: 'success',
      key: 'account.email_confirmed',
      args: { email: confirmed.email },
    });
    // The owner back to their address; someone else logged in here is not shown their page.
    const mine = me?.id === confirmed.userId;
    return res.redirect(302, mine ? EMAIL_SECTION : me ? '/' : '/auth/login');
  }

  @Get('edit_profile/email')
  changeForm(@CurrentUser() me: User, @Res() res: Response) {
    return res.render('auth/change-email', { form: {}, currentEmail: me.email });
  }

  @Post('edit_profile/email')
  @RateLimit('email-change')
  @UseFilters(
    new FormRateLimitedFilter('auth/change-email', (req) => ({
      form: { email: submittedText(req, 'email') },
      currentEmail: (req.user as User).email,
    })),
  )
  async change(
    @Body() body: unknown,
    @CurrentUser() me: User,
    @Req() req: Request,
    @Res() res: Response,
  ) {
    const result = validateForm(ChangeEmailDto, body);
    const errors = result.ok ? await this.changes.change(me, result.value) : result.errors;
    if (errors) {
      return res.status(400).render('auth/change-email', {
        form: { email: result.value.email },
        currentEmail: me.email,
        errors,
      });
    }
    flash(req, res, {
      category: 'success',
      key: 'account.email_changed',
      args: { email: result.value.email.toLowerCase() },
    });
    return res.redirect(302, EMAIL_SECTION);
  }

  @Post('edit_profile/email/confirmation')
  @RateLimit('confirmation-resend')
  async resend(@CurrentUser() me: User, @Req() req: Request, @Res() res: Response) {
    const sent = await this.confirmations.resend(me);
    flash(req, res, {
      category: sent ? 'success' : 'info',
      key: sent ? 'account.confirmation_sent' : 'account.already_confirmed',
      args: { email: me.email },
    });
    return res.redirect(302, EMAIL_SECTION);
  }
}
