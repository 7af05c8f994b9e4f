// Table statistics kept in the catalog (so every snapshot has its own, and they survive a
// restart with the manifest): merged in by each write, recomputed by ANALYZE, read by the
// optimizer's cardinality estimates and the svv_table_stats view. Column sketches are not in
// the catalog itself but in a file it names (sketch-files.ts); the commit writes that file.
import type { ColumnStatsState, SegmentEntry, TableState, TableStats } from './catalog.ts';
import { sketchEstimate, sketchFromJson, sketchMerge, type Sketch, type SketchJson } from '../functions/aggregates/approx-count-distinct.ts';
import { loadSketches } from './sketch-files.ts';

/** Per column, what a write or a scan learned (sketches as the slices return them). */
export interface ColumnDelta {
  nulls: number;
  min: number | string | null;
  max: number | string | null;
  sketch: Sketch | undefined;
}

/** A sketch stored inline by a manifest from before sketch files, or undefined when it cannot be read. */
function readSketch(j: SketchJson): Sketch | undefined {
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
  const pendingSketches: Record<string, Sketch | null> = {};
  const columns = t.columns.map((col, c): ColumnStatsState => {
    const prev = old?.columns.find((x) => x.name === col.name);
    // a column whose earlier sketch is unknown (its file is lost) stays unknown
    const prior = prev ? knownSketch(old!, col.name) : null;
    const known = prior !== undefined;
    // merging changes its first sketch in place: never the cached one a file holds
    let sketch: Sketch | undefined = prior ? structuredClone(prior) : undefined;
    let { nulls, min, max } = prev ?? { nulls: 0, min: null, max: null };
    entries.forEach((e, k) => {
      const z = e.zones[c];
      if (!z) return;
      if (counted(e)) nulls += z.nullCount;
      min = lower(min, z.min);
      max = upper(max, z.max);
      sketch = sketchMerge(sketch, sketches[k]?.[c]);
    });
    if (known) pendingSketches[col.name] = sketch ?? null;
    return { name: col.name, nulls, min, max };
  });
  t.stats = { rows, columns, analyzedAt: old?.analyzedAt ?? null, sketchFile: null, pendingSketches };
}

/** Statistics recomputed from every live row (ANALYZE). */
export function analyzed(t: TableState, rows: number, deltas: ColumnDelta[], at: Date): TableStats {
  return {
    rows,
    columns: t.columns.map((col, c) => ({ name: col.name, nulls: deltas[c].nulls, min: deltas[c].min, max: deltas[c].max })),
    analyzedAt: at.toISOString(),
    sketchFile: null,
    pendingSketches: Object.fromEntries(t.columns.map((col, c) => [col.name, deltas[c].sketch ?? null])),
  };
}

/** Rows the table holds now (exact: segments minus deleted rows; DISTSTYLE ALL counts one copy). */
export function liveRows(t: TableState): number {
  let n = 0;
  for (const s of t.segments) if (t.distStyle !== 'ALL' || s.slice === 0) n += s.rows - s.deletedCount;
  return n;
}

/**
 * A column's sketch as the statistics know it: the transaction's pending one, else the one in
 * the stats' sketch file (or, in a manifest written before sketch files, inline). null: no
 * non-NULL values; undefined: unknown (no sketch was recorded, or its file is missing).
 */
function knownSketch(stats: TableStats, name: string): Sketch | null | undefined {
  if (stats.pendingSketches) return name in stats.pendingSketches ? stats.pendingSketches[name] : undefined;
  if (stats.sketchFile) {
    const file = loadSketches(stats.sketchFile);
    return file?.has(name) ? file.get(name)! : undefined;
  }
  const inline = (stats.columns.find((x) => x.name === name) as { sketch?: SketchJson | null } | undefined)?.sketch;
  return inline === undefined ? undefined : inline && readSketch(inline);
}

const estimates = new WeakMap<ColumnStatsState, number | null>();

/** Estimated distinct non-NULL values of a column, or null without statistics for it (or when its sketch is lost). */
export function distinctValues(t: TableState, column: number): number | null {
  const name = t.columns[column]?.name;
  const s = t.stats?.columns.find((x) => x.name === name);
  if (!s || !t.stats) return null;
  let e = estimates.get(s);
  if (e === undefined) {
    const sketch = knownSketch(t.stats, s.name);
    e = sketch === undefined ? null : sketch ? sketchEstimate(sketch) : 0;
    // a pending sketch may still change within its transaction: cache only what a file holds
    if (!t.stats.pendingSketches) estimates.set(s, e);
  }
  return e;
}

/** A column's statistics, if any. */
export function columnStats(t: TableState, column: number): ColumnStatsState | undefined {
  const name = t.columns[column]?.name;
  return t.stats?.columns.find((x) => x.name === name);
}
