// A slice whose sort goes over the budget writes sorted runs to files (writeSortedRuns) and the
// leader merges them with the runs other slices sent in memory (mergeRunsOnDisk): the merged
// rows are in the order one in-memory sort of all of them gives, NULLs and DESC included, a
// LIMIT stops the merge early, and the files are gone once the run's spill area is disposed.
import { afterAll, expect, it } from 'vitest';
import { mkdtempSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Batch, Vector } from '../../../engine/types/vector.ts';
import type { SortKey } from '../../../engine/plan/logical.ts';
import type { SlicePool } from '../../../engine/exec/slice-pool.ts';
import { RunContext } from '../../../engine/exec/operators/run-context.ts';
import { QueryGuard } from '../../../engine/exec/query-guard.ts';
import { sortBatch } from '../../../engine/exec/batch-sort.ts';
import { rowRange } from '../../../engine/exec/batches.ts';
import { MAX_RUNS, mergeRunFiles, mergeRunsOnDisk, writeRuns, writeSortedRuns } from '../../../engine/exec/spill/external-sort.ts';

const dir = mkdtempSync(join(tmpdir(), 'strata-runs-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const INT = { id: 'INTEGER' } as Vector['type'];
const column = (xs: (number | null)[]): Vector => ({ type: INT, length: xs.length, values: Int32Array.from(xs, (x) => x ?? 0), valid: Uint8Array.from(xs, (x) => (x === null ? 0 : 1)) });
const rowsOf = (b: Batch) => Array.from({ length: b.length }, (_, i) => b.columns.map((c) => (c.valid && c.valid[i] === 0 ? null : c.values[i])));

it('merges sorted run files and in-memory runs into one sort order, stopping at the limit', async () => {
  mkdirSync(join(dir, 'tmp'));
  const guard = new QueryGuard({ memoryLimitBytes: 64 * 2 ** 20 });
  const ctx = new RunContext({ dataDir: dir, size: 2 } as SlicePool, { guard });
  // (a DESC NULLS FIRST, b): a has few values and NULLs, b breaks ties
  const keys: SortKey[] = [{ expr: { k: 'col', index: 0, type: INT }, desc: true, nullsFirst: true }, { expr: { k: 'col', index: 1, type: INT }, desc: false }] as SortKey[];
  const n = 30_000;
  const all: Batch = { length: n, columns: [column(Array.from({ length: n }, (_, i) => (i % 13 === 0 ? null : (i * 7919) % 50))), column(Array.from({ length: n }, (_, i) => (i * 104729) % n))] };
  // "slice 0" went over its budget: 20 000 rows as sorted run files of 3 000 rows; "slice 1" sent its 10 000 sorted
  const host = { spill: ctx.spill, check: () => ctx.check() };
  const files = writeSortedRuns(host, rowRange(all, 0, 20_000), keys, 3_000, () => {});
  expect(files.length).toBe(7);
  const inMemory = sortBatch(rowRange(all, 20_000, 10_000), keys);
  const want = rowsOf(sortBatch(all, keys));
  const types = [INT, INT];
  const merged = await mergeRunsOnDisk(ctx, [inMemory], types, keys, Infinity, files);
  expect(rowsOf(merged)).toEqual(want);
  const first = await mergeRunsOnDisk(ctx, [sortBatch(rowRange(all, 20_000, 10_000), keys)], types, keys, 100, writeSortedRuns(host, rowRange(all, 0, 20_000), keys, 3_000, () => {}));
  expect(rowsOf(first)).toEqual(want.slice(0, 100));
  ctx.spill.sweep();
  expect(readdirSync(join(dir, 'tmp'))).toEqual([]);
  guard.dispose();
});

it('merges more than MAX_RUNS run files MAX_RUNS at a time into longer runs, in the same order', async () => {
  const guard = new QueryGuard({ memoryLimitBytes: 64 * 2 ** 20 });
  const ctx = new RunContext({ dataDir: dir, size: 2 } as SlicePool, { guard });
  const keys: SortKey[] = [{ expr: { k: 'col', index: 0, type: INT }, desc: false }, { expr: { k: 'col', index: 1, type: INT }, desc: true }] as SortKey[];
  const n = 3_000;
  const all: Batch = { length: n, columns: [column(Array.from({ length: n }, (_, i) => (i % 17 === 0 ? null : (i * 7919) % 300))), column(Array.from({ length: n }, (_, i) => (i * 104729) % n))] };
  // two inputs of 1 500 rows, each written as MAX_RUNS runs of 12 rows or less: over MAX_RUNS files in all
  const files = [...await writeRuns(ctx, rowRange(all, 0, 1_500), keys, 1, 'sort run'), ...await writeRuns(ctx, rowRange(all, 1_500, 1_500), keys, 1, 'sort run')];
  expect(files.length).toBeGreaterThan(MAX_RUNS);
  const merged = await mergeRunFiles(ctx, files, [INT, INT], keys);
  expect(rowsOf(merged)).toEqual(rowsOf(sortBatch(all, keys)));
  ctx.spill.sweep();
  expect(readdirSync(join(dir, 'tmp'))).toEqual([]);
  guard.dispose();
});
