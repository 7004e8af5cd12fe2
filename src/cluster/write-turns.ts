/** Who a turn is for: a worker (by its cluster id) and the request's number in that worker. */
export interface TurnRequest {
  workerId: number;
  id: number;
}

/**
 * The primary's queue of turns at the SQLite write lock, first come first served. SQLite lets
 * one process write at a time; without turns a worker that finds the lock taken can only try
 * again and again (sqlite-write-lock.ts), which costs it CPU for nothing. With them it waits
 * for a message. The lock itself stays SQLite's: a turn only says when to try.
 */
export class WriteTurns {
  private holder: TurnRequest | null = null;
  private readonly queue: TurnRequest[] = [];

  /** @param grant tells a worker its turn has come; false if the worker can't be told. */
  constructor(private readonly grant: (turn: TurnRequest) => boolean) {}

  request(turn: TurnRequest): void {
    this.queue.push(turn);
    this.next();
  }

  /** The turn is over (or its worker gave up waiting for it): the next one goes. */
  done(turn: TurnRequest): void {
    if (this.holder?.workerId === turn.workerId && this.holder.id === turn.id) {
      this.holder = null;
    } else {
      this.remove((t) => t.workerId === turn.workerId && t.id === turn.id);
    }
    this.next();
  }

  /** A worker died: its turn and its requests go with it. */
  workerGone(workerId: number): void {
    if (this.holder?.workerId === workerId) {
      this.holder = null;
    }
    this.remove((t) => t.workerId === workerId);
    this.next();
  }

  private remove(matches: (turn: TurnRequest) => boolean): void {
    for (let i = this.queue.length - 1; i >= 0; i--) {
      if (matches(this.queue[i])) {
        this.queue.splice(i, 1);
      }
    }
  }

  private next(): void {
    while (this.holder === null && this.queue.length > 0) {
      const turn = this.queue.shift() as TurnRequest;
      if (this.grant(turn)) {
        this.holder = turn;
      }
    }
  }
}
