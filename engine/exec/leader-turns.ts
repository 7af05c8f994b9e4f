// Turns on the leader's thread for statements' long loops. Each statement's loops give the event
// loop a turn every LEADER_TURN_MS; when they did so independently, every statement waiting on
// `setImmediate` ran in the same round of the event loop, so with N busy statements a client's
// request waited N turns (the abusive account's N) between two steps of its own. Here the waiting
// statements form one queue and only one of them goes on per round of the event loop, so network
// I/O, /health and short statements wait at most about one turn, whatever the number of busy
// statements. The queue goes least-served first: the statement that has held the leader least so
// far goes next, so a short statement is not kept behind long ones (and a long one still moves
// while others come and go, since each turn adds to what a statement has had).
/** A statement waiting for its next turn. */
interface Waiter {
  /** milliseconds of the leader's thread the statement has held so far */
  servedMs: number;
  resolve: () => void;
  /** the statement, to wake it early when it is stopped */
  owner: object;
}

export class LeaderTurns {
  private readonly waiting: Waiter[] = [];
  private scheduled = false;

  /** Statements waiting for a turn now. */
  get queued(): number {
    return this.waiting.length;
  }

  /** Resolves when it is `owner`'s turn: after the event loop went round once per statement ahead of it. */
  next(owner: object, servedMs: number): Promise<void> {
    return new Promise<void>((resolve) => {
      this.waiting.push({ servedMs, resolve, owner });
      this.schedule();
    });
  }

  /** Lets a stopped statement go on at once (it then fails its check), instead of waiting its turn. */
  wake(owner: object): void {
    const i = this.waiting.findIndex((w) => w.owner === owner);
    if (i >= 0) this.waiting.splice(i, 1)[0].resolve();
  }

  private schedule(): void {
    if (this.scheduled || !this.waiting.length) return;
    this.scheduled = true;
    // an immediate queued from inside an immediate runs on the next round, after timers and I/O
    setImmediate(() => {
      this.scheduled = false;
      this.release();
      this.schedule();
    });
  }

  /** Gives the turn to the least-served waiting statement (first come among equals). */
  private release(): void {
    if (!this.waiting.length) return;
    let best = 0;
    for (let i = 1; i < this.waiting.length; i++) if (this.waiting[i].servedMs < this.waiting[best].servedMs) best = i;
    this.waiting.splice(best, 1)[0].resolve();
  }
}

/** The leader's turns: one per process, since the leader is the process's main thread. */
export const leaderTurns = new LeaderTurns();
