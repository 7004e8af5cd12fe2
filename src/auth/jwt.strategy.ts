import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { PassportStrategy } from '@nestjs/passport';
import type { Request } from 'express';
import { ExtractJwt, Strategy } from 'passport-jwt';
import { wantsJson } from '../common/http/wants-json';
import { isLanguage } from '../common/i18n/languages';
import { AllConfigType } from '../config/config.type';
import { User } from '../users/user.entity';
import { UsersService } from '../users/users.service';
import { authCookieOf } from './auth-cookie';
import { attachSession } from './decorators';
import { jwtKey } from './jwt-key';
import { SessionsService } from './sessions.service';

export interface JwtPayload {
  sub: number;
  /** The server-side session (see Session): gone after logout, so the token is refused. */
  sid: string;
}

/** HS256 only: tokens signed otherwise (including alg "none") are refused. */
function verifyOptions(config: ConfigService<AllConfigType, true>) {
  return {
    // A KeyObject works with jsonwebtoken underneath; the typings only list string | Buffer.
    secretOrKey: jwtKey(config.getOrThrow('auth.jwtSecret', { infer: true })) as unknown as Buffer,
    algorithms: ['HS256' as const],
    ignoreExpiration: false,
    passReqToCallback: true as const,
  };
}

/**
 * Requests of routes marked @SkipLastSeen(), as the guard finds them before the token is
 * checked. A WeakSet rather than a flag on the request: a property added to an Express
 * request copies its hidden class, on every request.
 */
const notVisits = new WeakSet<Request>();

/** Leaves the user's last_seen alone for this request (see JwtAuthGuard). */
export function skipLastSeen(req: Request): void {
  notVisits.add(req);
}

/**
 * Checks a token's claims against the database: its session is live and its user enabled.
 * Both strategies share it, so pages, feeds, the stream and the API refuse the same tokens.
 */
@Injectable()
export class TokenValidator {
  constructor(
    private readonly sessions: SessionsService,
    private readonly users: UsersService,
  ) {}

  async validate(req: Request, payload: JwtPayload): Promise<User | false> {
    const { sub, sid } = payload;
    if (typeof sub !== 'number' || typeof sid !== 'string') {
      return false;
    }
    const user = await this.sessions.activeUser(sub, sid);
    if (!user) {
      return false;
    }
    attachSession(req, { id: sid, userId: sub });
    if (!notVisits.has(req)) {
      // A page is read in the request's language; JSON (the API, feeds) says nothing of it.
      const language = (req as Request & { i18nLang?: unknown }).i18nLang;
      await this.users.recordVisit(
        user,
        !wantsJson(req) && isLanguage(language) ? language : undefined,
      );
    }
    return user;
  }
}

/**
 * Browser pages: reads the JWT from the httpOnly cookie (EventSource can't send headers) or
 * from `Authorization: Bearer`, and loads the user it names.
 */
@Injectable()
export class JwtStrategy extends PassportStrategy(Strategy, 'jwt') {
  constructor(
    config: ConfigService<AllConfigType, true>,
    private readonly tokens: TokenValidator,
  ) {
    super({
      jwtFromRequest: ExtractJwt.fromExtractors([
        authCookieOf,
        ExtractJwt.fromAuthHeaderAsBearerToken(),
      ]),
      ...verifyOptions(config),
    });
  }

  validate(req: Request, payload: JwtPayload): Promise<User | false> {
    return this.tokens.validate(req, payload);
  }
}

/**
 * The JSON API: `Authorization: Bearer` only. The cookie is ignored, so a page on another
 * site can't make a logged-in browser call the API (no CSRF through the API).
 */
@Injectable()
export class JwtBearerStrategy extends PassportStrategy(Strategy, 'jwt-bearer') {
  constructor(
    config: ConfigService<AllConfigType, true>,
    private readonly tokens: TokenValidator,
  ) {
    super({ jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(), ...verifyOptions(config) });
  }

  validate(req: Request, payload: JwtPayload): Promise<User | false> {
    return this.tokens.validate(req, payload);
  }
}
