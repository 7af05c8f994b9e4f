// Where drift monitors live: the catalog's extension area `ml_monitors`, per account, keyed by
// database.schema.name. A monitor holds its definition, its schedule and its last runs, so the
// schedule survives a restart and every run is recorded in a commit of its own.
import type { CatalogState } from '../../engine/catalog/catalog.ts';
import { splitName } from '../../engine/catalog/lookup.ts';
import { SqlError } from '../../engine/errors.ts';
import type { StatementContext } from '../../engine/session/context.ts';
import { checkSchemaCreate } from '../../engine/session/privileges.ts';
import type { Pos } from '../../engine/sql/ast.ts';
import type { ColumnDrift, DriftThresholds } from '../drift/compare.ts';

/** How many runs a monitor keeps (the oldest are dropped): what stv_ml_monitor_runs shows. */
export const KEPT_RUNS = 50;

export type RunState = 'OK' | 'DRIFTED' | 'FAILED';

/** One run of a monitor, as SHOW MONITOR and stv_ml_monitor_runs show it. */
export interface MonitorRun {
  run: number;
  trigger: 'manual' | 'schedule';
  /** who ran it: the monitor's owner always runs the query; `by` is who asked (manual runs) */
  by: string;
  startedAt: string;
  finishedAt: string;
  state: RunState;
  error?: string;
  /** the SqlError code of a FAILED run */
  errorCode?: string;
  /** the model version compared with */
  modelVersion?: number;
  rows?: number;
  columns: ColumnDrift[];
  /** what auto retraining did after a DRIFTED run (ALTER MODEL ... SET AUTO RETRAIN ON DRIFT) */
  retrain?: string;
}

export interface MonitorEntry {
  id: string;
  name: string;
  database: string;
  schema: string;
  /** the user whose privileges run the query, and that user's immutable id (a namesake is not them) */
  owner: string;
  ownerId?: string;
  model: { database: string; schema: string; name: string };
  /** the USING query, as SQL */
  query: string;
  scheduleSeconds?: number;
  thresholds: DriftThresholds;
  createdAt: string;
  /** the newest runs, oldest first */
  runs: MonitorRun[];
  lastRun: number;
}

const KEY = 'ml_monitors';
type Area = Record<string, Record<string, MonitorEntry>>;

export const monitorKey = (m: { database: string; schema: string; name: string }) => `${m.database}.${m.schema}.${m.name}`;

/** The monitors of an account in a catalog version (read-only). */
export function monitorsOf(state: CatalogState, account: string): Record<string, MonitorEntry> {
  return (state.ext[KEY] as Area | undefined)?.[account] ?? {};
}

/** The account's monitors inside a state being mutated (created on first use). */
export function mutableMonitors(state: CatalogState, account: string): Record<string, MonitorEntry> {
  const area = ((state.ext[KEY] as Area | undefined) ??= {});
  return (area[account] ??= {});
}

/** Every monitor of every account (the scheduler's view). */
export function allMonitors(state: CatalogState): { account: string; monitor: MonitorEntry }[] {
  const out: { account: string; monitor: MonitorEntry }[] = [];
  for (const [account, ms] of Object.entries((state.ext[KEY] as Area | undefined) ?? {})) {
    for (const m of Object.values(ms)) out.push({ account, monitor: m });
  }
  return out;
}

/** Where a new monitor named `name` goes. */
export function newMonitorName(ctx: StatementContext, name: string[], pos: Pos): { database: string; schema: string; name: string } {
  const n = splitName(name, ctx.session.database, ctx.session.searchPath[0] ?? 'public', pos);
  const db = ctx.account.databases[n.database];
  const sc = db?.schemas[n.schema];
  if (!sc) throw new SqlError('UNDEFINED_OBJECT', `schema "${n.database}.${n.schema}" does not exist`, pos);
  checkSchemaCreate(ctx, db, sc, pos);
  return n;
}

/** Finds a monitor by its (1-3 part) name along the search path; null when there is none. */
export function findMonitor(ctx: StatementContext, name: string[], pos?: Pos): MonitorEntry | null {
  const all = monitorsOf(ctx.state, ctx.session.account);
  const schemas = name.length === 1 ? ctx.session.searchPath : [undefined];
  for (const s of schemas) {
    const n = splitName(name, ctx.session.database, s ?? 'public', pos);
    const m = all[monitorKey(n)];
    if (m) return m;
  }
  return null;
}

/** Like findMonitor, but a missing monitor is an error. */
export function getMonitor(ctx: StatementContext, name: string[], pos?: Pos): MonitorEntry {
  const m = findMonitor(ctx, name, pos);
  if (!m) throw new SqlError('UNDEFINED_OBJECT', `monitor "${name.join('.')}" does not exist`, pos);
  return m;
}

/**
 * A monitor is its owner's: only the owner (or a superuser) sees it, runs it, alters or drops
 * it. Others get "does not exist", so they learn nothing of it.
 */
export function checkMonitorAccess(ctx: StatementContext, m: MonitorEntry, name: string[], pos?: Pos): void {
  if (ctx.isSuperuser || ctx.owns(m)) return;
  throw new SqlError('UNDEFINED_OBJECT', `monitor "${name.join('.')}" does not exist`, pos);
}

/** The monitor with this id inside a state being mutated, or null when it was dropped. */
export function monitorById(state: CatalogState, account: string, id: string): MonitorEntry | null {
  return Object.values(monitorsOf(state, account)).find((m) => m.id === id) ?? null;
}

/** The latest run's state, or null before the first run. */
export function latestState(m: MonitorEntry): RunState | null {
  return m.runs.at(-1)?.state ?? null;
}
