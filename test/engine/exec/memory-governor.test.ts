// The process-wide memory limit: statements reserve into one total shared with their slices, and
// the watchdog stops the statement holding the most when the process's size is over the limit.
import { describe, it, expect } from 'vitest';
import { MemoryGovernor } from '../../../engine/exec/memory-governor.ts';
import { QueryGuard, SliceStop } from '../../../engine/exec/query-guard.ts';
import { publishedRss } from '../../../engine/exec/column-cache.ts';
import { Database } from '../../../engine/database.ts';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const MB = 1024 * 1024;
const errorOf = (f: () => void) => { try { f(); return null; } catch (e) { return [(e as { code: string }).code, (e as Error).message]; } };

describe('MemoryGovernor', () => {
  it('statements together cannot reserve past the server limit; an ended statement gives its memory back', () => {
    const gov = new MemoryGovernor({ limitBytes: 10 * MB, sample: () => 0 });
    const a = new QueryGuard({ memoryLimitBytes: 8 * MB, governor: gov });
    const b = new QueryGuard({ memoryLimitBytes: 8 * MB, governor: gov });
    a.memory.reserve(6 * MB, 'sort');
    // b is within its own limit, but the two together are not within the server's
    const err = errorOf(() => b.memory.reserve(5 * MB, 'hash join build'));
    expect(err?.[0]).toBe('OUT_OF_MEMORY');
    expect(err?.[1]).toMatch(/^the server's running statements would exceed its memory limit of 10 MB \(hash join build needed 5\.0 MB more; all statements hold 6\.0 MB\)/);
    expect(gov.reservedBytes).toBe(6 * MB);
    expect(b.memory.usedBytes).toBe(0);
    // a slice of b reserves into the same totals through its token
    new SliceStop(b.token).memory.reserve(3 * MB, 'rows of a slice');
    expect([gov.reservedBytes, b.memory.usedBytes]).toEqual([9 * MB, 3 * MB]);
    a.dispose();
    expect(gov.reservedBytes).toBe(3 * MB);
    b.memory.reserve(5 * MB, 'hash join build');
    b.dispose();
    expect(gov.reservedBytes).toBe(0);
    // a slice still finishing a batch after its statement ended counts nowhere
    new SliceStop(b.token).memory.reserve(1 * MB, 'rows of a slice');
    expect(gov.reservedBytes).toBe(0);
  });

  it('the watchdog stops the statement holding the most when the process is over, then waits before the next', () => {
    let rss = 50 * MB;
    const gov = new MemoryGovernor({ limitBytes: 100 * MB, sample: () => rss, cooldownMs: 1000 });
    const small = new QueryGuard({ governor: gov });
    const big = new QueryGuard({ governor: gov });
    const slice = new SliceStop(big.token);
    small.memory.reserve(1 * MB, 'a');
    slice.memory.reserve(20 * MB, 'rows of a slice');
    expect(gov.check(1_000_000)).toBeNull();
    rss = 150 * MB;
    expect(gov.check(1_000_100)).toBe(big);
    const want = ['OUT_OF_MEMORY', expect.stringMatching(/^canceling statement: the server went over its memory limit of 100 MB and this statement held the most memory/)];
    // the leader and the slices both see it
    expect(errorOf(() => big.check())).toEqual(want);
    expect(errorOf(() => slice.check())).toEqual(want);
    expect(errorOf(() => small.check())).toBeNull();
    // memory is freed at the next collection: no second victim within the cool-down
    expect(gov.check(1_000_500)).toBeNull();
    expect(gov.check(1_001_200)).toBe(small);
    expect(gov.stats).toEqual({ stopped: 2, peakBytes: 150 * MB });
    small.dispose(); big.dispose();
    expect(gov.check(1_003_000)).toBeNull();
  });

  it('a statement begun after the process went over is not stopped for it while it holds little and the size is not growing', () => {
    let rss = 150 * MB;
    const gov = new MemoryGovernor({ limitBytes: 100 * MB, sample: () => rss, cooldownMs: 1000 });
    const big = new QueryGuard({ governor: gov });
    big.memory.reserve(40 * MB, 'sort');
    expect(gov.check(1_000_000)).toBe(big);
    big.dispose();
    // the stopped statement's memory is not yet given back: `select 1` comes meanwhile
    const small = new QueryGuard({ governor: gov });
    small.memory.reserve(1 * MB, 'a');
    expect(gov.check(1_002_000)).toBeNull();
    // ... but one that reserves much is, and so is any once the process keeps growing
    const large = new QueryGuard({ governor: gov });
    large.memory.reserve(10 * MB, 'hash join build');
    expect(gov.check(1_003_000)).toBe(large);
    rss = 160 * MB;
    expect(gov.check(1_005_000)).toBe(small);
    // back under the limit, the next time over starts afresh
    rss = 90 * MB;
    expect(gov.check(1_007_000)).toBeNull();
    const after = new QueryGuard({ governor: gov });
    rss = 150 * MB;
    expect(gov.check(1_009_000)).toBe(after);
    small.dispose(); large.dispose(); after.dispose();
  });

  it("a database's watchdog publishes each size it samples where its slices read it (they never read /proc at a request's end)", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'strata-governor-'));
    const db = await Database.open({ dataDir: join(dir, 'd'), slices: 1, lazySlices: true });
    try {
      db.governor.check();
      const rss = process.memoryUsage.rss();
      expect(publishedRss(db.pool.cache)).toBeGreaterThan(rss / 2);
      expect(publishedRss(db.pool.cache)).toBeLessThan(rss * 2);
    } finally {
      await db.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
