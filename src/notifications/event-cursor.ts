/**
 * A position in one user's order of events: the number of the last personal event and of the
 * last announcement a client has. It is the SSE id of every event the stream sends, written
 * `seq:announcement` (e.g. `17:3`), so EventSource hands it back as Last-Event-ID.
 */
export interface Cursor {
  seq: number;
  announcement: number;
}

export function formatCursor(cursor: Cursor): string {
  return `${cursor.seq}:${cursor.announcement}`;
}

/** A Last-Event-ID that names no position this server gave out (an id of an older version). */
export const UNKNOWN_CURSOR = 'unknown';

/**
 * The first valid cursor among the candidates (the Last-Event-ID header, then ?lastEventId=):
 * null when none was sent (a fresh stream), UNKNOWN_CURSOR when only ones not ours were.
 */
export function parseCursor(...candidates: unknown[]): Cursor | typeof UNKNOWN_CURSOR | null {
  // A repeated parameter (an array) was sent too, and is no cursor.
  const sent = candidates.filter((value) => value !== undefined && value !== '');
  for (const value of sent) {
    const match = typeof value === 'string' ? /^(\d{1,15}):(\d{1,15})$/.exec(value) : null;
    if (match) {
      return { seq: Number(match[1]), announcement: Number(match[2]) };
    }
  }
  return sent.length ? UNKNOWN_CURSOR : null;
}
