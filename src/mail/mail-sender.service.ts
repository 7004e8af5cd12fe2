import {
  BeforeApplicationShutdown,
  Injectable,
  Logger,
  OnApplicationBootstrap,
} from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { SchedulerRegistry } from '@nestjs/schedule';
import { Brackets, EntityManager } from 'typeorm';
import { AllConfigType } from '../config/config.type';
import type { MailConfig } from '../config/mail.config';
import { TransactionService } from '../database/transaction.service';
import { createMailTransport, MailTransport } from './mail-transport';
import { OutboundEmail } from './outbound-email.entity';

/** How long a sender may take over one email before another process may try it. */
const CLAIM_MS = 120_000;
/** Emails one pass claims; the pass goes on while there are more due. */
const BATCH = 20;
const MAX_BACKOFF_MS = 3_600_000;
/** At shutdown, the longest wait for deliveries in flight (a claim left behind expires). */
const SHUTDOWN_WAIT_MS = 10_000;

/**
 * Delivers the outbox. Every app process runs one; each email is claimed by one of them with a
 * conditional UPDATE (claimed_until), delivered, then marked sent. A refused or failed delivery
 * waits (retryBaseMs, doubling up to an hour) and is tried again; after maxAttempts it is
 * marked failed and logged as an error, and stays in the table. A process that dies between
 * the SMTP server's acceptance and the mark leaves a claim that expires: the email is sent once
 * more, with the same Message-ID.
 */
@Injectable()
export class MailSender implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('Mail');
  private readonly config: MailConfig;
  private transport: MailTransport | null = null;
  private running: Promise<void> | null = null;
  private again = false;
  private stopped = false;

  constructor(
    private readonly transactions: TransactionService,
    private readonly scheduler: SchedulerRegistry,
    config: ConfigService<AllConfigType, true>,
  ) {
    this.config = config.getOrThrow('mail', { infer: true });
  }

  onApplicationBootstrap(): void {
    this.transport = createMailTransport(this.config);
    const timer = setInterval(() => this.wake(), this.config.pollMs);
    timer.unref();
    this.scheduler.addInterval('mail-sender', timer);
    this.wake();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    const running = this.running;
    if (running) {
      let timer: NodeJS.Timeout | undefined;
      const waited = new Promise((resolve) => (timer = setTimeout(resolve, SHUTDOWN_WAIT_MS)));
      await Promise.race([running, waited]);
      clearTimeout(timer);
    }
    this.transport?.close();
  }

  /** Looks at the outbox now; a pass already running looks again when it ends. */
  wake(): void {
    if (this.stopped || !this.transport) {
      return;
    }
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.drain()
      .catch((error: unknown) => this.logger.error(`Outbox pass failed: ${String(error)}`))
      .finally(() => {
        this.running = null;
        if (this.again) {
          this.again = false;
          this.wake();
        }
      });
  }

  /** Resolves once no pass is running (tests and shutdown). */
  async idle(): Promise<void> {
    while (this.running) {
      await this.running;
    }
  }

  private async drain(): Promise<void> {
    for (;;) {
      const claimed = await this.claimDue();
      for (const email of claimed) {
        if (!this.stopped) {
          await this.deliver(email);
        }
      }
      if (claimed.length < BATCH || this.stopped) {
        return;
      }
    }
  }

  /** Claims up to BATCH due emails for this process. */
  private claimDue(): Promise<OutboundEmail[]> {
    return this.transactions.run(async ({ manager }) => {
      const now = new Date();
      const due = await manager
        .getRepository(OutboundEmail)
        .createQueryBuilder('e')
        .where("e.status = 'pending' AND e.next_attempt_at <= :now", { now })
        .andWhere(
          new Brackets((qb) =>
            qb.where('e.claimed_until IS NULL').orWhere('e.claimed_until < :now', { now }),
          ),
        )
        .orderBy('e.next_attempt_at', 'ASC')
        .addOrderBy('e.id', 'ASC')
        .limit(BATCH)
        .getMany();
      const claimed: OutboundEmail[] = [];
      for (const email of due) {
        if (await this.claim(manager, email, now)) {
          claimed.push(email);
        }
      }
      return claimed;
    });
  }

  /** The conditional UPDATE that makes this process the email's only sender for CLAIM_MS. */
  private async claim(manager: EntityManager, email: OutboundEmail, now: Date): Promise<boolean> {
    const result = await manager
      .createQueryBuilder()
      .update(OutboundEmail)
      .set({ claimedUntil: new Date(now.getTime() + CLAIM_MS) })
      .where("id = :id AND status = 'pending'", { id: email.id })
      .andWhere(
        new Brackets((qb) =>
          qb.where('claimed_until IS NULL').orWhere('claimed_until < :now', { now }),
        ),
      )
      .execute();
    return result.affected === 1;
  }

  private async deliver(email: OutboundEmail): Promise<void> {
    const attempts = email.attempts + 1;
    try {
      await this.transport!.deliver(email, this.config.from);
    } catch (error) {
      await this.failed(email, attempts, error);
      return;
    }
    await this.mark(email.id, {
      status: 'sent',
      attempts,
      sentAt: new Date(),
      claimedUntil: null,
      lastError: null,
    });
  }

  private async failed(email: OutboundEmail, attempts: number, error: unknown): Promise<void> {
    const reason = (error instanceof Error ? error.message : String(error)).slice(0, 500);
    const describe = `Email ${email.id} (${email.kind}) to ${email.toAddress}`;
    if (attempts >= this.config.maxAttempts) {
      this.logger.error(`${describe} failed after ${attempts} attempts, giving up: ${reason}`);
      await this.mark(email.id, { status: 'failed', attempts, claimedUntil: null, lastError: reason });
      return;
    }
    const wait = Math.min(this.config.retryBaseMs * 2 ** (attempts - 1), MAX_BACKOFF_MS);
    this.logger.warn(`${describe}: attempt ${attempts} failed (${reason}); retrying in ${wait} ms`);
    await this.mark(email.id, {
      attempts,
      nextAttemptAt: new Date(Date.now() + wait),
      claimedUntil: null,
      lastError: reason,
    });
  }

  private async mark(id: number, changes: Partial<OutboundEmail>): Promise<void> {
    await this.transactions.run(({ manager }) =>
      manager.getRepository(OutboundEmail).update({ id }, changes),
    );
  }
}
