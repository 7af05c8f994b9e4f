// ANALYZE [table] recomputes table statistics from every live row (in the slices), and the
// svv_table_stats system view reads them. What either may touch: the tables the user owns
// (ANALYZE) or may SELECT from (the view), in the current database; nothing else.
import type * as A from '../../sql/ast.ts';
import type { Result } from '../../result.ts';
import type { StatementContext } from '../context.ts';
import type { Relation } from '../../plan/bind-query.ts';
import type { TableState } from '../../catalog/catalog.ts';
import { done } from '../session.ts';
import { SqlError } from '../../errors.ts';
import { findTableById, namesSystemView } from '../../catalog/lookup.ts';
import { segmentsBySlice } from '../../exec/fragments.ts';
import type { ColumnFigures } from '../../exec/stats-gather.ts';
import { analyzed, distinctValues, liveRows, columnStats } from '../../catalog/table-stats.ts';
import { sketchMerge } from '../../functions/aggregates/approx-count-distinct.ts';
import { hasSchemaUsage, hasTablePrivilege } from '../privileges.ts';
import { T, typeName } from '../../types/types.ts';
import { formatValue } from '../../types/values.ts';
import { stringVector, type Vector } from '../../types/vector.ts';

export async function analyze(stmt: A.Analyze, ctx: StatementContext): Promise<Result> {
  const tables: TableState[] = [];
  if (stmt.table) {
    const loc = ctx.findTable(stmt.table, stmt.pos);
    if (loc.kind !== 'table') throw new SqlError('FEATURE_NOT_SUPPORTED', `"${stmt.table.join('.')}" is a view; ANALYZE works on tables`, stmt.pos);
    if (!ctx.isSuperuser && !ctx.owns(loc.table)) throw new SqlError('PERMISSION_DENIED', `must be owner of table ${loc.table.name} to ANALYZE it`, stmt.pos);
    for (const c of stmt.columns ?? []) {
      if (!loc.table.columns.some((x) => x.name === c)) throw new SqlError('UNDEFINED_COLUMN', `column "${c}" of relation "${loc.table.name}" does not exist`, stmt.pos);
    }
    tables.push(loc.table);
  } else {
    // every table of the current database the user owns (as VACUUM without a table)
    for (const s of Object.values(ctx.currentDatabase().schemas)) for (const t of Object.values(s.tables)) if (ctx.isSuperuser || ctx.owns(t)) tables.push(t);
  }
  for (const t of tables) {
    const figures = await gather(ctx, t);
    const stats = analyzed(t, liveRows(t), figures, ctx.now());
    const id = t.id;
    // statistics change no rows: no write conflict with concurrent writers (theirs merge in at their commit)
    ctx.txn.apply((s) => { const tt = findTableById(s, id); if (tt) tt.stats = structuredClone(stats); });
  }
  return done('ANALYZE');
}

/** Every column's figures over the table's live rows, from all slices. */
async function gather(ctx: StatementContext, t: TableState): Promise<ColumnFigures[]> {
  const { bySlice } = segmentsBySlice(t, ctx.db.slices, null);
  const types = t.columns.map((c) => c.type);
  const parts = await Promise.all(bySlice.map((segments, s) => ctx.db.pool.call<ColumnFigures[]>(s, { op: 'analyze', types, segments, cancel: ctx.guard.token })));
  return types.map((_, c) => parts.reduce<ColumnFigures>((acc, p) => ({
    rows: acc.rows + p[c].rows,
    nulls: acc.nulls + p[c].nulls,
    min: acc.min === null ? p[c].min : p[c].min === null || acc.min <= p[c].min ? acc.min : p[c].min,
    max: acc.max === null ? p[c].max : p[c].max === null || acc.max >= p[c].max ? acc.max : p[c].max,
    sketch: sketchMerge(acc.sketch, p[c].sketch),
  }), { rows: 0, nulls: 0, min: null, max: null, sketch: undefined }));
}

export const TABLE_STATS_VIEW = 'svv_table_stats';
const VIEW = TABLE_STATS_VIEW;

const COLUMNS: [string, typeof T.varchar][] = [
  ['schema_name', T.varchar], ['table_name', T.varchar], ['column_name', T.varchar], ['column_type', T.varchar],
  ['live_rows', T.bigint], ['stats_rows', T.bigint], ['null_count', T.bigint], ['distinct_values', T.bigint],
  ['min_value', T.varchar], ['max_value', T.varchar], ['analyzed_at', T.timestamp], ['approximate', T.bool],
];

/**
 * svv_table_stats: one row per column of every table of the current database the user may
 * SELECT from. `approximate` is true when rows were deleted or updated since the figures were
 * made (stats_rows differs from live_rows): distinct values and min/max are then bounds.
 */
export function tableStatsView(ctx: StatementContext, name: string[]): Relation | null {
  if (!namesSystemView(name, VIEW)) return null;
  const rows: (string | number | boolean | null)[][] = [];
  const db = ctx.currentDatabase();
  for (const s of Object.values(db.schemas)) {
    if (!hasSchemaUsage(ctx, db, s)) continue;
    for (const t of Object.values(s.tables)) {
      if (!hasTablePrivilege(ctx, t, 'SELECT')) continue;
      const live = liveRows(t);
      t.columns.forEach((col, c) => {
        const cs = columnStats(t, c);
        const shown = (v: number | string | null | undefined) => (v === null || v === undefined ? null : String(formatValue(col.type, v as never)));
        rows.push([s.name, t.name, col.name, typeName(col.type), live, t.stats?.rows ?? null, cs?.nulls ?? null, cs ? distinctValues(t, c) : null,
          shown(cs?.min), shown(cs?.max), t.stats?.analyzedAt ? Date.parse(t.stats.analyzedAt) * 1000 : null, t.stats ? t.stats.rows !== live : true]);
      });
    }
  }
  const n = rows.length;
  const columns: Vector[] = COLUMNS.map(([, type], i) => {
    if (type === T.varchar) return stringVector(type, rows.map((r) => r[i] as string | null));
    const values = type === T.bool ? new Uint8Array(n) : new Float64Array(n);
    let valid: Uint8Array | null = null;
    rows.forEach((r, k) => { const v = r[i]; if (v === null) (valid ??= new Uint8Array(n).fill(1))[k] = 0; else values[k] = Number(v); });
    return { type, length: n, values, valid };
  });
  return { kind: 'batch', batch: { length: n, columns }, fields: COLUMNS.map(([name, type]) => ({ name, type })), path: [VIEW] };
}
