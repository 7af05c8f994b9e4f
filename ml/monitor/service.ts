// The monitors of one database: runs (manual or scheduled) one at a time per monitor, events on
// `db.events` 'monitor' (run finished, state changed, retraining), and, in a server, the
// schedule: a timer set for the next monitor due, re-planned after every commit, so schedules
// kept in the catalog resume after a restart. Scheduled runs go one at a time for the whole
// server, as the monitor's owner, each bounded by the statement timeout and the memory limit.
import { ownerIdOf } from '../../engine/catalog/owners.ts';
import type { Database } from '../../engine/database.ts';
import { type MonitorEntry, type MonitorRun, allMonitors, monitorById } from './catalog.ts';
import { type RunOptions, measure, noteRetrain, recordRun } from './run.ts';
import type { ModelEntry } from '../sql/catalog.ts';
import type { MonitorEvent } from '../../api/events.ts';

/** The payload of a db.events 'monitor' event: the API's MonitorEvent, defined once there. */
export type MonitorEventPayload = MonitorEvent;

/** Decides about retraining after a DRIFTED run; returns what it did (for the run log), or null. */
export type RetrainHook = (account: string, m: MonitorEntry, model: ModelEntry, run: MonitorRun) => Promise<string | null>;

/** A scheduled run is stopped after this long when the server sets no statement timeout. */
export const DEFAULT_RUN_TIMEOUT_MS = 15 * 60_000;
/** The timer re-checks at least this often (a clock change, a missed commit event). */
const MAX_SLEEP_MS = 60_000;

export class Monitors {
  /** per monitor id: the run in progress (the next one waits for it) */
  private readonly chains = new Map<string, Promise<unknown>>();
  private readonly queued = new Set<string>();
  private serial: Promise<unknown> = Promise.resolve();
  private timer: NodeJS.Timeout | null = null;
  private schedule: { timeoutMs: number } | null = null;
  private readonly stop = new AbortController();
  private readonly replan = () => this.plan();
  retrain: RetrainHook | null = null;

  constructor(private readonly db: Database) {}

  /** Runs a monitor now (after any run of it in progress), records and announces the run. */
  run(account: string, m: MonitorEntry, o: RunOptions): Promise<MonitorRun | null> {
    const prev = this.chains.get(m.id) ?? Promise.resolve();
    const next = prev.catch(() => undefined).then(() => this.runNow(account, m.id, o));
    const tail = next.catch(() => undefined);
    this.chains.set(m.id, tail);
    void tail.then(() => { if (this.chains.get(m.id) === tail) this.chains.delete(m.id); });
    return next;
  }

  private async runNow(account: string, id: string, o: RunOptions): Promise<MonitorRun | null> {
    const m = monitorById(this.db.catalog, account, id); // its latest definition
    if (!m) return null;
    if (o.trigger === 'schedule' && !m.scheduleSeconds) return null; // its schedule was turned off meanwhile
    const signal = o.signal ? AbortSignal.any([o.signal, this.stop.signal]) : this.stop.signal;
    const { run, model } = await measure(this.db, account, m, { ...o, signal });
    const rec = await recordRun(this.db, account, id, run);
    if (!rec) return null;
    const base = { monitor: m.name, model: m.model.name, at: this.db.now().toISOString(), account, owner: m.owner, ownerId: ownerIdOf(this.db.catalog, account, m), run: rec.run.run };
    const detail = rec.run.state === 'FAILED' ? rec.run.error : summary(rec.run);
    this.emit({ ...base, kind: 'run_finished', state: rec.run.state, message: detail });
    if (rec.previous !== rec.run.state) this.emit({ ...base, kind: 'state_changed', state: rec.run.state, ...(rec.previous ? { previousState: rec.previous } : {}), message: detail });
    if (rec.run.state === 'DRIFTED' && model?.autoRetrain && this.retrain) {
      const decision = await this.retrain(account, m, model, rec.run).catch((e: Error) => `retraining failed: ${e.message}`);
      if (decision) {
        await noteRetrain(this.db, account, id, rec.run.run, decision);
        rec.run.retrain = decision;
        this.emit({ ...base, kind: 'retrained', state: rec.run.state, message: decision });
      }
    }
    return rec.run;
  }

  emit(e: MonitorEventPayload): void {
    this.db.events.emit('monitor', e);
  }

  /** Starts running schedules (the server calls this; one-shot CLI processes do not). */
  startSchedule(opts: { statementTimeoutMs?: number } = {}): void {
    if (this.schedule) return;
    this.schedule = { timeoutMs: opts.statementTimeoutMs && opts.statementTimeoutMs > 0 ? opts.statementTimeoutMs : DEFAULT_RUN_TIMEOUT_MS };
    this.db.events.on('commit', this.replan);
    this.plan();
  }

  /** When each scheduled monitor is next due: its interval after its last run (or its creation). */
  static dueAt(m: MonitorEntry): number | null {
    if (!m.scheduleSeconds) return null;
    const last = m.runs.at(-1)?.startedAt ?? m.createdAt;
    return Date.parse(last) + m.scheduleSeconds * 1000;
  }

  private plan(): void {
    if (!this.schedule || this.stop.signal.aborted) return;
    if (this.timer) clearTimeout(this.timer);
    const now = this.db.now().getTime();
    let next = now + MAX_SLEEP_MS;
    for (const { account, monitor } of allMonitors(this.db.catalog)) {
      const due = Monitors.dueAt(monitor);
      if (due === null || this.queued.has(monitor.id)) continue;
      if (due <= now) this.enqueue(account, monitor);
      else next = Math.min(next, due);
    }
    this.timer = setTimeout(() => this.plan(), Math.max(10, next - now));
    this.timer.unref();
  }

  /** Scheduled runs wait for each other: one at a time for the whole server. */
  private enqueue(account: string, m: MonitorEntry): void {
    this.queued.add(m.id);
    const timeoutMs = this.schedule!.timeoutMs;
    this.serial = this.serial
      .then(() => (this.stop.signal.aborted ? null : this.run(account, m, { trigger: 'schedule', by: m.owner, deadline: Date.now() + timeoutMs })))
      .catch(() => undefined)
      .finally(() => { this.queued.delete(m.id); this.plan(); });
  }

  /** Resolves once no scheduled run is queued or running (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.queued.size > 0) await this.serial;
    await Promise.allSettled([...this.chains.values()]);
  }

  async close(): Promise<void> {
    this.stop.abort();
    if (this.timer) clearTimeout(this.timer);
    this.db.events.off('commit', this.replan);
    await Promise.allSettled([this.serial, ...this.chains.values()]);
  }
}

/** One line about a run: the state and the columns that drifted. */
export function summary(r: MonitorRun): string {
  const drifted = r.columns.filter((c) => c.state === 'DRIFTED').map((c) => c.column);
  return `${r.state} on ${r.rows ?? 0} rows${drifted.length ? `; drifted: ${drifted.join(', ')}` : ''}`;
}
