/**
 * Emitted (and awaited) once a session was deleted: the notifications module ends its streams
 * in every process. `sessionId` null: every session of the user ended.
 */
export const SESSION_ENDED_EVENT = 'session.ended';

export interface SessionEndedEvent {
  userId: number;
  sessionId: string | null;
}
