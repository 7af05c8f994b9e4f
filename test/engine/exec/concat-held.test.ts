// RunContext.concatHeld: the parts an operator holds become one batch a column at a time, each
// part's column given back once copied, so the budget never counts the rows twice; the rows are
// the same as a plain concatenation (numbers, NULLs, strings of different dictionaries).
import { afterAll, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { valueAt, type Batch, type Vector } from '../../../engine/types/vector.ts';
import type { SlicePool } from '../../../engine/exec/slice-pool.ts';
import { RunContext } from '../../../engine/exec/operators/run-context.ts';
import { QueryGuard } from '../../../engine/exec/query-guard.ts';
import { batchBytes } from '../../../engine/exec/memory-budget.ts';

const dir = mkdtempSync(join(tmpdir(), 'strata-concat-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const INT = { id: 'INTEGER' } as Vector['type'];
const DOUBLE = { id: 'DOUBLE PRECISION' } as Vector['type'];
const TEXT = { id: 'VARCHAR', length: 8 } as Vector['type'];

/** A part of `n` rows from `from`: an integer, a double with every 5th NULL, a string from a dictionary of its own. */
function part(from: number, n: number, tag: string): Batch {
  const valid = Uint8Array.from({ length: n }, (_, i) => ((from + i) % 5 === 0 ? 0 : 1));
  const dict = Array.from({ length: 7 }, (_, i) => `${tag}${i}`);
  return {
    length: n,
    columns: [
      { type: INT, length: n, values: Int32Array.from({ length: n }, (_, i) => from + i), valid: null },
      { type: DOUBLE, length: n, values: Float64Array.from({ length: n }, (_, i) => (from + i) / 2), valid },
      { type: TEXT, length: n, values: Int32Array.from({ length: n }, (_, i) => (from + i) % 7), valid: null, dict },
    ],
  };
}
const rowsOf = (b: Batch) => Array.from({ length: b.length }, (_, r) => b.columns.map((c) => valueAt(c, r)));

it('copies held parts into one batch column by column, counting the rows once', async () => {
  const guard = new QueryGuard({ memoryLimitBytes: 64 * 2 ** 20 });
  const ctx = new RunContext({ dataDir: dir, size: 1 } as SlicePool, { guard });
  const sizes = [40_000, 1, 0, 25_000, 60_000];
  let from = 0;
  const parts = sizes.map((n, i) => { const p = part(from, n, `p${i}-`); from += n; return p; });
  const want = parts.flatMap(rowsOf);
  const partBytes = parts.reduce((s, p) => s + batchBytes(p), 0);
  const out = await ctx.concatHeld([INT, DOUBLE, TEXT], parts.map((p) => ctx.hold(p, 'part')), 'test');
  expect(out.length).toBe(from);
  expect(rowsOf(out)).toEqual(want);
  // the parts are used up and given back; the result alone is held
  expect(parts[0].columns.every((c) => c === null)).toBe(true);
  expect(Math.abs(guard.memory.usedBytes - batchBytes(out))).toBeLessThan(16 * 1024);
  // never the parts and the copy at once: at most the rows once and some kilobytes of rounding
  expect(guard.memory.peakBytes).toBeLessThan(Math.max(partBytes, batchBytes(out)) + 16 * 1024);
});
