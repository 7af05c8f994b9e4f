// A slice's grace hash join on its own: build rows go to partition files by key hash, probe
// batches follow them as they stream in, and the pairs of files are joined once the input is
// done. With less memory left than a partition's table needs, partitions split again; every
// probe row still meets its partners exactly once (inner) or comes out once, padded (left),
// and every file is gone once drained. A join keeping its build rows (FULL, LEFT built on its
// left) adds each build row no probe row matched once, with NULL probe columns.
import { afterAll, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import type { Batch, Vector } from '../../../engine/types/vector.ts';
import type { JoinStep } from '../../../engine/exec/fragment.ts';
import { MemoryBudget } from '../../../engine/exec/memory-budget.ts';
import { BuildTable } from '../../../engine/exec/hash-join.ts';
import { StatementSpill } from '../../../engine/exec/spill/spill-area.ts';
import { FANOUT } from '../../../engine/exec/spill/hash-partition.ts';
import { SliceGraceJoin } from '../../../engine/exec/spill/slice-grace-join.ts';
import type { SpillHost } from '../../../engine/exec/spill/spill-aggregate.ts';

const root = mkdtempSync(`${tmpdir()}/strata-slice-grace-`);
afterAll(() => rmSync(root, { recursive: true, force: true }));

const INT = { id: 'INTEGER' } as Vector['type'];
const ints = (xs: number[]): Vector => ({ type: INT, length: xs.length, values: Int32Array.from(xs), valid: null });
const range = <T = number>(n: number, f: (i: number) => T): T[] => Array.from({ length: n }, (_, i) => f(i));

/** A slice's view of a statement whose budget leaves `available` bytes. */
function host(available: number): SpillHost & { budget: MemoryBudget; files: StatementSpill } {
  const budget = new MemoryBudget(64 * 2 ** 20);
  const files = new StatementSpill(root, budget, undefined, 0);
  return {
    budget, files, spill: files,
    check: () => {}, tick: () => {}, pause: async () => {},
    available: () => available,
    reserve: (bytes, what) => { budget.reserve(bytes, what); return () => budget.release(bytes); },
  };
}

/** Build: keys 0..n-1 with payload 3k; probe batches of 10 000 rows, keys n-m.. (m match). */
const n = 50_000, m = 20;
const step = (joinType: JoinStep['joinType'], keepsBuild = false): JoinStep => ({
  joinType,
  ...(keepsBuild ? { keepsBuild: { probeTypes: [INT] } } : {}),
  probeKeys: [{ k: 'col', index: 0, type: INT } as JoinStep['probeKeys'][0]],
  buildKeys: [0],
  build: [ints(range(n, (i) => i)), ints(range(n, (i) => 3 * i))],
});
const probeBatches = (): Batch[] => range(5, (b) => ({ length: 10_000, columns: [ints(range(10_000, (i) => n - m + b * 10_000 + i))] }));

async function run(joinType: JoinStep['joinType'], available: number, keepsBuild = false, probes = probeBatches()) {
  const h = host(available);
  const grace = new SliceGraceJoin(h, step(joinType, keepsBuild));
  for (const b of probes) grace.add(b);
  const out: Batch[] = [];
  await grace.drain(async (b) => { out.push(b); return false; });
  const files = h.budget.spilled.files;
  const left = readdirSync(root, { recursive: true });
  h.files.dispose();
  return { out, files, left };
}

it('re-splits partitions whose table still does not fit and joins every pair once', async () => {
  // less than one first-level partition's table is left, more than a second-level one's
  const { out, files, left } = await run('INNER', BuildTable.estimateBytes(n / FANOUT, 1) * 0.6);
  expect(files).toBeGreaterThan(4 * FANOUT); // build and probe, split again
  expect(left.filter((f) => String(f).includes('/'))).toEqual([]); // every file read back and deleted
  expect(left.length).toBe(1); // the slice's directory, removed with the statement
  let rows = 0, keys = 0, payload = 0;
  for (const b of out) for (let i = 0; i < b.length; i++) { rows++; keys += b.columns[0].values[i] as number; payload += b.columns[2].values[i] as number; }
  expect(rows).toBe(m);
  expect(keys).toBe(((n - m + n - 1) * m) / 2);
  expect(payload).toBe(3 * keys);
});

it('a left join keeps every probe row once, padded where no build row matches', async () => {
  const { out, files } = await run('LEFT', 2 ** 30);
  expect(files).toBe(2 * FANOUT); // enough memory: no second split
  let rows = 0, matched = 0;
  for (const b of out) for (let i = 0; i < b.length; i++) { rows++; if (b.columns[2].valid?.[i] !== 0) matched++; }
  expect(rows).toBe(50_000);
  expect(matched).toBe(m);
});

it('a join keeping its build rows adds each unmatched build row once, padded, also after re-splitting', async () => {
  for (const [kind, probes] of [['LEFT', 50_000], ['INNER', m]] as const) {
    const { out, files } = await run(kind, BuildTable.estimateBytes(n / FANOUT, 1) * 0.6, true);
    expect(files).toBeGreaterThan(4 * FANOUT);
    let rows = 0, padded = 0, buildKeys = 0;
    for (const b of out) {
      for (let i = 0; i < b.length; i++) {
        rows++;
        if (b.columns[0].valid?.[i] === 0) padded++;
        if (b.columns[1].valid?.[i] !== 0) buildKeys += b.columns[1].values[i] as number;
      }
    }
    // the probe rows (all of them, or the matched ones), then the n - m build rows nothing matched
    expect(rows, kind).toBe(probes + n - m);
    expect(padded, kind).toBe(n - m);
    expect(buildKeys, kind).toBe((n * (n - 1)) / 2); // every build row exactly once
  }
  // no probe rows at all: every build row comes out padded
  const { out } = await run('LEFT', BuildTable.estimateBytes(n / FANOUT, 1) * 0.6, true, []);
  expect(out.reduce((sum, b) => sum + b.length, 0)).toBe(n);
  expect(out.every((b) => b.columns.length === 3 && b.columns[0].valid!.every((v) => v === 0))).toBe(true);
});

it('a pair whose probe file is empty is not read nor split again: an inner join skips it, an anti join built on its preserved side keeps its rows', async () => {
  // 1,000 probe rows of key 7 alone: one partition at each level has probe rows
  const sevens = [{ length: 1000, columns: [ints(new Array(1000).fill(7))] }];
  const { out, files } = await run('INNER', BuildTable.estimateBytes(n / FANOUT, 1) * 0.6, false, sevens);
  // build and probe files at level 0, then one pair split again (on main every build partition was)
  expect(files).toBe(4 * FANOUT);
  expect(out.reduce((sum, b) => sum + b.length, 0)).toBe(1000);
  // marking: the build rows no probe row matched (all but key 7), though most of their pairs had no probe rows
  const h = host(BuildTable.estimateBytes(n / FANOUT, 1) * 0.6);
  const grace = new SliceGraceJoin(h, step('ANTI'));
  for (const b of sevens) grace.add(b);
  const kept: Batch[] = [];
  await grace.drainMarked(0, async (b) => { kept.push(b); return false; });
  expect(h.budget.spilled.files).toBe(4 * FANOUT);
  let rows = 0, keys = 0;
  for (const b of kept) for (let i = 0; i < b.length; i++) { rows++; keys += b.columns[0].values[i] as number; }
  expect(rows).toBe(n - 1);
  expect(keys).toBe((n * (n - 1)) / 2 - 7);
  h.files.dispose();
});
