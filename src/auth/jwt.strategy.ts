import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { PassportStrategy } from '@nestjs/passport';
import { ExtractJwt, Strategy } from 'passport-jwt';
import { AllConfigType } from '../config/config.type';
import { User } from '../users/user.entity';
import { UsersService } from '../users/users.service';
import { authCookieOf } from './auth-cookie';
import { jwtKey } from './jwt-key';

export interface JwtPayload {
  sub: number;
}

/** HS256 only: tokens signed otherwise (including alg "none") are refused. */
function verifyOptions(config: ConfigService<AllConfigType, true>) {
  return {
    // A KeyObject works with jsonwebtoken underneath; the typings only list string | Buffer.
    secretOrKey: jwtKey(config.getOrThrow('auth.jwtSecret', { infer: true })) as unknown as Buffer,
    algorithms: ['HS256' as const],
    ignoreExpiration: false,
  };
}

/** The user a valid token names, unless they are gone or disabled. */
async function userFor(users: UsersService, payload: JwtPayload): Promise<User | false> {
  const user = typeof payload.sub === 'number' ? await users.findById(payload.sub) : null;
  if (!user || user.disabled) {
    return false;
  }
  await users.touchLastSeen(user);
  return user;
}

/**
 * Browser pages: reads the JWT from the httpOnly cookie (EventSource can't send headers) or
 * from `Authorization: Bearer`, and loads the user it names.
 */
@Injectable()
export class JwtStrategy extends PassportStrategy(Strategy, 'jwt') {
  constructor(
    config: ConfigService<AllConfigType, true>,
    private readonly users: UsersService,
  ) {
    super({
      jwtFromRequest: ExtractJwt.fromExtractors([
        authCookieOf,
        ExtractJwt.fromAuthHeaderAsBearerToken(),
      ]),
      ...verifyOptions(config),
    });
  }

  validate(payload: JwtPayload): Promise<User | false> {
    return userFor(this.users, payload);
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
    private readonly users: UsersService,
  ) {
    super({ jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(), ...verifyOptions(config) });
  }

  validate(payload: JwtPayload): Promise<User | false> {
    return userFor(this.users, payload);
  }
}
