import { Body, Controller, HttpCode, Post, UnauthorizedException, UseGuards } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  ApiTooManyRequestsResponse,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { ErrorDto } from '../common/api/error.dto';
import { SkipCsrf } from '../common/csrf/csrf.guard';
import { RateLimit } from '../common/http/rate-limit';
import { AuthService } from './auth.service';
import { BearerAuthGuard } from './bearer-auth.guard';
import { AuthSession, CurrentSession, Public } from './decorators';
import { SessionsService } from './sessions.service';
import { TokenRequestDto, TokenResponseDto } from './dto/token.dto';

@ApiTags('auth')
@Controller('api/auth')
@Public()
@SkipCsrf()
export class ApiAuthController {
  constructor(
    private readonly auth: AuthService,
    private readonly sessions: SessionsService,
  ) {}

  @Post('token')
  @HttpCode(200)
  @RateLimit('login')
  @ApiOperation({ summary: 'Exchange a username and password for a bearer token' })
  @ApiOkResponse({ type: TokenResponseDto })
  @ApiBadRequestResponse({ type: ErrorDto, description: 'Malformed body or unknown fields' })
  @ApiUnauthorizedResponse({ type: ErrorDto, description: 'Wrong username or password' })
  @ApiTooManyRequestsResponse({ type: ErrorDto, description: 'Too many attempts (Retry-After)' })
  async token(@Body() body: TokenRequestDto): Promise<TokenResponseDto> {
    const user = await this.auth.authenticate(body.username, body.password);
    if (!user) {
      throw new UnauthorizedException('auth.invalid_credentials');
    }
    const issued = await this.auth.issueToken(user, false);
    return {
      access_token: issued.token,
      token_type: 'Bearer',
      expires_in: issued.expiresInSeconds,
    };
  }

  @Post('logout')
  @HttpCode(204)
  @UseGuards(BearerAuthGuard)
  @ApiBearerAuth()
  @ApiOperation({ summary: "End the bearer token's session: the token is refused from now on" })
  @ApiNoContentResponse({ description: 'The session ended' })
  @ApiUnauthorizedResponse({ type: ErrorDto, description: 'No valid bearer token' })
  async logout(@CurrentSession() session: AuthSession): Promise<void> {
    await this.sessions.end(session.userId, session.id);
  }
}
