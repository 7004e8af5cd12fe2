import { Injectable } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { Lease } from './lease.entity';
import { TransactionService } from './transaction.service';

/**
 * Named leases in the database, shared by every app process: `acquire` succeeds for one holder
 * at a time until the lease expires or is released, so a job guarded by one runs in exactly one
 * process, and another process takes over when the holder dies.
 */
@Injectable()
export class LeasesService {
  /** This process: host, pid and a random part (pids repeat across machines and restarts). */
  readonly holder = `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;

  constructor(private readonly transactions: TransactionService) {}

  /** Takes (or renews) the lease `name` for `ttlMs`; false while another holder has it. */
  async acquire(name: string, ttlMs: number): Promise<boolean> {
    return this.transactions.run(async ({ manager }) => {
      const now = new Date();
      const expiresAt = new Date(now.getTime() + ttlMs);
      const leases = manager.getRepository(Lease);
      const taken = await leases
        .createQueryBuilder()
        .update()
        .set({ holder: this.holder, expiresAt })
        .where('name = :name AND (holder = :holder OR expires_at < :now)', {
          name,
          holder: this.holder,
          now,
        })
        .execute();
      if (taken.affected) {
        return true;
      }
      // No row yet: the first insert wins, the others hit the primary key and are ignored.
      await leases
        .createQueryBuilder()
        .insert()
        .orIgnore()
        .values({ name, holder: this.holder, expiresAt })
        .execute();
      const lease = await leases.findOneBy({ name });
      return lease?.holder === this.holder;
    });
  }

  /** Gives the lease up at once (at shutdown), so another process need not wait for expiry. */
  async release(name: string): Promise<void> {
    await this.transactions.run(({ manager }) =>
      manager.getRepository(Lease).delete({ name, holder: this.holder }),
    );
  }
}
