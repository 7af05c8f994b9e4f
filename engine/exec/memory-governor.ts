// The process-wide memory limit (`strata serve --memory-limit`). Two guards:
// - reservations: every running statement's estimated memory counts into one shared total,
//   and a reservation past the limit fails that statement (memory-budget.ts);
// - a watchdog: estimates can be wrong, so the process's real size (RSS: the leader, the slice
//   threads and everything else) is sampled a few times a second, and when it is over the limit
//   the statement holding the most is stopped with OUT_OF_MEMORY. Stopping it frees its memory
//   at the next garbage collection, so the watchdog then waits before it picks another.
//   RSS falls late (collection, pages given back), so a statement that began after the process
//   went over the limit is not picked for that while it holds little and the process is not
//   growing: else `select 1` after a stopped statement would be stopped too.
import { SqlError } from '../errors.ts';
import type { SharedTotal } from './memory-budget.ts';

/** What the watchdog needs of a running statement. */
export interface GovernedStatement {
  /** estimated bytes the statement holds */
  readonly heldBytes: number;
  /** stops the statement with the error the watchdog gives */
  stopForMemory(): void;
}

export interface GovernorOptions {
  /** the process size the watchdog acts above (bytes) */
  limitBytes: number;
  /** how often the process size is sampled */
  intervalMs?: number;
  /** after stopping a statement, how long to let its memory be collected before stopping another */
  cooldownMs?: number;
  /** the process size now (default: RSS); tests give their own */
  sample?: () => number;
  /** told every size sampled (the slices read it from shared memory: column-cache.ts publishRss) */
  onSample?: (bytes: number) => void;
}

/** The error of a statement the watchdog stopped. */
export function overMemoryError(limitBytes: number): SqlError {
  return new SqlError('OUT_OF_MEMORY', `canceling statement: the server went over its memory limit of ${Math.round(limitBytes / 2 ** 20)} MB and this statement held the most memory; retry it later, add filters or a LIMIT, or ask the operator to raise strata serve --memory-limit`);
}

export class MemoryGovernor {
  /** all running statements' reservations (KB), shared with the slices */
  readonly total: SharedTotal;
  private readonly running = new Set<GovernedStatement>();
  private readonly sample: () => number;
  private readonly cooldownMs: number;
  private timer: ReturnType<typeof setInterval> | undefined;
  private lastStop = 0;
  /** while over the limit: the statements running when it went over, and the size then */
  private over: { present: Set<GovernedStatement>; sizeBytes: number } | null = null;
  /** statements the watchdog stopped, and the largest process size it saw */
  readonly stats = { stopped: 0, peakBytes: 0 };

  constructor(private readonly opts: GovernorOptions) {
    this.total = { counter: new Int32Array(new SharedArrayBuffer(4)), limitBytes: opts.limitBytes };
    this.sample = opts.sample ?? (() => process.memoryUsage.rss());
    this.cooldownMs = opts.cooldownMs ?? 1000;
  }

  get limitBytes(): number { return this.opts.limitBytes; }

  /** Bytes all running statements have reserved. */
  get reservedBytes(): number { return Math.max(0, Atomics.load(this.total.counter, 0)) * 1024; }

  /** Starts sampling (the timer never keeps the process alive). */
  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.check(), this.opts.intervalMs ?? 100);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  add(s: GovernedStatement): void { this.running.add(s); }
  remove(s: GovernedStatement): void { this.running.delete(s); }

  /** One watchdog round: over the limit, stops the running statement holding the most. Returns it, if any. */
  check(now = Date.now()): GovernedStatement | null {
    const size = this.sample();
    this.opts.onSample?.(size);
    if (size > this.stats.peakBytes) this.stats.peakBytes = size;
    if (size <= this.opts.limitBytes) { this.over = null; return null; }
    this.over ??= { present: new Set(this.running), sizeBytes: size };
    if (now - this.lastStop < this.cooldownMs) return null;
    let victim: GovernedStatement | null = null;
    // the largest holder; among equals the first started (Set order), which has run longest
    for (const s of this.running) if (this.mayCause(s, size) && (!victim || s.heldBytes > victim.heldBytes)) victim = s;
    if (!victim) return null;
    this.running.delete(victim);
    victim.stopForMemory();
    this.lastStop = now;
    this.stats.stopped++;
    return victim;
  }

  /** Whether a statement may be why the process is over the limit (see the header). */
  private mayCause(s: GovernedStatement, size: number): boolean {
    const { present, sizeBytes } = this.over!;
    const step = this.opts.limitBytes / 16;
    return present.has(s) || s.heldBytes >= step || size > sizeBytes + step;
  }
}
