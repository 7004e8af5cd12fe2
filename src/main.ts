import { Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { NestFactory } from '@nestjs/core';
import { NestExpressApplication } from '@nestjs/platform-express';
import cluster from 'node:cluster';
import { AppModule } from './app.module';
import { configureApp } from './app.setup';
import { ClusterPrimary } from './cluster/cluster-primary';
import { AllConfigType } from './config/config.type';
import { loadEnvFile } from './config/env-file';
import { ConfigError } from './config/validate-config';
import { readWorkerCount } from './config/workers.config';

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
  if (cluster.isWorker) {
    // The primary is gone (killed): stop as on SIGTERM rather than serve on unsupervised.
    process.once('disconnect', () => process.kill(process.pid, 'SIGTERM'));
  }
  const config = app.get<ConfigService<AllConfigType, true>>(ConfigService);
  const { port, host } = config.getOrThrow('app', { infer: true });
  await app.listen(port, host);
  new Logger('Bootstrap').log(`Microblog listening on http://${host}:${port}`);
}

/** The cluster's size decides what this process is: the primary, a worker, or the whole app. */
function workerCount(): number {
  loadEnvFile();
  try {
    return readWorkerCount(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
}

const workers = cluster.isPrimary ? workerCount() : 1;
if (workers > 1) {
  new ClusterPrimary(workers).start();
} else {
  void bootstrap();
}
