// Workload management in the manner of Redshift WLM: one queue with a fixed number of
// concurrent slots, plus a short-query lane (SQA) so small queries do not wait behind scans.
// Queries are predicted short or long from the run times of earlier queries with the same
// shape (literals removed); unknown shapes start in the short lane and move to the main
// queue's count once they run longer than the short-query limit. Statement timeouts and
// cancellation abort the query's AbortSignal, which the engine checks between steps.
// Admission is fair between accounts: one account may hold only part of each lane's slots
// (its further statements wait while other accounts' pass them), so an account running heavy
// statements cannot take every slot, and the leader's time, from the others.
import { randomUUID } from 'node:crypto';
import { SqlError } from '../engine/database.ts';
import type { EventBus } from './events.ts';

export interface WlmOptions {
  /** concurrent queries in the main queue */
  slots: number;
  /** extra concurrent queries reserved for the short-query lane (0 turns it off) */
  shortSlots: number;
  /** a query predicted to finish within this is short */
  shortQueryMs: number;
  /** default statement timeout (queue + run), 0 = none */
  statementTimeoutMs: number;
  /** queries waiting beyond this many are rejected */
  maxQueued: number;
  /** main-queue slots one account may hold at once (default: half of `slots`, at least 1) */
  accountSlots?: number;
  /** short-lane slots one account may hold at once (default: half of `shortSlots`, at least 1) */
  accountShortSlots?: number;
}

export const DEFAULT_WLM: WlmOptions = { slots: 2, shortSlots: 8, shortQueryMs: 500, statementTimeoutMs: 300_000, maxQueued: 10_000 };

export type Lane = 'short' | 'main';
export type QueryState = 'QUEUED' | 'RUNNING';

/** A query in the system, as `runningQueries` shows it. */
export interface QueryInfo {
  id: string;
  account: string;
  user: string;
  sql: string;
  lane: Lane;
  state: QueryState;
  submittedAt: number;
  startedAt?: number;
  predictedMs?: number;
}

export interface Job {
  account: string;
  user: string;
  sql: string;
  /** overrides the default statement timeout (capped by it when the default is set) */
  timeoutMs?: number;
  /** answer the caller as soon as the query is canceled (safe only for reads) */
  readOnly?: boolean;
}

/** Why a query's signal was aborted. */
export type CancelReason = 'user' | 'timeout' | 'shutdown';

interface Entry {
  info: QueryInfo;
  job: Job;
  controller: AbortController;
  run: (signal: AbortSignal, deadline?: number) => Promise<unknown>;
  /** epoch ms the statement timeout ends (queue time included) */
  deadline?: number;
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
  timer?: NodeJS.Timeout;
  demoteTimer?: NodeJS.Timeout;
  /** the lane whose slot it holds while running */
  slot?: Lane;
}

/** Run-time history by query shape (EWMA), bounded in size. */
class Predictor {
  private readonly ms = new Map<string, number>();
  constructor(private readonly max = 10_000) {}

  static fingerprint(sql: string): string {
    return sql.replace(/'(?:[^']|'')*'/g, '?').replace(/\b\d+(\.\d+)?\b/g, '?').replace(/\s+/g, ' ').trim().toLowerCase().slice(0, 2000);
  }

  predict(sql: string): number | undefined {
    return this.ms.get(Predictor.fingerprint(sql));
  }

  record(sql: string, ms: number): void {
    const k = Predictor.fingerprint(sql);
    const prev = this.ms.get(k);
    this.ms.delete(k);
    this.ms.set(k, prev === undefined ? ms : prev * 0.7 + ms * 0.3);
    if (this.ms.size > this.max) this.ms.delete(this.ms.keys().next().value!);
  }
}

/** Statements that are never short: loads, exports, model training, rewrites. */
const HEAVY = /^\s*(copy|unload|vacuum|analy[sz]e|create\s+model|create\s+table\s+\S+\s+as|insert\s+into\s+\S+\s*(\([^)]*\))?\s*select)\b/i;

