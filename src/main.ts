import { Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { NestFactory } from '@nestjs/core';
import { NestExpressApplication } from '@nestjs/platform-express';
import { AppModule } from './app.module';
import { configureApp } from './app.setup';
import { AllConfigType } from './config/config.type';

async function bootstrap() {
  const app = await NestFactory.create<NestExpressApplication>(AppModule, {
    // Open event streams would otherwise keep app.close() waiting forever.
    forceCloseConnections: true,
  });
  await configureApp(app);
  app.enableShutdownHooks();
  const config = app.get<ConfigService<AllConfigType, true>>(ConfigService);
  const { port, host } = config.getOrThrow('app', { infer: true });
  await app.listen(port, host);
  new Logger('Bootstrap').log(`Microblog listening on http://${host}:${port}`);
}

void bootstrap();
