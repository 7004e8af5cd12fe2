import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AppModule } from './app.module';
import { createAdmin, USAGE } from './admin/create-admin';
import { UsersService } from './users/users.service';

/** Operator commands: `npm run cli -- <command> ...`. */
async function main(): Promise<number> {
  const [command, ...args] = process.argv.slice(2);
  if (command !== 'create-admin') {
    console.error(USAGE);
    return 2;
  }
  const app = await NestFactory.createApplicationContext(AppModule, { logger: ['error', 'warn'] });
  try {
    console.log(await createAdmin(app.get(UsersService), args));
    return 0;
  } catch (error) {
    new Logger('cli').error(error instanceof Error ? error.message : String(error));
    return 1;
  } finally {
    await app.close();
  }
}

void main().then((code) => process.exit(code));
