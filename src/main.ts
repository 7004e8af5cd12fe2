import { Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { NestFactory } from '@nestjs/core';
import { NestExpressApplication } from '@nestjs/platform-express';
import { AppModule } from './app.module';
import { configureApp } from './app.setup';
import { AllConfigType } from './config/config.type';

/** The signals that stop the server gracefully. */
const STOP_SIGNALS = ['SIGTERM', 'SIGINT'];
/** A stop that has not finished by then (a client holding a request open) exits anyway. */
const STOP_GRACE_MS = 10_000;

async function bootstrap() {
  // No forceCloseConnections: on a stop, requests in flight finish. The event streams do not
  // hold the server open: they end with a retry hint before it closes.
  const app = await NestFactory.create<NestExpressApplication>(AppModule);
  await configureApp(app);
  app.enableShutdownHooks(STOP_SIGNALS);
  for (const signal of STOP_SIGNALS) {
    process.once(signal, () => setTimeout(() => process.exit(1), STOP_GRACE_MS).unref());
  }
  const config = app.get<ConfigService<AllConfigType, true>>(ConfigService);
  const { port, host } = config.getOrThrow('app', { infer: true });
  await app.listen(port, host);
  new Logger('Bootstrap').log(`Microblog listening on http://${host}:${port}`);
}

void bootstrap();
