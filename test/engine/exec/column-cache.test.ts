// The slices' column cache (exec/column-cache.ts): columns count their real bytes (a string
// column's dictionary too) into one process-wide total, a cache over the budget evicts its own
// least recently used columns, and over the pressure mark it gives back what the process holds
// beyond it.
import { describe, expect, it } from 'vitest';
import { ColumnCache, cacheTotalBytes, cachedBytes, newSharedCache, publishRss, publishedRss } from '../../../engine/exec/column-cache.ts';
import { T, type SqlType } from '../../../engine/types/types.ts';
import { SlicePool } from '../../../engine/exec/slice-pool.ts';
import type { Vector } from '../../../engine/types/vector.ts';

const ROWS = 1024; // a double column is 8 KB
/** A reader that makes column c of any file: doubles, or strings of 40 characters for column 9; it logs what it reads. */
function reader(log: string[]) {
  return async (file: string, _types: SqlType[], columns: number[]): Promise<Vector[]> => {
    log.push(`${file}:${columns.join(',')}`);
    return columns.map((c) => c === 9
      ? { type: T.varchar, length: ROWS, values: Int32Array.from({ length: ROWS }, (_, i) => i), valid: null, dict: Array.from({ length: ROWS }, (_, i) => `${c}`.padEnd(36, 'x') + String(i).padStart(4, '0')) }
      : { type: T.double, length: ROWS, values: new Float64Array(ROWS).fill(c), valid: null });
  };
}
const types: SqlType[] = Array(10).fill(T.double);
const numBytes = ROWS * 8;

describe('ColumnCache', () => {
  it('decodes only the columns it lacks, in one read per call', async () => {
    const log: string[] = [];
    const cache = new ColumnCache(newSharedCache(1, 1e9), 0, reader(log));
    const a = await cache.columns('f1', types, [0, 1]);
    const b = await cache.columns('f1', types, [1, 2]);
    expect(log).toEqual(['f1:0,1', 'f1:2']);
    expect(b[0]).toBe(a[1]);
    expect(b[1].values[0]).toBe(2);
  });

  it("counts a string column's dictionary, not just its codes", async () => {
    const shared = newSharedCache(1, 1e9);
    const cache = new ColumnCache(shared, 0, reader([]));
    const [s] = await cache.columns('f', types, [9]);
    // 1024 strings of 40 characters: at least their characters beyond the 4-byte codes
    expect(cachedBytes(s)).toBeGreaterThan(ROWS * 4 + ROWS * 40);
    expect(cacheTotalBytes(shared)).toBeGreaterThanOrEqual(cachedBytes(s));
  });

  it('keeps the slices together within one budget, each evicting its own least recently used columns', async () => {
    const shared = newSharedCache(2, 5 * numBytes);
    const log0: string[] = [], log1: string[] = [];
    const s0 = new ColumnCache(shared, 0, reader(log0)), s1 = new ColumnCache(shared, 1, reader(log1));
    await s0.columns('a', types, [0, 1, 2]);
    await s0.columns('a', types, [0]); // column 0 used again: 1 is now the least recently used
    await s1.columns('b', types, [0, 1, 2]); // 6 columns > 5, but slice 1 has only the ones it is using
    expect(s1.usage.entries).toBe(3);
    expect(cacheTotalBytes(shared)).toBe(6 * numBytes);
    await s0.columns('a', types, [3]); // slice 0 over the budget evicts its own oldest: 1, then 2
    expect(cacheTotalBytes(shared)).toBe(5 * numBytes);
    await s0.columns('a', types, [0, 3]);
    expect(log0).toEqual(['a:0,1,2', 'a:3']);
    await s0.columns('a', types, [1]);
    expect(log0.at(-1)).toBe('a:1');
  });

  it("never evicts the columns the request it serves is using", async () => {
    const shared = newSharedCache(1, numBytes); // room for one column
    const log: string[] = [];
    const cache = new ColumnCache(shared, 0, reader(log));
    const cols = await cache.columns('f', types, [0, 1, 2]);
    expect(cols.map((c) => c.values[0])).toEqual([0, 1, 2]);
    await cache.columns('f', types, [0, 1, 2]);
    expect(log).toEqual(['f:0,1,2']);
    await cache.columns('g', types, [0]); // another file: f's columns go
    expect(cache.usage.entries).toBe(1);
  });

  it('gives back what the process holds past the pressure mark (the size the watchdog published), whatever the budget', async () => {
    const shared = newSharedCache(1, 1e12, 100 * numBytes);
    const cache = new ColumnCache(shared, 0, reader([]));
    for (let f = 0; f < 8; f++) await cache.columns(`f${f}`, types, [0]);
    expect(cache.usage.entries).toBe(8);
    publishRss(shared, 103.5 * numBytes); // 3.5 columns' worth over the mark: 4 of the 7 others go
    expect(publishedRss(shared)).toBe(103.5 * numBytes);
    await cache.columns('g', types, [0]);
    expect(cache.usage.entries).toBe(5);
    publishRss(shared, 50 * numBytes);
    await cache.columns('h', types, [0]);
    expect(cache.usage.entries).toBe(6);
  });

  it('forgets the columns of dropped files and gives their bytes back', async () => {
    const shared = newSharedCache(1, 1e9);
    const cache = new ColumnCache(shared, 0, reader([]));
    await cache.columns('x/1', types, [0, 1]);
    await cache.columns('y', types, [0]);
    cache.drop(['x/1']);
    expect(cache.usage.entries).toBe(1);
    expect(cacheTotalBytes(shared)).toBe(numBytes);
  });
});

describe("the slices' cache budget", () => {
  const GiB = 1024 ** 3;
  const budget = (memoryLimit: number, env?: string): number => {
    const before = process.env.STRATA_CACHE_BYTES;
    if (env === undefined) delete process.env.STRATA_CACHE_BYTES; else process.env.STRATA_CACHE_BYTES = env;
    try {
      const pool = new SlicePool('/nonexistent', 2, true, memoryLimit); // lazy: no worker starts
      return pool.cache.budgetBytes;
    } finally {
      if (before === undefined) delete process.env.STRATA_CACHE_BYTES; else process.env.STRATA_CACHE_BYTES = before;
    }
  };

  it('is 1 GiB for all slices together, at most a quarter of the memory limit, unless STRATA_CACHE_BYTES says', () => {
    expect(budget(16 * GiB)).toBe(GiB);
    expect(budget(2 * GiB)).toBe(GiB / 2);
    expect(budget(16 * GiB, String(3 * GiB))).toBe(3 * GiB);
    expect(budget(16 * GiB, '0')).toBe(0);
    expect(budget(16 * GiB, 'lots')).toBe(GiB);
  });
});
