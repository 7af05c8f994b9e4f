// The monitor statements: CREATE MONITOR, SHOW MONITOR / SHOW MONITORS, RUN MONITOR,
// ALTER MONITOR ... SET SCHEDULE / SET THRESHOLD, DROP MONITOR. A monitor belongs to its creator:
// its query always runs with the creator's privileges, and only the creator (or a superuser)
// sees, runs, alters or drops it.
import { randomUUID } from 'node:crypto';
import { type ErrorCode, SqlError } from '../../engine/errors.ts';
import type { Result } from '../../engine/result.ts';
import type { StatementContext } from '../../engine/session/context.ts';
import { done } from '../../engine/session/session.ts';
import type * as A from '../../engine/sql/ast.ts';
import { printQuery } from '../../engine/sql/print-expr.ts';
import { DEFAULT_THRESHOLDS, type DriftThresholds } from '../drift/compare.ts';
import { getModel, resolveVersion } from '../sql/catalog.ts';
import { checkExecute } from '../sql/functions.ts';
import { type MonitorEntry, type MonitorRun, checkMonitorAccess, findMonitor, getMonitor, latestState, monitorById, monitorKey, monitorsOf, mutableMonitors, newMonitorName } from './catalog.ts';
import { checkColumns } from './sample.ts';
import { Monitors } from './service.ts';

/** The shortest schedule (seconds); STRATA_MONITOR_MIN_INTERVAL_SECONDS lowers it (tests). */
export function minScheduleSeconds(): number {
  const env = Number(process.env.STRATA_MONITOR_MIN_INTERVAL_SECONDS);
  return Number.isFinite(env) && env > 0 ? env : 60;
}

const THRESHOLD_KEYS: Record<string, { field: keyof DriftThresholds; min: number; max: number }> = {
  PSI: { field: 'psi', min: 0, max: Infinity },
  KS_PVALUE: { field: 'ksPValue', min: 0, max: 1 },
  KS_STATISTIC: { field: 'ksStatistic', min: 0, max: 1 },
  SHARE: { field: 'share', min: 0, max: 1 },
};

/** THRESHOLD (PSI x, KS_PVALUE p, KS_STATISTIC d, SHARE s) over `base`. */
export function thresholdsFrom(opts: A.ModelOption[], base: DriftThresholds, pos: A.Pos): DriftThresholds {
  const out = { ...base };
  for (const o of opts) {
    const k = THRESHOLD_KEYS[o.key];
    if (!k) throw new SqlError('INVALID_PARAMETER', `unknown THRESHOLD option ${o.key} (expected ${Object.keys(THRESHOLD_KEYS).join(', ')})`, pos);
    const v = typeof o.value === 'number' ? o.value : Number(o.value);
    if (!Number.isFinite(v) || v < k.min || v > k.max) throw new SqlError('INVALID_PARAMETER', `THRESHOLD ${o.key} must be a number${k.max === 1 ? ' between 0 and 1' : ' >= 0'}, got ${o.value}`, pos);
    out[k.field] = v;
  }
  return out;
}

function checkSchedule(seconds: number | null | undefined, pos: A.Pos): void {
  if (seconds === null || seconds === undefined) return;
  const min = minScheduleSeconds();
  if (seconds < min) throw new SqlError('INVALID_PARAMETER', `SCHEDULE EVERY must be at least ${min} seconds, got ${seconds}`, pos);
}

