import { Column, Entity, PrimaryColumn } from 'typeorm';
import { TIMESTAMP_COLUMN } from '../users/user.entity';

/**
 * A named lease: the one process that holds an unexpired lease runs the job it names (the
 * digest run), so several app processes never run it at once, and a process that dies holding
 * it gives it up when it expires.
 */
@Entity({ name: 'leases' })
export class Lease {
  @PrimaryColumn({ type: 'varchar', length: 64 })
  name!: string;

  /** The holding process (host:pid:random). */
  @Column({ type: 'varchar', length: 128 })
  holder!: string;

  @Column({ name: 'expires_at', ...TIMESTAMP_COLUMN })
  expiresAt!: Date;
}
