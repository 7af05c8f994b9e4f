// Table statistics kept in the catalog (so every snapshot has its own, and they survive a
// restart with the manifest): merged in by each write, recomputed by ANALYZE, read by the
// optimizer's cardinality estimates and the svv_table_stats view.
import type { ColumnStatsState, SegmentEntry, TableState, TableStats } from './catalog.ts';
import { sketchEstimate, sketchFromJson, sketchMerge, sketchToJson, type Sketch } from '../functions/aggregates/approx-count-distinct.ts';

/** Per column, what a write or a scan learned (sketches as the slices return them). */
export interface ColumnDelta {
  nulls: number;
  min: number | string | null;
  max: number | string | null;
  sketch: Sketch | undefined;
}

/** A stored sketch, or none when it cannot be read (a damaged or older entry only loses its estimate). */
function readSketch(j: ColumnStatsState['sketch']): Sketch | undefined {
  if (!j) return undefined;
  try { return sketchFromJson(j); } catch { return undefined; }
}

const lower = (a: number | string | null, b: number | string | null) => (a === null ? b : b === null ? a : b < a ? b : a);
const upper = (a: number | string | null, b: number | string | null) => (a === null ? b : b === null ? a : b > a ? b : a);

/**
 * Merges new segments into a table's statistics (inside the transaction's mutation, so a
 * commit replayed over a newer state merges into that state's figures). A table whose
 * segments were all replaced (VACUUM, TRUNCATE, ALTER TABLE rewrites) starts afresh.
 * `sketches[k][c]` is column c's sketch for entries[k], when the slice sent one.
 */
export function mergeWrite(t: TableState, entries: SegmentEntry[], sketches: ((Sketch | undefined)[] | undefined)[]): void {
  const fresh = t.segments.length === entries.length;
  const old = fresh ? undefined : t.stats;
  // DISTSTYLE ALL writes a copy to every slice: count one (sketches merge the same values anyway)
  const counted = (e: SegmentEntry) => t.distStyle !== 'ALL' || e.slice === 0;
  const rows = (old?.rows ?? 0) + entries.reduce((n, e) => n + (counted(e) ? e.rows : 0), 0);
  const columns = t.columns.map((col, c): ColumnStatsState => {
    const prev = old?.columns.find((x) => x.name === col.name);
    let sketch: Sketch | undefined = readSketch(prev?.sketch ?? null);
    let { nulls, min, max } = prev ?? { nulls: 0, min: null, max: null };
    entries.forEach((e, k) => {
      const z = e.zones[c];
      if (!z) return;
      if (counted(e)) nulls += z.nullCount;
      min = lower(min, z.min);
      max = upper(max, z.max);
      sketch = sketchMerge(sketch, sketches[k]?.[c]);
    });
    return { name: col.name, nulls, min, max, sketch: sketch ? sketchToJson(sketch) : null };
  });
  t.stats = { rows, columns, analyzedAt: old?.analyzedAt ?? null };
}

/** Statistics recomputed from every live row (ANALYZE). */
export function analyzed(t: TableState, rows: number, deltas: ColumnDelta[], at: Date): TableStats {
  return {
    rows,
    columns: t.columns.map((col, c) => ({ name: col.name, nulls: deltas[c].nulls, min: deltas[c].min, max: deltas[c].max, sketch: deltas[c].sketch ? sketchToJson(deltas[c].sketch!) : null })),
    analyzedAt: at.toISOString(),
  };
}

/** Rows the table holds now (exact: segments minus deleted rows; DISTSTYLE ALL counts one copy). */
export function liveRows(t: TableState): number {
  let n = 0;
  for (const s of t.segments) if (t.distStyle !== 'ALL' || s.slice === 0) n += s.rows - s.deletedCount;
  return n;
}

const estimates = new WeakMap<ColumnStatsState, number>();

/** Estimated distinct non-NULL values of a column, or null without statistics for it. */
export function distinctValues(t: TableState, column: number): number | null {
  const name = t.columns[column]?.name;
  const s = t.stats?.columns.find((x) => x.name === name);
  if (!s) return null;
  let e = estimates.get(s);
  if (e === undefined) {
    e = sketchEstimate(readSketch(s.sketch));
    estimates.set(s, e);
  }
  return e;
}

/** A column's statistics, if any. */
export function columnStats(t: TableState, column: number): ColumnStatsState | undefined {
  const name = t.columns[column]?.name;
  return t.stats?.columns.find((x) => x.name === name);
}
