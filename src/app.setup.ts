import { ConfigService } from '@nestjs/config';
import { NestExpressApplication } from '@nestjs/platform-express';
import cookieParser from 'cookie-parser';
import helmet from 'helmet';
import hbs from 'hbs';
import { I18nService } from 'nestjs-i18n';
import { createHmac } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { registerViewHelpers } from './common/views/view-helpers';
import { AllConfigType } from './config/config.type';

const ROOT = join(__dirname, '..');

/** Everything main.ts and the e2e tests both need, so tests run the app as production does. */
export async function configureApp(app: NestExpressApplication): Promise<void> {
  const config = app.get<ConfigService<AllConfigType, true>>(ConfigService);
  const cookieSecret = createHmac('sha256', config.getOrThrow('auth.jwtSecret', { infer: true }))
    .update('cookies')
    .digest('base64url');

  if (process.env.TRUST_PROXY) {
    app.set('trust proxy', process.env.TRUST_PROXY);
  }
  app.disable('x-powered-by');
  app.use(
    helmet({
      contentSecurityPolicy: {
        directives: {
          'script-src': ["'self'"],
          'img-src': ["'self'", 'data:'],
          // The app may be served over plain HTTP (the embedded default); TLS proxies add HSTS.
          'upgrade-insecure-requests': null,
        },
      },
      strictTransportSecurity: false,
    }),
  );
  app.use(cookieParser(cookieSecret));

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
}
