// Stopping a statement everywhere it runs. The leader's long loops are synchronous, so a timer
// or an AbortSignal cannot interrupt them: they call `check()`/`tick()`, which also read the
// clock against the deadline. Slices are other threads: they share one Int32 flag
// (SharedArrayBuffer) the leader sets on cancel, and they read the deadline themselves, so a
// runaway fragment stops within one batch even while the leader is busy.
import { SqlError } from '../errors.ts';
import { MemoryBudget } from './memory-budget.ts';
import { overMemoryError, type GovernedStatement, type MemoryGovernor } from './memory-governor.ts';
import { leaderTurns } from './leader-turns.ts';

/** Why a statement stops: the values of the shared flag (MEMORY: the server's memory watchdog). */
const RUNNING = 0, CANCELED = 1, TIMEOUT = 2, SHUTDOWN = 3, MEMORY = 4;
const WHY: Record<number, string> = { [CANCELED]: 'user request', [TIMEOUT]: 'statement timeout', [SHUTDOWN]: 'server shutdown' };

/** What a slice needs to stop a fragment: structured-clone safe. */
export interface CancelToken {
  flag: SharedArrayBuffer;
  /** epoch ms; 0 = none */
  deadline: number;
  /** the query's memory counter (KB) and limit: slices count what they hold into it */
  memory: SharedArrayBuffer;
  memoryLimit: number;
  /** the server's total of all statements' reservations (KB) and its limit, when it has one */
  serverMemory?: SharedArrayBuffer;
  serverMemoryLimit?: number;
}

/** The error a stopped statement fails with (its reason in the message and `reason`). */
export function canceledError(state: number, serverMemoryLimit = 0): SqlError {
  if (state === MEMORY) return overMemoryError(serverMemoryLimit);
  const why = WHY[state] ?? WHY[CANCELED];
  return Object.assign(new SqlError('QUERY_CANCELED', `canceling statement due to ${why}`), { reason: state === TIMEOUT ? 'timeout' : state === SHUTDOWN ? 'shutdown' : 'user' });
}

/** Checks a slice-side token; throws QUERY_CANCELED when the leader set the flag or the deadline passed. */
export function checkToken(flag: Int32Array, deadline: number, serverMemoryLimit = 0): void {
  const s = Atomics.load(flag, 0);
  if (s !== RUNNING) throw canceledError(s, serverMemoryLimit);
  if (deadline > 0 && Date.now() >= deadline) {
    Atomics.store(flag, 0, TIMEOUT);
    throw canceledError(TIMEOUT);
  }
}

/**
 * What a long loop calls so a cancel or timeout can stop it: an object of a long-lived class
 * (SliceStop, QueryGuard), not a closure made per query. V8's optimized code holds the target of
 * a call that has only ever seen one function weakly, so a probe optimized around one query's
 * `() => stop.tick()` was thrown away once that closure died, and optimized again in the next
 * query (TPC-H Q9 at SF 1: twice a run); a method of a class keeps one target for good.
 */
export interface Ticker {
  tick(): void;
}

/** A Ticker that never stops anything (tests, and loops nothing cancels). */
export const NO_TICKS: Ticker = { tick() {} };

/** A slice's view of a token: `tick()` is cheap enough for inner loops (reads the clock every 4096 calls). */
export class SliceStop {
  private readonly flag: Int32Array;
  private n = 0;
  /** the query's shared memory budget (unlimited without a token) */
  readonly memory: MemoryBudget;
  /** dictionaries already counted into it (the batches of a segment share its dictionaries) */
  readonly dictionaries = new WeakSet<readonly string[]>();
  /**
   * The token's figures, copied: a token arrives as a cloned plain object whose hidden class
   * depends on which fields it has, and reading it in `check()` (inlined into every scan loop)
   * deoptimized that code for each new class.
   */
  private readonly checked: boolean;
  /** the statement's deadline (epoch ms, 0 = none): remote model calls end by it */
  readonly deadline: number;
  private readonly serverMemoryLimit: number | undefined;
  constructor(token: CancelToken | undefined) {
    this.flag = token ? new Int32Array(token.flag) : new Int32Array(1);
    this.checked = token !== undefined;
    this.deadline = token?.deadline ?? 0;
    this.serverMemoryLimit = token?.serverMemoryLimit;
    const total = token?.serverMemory ? { counter: new Int32Array(token.serverMemory), limitBytes: token.serverMemoryLimit ?? Infinity } : undefined;
    this.memory = token ? new MemoryBudget(token.memoryLimit, new Int32Array(token.memory), total) : new MemoryBudget(Infinity);
  }
  check(): void {
    if (this.checked) checkToken(this.flag, this.deadline, this.serverMemoryLimit);
  }
  tick(): void {
    if ((++this.n & 4095) === 0) this.check();
  }
}

