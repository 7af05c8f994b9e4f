// External sort: when a sort's working memory would not fit in what is left of the statement's
// budget, the input is cut into runs that fit, each run sorted (its key values computed once and
// written next to its rows) and written to a spill file in blocks, the input given back, and the
// runs merged k ways: a heap of runs ordered by their current row, a block of each run in
// memory at a time. Ties keep input order (runs are cut in input order and the heap breaks ties
// by run), so the result is the in-memory sort's.
import type { SortKey } from '../../plan/logical.ts';
import type { Batch, Vector } from '../../types/vector.ts';
import type { SqlType } from '../../types/types.ts';
import { projectBatch } from '../kernels.ts';
import { sortBatch, sortBatchYielding } from '../batch-sort.ts';
import { concatBatches, rowRange, selectRows } from '../batches.ts';
import { vectorBytes } from '../memory-budget.ts';
import type { SpillReader, SpillWriter } from './spill-file.ts';
import type { RowsContext } from '../operators/run-context.ts';
import type { PartitionHost } from './hash-partition.ts';

/** Rows per block of a run file (what the merge holds of each run). */
const BLOCK = 8192;
/** Rows of merged output between pauses. */
const OUT_CHUNK = 65536;
/** Runs merged at once at most: more would hold too many files open, so runs grow instead. */
export const MAX_RUNS = 128;
/** Bytes per row the in-memory sort needs besides the rows (indices, comparisons). */
export const SORT_ROW_BYTES = 24;

/**
 * Writes `b`'s rows as sorted run files (its rows with their key values) of `runRows` rows each
 * (at most MAX_RUNS of them), for `mergeRunFiles`, named by `what` (whose sort); the caller still holds `b`.
 */
export async function writeRuns(ctx: RowsContext, b: Batch, keys: SortKey[], runRows: number, what: string): Promise<string[]> {
  runRows = Math.max(runRows, Math.ceil(b.length / MAX_RUNS));
  const runKeys = keysAfter(keys, b.columns.length);
  const files: string[] = [];
  // a run's sorted copy keeps the input's string dictionaries, counted with the input already
  const counted = new WeakSet<readonly string[]>();
  for (const c of b.columns) if (c.dict) counted.add(c.dict);
  for (let start = 0; start < b.length; start += runRows) {
    ctx.check();
    const n = Math.min(runRows, b.length - start);
    const run = rowRange(b, start, n);
    const kv = projectBatch(run, keys.map((k) => k.expr), null, n);
    const withKeys: Batch = { length: n, columns: [...run.columns, ...kv] };
    const working = ctx.reserve(n * SORT_ROW_BYTES + withKeys.columns.reduce((t, c) => t + vectorBytes(c, counted), 0), 'sort run');
    const sorted = await sortBatchYielding(withKeys, runKeys, ctx.tick, ctx.pause);
    files.push(writeRun(ctx.spill.create(what), sorted));
    ctx.release(working);
    await ctx.pause();
  }
  return files;
}

/**
 * The k-way merge of sorted run files (rows of `types` with their key values), as `merge` does;
 * more than MAX_RUNS files are first merged MAX_RUNS at a time into longer runs, so the merge
 * never holds more than MAX_RUNS files open and a block of each in memory.
 */
export async function mergeRunFiles(ctx: RowsContext, files: string[], types: SqlType[], keys: SortKey[], limit = Infinity, into?: (chunk: Batch) => void): Promise<Batch> {
  const withKeys = [...types, ...keys.map((k) => k.expr.type)];
  while (files.length > MAX_RUNS) {
    const w = ctx.spill.create('sort run');
    await merge(ctx, files.splice(0, MAX_RUNS), types, keys, limit, (chunk) => {
      for (let s = 0; s < chunk.length; s += BLOCK) w.write(rowRange(chunk, s, Math.min(BLOCK, chunk.length - s)));
    }, withKeys);
    w.close();
    files.push(w.path);
  }
  return merge(ctx, files, types, keys, limit, into);
}

