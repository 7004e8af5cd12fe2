import type { Request } from 'express';

/** The server-side session a request's token names (set by the JWT strategies). */
export interface AuthSession {
  id: string;
  userId: number;
}

const SESSION = Symbol('authSession');
type WithSession = Request & { [SESSION]?: AuthSession };

/** Called by the JWT strategies once the token and its session check out. */
export function attachSession(req: Request, session: AuthSession): void {
  (req as WithSession)[SESSION] = session;
}

export function sessionOf(req: Request): AuthSession | undefined {
  return (req as WithSession)[SESSION];
}
