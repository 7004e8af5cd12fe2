import { Logger } from '@nestjs/common';
import { ThrottlerStorageService } from '@nestjs/throttler';
import cluster, { Worker } from 'node:cluster';
import { ClusterMessage, isClusterMessage } from './cluster-messages';

/** The signals that stop the cluster: each worker gets SIGTERM and stops gracefully. */
const STOP_SIGNALS = ['SIGTERM', 'SIGINT'] as const;
/** Past the workers' own grace (10 s), the primary exits anyway. */
const STOP_GRACE_MS = 12_000;
/** A worker that keeps dying is started again less and less often, up to this. */
const RESTART_DELAY_MAX_MS = 10_000;

/**
 * `npm start` with WORKERS > 1: this process serves no request. It starts the workers (the
 * first alone, so it runs the migrations before any other opens the database), shares their
 * port (node:cluster), relays each worker's bus traffic to the others, keeps the rate-limit
 * counters for all of them, replaces a worker that dies, and stops them all on SIGTERM/SIGINT.
 */
export class ClusterPrimary {
  private readonly logger = new Logger('Cluster');
  private readonly rateLimits = new ThrottlerStorageService();
  private startedAll = false;
  private stopping = false;
  private crashesInARow = 0;

  constructor(private readonly size: number) {}

  start(): void {
    cluster.on('message', (worker, message) => this.onMessage(worker, message));
    cluster.on('listening', (worker) => this.onListening(worker));
    cluster.on('exit', (worker, code, signal) => this.onExit(worker, code, signal));
    for (const signal of STOP_SIGNALS) {
      process.on(signal, () => this.stop());
    }
    this.logger.log(`Starting ${this.size} workers (WORKERS)`);
    cluster.fork();
  }

  private get workers(): Worker[] {
    return Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined);
  }

  private onListening(worker: Worker): void {
    this.crashesInARow = 0;
    if (this.startedAll) {
      this.logger.log(`Worker ${worker.process.pid} is listening`);
      return;
    }
    if (this.stopping) {
      return;
    }
    if (this.workers.length < this.size) {
      cluster.fork();
    } else {
      this.startedAll = true;
      this.logger.log(`All ${this.size} workers are listening`);
    }
  }

  private onMessage(from: Worker, message: unknown): void {
    if (!isClusterMessage(message)) {
      return;
    }
    if (message.kind === 'microblog:bus') {
      this.workers.filter((w) => w !== from).forEach((w) => this.send(w, message));
    } else if (message.kind === 'microblog:rate-limit') {
      void this.rateLimits
        .increment(...message.args)
        .then((record) =>
          this.send(from, { kind: 'microblog:rate-limit-reply', id: message.id, record }),
        );
    }
  }

  private send(worker: Worker, message: ClusterMessage): void {
    if (worker.isConnected()) {
      // A worker that goes away meanwhile has no streams left to miss it.
      worker.send(message, undefined, () => undefined);
    }
  }

  private onExit(worker: Worker, code: number, signal: string | null): void {
    const how = signal ?? `code ${code}`;
    if (this.stopping) {
      this.exitWhenAllStopped();
      return;
    }
    if (!this.startedAll) {
      // Start-up failed (configuration, database, port): the worker said why; so does the exit.
      this.logger.error(`A worker exited during start-up (${how}): stopping`);
      process.exitCode = code || 1;
      this.stop();
      return;
    }
    const delay = Math.min(1000 * this.crashesInARow++, RESTART_DELAY_MAX_MS);
    this.logger.warn(`Worker ${worker.process.pid} died (${how}); starting another`);
    setTimeout(() => this.stopping || cluster.fork(), delay);
  }

  private stop(): void {
    if (this.stopping) {
      return;
    }
    this.stopping = true;
    setTimeout(() => process.exit(1), STOP_GRACE_MS).unref();
    this.workers.forEach((w) => w.process.kill('SIGTERM'));
    this.exitWhenAllStopped();
  }

  private exitWhenAllStopped(): void {
    if (this.workers.length === 0) {
      this.rateLimits.onApplicationShutdown();
      process.exit();
    }
  }
}
