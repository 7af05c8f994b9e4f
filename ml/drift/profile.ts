// A compact profile of one column's distribution, kept per model version from its training
// snapshot (and its predictions), and built the same way from a monitor's new rows: decile bins
// and a sorted sample for numbers, category counts for text. Plain JSON.
import { isBoolean, isString, type SqlType } from '../../engine/types/types.ts';
import type { Vector } from '../../engine/types/vector.ts';
import { numberReader } from '../util/values.ts';
import { binOf, quantile } from './stats.ts';

/** Interior bin edges: the training deciles (duplicates dropped), so up to 10 bins. */
export const BINS = 10;
/** Order statistics a numeric profile keeps for the KS test (all values when there are fewer). */
export const SAMPLE_SIZE = 1024;
/** Categories a text profile keeps by frequency; the rest count as "other". */
export const MAX_CATEGORIES = 64;

export interface NumberProfile {
  kind: 'number';
  rows: number;
  nulls: number;
  /** interior edges: bin i holds edges[i-1] <= x < edges[i] (the outer bins are open) */
  edges: number[];
  counts: number[];
  /** evenly spaced order statistics of the non-NULL values, ascending */
  sample: number[];
}

export interface TextProfile {
  kind: 'text';
  rows: number;
  nulls: number;
  /** the most frequent categories with their counts, most frequent first */
  categories: { value: string; count: number }[];
  /** rows whose category is not in `categories` */
  other: number;
}

export type ColumnProfile = NumberProfile | TextProfile;

/** A model version's training profile: one per argument, plus its predictions'. */
export interface ModelProfile {
  format: 'strata-drift-profile';
  version: 1;
  features: Record<string, ColumnProfile>;
  prediction: ColumnProfile;
}

/** The non-NULL values of a column as numbers (DECIMAL unscaled, dates in days), ascending. */
export function sortedNumbers(v: Vector): Float64Array {
  const read = numberReader(v.type);
  const out = new Float64Array(v.length);
  let n = 0;
  for (let i = 0; i < v.length; i++) {
    if (v.valid !== null && v.valid[i] === 0) continue;
    const x = read(v.values[i]);
    if (!Number.isNaN(x)) out[n++] = x;
  }
  return out.subarray(0, n).sort();
}

/** The text of each row (null for NULL). */
function textsOf(v: Vector): (string | null)[] {
  const out: (string | null)[] = [];
  for (let i = 0; i < v.length; i++) out.push(v.valid !== null && v.valid[i] === 0 ? null : String(v.dict![v.values[i]]));
  return out;
}

/** Whether a column is profiled by bins and KS (numbers, dates, booleans) or by categories (text). */
export function profileKind(t: SqlType): 'number' | 'text' {
  return isString(t) ? 'text' : 'number';
}

/** Profiles a training column. */
export function profileColumn(v: Vector): ColumnProfile {
  return profileKind(v.type) === 'text' ? profileText(textsOf(v)) : profileNumbers(sortedNumbers(v), v.length);
}

/** Decile edges, bin counts and the KS sample of sorted values (rows counts NULLs too). */
export function profileNumbers(sorted: Float64Array, rows: number): NumberProfile {
  const n = sorted.length;
  const edges: number[] = [];
  if (n > 0) {
    for (let k = 1; k < BINS; k++) {
      const q = quantile(sorted, k / BINS);
      if (edges.length === 0 || q > edges[edges.length - 1]) edges.push(q);
    }
  }
  return { kind: 'number', rows, nulls: rows - n, edges, counts: binCounts(edges, sorted), sample: orderStatistics(sorted, SAMPLE_SIZE) };
}

/** How many values fall in each bin of `edges`. */
export function binCounts(edges: number[], values: ArrayLike<number>): number[] {
  const counts = new Array<number>(edges.length + 1).fill(0);
  for (let i = 0; i < values.length; i++) counts[binOf(edges, values[i])]++;
  return counts;
}

/** `k` order statistics at evenly spaced ranks round(i (n-1) / (k-1)); all values when n <= k. */
export function orderStatistics(sorted: Float64Array, k: number): number[] {
  const n = sorted.length;
  if (n <= k) return Array.from(sorted);
  const out: number[] = [];
  for (let i = 0; i < k; i++) out.push(sorted[Math.round((i * (n - 1)) / (k - 1))]);
  return out;
}

export function profileText(values: (string | null)[]): TextProfile {
  const counts = new Map<string, number>();
  let nulls = 0;
  for (const s of values) {
    if (s === null) { nulls++; continue; }
    counts.set(s, (counts.get(s) ?? 0) + 1);
  }
  // most frequent first; ties by value so the profile is deterministic
  const all = [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const kept = all.slice(0, MAX_CATEGORIES);
  const other = all.slice(MAX_CATEGORIES).reduce((s, [, c]) => s + c, 0);
  return { kind: 'text', rows: values.length, nulls, categories: kept.map(([value, count]) => ({ value, count })), other };
}

/** Labels (numbers, booleans, strings) profiled as categories: a classifier's predictions. */
export function profileLabels(v: Vector): TextProfile {
  if (isString(v.type)) return profileText(textsOf(v));
  const read = numberReader(v.type);
  const out: (string | null)[] = [];
  for (let i = 0; i < v.length; i++) {
    if (v.valid !== null && v.valid[i] === 0) { out.push(null); continue; }
    const x = read(v.values[i]);
    out.push(isBoolean(v.type) ? String(x !== 0) : String(x));
  }
  return profileText(out);
}
