import { repl } from '@nestjs/core';
import { DataSource } from 'typeorm';
import { AppModule } from './app.module';
import { ENTITIES } from './database/entities';

/**
 * `npm run repl`: the app's services via get(UsersService) / $(UsersService), plus every
 * entity class and its repository (User, users, ...) at hand, like `flask shell`.
 */
async function bootstrap() {
  const server = await repl(AppModule);
  const dataSource = (server.context as { get: (token: unknown) => DataSource }).get(DataSource);
  for (const entity of ENTITIES) {
    server.context[entity.name] = entity;
    server.context[`${entity.name.toLowerCase()}s`] = dataSource.getRepository(entity);
  }
  server.context.dataSource = dataSource;
}

void bootstrap();
