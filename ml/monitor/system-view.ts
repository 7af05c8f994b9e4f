// stv_ml_monitor_runs: the kept runs of the monitors the caller may see (their own; a superuser
// sees the account's), one row per compared column plus an '(overall)' row per run, as a table
// that can be filtered, joined and aggregated.
import type { Relation } from '../../engine/plan/bind-query.ts';
import type { StatementContext } from '../../engine/session/context.ts';
import { T, type SqlType } from '../../engine/types/types.ts';
import { type Batch, type Vector, vectorFromValues } from '../../engine/types/vector.ts';
import { monitorsOf } from './catalog.ts';
import { namesSystemView } from '../../engine/catalog/lookup.ts';

export const RUNS_VIEW = 'stv_ml_monitor_runs';

type Cell = string | number | null;
const COLUMNS: [string, SqlType][] = [
  ['monitor_name', T.varchar], ['schema_name', T.varchar], ['owner', T.varchar], ['model_name', T.varchar],
  ['run', T.int], ['trigger', T.varchar], ['run_by', T.varchar], ['started_at', T.timestamp], ['finished_at', T.timestamp],
  ['model_version', T.int], ['column_name', T.varchar], ['kind', T.varchar], ['rows', T.bigint],
  ['psi', T.double], ['ks_statistic', T.double], ['ks_pvalue', T.double], ['state', T.varchar],
  ['error', T.varchar], ['retrain', T.varchar],
];

/** The view named `name` (optionally pg_catalog.name), or null. */
export function monitorRunsView(ctx: StatementContext, name: string[]): Relation | null {
  if (!namesSystemView(name, RUNS_VIEW)) return null;
  const rows: Cell[][] = [];
  for (const m of Object.values(monitorsOf(ctx.state, ctx.session.account))) {
    if (!ctx.isSuperuser && !ctx.owns(m)) continue;
    for (const r of m.runs) {
      const head: Cell[] = [m.name, m.schema, m.owner, m.model.name, r.run, r.trigger, r.by, r.startedAt, r.finishedAt, r.modelVersion ?? null];
      for (const c of r.columns) rows.push([...head, c.column, c.kind, c.rows, c.psi, c.ks ?? null, c.ksPValue ?? null, c.state, null, null]);
      rows.push([...head, '(overall)', null, r.rows ?? null, null, null, null, r.state, r.error ?? null, r.retrain ?? null]);
    }
  }
  return { kind: 'batch', batch: toBatch(rows), fields: COLUMNS.map(([n, type]) => ({ name: n, type })), path: [RUNS_VIEW] };
}

function toBatch(rows: Cell[][]): Batch {
  const n = rows.length;
  const columns: Vector[] = COLUMNS.map(([, type], c) => vectorFromValues(type, rows.map((r) => r[c])));
  return { length: n, columns };
}