/**
 * A slice's rows over its budget, as sorted run files for the leader's merge: runs of `runRows`
 * rows (at most MAX_RUNS of them), each sorted with its key values written next to its rows.
 * Returns the files, closed (the format `mergeRunsOnDisk` reads).
 */
export function writeSortedRuns(host: PartitionHost, b: Batch, keys: SortKey[], runRows: number, tick: () => void): string[] {
  const width = b.columns.length;
  runRows = Math.max(runRows, Math.ceil(b.length / MAX_RUNS));
  const runKeys = keysAfter(keys, width);
  const files: string[] = [];
  for (let start = 0; start < b.length; start += runRows) {
    host.check();
    const n = Math.min(runRows, b.length - start);
    const run = rowRange(b, start, n);
    const sorted = sortBatch({ length: n, columns: [...run.columns, ...projectBatch(run, keys.map((k) => k.expr), null, n)] }, runKeys, tick);
    files.push(writeRun(host.spill.create('sorted run'), sorted));
  }
  return files;
}

/** Sort keys reading the key values written after a run's `width` columns. */
function keysAfter(keys: SortKey[], width: number): SortKey[] {
  return keys.map((k, i) => ({ ...k, expr: { k: 'col', index: width + i, type: k.expr.type } }));
}

/** Writes a sorted run (rows with their key values) in BLOCK-row blocks and closes the file. */
function writeRun(w: SpillWriter, sorted: Batch): string {
  for (let s = 0; s < sorted.length; s += BLOCK) w.write(rowRange(sorted, s, Math.min(BLOCK, sorted.length - s)));
  w.close();
  return w.path;
}

/**
 * Merges runs that are sorted already (the slices' sorted rows) through spill files, for when
 * holding them and their merge at once would pass the budget: each run is written with its key
 * values and given back, then the files are merged k ways; only the first `limit` rows are kept.
 */
export async function mergeRunsOnDisk(ctx: RowsContext, runs: Batch[], types: SqlType[], keys: SortKey[], limit: number, written: string[] = [], into?: (chunk: Batch) => void): Promise<Batch> {
  const files: string[] = [...written];
  for (let i = 0; i < runs.length; i++) {
    const run = runs[i];
    if (run.length === 0) continue;
    const w = ctx.spill.create('sorted run');
    for (let s = 0; s < run.length; s += BLOCK) {
      ctx.check();
      const n = Math.min(BLOCK, run.length - s);
      const block = rowRange(run, s, n);
      w.write({ length: n, columns: [...block.columns, ...projectBatch(block, keys.map((k) => k.expr), null, n)] });
    }
    w.close();
    files.push(w.path);
    ctx.release(run);
    runs[i] = null!; // written: let it be collected
    await ctx.pause();
  }
  return mergeRunFiles(ctx, files, types, keys, limit, into);
}

/**
 * The k-way merge of sorted run files into one batch of the data columns (its first `limit`
 * rows); with `into`, each merged chunk is written there instead (rows for a client) and the
 * batch returned is empty. With `outTypes` (the data and key types) the chunks keep their key
 * values (a longer run for a later merge).
 */
