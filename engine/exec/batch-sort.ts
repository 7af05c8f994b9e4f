// Sorting a batch by SQL sort keys: one comparator over the key vectors (dictionary strings
// ranked once), a plain sort for small batches and, at the leader, every step (keys, ranks,
// sorted runs, their merges) in pieces with pauses for the event loop between them.
import type { SortKey } from '../plan/logical.ts';
import type { Batch, Vector } from '../types/vector.ts';
import { concatVectorsYielding, gather } from '../types/vector.ts';
import type { BExpr } from '../plan/bound.ts';
import { isString } from '../types/types.ts';
import { projectBatch } from './kernels.ts';
import { yieldToEventLoop } from './batches.ts';

/** Sorts a batch by keys (ASC/DESC, NULLS FIRST/LAST); strings in code-unit (C) order. */
export function sortBatch(b: Batch, keys: SortKey[], tick: () => void = () => {}): Batch {
  const cmp = rowComparator(b, keys, tick);
  const idx = new Uint32Array(b.length);
  for (let i = 0; i < idx.length; i++) idx[i] = i;
  const arr = Array.from(idx);
  arr.sort(cmp);
  const sel = Uint32Array.from(arr);
  return { length: b.length, columns: b.columns.map((c) => gather(c, sel, b.length)) };
}

/**
 * sortBatch for the leader: computes the keys in ranges of rows, ranks string dictionaries, sorts
 * runs of SORT_RUN rows and merges them pairwise, awaiting `pause` between steps so other clients
 * are answered while a large sort runs.
 */
export async function sortBatchYielding(b: Batch, keys: SortKey[], tick: () => void, pause: () => Promise<void> = yieldToEventLoop): Promise<Batch> {
  if (b.length <= SORT_RUN) return sortBatch(b, keys, tick);
  const sel = await sortIndicesYielding(b.length, await rowComparatorYielding(b, keys, tick, pause), pause);
  return { length: b.length, columns: b.columns.map((c) => gather(c, sel, b.length)) };
}

/**
 * Compares two rows of `b` by the sort keys, then by position; the keys and the string
 * dictionaries' ranks are computed first, in steps with pauses (the leader's k-way merge uses it).
 */
export async function rowComparatorYielding(b: Batch, keys: SortKey[], tick: () => void, pause: () => Promise<void>): Promise<(x: number, y: number) => number> {
  const kv = await projectYielding(b, keys.map((k) => k.expr), pause);
  const ranks: (Int32Array | null)[] = [];
  for (const v of kv) ranks.push(isString(v.type) ? await rankDictionary(v.dict!, pause) : null);
  return keyComparator(kv, keys, tick, ranks);
}

/** Rows sorted in one step of the leader's sort (a few milliseconds of comparisons). */
const SORT_RUN = 4096;
/** Rows the leader computes sort keys for between pauses. */
const PROJECT_STEP = 8192;

/** projectBatch over a large batch in ranges of rows, pausing between them. */
async function projectYielding(b: Batch, exprs: BExpr[], pause: () => Promise<void>): Promise<Vector[]> {
  if (b.length <= PROJECT_STEP || exprs.every((e) => e.k === 'col')) return projectBatch(b, exprs, null, b.length);
  const parts: Vector[][] = [];
  for (let start = 0; start < b.length; start += PROJECT_STEP) {
    const n = Math.min(PROJECT_STEP, b.length - start);
    const range = new Uint32Array(n);
    for (let i = 0; i < n; i++) range[i] = start + i;
    parts.push(projectBatch(b, exprs, range, n));
    await pause();
  }
  const out: Vector[] = [];
  for (let i = 0; i < exprs.length; i++) out.push(await concatVectorsYielding(exprs[i].type, parts.map((p) => p[i]), pause));
  return out;
}

