import { EventEmitterModule } from '@nestjs/event-emitter';
import { MiddlewareConsumer, Module, NestModule, ValidationPipe } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { APP_FILTER, APP_GUARD, APP_PIPE } from '@nestjs/core';
import { ScheduleModule } from '@nestjs/schedule';
import { ThrottlerModule } from '@nestjs/throttler';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AcceptLanguageResolver, CookieResolver, I18nModule, QueryResolver } from 'nestjs-i18n';
import { join } from 'node:path';
import { AdminModule } from './admin/admin.module';
import { AuthModule } from './auth/auth.module';
import { JwtAuthGuard } from './auth/jwt-auth.guard';
import { BlocksModule } from './blocks/blocks.module';
import { CsrfGuard } from './common/csrf/csrf.guard';
import { CommonModule } from './common/common.module';
import { AllExceptionsFilter } from './common/http/all-exceptions.filter';
import { NoStoreMiddleware } from './common/http/no-store.middleware';
import { rateLimitThrottlers } from './common/http/rate-limit';
import { rateLimitStorage } from './common/http/rate-limit-storage';
import { LanguageCookieMiddleware } from './common/i18n/language-cookie.middleware';
import { LANGUAGE_COOKIE } from './common/i18n/languages';
import { withoutI18nInterceptor } from './common/i18n/without-i18n-interceptor';
import { ViewLocalsMiddleware } from './common/views/view-locals.middleware';
import appConfig from './config/app.config';
import authConfig from './config/auth.config';
import { AllConfigType } from './config/config.type';
import databaseConfig from './config/database.config';
import mailConfig from './config/mail.config';
import { ConversationsModule } from './conversations/conversations.module';
import { resolveDataSourceOptions } from './database/data-source-options';
import { DatabaseModule } from './database/database.module';
import { DigestsModule } from './digests/digests.module';
import { FollowsModule } from './follows/follows.module';
import { HealthModule } from './health/health.module';
import { HomeModule } from './home/home.module';
import { MailModule } from './mail/mail.module';
import { MessagesModule } from './messages/messages.module';
import { NOTIFICATION_STREAM_ROUTE } from './notifications/notifications.controller';
import { NotificationsModule } from './notifications/notifications.module';
import { PostsModule } from './posts/posts.module';
import { SearchModule } from './search/search.module';
import { UsersModule } from './users/users.module';

@Module({
  imports: [
    ConfigModule.forRoot({ isGlobal: true, load: [appConfig, authConfig, databaseConfig, mailConfig] }),
    // Domain events between modules whose dependencies point the other way (a session end:
    // auth -> notifications).
    EventEmitterModule.forRoot(),
    // The outbox sender's and the digest run's timers, cleared at shutdown.
    ScheduleModule.forRoot(),
    TypeOrmModule.forRootAsync({
      inject: [ConfigService],
      useFactory: async (config: ConfigService<AllConfigType, true>) => {
        const database = config.getOrThrow('database', { infer: true });
        return {
          ...(await resolveDataSourceOptions(database)),
          // Off where a deployment runs migrations once before starting several processes.
          migrationsRun: database.migrationsRun,
          retryAttempts: 2,
          retryDelay: 1000,
        };
      },
    }),
    withoutI18nInterceptor(
      I18nModule.forRoot({
        fallbackLanguage: 'en',
        // Nothing reads I18nContext.current(): no async context for every request and stream.
        skipAsyncHook: true,
        loaderOptions: { path: join(__dirname, '..', 'i18n'), watch: false },
        resolvers: [
          new QueryResolver(['lang']),
          new CookieResolver([LANGUAGE_COOKIE]),
          AcceptLanguageResolver,
        ],
      }),
    ),
    ThrottlerModule.forRootAsync({
      inject: [ConfigService],
      useFactory: (config: ConfigService<AllConfigType, true>) => {
        const app = config.getOrThrow('app', { infer: true });
        return {
          throttlers: rateLimitThrottlers(app),
          // Several processes share their counters (Redis, or the cluster's primary).
          storage: rateLimitStorage(app.redisUrl),
        };
      },
    }),
    CommonModule,
    HomeModule,
    DatabaseModule,
    MailModule,
    UsersModule,
    AuthModule,
    NotificationsModule,
    BlocksModule,
    FollowsModule,
    PostsModule,
    SearchModule,
    ConversationsModule,
    MessagesModule,
    DigestsModule,
    HealthModule,
    AdminModule,
  ],
  providers: [
    {
      provide: APP_PIPE,
      useValue: new ValidationPipe({
        whitelist: true,
        forbidNonWhitelisted: true,
        transform: true,
      }),
    },
    // Guards run in this order: who is it, then is the form genuine.
    { provide: APP_GUARD, useClass: JwtAuthGuard },
    { provide: APP_GUARD, useClass: CsrfGuard },
    { provide: APP_FILTER, useClass: AllExceptionsFilter },
  ],
})
export class AppModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer
      .apply(NoStoreMiddleware, LanguageCookieMiddleware, ViewLocalsMiddleware)
      .exclude(NOTIFICATION_STREAM_ROUTE)
      .forRoutes('{*path}');
  }
}
