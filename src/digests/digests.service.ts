import { Injectable, NotFoundException } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { AllConfigType } from '../config/config.type';
import { TransactionService } from '../database/transaction.service';
import { MailService } from '../mail/mail.service';
import { User } from '../users/user.entity';
import { UsersService } from '../users/users.service';
import {
  DigestClock,
  digestWindow,
  emailKinds,
  isDue,
  isEmptyDigest,
  nextCursor,
} from './digest-content';
import { DigestEmails } from './digest-emails.service';
import { dueUserIds, readDigestItems } from './digest-items';

/** Users one query of a run reads; each is then handled in a transaction of its own. */
const BATCH = 50;

/**
 * Digest emails: "3 new messages from alice and bob" to people who have unread items and have
 * not been seen for EMAIL_DIGEST_AFTER. One transaction per user locks the user's row, checks
 * again that a digest is due, reads the items in the window (after the cursor, not yet read,
 * settled), queues the email in the outbox and moves the cursor (digested_until) and
 * digest_sent_at: the email and the cursor commit together or not at all. So a run that dies
 * half-way loses nothing (the next run finds the user still due) and sends nothing twice, and
 * two runs at once (a lease that expired under a slow run) send one digest: the second sees the
 * first's digest_sent_at under the same lock.
 */
@Injectable()
export class DigestsService {
  private readonly afterMs: number;

  constructor(
    private readonly transactions: TransactionService,
    private readonly users: UsersService,
    private readonly mail: MailService,
    private readonly emails: DigestEmails,
    config: ConfigService<AllConfigType, true>,
  ) {
    this.afterMs = config.getOrThrow('mail.digestAfterSeconds', { infer: true }) * 1000;
  }

  /**
   * One pass over the users whose digest is due at `now`, in id order, a batch at a time;
   * `keepGoing` is asked before each further batch (the scheduler renews its lease there).
   * Returns how many digests were queued.
   */
  async runOnce(
    now = new Date(),
    keepGoing: () => Promise<boolean> = () => Promise.resolve(true),
  ): Promise<number> {
    const clock: DigestClock = { now, afterMs: this.afterMs };
    let afterId = 0;
    let queued = 0;
    for (;;) {
      const ids = await this.transactions.run(({ manager }) =>
        dueUserIds(manager, clock, afterId, BATCH),
      );
      for (const id of ids) {
        queued += (await this.send(id, clock)) ? 1 : 0;
      }
      if (ids.length < BATCH || !(await keepGoing())) {
        return queued;
      }
      afterId = ids[ids.length - 1];
    }
  }

  /** The digest of one user, decided under their row lock; false when none is due after all. */
  private async send(userId: number, clock: DigestClock): Promise<boolean> {
    try {
      return await this.transactions.run(async (tx) => {
        const [user] = await this.users.lockAllForUpdate(tx.manager, [userId]);
        if (!isDue(user, clock)) {
          return false;
        }
        const window = digestWindow(user, clock.now);
        const items = await readDigestItems(tx.manager, user, window, emailKinds(user));
        if (isEmptyDigest(items)) {
          return false;
        }
        await this.mail.queue(tx.manager, this.emails.compose(user, items));
        await tx.manager
          .getRepository(User)
          .update(
            { id: user.id },
            { digestedUntil: nextCursor(user, window), digestSentAt: clock.now },
          );
        tx.afterCommit(() => this.mail.wake());
        return true;
      });
    } catch (error) {
      // Deleted since the batch was read: nothing to send.
      if (error instanceof NotFoundException) {
        return false;
      }
      throw error;
    }
  }
}
