// What slice programs share with DML: model calls lifted into per-batch steps, and the segments
// each slice reads, pruned by zone maps.
import { type BExpr, mapChildren } from '../plan/bound.ts';
import type { ModelStep, SegmentRef } from './fragment.ts';
import type { SegmentEntry, TableState } from '../catalog/catalog.ts';
import { isString, isWide, MAX_EXACT, type SqlType } from '../types/types.ts';
import { parseValue } from '../types/values.ts';

/** Replaces model calls by columns `width + i` of the steps it appends (shared by the leader). */
export function liftModels(e: BExpr, models: ModelStep[], width: number): BExpr {
  if (e.k === 'model') {
    const step = modelStep(e, e.args.map((a) => liftModels(a, models, width)));
    const key = modelStepKey(step);
    let i = models.findIndex((m) => modelStepKey(m) === key);
    if (i < 0) { i = models.length; models.push(step); }
    return { k: 'col', index: width + i, type: e.type };
  }
  return mapChildren(e, (x) => liftModels(x, models, width));
}

/**
 * The step that computes a model call over `args` (already rewritten to batch columns): the
 * version the binder resolved runs, so a version switched after binding never reaches the query.
 */
export function modelStep(e: Extract<BExpr, { k: 'model' }>, args: BExpr[]): ModelStep {
  const r = e.ref;
  return { model: `${r.account}.${r.database}.${r.schema}.${r.name}@${r.version}`, onnx: r.onnx, ...(r.remote ? { remote: r.remote } : {}), args, proba: e.proba, type: e.type, ...(e.explain ? { explain: e.explain } : {}) };
}

/** Calls of the same version, output and arguments are computed once. */
export function modelStepKey(s: ModelStep): string {
  return JSON.stringify({ m: s.model, o: s.onnx, args: s.args, p: s.proba, x: s.explain });
}

// ------------------------------------------------------------------ zone maps

export interface ZonePred { col: number; op: '=' | '<' | '<=' | '>' | '>='; value: number | string | bigint }

/** Simple `column op constant` terms of a table-level filter, usable against zone maps. */
export function zonePredicates(filter: BExpr | null): ZonePred[] {
  if (!filter) return [];
  const out: ZonePred[] = [];
  const terms = filter.k === 'and' ? filter.args.flatMap((t) => (t.k === 'and' ? t.args : [t])) : [filter];
  const flip: Record<string, ZonePred['op']> = { '<': '>', '<=': '>=', '>': '<', '>=': '<=', '=': '=' };
  for (const t of terms) {
    if (t.k !== 'cmp' || t.op === '<>') continue;
    const r = constantOf(t.right), l = constantOf(t.left);
    if (t.left.k === 'col' && r !== null) out.push({ col: t.left.index, op: t.op, value: r });
    else if (t.right.k === 'col' && l !== null) out.push({ col: t.right.index, op: flip[t.op], value: l });
  }
  return out;
}

/**
 * The physical value of a constant operand, or null. A BIGINT or wide DECIMAL constant past 2^53
 * is bound as a cast from its text (constants are doubles), read here as its exact bigint.
 */
function constantOf(e: BExpr): ZonePred['value'] | null {
  if (e.k === 'neg') {
    const v = constantOf(e.arg);
    return typeof v === 'bigint' ? -v : typeof v === 'number' ? -v : null;
  }
  if (e.k === 'const') return e.value === null || typeof e.value === 'boolean' ? null : e.value as number | string;
  if (e.k !== 'cast' || e.arg.k !== 'const' || typeof e.arg.value !== 'string' || !isWide(e.type)) return null;
  try {
    const v = parseValue(e.type, e.arg.value);
    return typeof v === 'bigint' || typeof v === 'number' ? v : null;
  } catch {
    return null; // the query itself reports the bad text
  }
}

/** False when a segment's min/max prove no row can pass every predicate. */
export function segmentMayMatch(seg: SegmentEntry, preds: ZonePred[], types: SqlType[]): boolean {
  for (const p of preds) {
    const z = seg.zones[p.col];
    if (!z) continue;
    if (z.min === null || z.max === null) { if (z.nullCount >= seg.rows) return false; continue; }
    if (isString(types[p.col]) !== (typeof p.value === 'string')) continue;
    if (z.exactMin !== undefined) {
      // values past 2^53: compare with the exact bounds (JS compares a bigint and a number exactly)
      if (!rangeMayMatch(p, BigInt(z.exactMin), BigInt(z.exactMax!))) return false;
      continue;
    }
    // a bound past 2^53 without its exact value (a segment written before they were kept) is
    // only a neighbour: a constant past 2^53 could fall between it and the true bound
    if (typeof p.value === 'bigint' && (Math.abs(z.min as number) > MAX_EXACT || Math.abs(z.max as number) > MAX_EXACT)) continue;
    if (!rangeMayMatch(p, z.min as number | string, z.max as number | string)) return false;
  }
  return true;
}

/** Whether some value in [min, max] can satisfy `column op value`. */
export function rangeMayMatch(p: ZonePred, min: number | string | bigint, max: number | string | bigint): boolean {
  switch (p.op) {
    case '=': return !(p.value < min || p.value > max);
    case '<': return min < p.value;
    case '<=': return min <= p.value;
    case '>': return max > p.value;
    case '>=': return max >= p.value;
  }
}

/**
 * Each slice's segments of a table that may hold matching rows. Queries read one copy of an ALL
 * table (slice 0's); writers pass `allCopies` to change every slice's copy.
 */
export function segmentsBySlice(table: TableState, slices: number, filter: BExpr | null, allCopies = false): { bySlice: SegmentRef[][]; total: number; pruned: number } {
  const preds = zonePredicates(filter);
  const types = table.columns.map((c) => c.type);
  const bySlice: SegmentRef[][] = Array.from({ length: slices }, () => []);
  let pruned = 0;
  for (const seg of table.segments) {
    if (table.distStyle === 'ALL' && seg.slice !== 0 && !allCopies) continue;
    if (!segmentMayMatch(seg, preds, types)) { pruned++; continue; }
    bySlice[seg.slice % slices].push({ file: seg.file, rows: seg.rows, deleted: seg.deleted });
  }
  return { bySlice, total: table.segments.length, pruned };
}