/** Recent samples for percentiles. */
class Window {
  private readonly xs: number[] = [];
  constructor(private readonly size = 1000) {}
  add(x: number): void { this.xs.push(x); if (this.xs.length > this.size) this.xs.shift(); }
  pct(p: number): number {
    if (!this.xs.length) return 0;
    const s = [...this.xs].sort((a, b) => a - b);
    return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
  }
}

/** Counters and gauges exposed by the API. */
export interface WlmMetrics {
  slots: number;
  shortSlots: number;
  accountSlots: number;
  accountShortSlots: number;
  shortQueryMs: number;
  statementTimeoutMs: number;
  queued: number;
  queuedShort: number;
  running: number;
  runningShort: number;
  completed: number;
  failed: number;
  canceled: number;
  timedOut: number;
  rejected: number;
  queueWaitP50Ms: number;
  queueWaitP90Ms: number;
  execP50Ms: number;
  execP90Ms: number;
}

export class WorkloadManager {
  readonly opts: WlmOptions;
  private readonly queues: Record<Lane, Entry[]> = { short: [], main: [] };
  private readonly running = new Map<string, Entry>();
  private readonly used: Record<Lane, number> = { short: 0, main: 0 };
  /** slots each account holds, by lane */
  private readonly held = new Map<string, Record<Lane, number>>();
  private readonly cap: Record<Lane, number>;
  private readonly predictor = new Predictor();
  private readonly waits = new Window();
  private readonly execs = new Window();
  private readonly counts = { completed: 0, failed: 0, canceled: 0, timedOut: 0, rejected: 0 };
  private readonly settled = new Set<Promise<unknown>>();
  private closing = false;

  constructor(opts: Partial<WlmOptions> = {}, private readonly bus?: EventBus) {
    this.opts = { ...DEFAULT_WLM, ...opts };
    if (!(this.opts.slots >= 1)) throw new Error('WLM needs at least one slot');
    const half = (n: number) => Math.max(1, Math.ceil(n / 2));
    this.cap = { main: this.opts.accountSlots ?? half(this.opts.slots), short: this.opts.accountShortSlots ?? half(this.opts.shortSlots) };
  }

  /** Queues a query and resolves with `run`'s result once it has run in a slot. */
  submit<T>(job: Job, run: (signal: AbortSignal, deadline?: number) => Promise<T>): Promise<T> {
    if (this.closing) return Promise.reject(new SqlError('QUERY_CANCELED', 'the server is shutting down; no new statements are accepted'));
    if (this.queues.short.length + this.queues.main.length >= this.opts.maxQueued) {
      this.counts.rejected++;
      return Promise.reject(new SqlError('QUERY_CANCELED', `too many queued queries (limit ${this.opts.maxQueued}); retry later`));
    }
    const predictedMs = this.predictor.predict(job.sql);
    const lane: Lane = this.opts.shortSlots > 0 && !HEAVY.test(job.sql) && (predictedMs === undefined || predictedMs <= this.opts.shortQueryMs) ? 'short' : 'main';
    return new Promise<T>((resolve, reject) => {
      const e: Entry = {
        info: { id: randomUUID(), account: job.account, user: job.user, sql: job.sql.length > 4000 ? job.sql.slice(0, 4000) + '…' : job.sql, lane, state: 'QUEUED', submittedAt: Date.now(), predictedMs },
        job, controller: new AbortController(), run, resolve: resolve as (v: unknown) => void, reject,
      };
      const timeout = this.timeoutFor(job);
      if (timeout > 0) {
        e.timer = setTimeout(() => this.abort(e, 'timeout'), timeout);
        // the engine checks the deadline itself: a timer cannot fire while the leader computes
        e.deadline = Date.now() + timeout;
      }
      this.queues[lane].push(e);
      this.publish(e, 'QUEUED');
      this.dispatch();
    });
  }

  private timeoutFor(job: Job): number {
    const d = this.opts.statementTimeoutMs;
    const t = job.timeoutMs;
    if (t === undefined || t <= 0) return d;
    return d > 0 ? Math.min(t, d) : t;
  }