/**
 * How long one statement may keep the leader's thread before it lets the event loop run: the
 * leader also parses other clients' requests and answers /health, which must not wait behind a
 * statement's merge, sort or formatting.
 */
export const LEADER_TURN_MS = 4;

export interface GuardOptions {
  signal?: AbortSignal;
  /** epoch ms after which the statement stops */
  deadline?: number;
  memoryLimitBytes?: number;
  /** the server's memory limit: the statement reserves into its total and its watchdog may stop it */
  governor?: MemoryGovernor;
}

/** One statement's stop flag, deadline and memory budget, shared by the leader and its slices. */
export class QueryGuard implements GovernedStatement {
  readonly flag = new Int32Array(new SharedArrayBuffer(4));
  readonly deadline: number;
  readonly memory: MemoryBudget;
  private n = 0;
  private turnStart = performance.now();
  /** milliseconds of the leader's thread this statement's long loops have held (leader-turns.ts) */
  private servedMs = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly onAbort: (() => void) | undefined;

  constructor(private readonly opts: GuardOptions = {}) {
    this.deadline = opts.deadline && Number.isFinite(opts.deadline) ? opts.deadline : 0;
    this.memory = new MemoryBudget(opts.memoryLimitBytes, undefined, opts.governor?.total);
    opts.governor?.add(this);
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
    const total = this.opts.governor?.total;
    return {
      flag: this.flag.buffer as SharedArrayBuffer, deadline: this.deadline, memory: this.memory.counter.buffer as SharedArrayBuffer, memoryLimit: this.memory.limitBytes,
      ...(total ? { serverMemory: total.counter.buffer as SharedArrayBuffer, serverMemoryLimit: total.limitBytes } : {}),
    };
  }

  /** Estimated bytes the statement holds (what the memory watchdog compares). */
  get heldBytes(): number {
    return this.memory.usedBytes;
  }

  /** The memory watchdog's stop: the statement fails with OUT_OF_MEMORY. */
  stopForMemory(): void {
    this.stop(MEMORY);
  }

  /** Raises the flag: every slice stops at its next batch. */
  stop(state = CANCELED): void {
    Atomics.compareExchange(this.flag, 0, RUNNING, state);
    leaderTurns.wake(this);
  }

  /** Throws QUERY_CANCELED if the statement was canceled or is past its deadline. */
  check(): void {
    if (this.opts.signal?.aborted && Atomics.load(this.flag, 0) === RUNNING) this.onAbort?.();
    checkToken(this.flag, this.deadline, this.opts.governor?.limitBytes);
  }

  /** `check()` every 4096 calls: for per-row leader loops. */
  tick(): void {
    if ((++this.n & 4095) === 0) this.check();
  }

  /**
   * For the leader's long loops, called every few thousand rows: once the statement has held
   * the thread for LEADER_TURN_MS, waits for its next turn (`leaderTurns`: other clients' work
   * and other statements' turns run meanwhile), then checks for cancel.
   */
  async pause(): Promise<void> {
    const held = performance.now() - this.turnStart;
    if (held < LEADER_TURN_MS) return;
    this.servedMs += held;
    this.check();
    await leaderTurns.next(this, this.servedMs);
    this.turnStart = performance.now();
    this.check();
  }

  /** The statement waited for something else (its slices) and starts a new turn on the leader now. */
  resumed(): void {
    this.turnStart = performance.now();
  }

  /** True when `pause()` would yield: lets a loop skip building a chunk's state otherwise. */
  get turnOver(): boolean {
    return performance.now() - this.turnStart >= LEADER_TURN_MS;
  }

  /** Clears the timer and the signal listener once the statement ends (and stops stragglers). */
  dispose(): void {
    clearTimeout(this.timer);
    if (this.onAbort) this.opts.signal?.removeEventListener('abort', this.onAbort);
    this.stop(CANCELED);
    this.memory.close();
    this.opts.governor?.remove(this);
  }
}
