import { Column, Entity, PrimaryColumn } from 'typeorm';

/** The id of the one row. */
export const ANNOUNCEMENT_SEQUENCE_ROW = 1;

/**
 * One row: the number of the newest announcement. An announcement locks it exclusively to
 * take the next number; every other event writer reads it under a shared lock, so no
 * announcement commits while an event that does not count it is in flight (see Event).
 */
@Entity({ name: 'announcement_sequence' })
export class AnnouncementSequence {
  @PrimaryColumn({ type: 'int' })
  id!: number;

  @Column({ name: 'last_seq', type: 'int', default: 0 })
  lastSeq!: number;
}
