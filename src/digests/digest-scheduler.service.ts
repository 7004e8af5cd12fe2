import {
  BeforeApplicationShutdown,
  Injectable,
  Logger,
  OnApplicationBootstrap,
} from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { SchedulerRegistry } from '@nestjs/schedule';
import { AllConfigType } from '../config/config.type';
import { LeasesService } from '../database/leases.service';
import { DigestsService } from './digests.service';

export const DIGEST_LEASE = 'digests';
/** The lease outlives this many missed ticks: then another process takes the runs over. */
const LEASE_TICKS = 5;

/**
 * Runs digests in exactly one process at a time. Every process ticks (DIGEST_TICK_MS); a tick
 * takes or renews the `digests` lease in the database and only the holder runs. A holder that
 * dies gives the lease up when it expires (LEASE_TICKS ticks); one that stops gives it up at
 * once. Whatever a holder dies in the middle of, the per-user transactions of DigestsService
 * leave each digest either queued with its cursor or not begun.
 */
@Injectable()
export class DigestScheduler implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('Digests');
  private readonly tickMs: number;
  private running: Promise<void> | null = null;
  private stopped = false;
  /** Whether this process took the lease at its last try (then it releases it at shutdown). */
  private held = false;

  constructor(
    private readonly leases: LeasesService,
    private readonly digests: DigestsService,
    private readonly scheduler: SchedulerRegistry,
    config: ConfigService<AllConfigType, true>,
  ) {
    this.tickMs = config.getOrThrow('mail.digestTickMs', { infer: true });
  }

  get leaseMs(): number {
    return this.tickMs * LEASE_TICKS;
  }

  onApplicationBootstrap(): void {
    const timer = setInterval(() => void this.tick(), this.tickMs);
    timer.unref();
    this.scheduler.addInterval('digests', timer);
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    await this.running;
    if (!this.held) {
      return;
    }
    await this.leases
      .release(DIGEST_LEASE)
      .catch((error: unknown) => this.logger.warn(`Lease not released: ${String(error)}`));
  }

  /** One tick: runs digests if this process holds (or takes) the lease; never two at once. */
  async tick(): Promise<void> {
    if (this.running || this.stopped) {
      return;
    }
    this.running = this.run()
      .catch((error: unknown) =>
        this.logger.error(
          `Digest run failed: ${error instanceof Error ? error.stack : String(error)}`,
        ),
      )
      .finally(() => {
        this.running = null;
      });
    await this.running;
  }

  private async run(): Promise<void> {
    if (!(await this.renew())) {
      return;
    }
    const queued = await this.digests.runOnce(new Date(), () => this.renew());
    if (queued > 0) {
      this.logger.log(`${queued} digest email(s) queued`);
    }
  }

  private async renew(): Promise<boolean> {
    if (this.stopped) {
      return false;
    }
    this.held = await this.leases.acquire(DIGEST_LEASE, this.leaseMs);
    return this.held;
  }
}
