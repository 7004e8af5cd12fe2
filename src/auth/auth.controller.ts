import { ApiExcludeController } from '@nestjs/swagger';
import { Body, Controller, Get, HttpCode, Post, Query, Render, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { RateLimit } from '../common/http/rate-limit';
import { safeRedirectTarget } from '../common/http/safe-redirect';
import { validateForm } from '../common/forms/validate-form';
import { flash } from '../common/views/flash';
import { User } from '../users/user.entity';
import { clearAuthCookie, setAuthCookie } from './auth-cookie';
import { AuthService } from './auth.service';
import { AuthSession, CurrentSession, CurrentUser, Public } from './decorators';
import { SessionsService } from './sessions.service';
import { LoginDto } from './dto/login.dto';
import { RegisterDto } from './dto/register.dto';

@Controller('auth')
// Browser pages and feeds, not part of the documented JSON API.
@ApiExcludeController()
export class AuthController {
  constructor(
    private readonly auth: AuthService,
    private readonly sessions: SessionsService,
  ) {}

  @Public()
  @Get('register')
  @Render('auth/register')
  registerForm() {
    return { form: {} };
  }

  @Public()
  @Post('register')
  @RateLimit('register')
  async register(@Body() body: unknown, @Req() req: Request, @Res() res: Response) {
    const result = validateForm(RegisterDto, body);
    const language = (req as Request & { i18nLang?: string }).i18nLang ?? 'en';
    const errors = result.ok ? await this.auth.register(result.value, language) : result.errors;
    if (errors) {
      const { username, email } = result.value;
      return res.status(400).render('auth/register', { form: { username, email }, errors });
    }
    flash(req, res, { category: 'success', key: 'auth.registered' });
    return res.redirect(302, '/auth/login');
  }

  @Public()
  @Get('login')
  loginForm(
    @CurrentUser() user: User | undefined,
    @Query('next') next: unknown,
    @Res() res: Response,
  ) {
    if (user) {
      return res.redirect(302, safeRedirectTarget(next));
    }
    return res.render('auth/login', { form: {}, next: safeRedirectTarget(next, '') });
  }

  @Public()
  @Post('login')
  @RateLimit('login')
  async login(
    @Body() body: unknown,
    @Query('next') next: unknown,
    @Req() req: Request,
    @Res() res: Response,
  ) {
    const result = validateForm(LoginDto, body);
    const user = result.ok
      ? await this.auth.authenticate(result.value.username, result.value.password)
      : null;
    if (!user) {
      return res.status(400).render('auth/login', {
        form: { username: result.value.username, remember_me: result.value.remember_me },
        next: safeRedirectTarget(next, ''),
        errors: result.ok ? {} : result.errors,
        // One message for both parts: no hint whether the username exists.
        formError: result.ok ? 'auth.invalid_credentials' : null,
      });
    }
    const issued = await this.auth.issueToken(user, result.value.remember_me === true);
    setAuthCookie(req, res, issued.token, issued.cookieMaxAgeMs);
    return res.redirect(302, safeRedirectTarget(next));
  }

  /** Ends this browser's session on the server: its token is refused from now on. */
  @Public()
  @Post('logout')
  @HttpCode(302)
  async logout(
    @CurrentSession() session: AuthSession | undefined,
    @Req() req: Request,
    @Res() res: Response,
  ) {
    if (session) {
      await this.sessions.end(session.userId, session.id);
    }
    clearAuthCookie(res);
    flash(req, res, { category: 'info', key: 'auth.logged_out' });
    res.redirect(302, '/');
  }

  /** Ends every session of the user: other browsers, devices and API tokens too. */
  @Post('logout_everywhere')
  @HttpCode(302)
  async logoutEverywhere(@CurrentUser() user: User, @Req() req: Request, @Res() res: Response) {
    await this.sessions.endAll(user.id);
    clearAuthCookie(res);
    flash(req, res, { category: 'info', key: 'auth.logged_out_everywhere' });
    res.redirect(302, '/');
  }
}
