// Grace hash join on its own: with less memory left than a partition's hash table needs, the
// partitions are split again with another hash (and joined at the next level), every row still
// meets its partner exactly once, and the files are gone when the run's spill area is disposed.
import { afterAll, expect, it, vi } from 'vitest';
import { mkdtempSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Batch, Vector } from '../../../engine/types/vector.ts';
import type { BExpr } from '../../../engine/plan/bound.ts';
import type { SlicePool } from '../../../engine/exec/slice-pool.ts';
import { RunContext } from '../../../engine/exec/operators/run-context.ts';
import { QueryGuard } from '../../../engine/exec/query-guard.ts';
import { BuildTable, probe } from '../../../engine/exec/hash-join.ts';
import { FANOUT, buildBytes, graceJoin } from '../../../engine/exec/spill/grace-join.ts';
import { mayPart, writePartitions } from '../../../engine/exec/spill/hash-partition.ts';

const dir = mkdtempSync(join(tmpdir(), 'strata-grace-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const INT = { id: 'INTEGER' } as Vector['type'];
const ints = (xs: number[]): Vector => ({ type: INT, length: xs.length, values: Int32Array.from(xs), valid: null });
const key: BExpr = { k: 'col', index: 0, type: INT } as BExpr;

/** A leader's run context under an 8 MB limit. */
function leaderContext(): { guard: QueryGuard; ctx: RunContext } {
  const guard = new QueryGuard({ memoryLimitBytes: 8 * 2 ** 20 });
  return { guard, ctx: new RunContext({ dataDir: dir, size: 1 } as SlicePool, { guard }) };
}

/** Build rows: keys 0..n-1, payload 3 × key. */
const buildRows = (n: number): Batch => ({ length: n, columns: [ints(Array.from({ length: n }, (_, i) => i)), ints(Array.from({ length: n }, (_, i) => i * 3))] });

/** An inner grace join of `left` with `right` on their first columns; `pairs`: the partition pairs that built a table. */
async function innerJoin(ctx: RunContext, left: Batch, right: Batch): Promise<{ parts: Batch[]; pairs: number }> {
  let pairs = 0;
  const parts = await graceJoin(ctx, { left, right }, {
    leftKeys: [key], rightKeys: [key], leftTypes: [INT], rightTypes: [INT, INT],
    pairTable: (r) => {
      pairs++;
      const table = new BuildTable(r.columns, [r.columns[0]]);
      return { probe: (l, take) => take(probe(l, [l.columns[0]], table, 'INNER', null)), finish: async () => {} };
    },
  });
  return { parts, pairs };
}

it('splits partitions that still do not fit again and joins every pair once', async () => {
  mkdirSync(join(dir, 'tmp'));
  const { guard, ctx } = leaderContext();
  // build: keys 0..49 999 with a payload; probe: keys 49 980..99 979, so 20 rows match
  const n = 50_000, m = 20;
  const right = buildRows(n);
  const left: Batch = { length: n, columns: [ints(Array.from({ length: n }, (_, i) => n - m + i))] };
  // leave less than one first-level partition's table, more than a second-level one's
  const partTable = buildBytes(n / FANOUT, 1);
  ctx.reserve(guard.memory.availableBytes - partTable * 0.6, 'ballast');
  expect(guard.memory.availableBytes).toBeLessThan(partTable);
  expect(guard.memory.availableBytes).toBeGreaterThan(buildBytes(n / FANOUT / FANOUT * 2, 1));
  const { parts, pairs } = await innerJoin(ctx, left, right);
  // every first-level partition was split again: more pairs than FANOUT, and more files than 2 * FANOUT
  expect(pairs).toBeGreaterThan(FANOUT);
  expect(guard.memory.spilled.files).toBeGreaterThan(2 * FANOUT);
  const rows = parts.reduce((s, p) => s + p.length, 0);
  let sumKeys = 0, sumPayload = 0;
  for (const p of parts) for (let i = 0; i < p.length; i++) { sumKeys += p.columns[0].values[i] as number; sumPayload += p.columns[2].values[i] as number; }
  expect(rows).toBe(m);
  expect(sumKeys).toBe((n - m + n - 1) * m / 2);
  expect(sumPayload).toBe(3 * (n - m + n - 1) * m / 2);
  ctx.spill.dispose();
  expect(readdirSync(join(dir, 'tmp'))).toEqual([]);
  guard.dispose();
});

it('skips the pairs whose probe file is empty: their build files are neither read as a table nor split again', async () => {
  const { guard, ctx } = leaderContext();
  // build: keys 0..49 999; probe: 1,000 rows of key 7 alone, so one partition at each level has probe rows
  const n = 50_000;
  const right = buildRows(n);
  const left: Batch = { length: 1000, columns: [ints(new Array(1000).fill(7))] };
  // as above: every first-level build partition is too big for what is left, a second-level one fits
  ctx.reserve(guard.memory.availableBytes - buildBytes(n / FANOUT, 1) * 0.6, 'ballast');
  const { parts, pairs } = await innerJoin(ctx, left, right);
  // one pair built a table, after one split of its partition: both sides' files at level 0 and 1
  expect(pairs).toBe(1);
  expect(guard.memory.spilled.files).toBe(4 * FANOUT);
  expect(parts.reduce((sum, p) => sum + p.length, 0)).toBe(1000);
  expect(parts.every((p) => Array.from(p.columns[2].values).every((v) => v === 21))).toBe(true);
  ctx.spill.dispose();
  expect(readdirSync(join(dir, 'tmp'))).toEqual([]);
  guard.dispose();
});

it('knows whether a split may part a partition file from writing it, without reading it back', async () => {
  const { guard, ctx } = leaderContext();
  const reads = vi.spyOn(ctx.spill, 'read');
  // one key's rows land in one file; keys 0..9 999 spread over every file, each holding many keys
  const one = writePartitions(ctx, { length: 5000, columns: [ints(new Array(5000).fill(7))] }, [key], false, 0, 'one key');
  const many = writePartitions(ctx, { length: 10_000, columns: [ints(Array.from({ length: 10_000 }, (_, i) => i))] }, [key], false, 0, 'many keys');
  const sevens = one.find((f) => f.rows > 0)!;
  expect(sevens.rows).toBe(5000);
  expect(mayPart([sevens], Infinity, false)).toBe(false);
  for (const f of many) expect(mayPart([f], Infinity, false)).toBe(true);
  // files of several inputs part unless every row of all of them hashes alike
  expect(mayPart([sevens, one.find((f) => f.rows === 0)!], Infinity, false)).toBe(false);
  expect(mayPart([sevens, many[0]], Infinity, false)).toBe(true);
  expect(reads).not.toHaveBeenCalled();
  ctx.spill.dispose();
  guard.dispose();
});
