import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { PassportStrategy } from '@nestjs/passport';
import { ExtractJwt, Strategy } from 'passport-jwt';
import { AllConfigType } from '../config/config.type';
import { User } from '../users/user.entity';
import { UsersService } from '../users/users.service';
import { authCookieOf } from './auth-cookie';

export interface JwtPayload {
  sub: number;
}

/**
 * Reads the JWT from the httpOnly cookie (browser pages; EventSource can't send headers) or
 * from `Authorization: Bearer` (API clients), and loads the user it names.
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
      secretOrKey: config.getOrThrow('auth.jwtSecret', { infer: true }),
      algorithms: ['HS256'],
      ignoreExpiration: false,
    });
  }

  async validate(payload: JwtPayload): Promise<User | false> {
    const user = typeof payload.sub === 'number' ? await this.users.findById(payload.sub) : null;
    if (!user) {
      return false;
    }
    await this.users.touchLastSeen(user);
    return user;
  }
}
