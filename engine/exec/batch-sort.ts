// Sorting a batch by SQL sort keys: one comparator over the key vectors (dictionary strings
// ranked once), a plain sort for small batches and, at the leader, every step (keys, ranks,
// sorted runs, their merges) in pieces with pauses for the event loop between them.
import type { SortKey } from '../plan/logical.ts';
import type { Batch, Vector } from '../types/vector.ts';
import { concatVectorsYielding } from '../types/vector.ts';
import type { BExpr } from '../plan/bound.ts';
import { isString } from '../types/types.ts';
import { projectBatch } from './kernels.ts';
import { yieldToEventLoop, selectRows } from './batches.ts';

/** Sorts a batch by keys (ASC/DESC, NULLS FIRST/LAST); strings in code-unit (C) order. */
export function sortBatch(b: Batch, keys: SortKey[], tick: () => void = () => {}): Batch {
  const cmp = rowComparator(b, keys, tick);
  const idx = new Uint32Array(b.length);
  for (let i = 0; i < idx.length; i++) idx[i] = i;
  const arr = Array.from(idx);
  arr.sort(cmp);
  const sel = Uint32Array.from(arr);
  return selectRows(b, sel, b.length);
}

/**
 * sortBatch for the leader: computes the keys in ranges of rows, ranks string dictionaries, sorts
 * runs of SORT_RUN rows and merges them pairwise, awaiting `pause` between steps so other clients
 * are answered while a large sort runs.
 */
export async function sortBatchYielding(b: Batch, keys: SortKey[], tick: () => void, pause: () => Promise<void> = yieldToEventLoop): Promise<Batch> {
  if (b.length <= SORT_RUN) return sortBatch(b, keys, tick);
  const sel = await sortIndicesYielding(b.length, await rowComparatorYielding(b, keys, tick, pause), pause);
  return selectRows(b, sel, b.length);
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
  const order = new RowOrder(kv, keys, tick, ranks);
  // a bound method, not a closure: the code V8 optimizes for `compare` is kept by the one
  // prototype method and reused by every later sort, where a new closure each sort would be
  // optimized anew (its code dies with it)
  return order.compare.bind(order);
}

/** How RowOrder reads a key: through a string's dictionary rank, or as doubles or 32-bit integers, or any other typed array. */
const RANK = 0, F64 = 1, I32 = 2, OTHER = 3;
type KeyRead = typeof RANK | typeof F64 | typeof I32 | typeof OTHER;

/**
 * The sort keys of one batch, compared row against row. One class for every sort: its
 * `compare` is optimized once per isolate, and each typed-array kind is read at a load site
 * of its own, so none of them turns megamorphic as queries bring different key types.
 */
class RowOrder {
  private readonly reads: KeyRead[] = [];
  private readonly values: ArrayLike<number>[] = [];
  private readonly valids: (Uint8Array | null)[] = [];
  private readonly ranks: (Int32Array | null)[] = [];
  private readonly bigs: ((bigint | null)[] | null)[] = [];
  private readonly dirs: number[] = [];
  private readonly nullCmps: number[] = [];

  constructor(kv: Vector[], keys: SortKey[], private readonly tick: () => void, ranks: (Int32Array | null)[]) {
    kv.forEach((v, i) => {
      const { desc, nullsFirst } = keys[i];
      const str = isString(v.type);
      // rank the dictionary once, then compare ranks
      this.ranks.push(str ? ranks[i] ?? rankOf(v.dict!) : null);
      this.reads.push(str ? RANK : v.values instanceof Float64Array ? F64 : v.values instanceof Int32Array ? I32 : OTHER);
      this.values.push(v.values);
      this.valids.push(v.valid);
      this.bigs.push(v.big ?? null);
      this.dirs.push(desc ? -1 : 1);
      this.nullCmps.push(nullsFirst ? -1 : 1);
    });
  }

  /** By the keys in turn (ASC/DESC, NULLS FIRST/LAST), then by position (a stable order). */
  compare(x: number, y: number): number {
    this.tick();
    for (let k = 0; k < this.reads.length; k++) {
      const valid = this.valids[k];
      const nx = valid !== null && valid[x] === 0, ny = valid !== null && valid[y] === 0;
      if (nx || ny) {
        if (nx && ny) continue;
        return nx ? this.nullCmps[k] : -this.nullCmps[k];
      }
      const r = this.compareKey(k, x, y);
      if (r !== 0) return r * this.dirs[k];
    }
    return x - y;
  }

  /** Key k of rows x and y (neither NULL there): -1, 0 or 1 in ascending order (a rank difference for strings). */
  private compareKey(k: number, x: number, y: number): number {
    const read = this.reads[k];
    if (read === RANK) {
      const rk = this.ranks[k]!, codes = this.values[k] as Int32Array;
      return rk[codes[x]] - rk[codes[y]];
    }
    const big = this.bigs[k];
    if (big !== null && big[x] != null && big[y] != null) return big[x]! < big[y]! ? -1 : big[x]! > big[y]! ? 1 : 0;
    let a: number, c: number;
    if (read === F64) { const f = this.values[k] as Float64Array; a = f[x]; c = f[y]; }
    else if (read === I32) { const n = this.values[k] as Int32Array; a = n[x]; c = n[y]; }
    else { const o = this.values[k]; a = o[x]; c = o[y]; }
    return a < c ? -1 : a > c ? 1 : 0;
  }
}

/** Each dictionary code's rank in code-unit (C) order of its string. */
function rankOf(dict: readonly string[]): Int32Array {
  const order = dict.map((_, j) => j).sort((x, y) => (dict[x] < dict[y] ? -1 : dict[x] > dict[y] ? 1 : 0));
  const rank = new Int32Array(dict.length);
  order.forEach((code, r) => { rank[code] = r; });
  return rank;
}