  /**
   * Starts queued queries while slots are free: short lane first, then main. Within a lane the
   * oldest query whose account is under its share of that lane's slots goes first.
   */
  private dispatch(): void {
    for (;;) {
      const short = this.used.short < this.opts.shortSlots ? this.admissible('short', 'short') : -1;
      const main = this.used.main < this.opts.slots ? this.admissible('main', 'main') : -1;
      // a short query may borrow an idle main slot
      const borrow = this.used.main < this.opts.slots ? this.admissible('short', 'main') : -1;
      if (short >= 0) this.start(this.queues.short.splice(short, 1)[0], 'short');
      else if (main >= 0) this.start(this.queues.main.splice(main, 1)[0], 'main');
      else if (borrow >= 0) this.start(this.queues.short.splice(borrow, 1)[0], 'main');
      else return;
    }
  }

  /** The index of the first entry in `queue` whose account may take one more `slot`, or -1. */
  private admissible(queue: Lane, slot: Lane): number {
    return this.queues[queue].findIndex((e) => this.holds(e.job.account)[slot] < this.cap[slot]);
  }

  private holds(account: string): Record<Lane, number> {
    let h = this.held.get(account);
    if (!h) this.held.set(account, (h = { short: 0, main: 0 }));
    return h;
  }

  /** Moves one of an account's slots between lanes (-1 frees it). */
  private hold(e: Entry, from: Lane | null, to: Lane | null): void {
    const h = this.holds(e.job.account);
    if (from) { h[from]--; this.used[from]--; }
    if (to) { h[to]++; this.used[to]++; }
    if (!h.short && !h.main) this.held.delete(e.job.account);
  }

  private start(e: Entry, slot: Lane): void {
    e.slot = slot;
    this.hold(e, null, slot);
    e.info.state = 'RUNNING';
    e.info.startedAt = Date.now();
    this.waits.add(e.info.startedAt - e.info.submittedAt);
    this.running.set(e.info.id, e);
    this.publish(e, 'RUNNING');
    if (slot === 'short') e.demoteTimer = setTimeout(() => this.demote(e), this.opts.shortQueryMs);
    const signal = e.controller.signal;
    const p = Promise.resolve().then(() => e.run(signal, e.deadline));
    const tracked = p.then(
      (v) => this.finish(e, null, v),
      (err) => this.finish(e, err, undefined),
    );
    this.settled.add(tracked);
    void tracked.finally(() => this.settled.delete(tracked));
  }

  /**
   * A short-lane query that overran moves to the main queue's count, freeing its short slot. An
   * account already holding its share of the main queue keeps it in one of its own short slots:
   * moving it would take a main slot another account is entitled to.
   */
  private demote(e: Entry): void {
    if (e.slot !== 'short' || !this.running.has(e.info.id)) return;
    if (this.holds(e.job.account).main >= this.cap.main) return;
    this.hold(e, 'short', 'main');
    e.slot = 'main';
    e.info.lane = 'main';
    this.dispatch();
  }

  private finish(e: Entry, err: unknown, value: unknown): void {
    clearTimeout(e.timer);
    clearTimeout(e.demoteTimer);
    if (!this.running.delete(e.info.id)) return;
    this.hold(e, e.slot!, null);
    const ms = Date.now() - (e.info.startedAt ?? Date.now());
    this.execs.add(ms);
    const reason = e.controller.signal.reason as CancelReason | undefined;
    const canceled = e.controller.signal.aborted; // counted when it was aborted
    if (!err) {
      this.predictor.record(e.job.sql, ms);
      if (!canceled) this.counts.completed++;
      this.publish(e, 'DONE', ms);
      e.resolve(value);
    } else {
      const code = (err as { code?: string }).code;
      // the engine may see its deadline before this process's timer fires (the leader was busy)
      const engineReason = (err as { reason?: CancelReason }).reason;
      if (code === 'QUERY_CANCELED' && (canceled || engineReason)) {
        // a statement stopped by its timeout ran at least this long: the next one of its shape starts in the main queue
        if ((reason ?? engineReason) === 'timeout') this.predictor.record(e.job.sql, ms);
        if (!canceled) { if (engineReason === 'timeout') this.counts.timedOut++; else this.counts.canceled++; }
        this.publish(e, 'CANCELED', ms, code);
        e.reject(cancelError(reason ?? engineReason));
      } else {
        this.predictor.record(e.job.sql, ms);
        this.counts.failed++;
        this.publish(e, 'FAILED', ms, code);
        e.reject(err);
      }
    }
    this.dispatch();
  }

