import { Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { JwtModule } from '@nestjs/jwt';
import { PassportModule } from '@nestjs/passport';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AllConfigType } from '../config/config.type';
import { MailModule } from '../mail/mail.module';
import { UsersModule } from '../users/users.module';
import { AuthController } from './auth.controller';
import { AuthService } from './auth.service';
import { ApiAuthController } from './api-auth.controller';
import { EmailChangeService } from './email-change.service';
import { EmailConfirmationController } from './email-confirmation.controller';
import { EmailConfirmationService } from './email-confirmation.service';
import { EmailToken } from './email-token.entity';
import { EmailTokensService } from './email-tokens.service';
import { jwtKey } from './jwt-key';
import { JwtBearerStrategy, JwtStrategy, TokenValidator } from './jwt.strategy';
import { PasswordResetController } from './password-reset.controller';
import { PasswordResetService } from './password-reset.service';
import { Session } from './session.entity';
import { SessionsService } from './sessions.service';

@Module({
  imports: [
    TypeOrmModule.forFeature([Session, EmailToken]),
    UsersModule,
    MailModule,
    PassportModule,
    JwtModule.registerAsync({
      inject: [ConfigService],
      useFactory: (config: ConfigService<AllConfigType, true>) => {
        const key = jwtKey(config.getOrThrow('auth.jwtSecret', { infer: true }));
        return {
          // HS256 signs and verifies with the same secret key.
          privateKey: key,
          publicKey: key,
          signOptions: { algorithm: 'HS256' },
          verifyOptions: { algorithms: ['HS256'] },
        };
      },
    }),
  ],
  controllers: [
    AuthController,
    ApiAuthController,
    PasswordResetController,
    EmailConfirmationController,
  ],
  providers: [
    AuthService,
    SessionsService,
    TokenValidator,
    JwtStrategy,
    JwtBearerStrategy,
    EmailTokensService,
    PasswordResetService,
    EmailConfirmationService,
    EmailChangeService,
  ],
  exports: [AuthService, SessionsService],
})
export class AuthModule {}
