import { inClusterWorker, onPrimaryMessage, sendToPrimary } from './worker-channel';

/** Past this a transaction goes ahead without its turn: SQLite's own lock still orders it. */
const TURN_WAIT_MS = 10_000;

const noTurn = () => undefined;

/** A worker's side of the primary's write turns (write-turns.ts). */
class WriteTurnClient {
  private nextId = 0;
  private readonly waiting = new Map<number, () => void>();

  constructor() {
    onPrimaryMessage((message) => {
      if (message.kind === 'microblog:write-turn-granted') {
        this.waiting.get(message.id)?.();
      }
    });
  }

  async take(): Promise<() => void> {
    const id = this.nextId++;
    if (!sendToPrimary({ kind: 'microblog:write-turn', id })) {
      return noTurn;
    }
    await new Promise<void>((resolve) => {
      const granted = () => {
        clearTimeout(timer);
        this.waiting.delete(id);
        resolve();
      };
      const timer = setTimeout(granted, TURN_WAIT_MS);
      this.waiting.set(id, granted);
    });
    return () => void sendToPrimary({ kind: 'microblog:write-turn-done', id });
  }
}

let client: WriteTurnClient | null = null;

/**
 * Waits for this worker's turn to write to the SQLite file, and returns how to end it; outside
 * a cluster there are no turns (one process queues its own transactions).
 */
export function takeWriteTurn(): Promise<() => void> {
  if (!inClusterWorker()) {
    return Promise.resolve(noTurn);
  }
  client ??= new WriteTurnClient();
  return client.take();
}
