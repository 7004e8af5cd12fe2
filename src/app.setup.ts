import { ConfigService } from '@nestjs/config';
import { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import cookieParser from 'cookie-parser';
import type { NextFunction, Request, Response } from 'express';
import helmet from 'helmet';
import hbs from 'hbs';
import { I18nService } from 'nestjs-i18n';
import { createHmac } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { jsonDepth, MAX_JSON_DEPTH } from './common/http/json-depth';
import { registerViewHelpers } from './common/views/view-helpers';
import { AllConfigType } from './config/config.type';
import { NOTIFICATION_STREAM_ROUTE } from './notifications/notifications.controller';

const ROOT = join(__dirname, '..');
const BODY_LIMIT = '64kb';

/**
 * A JSON body nested deeper than any of ours is refused (400) before anything recurses over
 * it: thousands of levels overflow the stack of the parser and the validation pipe.
 */
function refuseDeepJson(_req: unknown, _res: unknown, body: Buffer): void {
  if (jsonDepth(body.toString('utf8')) > MAX_JSON_DEPTH) {
    throw Object.assign(new Error(`JSON nested deeper than ${MAX_JSON_DEPTH} levels`), {
      status: 400,
    });
  }
}

/** Everything main.ts and the e2e tests both need, so tests run the app as production does. */
export async function configureApp(app: NestExpressApplication): Promise<void> {
  const config = app.get<ConfigService<AllConfigType, true>>(ConfigService);
  const cookieSecret = createHmac('sha256', config.getOrThrow('auth.jwtSecret', { infer: true }))
    .update('cookies')
    .digest('base64url');

  // Which proxies' X-Forwarded-For/-Proto to believe (req.ip for rate limits, req.secure).
  app.set('trust proxy', config.getOrThrow('app.trustProxy', { infer: true }));
  app.disable('x-powered-by');
  // Page security headers (CSP, framing and sniffing rules) do nothing for the event stream,
  // which EventSource reads and nothing renders, and Nest copies a response's headers into
  // each open stream: they would be held for the stream's life.
  const securityHeaders = helmet({
    contentSecurityPolicy: {
      directives: {
        'script-src': ["'self'"],
        'img-src': ["'self'", 'data:'],
        // The app may be served over plain HTTP (the embedded default); TLS proxies add HSTS.
        'upgrade-insecure-requests': null,
      },
    },
    strictTransportSecurity: false,
  });
  const streamPath = `/${NOTIFICATION_STREAM_ROUTE.path}`;
  app.use((req: Request, res: Response, next: NextFunction) => {
    if (req.path === streamPath) {
      next();
    } else {
      securityHeaders(req, res, next);
    }
  });
  app.use(cookieParser(cookieSecret));

  // Forms and API bodies are small; anything bigger is refused with 413.
  app.useBodyParser('json', { limit: BODY_LIMIT, verify: refuseDeepJson });
  app.useBodyParser('urlencoded', { limit: BODY_LIMIT, extended: false });

  app.useStaticAssets(join(ROOT, 'public'), { prefix: '/static/', maxAge: '1h' });
  app.useStaticAssets(join(ROOT, 'node_modules/bootstrap/dist'), {
    prefix: '/vendor/bootstrap/',
    maxAge: '7d',
  });

  app.setBaseViewsDir(join(ROOT, 'views'));
  app.setViewEngine('hbs');
  app.set('view options', { layout: 'layouts/main' });
  await promisify(hbs.registerPartials.bind(hbs))(join(ROOT, 'views/partials'));
  registerViewHelpers(hbs, app.get(I18nService));

  if (!config.getOrThrow('app.apiDocs', { infer: true })) {
    return;
  }
  const openApi = new DocumentBuilder()
    .setTitle('Microblog admin API')
    .setDescription(
      'Moderation and notifications. Get a token from POST /api/auth/token and send it as ' +
        '`Authorization: Bearer <token>`; /api/admin routes need an admin. Errors are ' +
        '{statusCode, message, error}.',
    )
    .setVersion('1.0')
    .addBearerAuth()
    .build();
  SwaggerModule.setup('api/docs', app, () => SwaggerModule.createDocument(app, openApi), {
    jsonDocumentUrl: 'api/docs-json',
  });
}