export async function createMonitor(stmt: A.CreateMonitor, ctx: StatementContext): Promise<Result> {
  const where = newMonitorName(ctx, stmt.name, stmt.pos);
  if (monitorsOf(ctx.state, ctx.session.account)[monitorKey(where)]) throw new SqlError('DUPLICATE_OBJECT', `monitor "${where.name}" already exists`, stmt.pos);
  const m = getModel(ctx, stmt.model, stmt.pos);
  checkExecute(ctx, m, stmt.pos);
  const v = resolveVersion(m.entry, undefined);
  if (v.remote) throw new SqlError('FEATURE_NOT_SUPPORTED', `model "${m.entry.name}" (version ${v.version}) runs on SageMaker endpoint '${v.remote.endpoint}'; drift monitors need the model's graph`, stmt.pos);
  if (!v.profileFile && !v.query) {
    throw new SqlError('FEATURE_NOT_SUPPORTED', `model "${m.entry.name}" (version ${v.version}) has no training profile and no training query to make one from (a model brought from a file); train it with CREATE MODEL to monitor it`, stmt.pos);
  }
  // binding checks the creator's privileges on every table and the columns the model needs
  await checkColumns(ctx, stmt.query, v, 'the monitor\'s query');
  checkSchedule(stmt.scheduleSeconds, stmt.pos);
  const entry: MonitorEntry = {
    id: randomUUID(), name: where.name, database: where.database, schema: where.schema,
    ...ctx.ownerRef,
    model: { database: m.database, schema: m.schema, name: m.entry.name },
    query: printQuery(stmt.query),
    ...(stmt.scheduleSeconds !== undefined ? { scheduleSeconds: stmt.scheduleSeconds } : {}),
    thresholds: thresholdsFrom(stmt.thresholds, DEFAULT_THRESHOLDS, stmt.pos),
    createdAt: ctx.now().toISOString(), runs: [], lastRun: 0,
  };
  ctx.txn.apply((s) => {
    const all = mutableMonitors(s, ctx.session.account);
    if (all[monitorKey(where)]) throw new SqlError('DUPLICATE_OBJECT', `monitor "${where.name}" already exists`);
    all[monitorKey(where)] = structuredClone(entry);
  }, { ddl: true });
  return done('CREATE MONITOR');
}

export async function dropMonitor(stmt: A.DropMonitor, ctx: StatementContext): Promise<Result> {
  const m = findMonitor(ctx, stmt.name, stmt.pos);
  if (!m || !(ctx.isSuperuser || ctx.owns(m))) {
    if (stmt.ifExists && !m) return done('DROP MONITOR');
    throw new SqlError('UNDEFINED_OBJECT', `monitor "${stmt.name.join('.')}" does not exist`, stmt.pos);
  }
  ctx.txn.apply((s) => {
    const all = mutableMonitors(s, ctx.session.account);
    if (all[monitorKey(m)]?.id === m.id) delete all[monitorKey(m)];
  }, { ddl: true });
  return done('DROP MONITOR');
}

export async function alterMonitor(stmt: A.AlterMonitor, ctx: StatementContext): Promise<Result> {
  const m = getMonitor(ctx, stmt.name, stmt.pos);
  checkMonitorAccess(ctx, m, stmt.name, stmt.pos);
  const a = stmt.action;
  if (a.kind === 'SetSchedule') checkSchedule(a.seconds, stmt.pos);
  const thresholds = a.kind === 'SetThreshold' ? thresholdsFrom(a.thresholds, m.thresholds, stmt.pos) : null;
  ctx.txn.apply((s) => {
    const x = monitorById(s, ctx.session.account, m.id);
    if (!x) throw new SqlError('UNDEFINED_OBJECT', `monitor "${m.name}" no longer exists`);
    if (thresholds) x.thresholds = thresholds;
    else if (a.kind === 'SetSchedule') {
      if (a.seconds === null) delete x.scheduleSeconds;
      else x.scheduleSeconds = a.seconds;
    }
  }, { ddl: true });
  return done('ALTER MONITOR');
}

/** RUN MONITOR: runs it now as its owner, records the run, and returns the per-column rows. */
export async function runMonitor(stmt: A.RunMonitor, ctx: StatementContext, monitors: Monitors): Promise<Result> {
  const m = getMonitor(ctx, stmt.name, stmt.pos);
  checkMonitorAccess(ctx, m, stmt.name, stmt.pos);
  const run = await monitors.run(ctx.session.account, m, { trigger: 'manual', by: ctx.session.user, signal: ctx.signal, deadline: ctx.guard.deadline || undefined, settings: ctx.session.settings });
  if (!run) throw new SqlError('UNDEFINED_OBJECT', `monitor "${m.name}" was dropped while it ran`, stmt.pos);
  if (run.state === 'FAILED') throw new SqlError((run.errorCode ?? 'INTERNAL_ERROR') as ErrorCode, `monitor "${m.name}" run ${run.run} failed: ${run.error}`);
  return runRows(m, run, 'RUN MONITOR');
}

const RUN_COLUMNS = [
  { name: 'run', type: 'INTEGER' }, { name: 'column_name', type: 'VARCHAR' }, { name: 'kind', type: 'VARCHAR' },
  { name: 'rows', type: 'BIGINT' }, { name: 'psi', type: 'DOUBLE PRECISION' }, { name: 'ks_statistic', type: 'DOUBLE PRECISION' },
  { name: 'ks_pvalue', type: 'DOUBLE PRECISION' }, { name: 'state', type: 'VARCHAR' },
];

