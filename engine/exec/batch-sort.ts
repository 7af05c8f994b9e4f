// Sorting a batch by SQL sort keys: one comparator over the key vectors (dictionary strings
// ranked once), a plain sort for small batches and, at the leader, sorted runs merged with
// yields to the event loop between steps.
import type { SortKey } from '../plan/logical.ts';
import type { Batch } from '../types/vector.ts';
import { gather } from '../types/vector.ts';
import { isString } from '../types/types.ts';
import { projectBatch } from './kernels.ts';
import { CHUNK, yieldToEventLoop } from './batches.ts';

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
 * sortBatch for the leader: sorts runs of CHUNK rows, then merges them pairwise, letting the
 * event loop run between steps so other clients are answered while a large sort runs.
 */
export async function sortBatchYielding(b: Batch, keys: SortKey[], tick: () => void): Promise<Batch> {
  if (b.length <= CHUNK) return sortBatch(b, keys, tick);
  const cmp = rowComparator(b, keys, tick);
  let runs: Uint32Array[] = [];
  for (let start = 0; start < b.length; start += CHUNK) {
    const run = Array.from({ length: Math.min(CHUNK, b.length - start) }, (_, i) => start + i);
    run.sort(cmp);
    runs.push(Uint32Array.from(run));
    await yieldToEventLoop();
  }
  while (runs.length > 1) {
    const next: Uint32Array[] = [];
    for (let i = 0; i < runs.length; i += 2) {
      next.push(i + 1 < runs.length ? await mergeRuns(runs[i], runs[i + 1], cmp) : runs[i]);
    }
    runs = next;
  }
  const sel = runs[0];
  return { length: b.length, columns: b.columns.map((c) => gather(c, sel, b.length)) };
}

/** Merges two sorted runs (stable: ties keep a's rows first), yielding every CHUNK rows. */
async function mergeRuns(a: Uint32Array, c: Uint32Array, cmp: (x: number, y: number) => number): Promise<Uint32Array> {
  const out = new Uint32Array(a.length + c.length);
  let i = 0, j = 0, k = 0;
  while (i < a.length && j < c.length) {
    out[k++] = cmp(a[i], c[j]) <= 0 ? a[i++] : c[j++];
    if ((k & (CHUNK - 1)) === 0) await yieldToEventLoop();
  }
  while (i < a.length) out[k++] = a[i++];
  while (j < c.length) out[k++] = c[j++];
  return out;
}

/** Compares two rows of `b` by the sort keys, then by position (a stable order). */
function rowComparator(b: Batch, keys: SortKey[], tick: () => void): (x: number, y: number) => number {
  const kv = projectBatch(b, keys.map((k) => k.expr), null, b.length);
  const cmps = kv.map((v, i) => {
    const { desc, nullsFirst } = keys[i];
    const dir = desc ? -1 : 1;
    const valid = v.valid;
    const nullCmp = nullsFirst ? -1 : 1;
    if (isString(v.type)) {
      // rank the dictionary once, then compare ranks
      const order = v.dict!.map((s, j) => j).sort((x, y) => (v.dict![x] < v.dict![y] ? -1 : v.dict![x] > v.dict![y] ? 1 : 0));
      const rank = new Int32Array(v.dict!.length);
      order.forEach((code, r) => { rank[code] = r; });
      const codes = v.values;
      return (x: number, y: number) => {
        const nx = valid !== null && valid[x] === 0, ny = valid !== null && valid[y] === 0;
        if (nx || ny) return nx && ny ? 0 : nx ? nullCmp : -nullCmp;
        return (rank[codes[x]] - rank[codes[y]]) * dir;
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

