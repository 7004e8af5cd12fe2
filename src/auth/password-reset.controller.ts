import { ApiExcludeController } from '@nestjs/swagger';
import { Body, Controller, Get, Param, Post, Req, Res, UseFilters } from '@nestjs/common';
import type { Request, Response } from 'express';
import { validateForm } from '../common/forms/validate-form';
import { RateLimit } from '../common/http/rate-limit';
import { flash } from '../common/views/flash';
import { clearAuthCookie } from './auth-cookie';
import { Public } from './decorators';
import { ForgotPasswordDto } from './dto/forgot-password.dto';
import { ResetPasswordDto } from './dto/reset-password.dto';
import { FormRateLimitedFilter, submittedText } from './form-rate-limited.filter';
import { PasswordResetService, UsableReset } from './password-reset.service';

/** The page for a reset link that can't set a password (410: it will not work again). */
function linkGone(res: Response) {
  return res.status(410).render('auth/link-invalid', {
    explanationKey: 'account.reset_link_invalid_help',
    retryPath: '/auth/forgot_password',
    retryKey: 'account.request_new_link',
  });
}

function resetForm(res: Response, link: string, { user }: UsableReset, status = 200, more = {}) {
  return res.status(status).render('auth/reset-password', {
    link,
    username: user.username,
    form: {},
    ...more,
  });
}

@Controller('auth')
// Browser pages, not part of the documented JSON API.
@ApiExcludeController()
@Public()
export class PasswordResetController {
  constructor(private readonly resets: PasswordResetService) {}

  @Get('forgot_password')
  forgotForm(@Res() res: Response) {
    return res.render('auth/forgot-password', { form: {} });
  }

  /**
   * The same answer for every valid address, known or not, before anything is looked up:
   * the link is sent in the background (see PasswordResetService.request).
   */
  @Post('forgot_password')
  @RateLimit('password-reset', 'password-reset-account')
  @UseFilters(
    new FormRateLimitedFilter('auth/forgot-password', (req) => ({
      form: { email: submittedText(req, 'email') },
    })),
  )
  forgot(@Body() body: unknown, @Req() req: Request, @Res() res: Response) {
    const result = validateForm(ForgotPasswordDto, body);
    if (!result.ok) {
      return res.status(400).render('auth/forgot-password', {
        form: { email: result.value.email },
        errors: result.errors,
      });
    }
    this.resets.request(result.value.email);
    flash(req, res, { category: 'info', key: 'account.reset_sent' });
    return res.redirect(302, '/auth/login');
  }

  /** Shows the form and uses nothing up: mail scanners open links before people do. */
  @Get('reset_password/:link')
  async resetForm(@Param('link') link: string, @Res() res: Response) {
    const reset = await this.resets.check(link);
    return reset ? resetForm(res, link, reset) : linkGone(res);
  }

  /** Sets the password, ends every session of the account, and sends the user to log in. */
  @Post('reset_password/:link')
  async reset(
    @Param('link') link: string,
    @Body() body: unknown,
    @Req() req: Request,
    @Res() res: Response,
  ) {
    const reset = await this.resets.check(link);
    if (!reset) {
      return linkGone(res);
    }
    const result = validateForm(ResetPasswordDto, body);
    if (!result.ok) {
      return resetForm(res, link, reset, 400, { errors: result.errors });
    }
    if (!(await this.resets.reset(reset, result.value.password))) {
      return linkGone(res);
    }
    clearAuthCookie(res);
    flash(req, res, { category: 'success', key: 'account.password_changed' });
    return res.redirect(302, '/auth/login');
  }
}