/** One row per compared column plus an overall row. */
function runRows(m: MonitorEntry, r: MonitorRun, command: string): Result {
  const rows: unknown[][] = r.columns.map((c) => [r.run, c.column, c.kind, c.rows, c.psi, c.ks ?? null, c.ksPValue ?? null, c.state]);
  rows.push([r.run, '(overall)', null, r.rows ?? null, null, null, null, r.state]);
  return { command, rowCount: rows.length, columns: RUN_COLUMNS, rows };
}

/** SHOW MONITOR m: key/value rows (definition and latest run), then its columns' drift. SHOW MONITORS: one row each. */
export async function showMonitor(stmt: A.ShowMonitor, ctx: StatementContext): Promise<Result> {
  if (!stmt.name) {
    const rows = Object.values(monitorsOf(ctx.state, ctx.session.account))
      .filter((m) => ctx.isSuperuser || ctx.owns(m))
      .sort((a, b) => monitorKey(a).localeCompare(monitorKey(b)))
      .map((m) => {
        const last = m.runs.at(-1);
        return [m.name, m.schema, m.owner, `${m.model.schema}.${m.model.name}`, m.scheduleSeconds ?? null, latestState(m), last?.finishedAt ?? null, nextRun(m)];
      });
    return {
      command: 'SHOW', rowCount: rows.length, rows,
      columns: [{ name: 'monitor_name', type: 'VARCHAR' }, { name: 'schema_name', type: 'VARCHAR' }, { name: 'owner', type: 'VARCHAR' }, { name: 'model', type: 'VARCHAR' },
        { name: 'schedule_seconds', type: 'INTEGER' }, { name: 'state', type: 'VARCHAR' }, { name: 'last_run_at', type: 'VARCHAR' }, { name: 'next_run_at', type: 'VARCHAR' }],
    };
  }
  const m = getMonitor(ctx, stmt.name, stmt.pos);
  checkMonitorAccess(ctx, m, stmt.name, stmt.pos);
  const rows: [string, string | null][] = describeMonitor(m);
  const last = m.runs.at(-1);
  for (const c of last?.columns ?? []) {
    const ks = c.ks === undefined ? '' : `, KS ${round(c.ks)} (p ${round(c.ksPValue!)})`;
    rows.push([`Drift: ${c.column}`, `${c.state}: PSI ${round(c.psi)}${ks}`]);
  }
  return { command: 'SHOW', rowCount: rows.length, columns: [{ name: 'Key', type: 'VARCHAR' }, { name: 'Value', type: 'VARCHAR' }], rows };
}

/** SHOW MONITOR's key/value rows, without the per-column lines. */
export function describeMonitor(m: MonitorEntry): [string, string | null][] {
  const last = m.runs.at(-1);
  const t = m.thresholds;
  return [
    ['Monitor Name', m.name], ['Schema Name', m.schema], ['Owner', m.owner],
    ['Model', `${m.model.database}.${m.model.schema}.${m.model.name}`], ['Query', m.query],
    ['Schedule', m.scheduleSeconds ? `every ${m.scheduleSeconds} seconds` : 'none (RUN MONITOR only)'],
    ['Next Run', nextRun(m)],
    ['Thresholds', `PSI ${t.psi}, KS_PVALUE ${t.ksPValue}, KS_STATISTIC ${t.ksStatistic}, SHARE ${t.share}`],
    ['Created', m.createdAt],
    ['State', latestState(m) ?? 'never run'],
    ['Last Run', last ? `${last.run} (${last.trigger}, by ${last.by}) at ${last.finishedAt}` : null],
    ['Model Version', last?.modelVersion !== undefined ? String(last.modelVersion) : null],
    ['Rows', last?.rows !== undefined ? String(last.rows) : null],
    ['Error', last?.error ?? null],
    ['Retrain', last?.retrain ?? null],
  ];
}

function nextRun(m: MonitorEntry): string | null {
  const due = Monitors.dueAt(m);
  return due === null ? null : new Date(due).toISOString();
}

const round = (x: number) => (x === 0 || Math.abs(x) >= 1e-4 ? String(Number(x.toFixed(4))) : x.toExponential(3));