async function merge(ctx: RowsContext, files: string[], types: SqlType[], keys: SortKey[], limit = Infinity, into?: (chunk: Batch) => void, outTypes = types): Promise<Batch> {
  const width = types.length;
  const outWidth = outTypes.length;
  const readers: SpillReader[] = files.map((f) => ctx.spill.read(f));
  const blocks: (Batch | null)[] = readers.map((r) => r.next());
  const pos = new Int32Array(files.length);
  /** where the output chunk being built started taking rows of each run's block */
  const from = new Int32Array(files.length);
  const cmp = (r1: number, r2: number): number => compareRows(blocks[r1]!, pos[r1], blocks[r2]!, pos[r2], width, keys) || r1 - r2;
  const heap: number[] = [];
  for (let r = 0; r < blocks.length; r++) if (blocks[r]) heapPush(heap, r, cmp);
  const out: Batch[] = [];
  let emitted = 0;
  const picks: number[] = []; // run and row of each output row, as run * 2^20 + row (BLOCK < 2^20)
  const flush = () => {
    if (!picks.length) return;
    const offset = new Int32Array(files.length);
    const pieces: Batch[] = [];
    let at = 0;
    for (let r = 0; r < files.length; r++) {
      const taken = pos[r] - from[r];
      if (!blocks[r] || taken <= 0) continue;
      offset[r] = at - from[r];
      const piece = rowRange(blocks[r]!, from[r], taken);
      pieces.push({ length: taken, columns: piece.columns.slice(0, outWidth) });
      at += taken;
      from[r] = pos[r];
    }
    const all = concatBatches(outTypes, pieces);
    const sel = new Uint32Array(picks.length);
    for (let i = 0; i < picks.length; i++) { const r = Math.floor(picks[i] / 2 ** 20); sel[i] = offset[r] + (picks[i] % 2 ** 20); }
    const chunk: Batch = selectRows(all, sel, sel.length);
    if (into) into(chunk);
    else out.push(ctx.hold(chunk, 'sorted rows'));
    emitted += picks.length;
    picks.length = 0;
  };
  while (heap.length && emitted + picks.length < limit) {
    ctx.tick();
    const r = heap[0];
    picks.push(r * 2 ** 20 + pos[r]);
    pos[r]++;
    if (pos[r] === blocks[r]!.length) {
      // this run's block is used up: finish the chunk (it reads the block), then read the next block
      flush();
      blocks[r] = readers[r].next();
      pos[r] = 0;
      from[r] = 0;
      heapPop(heap, cmp);
      if (blocks[r]) heapPush(heap, r, cmp);
      else ctx.spill.done(readers[r]);
      await ctx.pause();
    } else {
      siftDown(heap, 0, cmp);
      if (picks.length >= OUT_CHUNK) { flush(); await ctx.pause(); }
    }
  }
  flush();
  return ctx.concatHeld(types, out, 'sorted rows');
}

/** Compares row i of block a with row j of block b by the key columns after the first `width`. */
function compareRows(a: Batch, i: number, b: Batch, j: number, width: number, keys: SortKey[]): number {
  for (let k = 0; k < keys.length; k++) {
    const va: Vector = a.columns[width + k], vb: Vector = b.columns[width + k];
    const { desc, nullsFirst } = keys[k];
    const na = va.valid !== null && va.valid[i] === 0, nb = vb.valid !== null && vb.valid[j] === 0;
    if (na || nb) {
      if (na && nb) continue;
      return na === Boolean(nullsFirst) ? -1 : 1;
    }
    let c: number;
    if (va.dict) {
      const x = va.dict[va.values[i] as number], y = vb.dict![vb.values[j] as number];
      c = x < y ? -1 : x > y ? 1 : 0;
    } else if (va.big && vb.big && va.big[i] != null && vb.big[j] != null) {
      c = va.big[i]! < vb.big[j]! ? -1 : va.big[i]! > vb.big[j]! ? 1 : 0;
    } else {
      const x = va.values[i], y = vb.values[j];
      c = x < y ? -1 : x > y ? 1 : 0;
    }
    if (c !== 0) return desc ? -c : c;
  }
  return 0;
}

function heapPush(h: number[], r: number, cmp: (a: number, b: number) => number): void {
  h.push(r);
  let i = h.length - 1;
  while (i > 0) {
    const p = (i - 1) >> 1;
    if (cmp(h[i], h[p]) >= 0) break;
    [h[i], h[p]] = [h[p], h[i]];
    i = p;
  }
}

function heapPop(h: number[], cmp: (a: number, b: number) => number): void {
  const last = h.pop()!;
  if (h.length) { h[0] = last; siftDown(h, 0, cmp); }
}

function siftDown(h: number[], i: number, cmp: (a: number, b: number) => number): void {
  for (;;) {
    const l = 2 * i + 1, r = l + 1;
    let m = i;
    if (l < h.length && cmp(h[l], h[m]) < 0) m = l;
    if (r < h.length && cmp(h[r], h[m]) < 0) m = r;
    if (m === i) return;
    [h[i], h[m]] = [h[m], h[i]];
    i = m;
  }
}
