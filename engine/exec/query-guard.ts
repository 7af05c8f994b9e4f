// Stopping a statement everywhere it runs. The leader's long loops are synchronous, so a timer
// or an AbortSignal cannot interrupt them: they call `check()`/`tick()`, which also read the
// clock against the deadline. Slices are other threads: they share one Int32 flag
// (SharedArrayBuffer) the leader sets on cancel, and they read the deadline themselves, so a
// runaway fragment stops within one batch even while the leader is busy.
import { SqlError } from '../errors.ts';
import { MemoryBudget } from './memory-budget.ts';

/** Why a statement stops: the values of the shared flag. */
const RUNNING = 0, CANCELED = 1, TIMEOUT = 2, SHUTDOWN = 3;
const WHY: Record<number, string> = { [CANCELED]: 'user request', [TIMEOUT]: 'statement timeout', [SHUTDOWN]: 'server shutdown' };

/** What a slice needs to stop a fragment: structured-clone safe. */
export interface CancelToken {
  flag: SharedArrayBuffer;
  /** epoch ms; 0 = none */
  deadline: number;
  /** the query's memory counter (KB) and limit: slices count what they hold into it */
  memory: SharedArrayBuffer;
  memoryLimit: number;
}

/** The error a stopped statement fails with (its reason in the message and `reason`). */
export function canceledError(state: number): SqlError {
  const why = WHY[state] ?? WHY[CANCELED];
  return Object.assign(new SqlError('QUERY_CANCELED', `canceling statement due to ${why}`), { reason: state === TIMEOUT ? 'timeout' : state === SHUTDOWN ? 'shutdown' : 'user' });
}

/** Checks a slice-side token; throws QUERY_CANCELED when the leader set the flag or the deadline passed. */
export function checkToken(flag: Int32Array, deadline: number): void {
  const s = Atomics.load(flag, 0);
  if (s !== RUNNING) throw canceledError(s);
  if (deadline > 0 && Date.now() >= deadline) {
    Atomics.store(flag, 0, TIMEOUT);
    throw canceledError(TIMEOUT);
  }
}

/** A slice's view of a token: `tick()` is cheap enough for inner loops (reads the clock every 4096 calls). */
export class SliceStop {
  private readonly flag: Int32Array;
  private n = 0;
  /** the query's shared memory budget (unlimited without a token) */
  readonly memory: MemoryBudget;
  constructor(private readonly token: CancelToken | undefined) {
    this.flag = token ? new Int32Array(token.flag) : new Int32Array(1);
    this.memory = token ? new MemoryBudget(token.memoryLimit, new Int32Array(token.memory)) : new MemoryBudget(Infinity);
  }
  check(): void {
    if (this.token) checkToken(this.flag, this.token.deadline);
  }
  tick(): void {
    if ((++this.n & 4095) === 0) this.check();
  }
}

export interface GuardOptions {
  signal?: AbortSignal;
  /** epoch ms after which the statement stops */
  deadline?: number;
  memoryLimitBytes?: number;
}

/** One statement's stop flag, deadline and memory budget, shared by the leader and its slices. */
export class QueryGuard {
  readonly flag = new Int32Array(new SharedArrayBuffer(4));
  readonly deadline: number;
  readonly memory: MemoryBudget;
  private n = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly onAbort: (() => void) | undefined;

  constructor(private readonly opts: GuardOptions = {}) {
    this.deadline = opts.deadline && Number.isFinite(opts.deadline) ? opts.deadline : 0;
    this.memory = new MemoryBudget(opts.memoryLimitBytes);
    const signal = opts.signal;
    if (signal) {
      this.onAbort = () => this.stop(signal.reason === 'timeout' ? TIMEOUT : signal.reason === 'shutdown' ? SHUTDOWN : CANCELED);
      if (signal.aborted) this.onAbort();
      else signal.addEventListener('abort', this.onAbort, { once: true });
    }
    // while the leader waits on slices its event loop is free: raise the flag at the deadline
    if (this.deadline) {
      this.timer = setTimeout(() => this.stop(TIMEOUT), Math.max(0, this.deadline - Date.now()));
      this.timer.unref?.();
    }
  }

  /** The token sent to slices with each fragment. */
  get token(): CancelToken {
    return { flag: this.flag.buffer as SharedArrayBuffer, deadline: this.deadline, memory: this.memory.counter.buffer as SharedArrayBuffer, memoryLimit: this.memory.limitBytes };
  }

  /** Raises the flag: every slice stops at its next batch. */
  stop(state = CANCELED): void {
    Atomics.compareExchange(this.flag, 0, RUNNING, state);
  }

  /** Throws QUERY_CANCELED if the statement was canceled or is past its deadline. */
  check(): void {
    if (this.opts.signal?.aborted && Atomics.load(this.flag, 0) === RUNNING) this.onAbort?.();
    checkToken(this.flag, this.deadline);
  }

  /** `check()` every 4096 calls: for per-row leader loops. */
  tick(): void {
    if ((++this.n & 4095) === 0) this.check();
  }

  /** Clears the timer and the signal listener once the statement ends (and stops stragglers). */
  dispose(): void {
    clearTimeout(this.timer);
    if (this.onAbort) this.opts.signal?.removeEventListener('abort', this.onAbort);
    this.stop(CANCELED);
  }
}