/** The order 0..n-1 sorted by `cmp`: runs of SORT_RUN sorted, then merged pairwise, pausing between steps. */
async function sortIndicesYielding(n: number, cmp: (x: number, y: number) => number, pause: () => Promise<void>): Promise<Uint32Array> {
  let runs: Uint32Array[] = [];
  for (let start = 0; start < n; start += SORT_RUN) {
    const run = Array.from({ length: Math.min(SORT_RUN, n - start) }, (_, i) => start + i);
    run.sort(cmp);
    runs.push(Uint32Array.from(run));
    await pause();
  }
  while (runs.length > 1) {
    const next: Uint32Array[] = [];
    for (let i = 0; i < runs.length; i += 2) {
      next.push(i + 1 < runs.length ? await mergeRuns(runs[i], runs[i + 1], cmp, pause) : runs[i]);
    }
    runs = next;
  }
  return runs[0] ?? new Uint32Array(0);
}

/** Merges two sorted runs (stable: ties keep a's rows first), pausing every 1024 rows. */
async function mergeRuns(a: Uint32Array, c: Uint32Array, cmp: (x: number, y: number) => number, pause: () => Promise<void>): Promise<Uint32Array> {
  const out = new Uint32Array(a.length + c.length);
  let i = 0, j = 0, k = 0;
  while (i < a.length && j < c.length) {
    out[k++] = cmp(a[i], c[j]) <= 0 ? a[i++] : c[j++];
    if ((k & 1023) === 0) await pause();
  }
  while (i < a.length) out[k++] = a[i++];
  while (j < c.length) out[k++] = c[j++];
  return out;
}

/** Each dictionary code's rank in code-unit (C) order of its string; a large dictionary sorts in steps. */
async function rankDictionary(dict: readonly string[], pause: () => Promise<void>): Promise<Int32Array> {
  const order = await sortIndicesYielding(dict.length, (x, y) => (dict[x] < dict[y] ? -1 : dict[x] > dict[y] ? 1 : x - y), pause);
  const rank = new Int32Array(dict.length);
  for (let r = 0; r < order.length; r++) rank[order[r]] = r;
  return rank;
}

/** Compares two rows of `b` by the sort keys, then by position (a stable order). */
function rowComparator(b: Batch, keys: SortKey[], tick: () => void): (x: number, y: number) => number {
  return keyComparator(projectBatch(b, keys.map((k) => k.expr), null, b.length), keys, tick);
}

/** Compares rows by the sort keys' vectors `kv`; `ranks` may bring string keys' dictionary ranks already computed. */
function keyComparator(kv: Vector[], keys: SortKey[], tick: () => void, ranks: (Int32Array | null)[] = []): (x: number, y: number) => number {
  const cmps = kv.map((v, i) => {
    const { desc, nullsFirst } = keys[i];
    const dir = desc ? -1 : 1;
    const valid = v.valid;
    const nullCmp = nullsFirst ? -1 : 1;
    if (isString(v.type)) {
      // rank the dictionary once, then compare ranks
      let rank = ranks[i];
      if (!rank) {
        const order = v.dict!.map((s, j) => j).sort((x, y) => (v.dict![x] < v.dict![y] ? -1 : v.dict![x] > v.dict![y] ? 1 : 0));
        rank = new Int32Array(v.dict!.length);
        order.forEach((code, r) => { rank![code] = r; });
      }
      const rk = rank;
      const codes = v.values;
      return (x: number, y: number) => {
        const nx = valid !== null && valid[x] === 0, ny = valid !== null && valid[y] === 0;
        if (nx || ny) return nx && ny ? 0 : nx ? nullCmp : -nullCmp;
        return (rk[codes[x]] - rk[codes[y]]) * dir;
      };
    }
    const vals = v.values;
    const big = v.big;
    return (x: number, y: number) => {
      const nx = valid !== null && valid[x] === 0, ny = valid !== null && valid[y] === 0;
      if (nx || ny) return nx && ny ? 0 : nx ? nullCmp : -nullCmp;
      if (big && big[x] != null && big[y] != null) return (big[x]! < big[y]! ? -1 : big[x]! > big[y]! ? 1 : 0) * dir;
      const a = vals[x], c = vals[y];
      return (a < c ? -1 : a > c ? 1 : 0) * dir;
    };
  });
  return (x, y) => {
    tick();
    for (const c of cmps) { const r = c(x, y); if (r !== 0) return r; }
    return x - y;
  };
}