  private abort(e: Entry, reason: CancelReason): void {
    for (const lane of ['short', 'main'] as const) {
      const i = this.queues[lane].indexOf(e);
      if (i < 0) continue;
      this.queues[lane].splice(i, 1);
      clearTimeout(e.timer);
      if (reason === 'timeout') this.counts.timedOut++; else this.counts.canceled++;
      this.publish(e, 'CANCELED', 0, 'QUERY_CANCELED');
      e.reject(cancelError(reason));
      return;
    }
    if (!this.running.has(e.info.id) || e.controller.signal.aborted) return;
    if (reason === 'timeout') this.counts.timedOut++; else this.counts.canceled++;
    e.controller.abort(reason);
    // reads answer at once; the slot stays taken until the engine stops
    if (e.job.readOnly) e.reject(cancelError(reason));
  }

  /** Cancels a queued or running query; returns whether it was found. */
  cancel(id: string, reason: CancelReason = 'user'): boolean {
    const e = this.running.get(id) ?? this.queues.short.find((x) => x.info.id === id) ?? this.queues.main.find((x) => x.info.id === id);
    if (!e) return false;
    this.abort(e, reason);
    return true;
  }

  /** Queued and running queries, oldest first. */
  list(): QueryInfo[] {
    return [...this.running.values(), ...this.queues.short, ...this.queues.main].map((e) => ({ ...e.info })).sort((a, b) => a.submittedAt - b.submittedAt);
  }

  get(id: string): QueryInfo | undefined {
    return this.list().find((q) => q.id === id);
  }

  /** Statements running and waiting now: what /health reports, without the metrics' percentiles. */
  load(): { running: number; queued: number } {
    return { running: this.running.size, queued: this.queues.short.length + this.queues.main.length };
  }

  metrics(): WlmMetrics {
    const runningShort = [...this.running.values()].filter((e) => e.slot === 'short').length;
    return {
      slots: this.opts.slots, shortSlots: this.opts.shortSlots, accountSlots: this.cap.main, accountShortSlots: this.cap.short, shortQueryMs: this.opts.shortQueryMs, statementTimeoutMs: this.opts.statementTimeoutMs,
      queued: this.queues.short.length + this.queues.main.length, queuedShort: this.queues.short.length,
      running: this.running.size, runningShort,
      ...this.counts,
      queueWaitP50Ms: this.waits.pct(50), queueWaitP90Ms: this.waits.pct(90), execP50Ms: this.execs.pct(50), execP90Ms: this.execs.pct(90),
    };
  }

  /**
   * Graceful shutdown: refuses new queries, lets queued and running ones finish for up to
   * `graceMs`, then cancels what is left and waits for the engine to stop them.
   */
  async drain(graceMs: number): Promise<void> {
    this.closing = true;
    const deadline = Date.now() + graceMs;
    while ((this.running.size || this.queues.short.length || this.queues.main.length) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    for (const e of [...this.queues.short, ...this.queues.main]) this.abort(e, 'shutdown');
    for (const e of [...this.running.values()]) this.abort(e, 'shutdown');
    await Promise.allSettled([...this.settled]);
  }

  private publish(e: Entry, state: 'QUEUED' | 'RUNNING' | 'DONE' | 'FAILED' | 'CANCELED', elapsedMs?: number, code?: string): void {
    if (!this.bus) return;
    this.bus.publish('query', { id: e.info.id, account: e.info.account, user: e.info.user, state, lane: e.info.lane, at: new Date().toISOString(), ...(elapsedMs !== undefined ? { elapsedMs } : {}), ...(code ? { code } : {}) });
  }
}

function cancelError(reason: CancelReason | undefined): SqlError {
  const why = reason === 'timeout' ? 'statement timeout' : reason === 'shutdown' ? 'server shutdown' : 'user request';
  return Object.assign(new SqlError('QUERY_CANCELED', `canceling statement due to ${why}`), { reason: reason ?? 'user' });
}
