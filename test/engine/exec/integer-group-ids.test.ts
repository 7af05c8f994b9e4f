// GROUP BY one integer column whose statistics span a dense range takes group ids from an array
// (exec/integer-group-ids.ts): the ids must be KeyTable's (dense, in order of first insertion),
// NULL a group of its own, and a key outside the range (stale statistics) must hand every group
// to a hash table mid-batch without changing an id. In SQL, answers equal DuckDB's and EXPLAIN
// names the array's range, also after inserts past what ANALYZE saw.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IntegerGroupIds } from '../../../engine/exec/integer-group-ids.ts';
import { KeyBatch, KeyTable } from '../../../engine/exec/hash-table.ts';
import { T } from '../../../engine/types/types.ts';
import type { Vector } from '../../../engine/types/vector.ts';
import { openTwinEngines, type TwinEngines } from '../../support/twin-engines.ts';
import { rng } from '../../support/rng.ts';

const ints = (xs: (number | null)[]): Vector => ({
  type: T.int, length: xs.length, values: Int32Array.from(xs, (x) => x ?? 0),
  valid: xs.includes(null) ? Uint8Array.from(xs, (x) => (x === null ? 0 : 1)) : null,
});
const batchOf = (xs: (number | null)[]) => new KeyBatch([ints(xs)], xs.length, true);

describe('IntegerGroupIds', () => {
  it('gives the ids a KeyTable gives, batch after batch, NULL included, and hands over to hashing on a key outside its range', () => {
    const r = rng(5);
    const batches = Array.from({ length: 6 }, (_, b) => Array.from({ length: 500 }, () => {
      if (r() < 0.05) return null;
      // the last batches also hold keys below and above [-50, 949]
      return b >= 4 && r() < 0.1 ? Math.floor(r() * 3000) - 1500 : Math.floor(r() * 1000) - 50;
    }));
    const direct = new IntegerGroupIds(T.int, [-50, 949]);
    const hashed = new KeyTable(['num']);
    for (const [b, xs] of batches.entries()) {
      expect(Array.from(direct.insert(batchOf(xs))), `batch ${b}`).toEqual(Array.from(hashed.insert(batchOf(xs))));
      expect(direct.hashing).toBe(b >= 4);
    }
    expect(direct.size).toBe(hashed.size);
    for (let id = 0; id < hashed.size; id++) expect(direct.value(0, id)).toBe(hashed.value(0, id));
  });
});

let twins: TwinEngines | undefined;

/** t(k, x): 3,000 rows, k in 1..2,000 (one in twenty NULL), x DECIMAL. */
function rows(): string {
  const r = rng(9);
  const out: string[] = [];
  for (let i = 0; i < 3000; i++) out.push(`(${r() < 0.05 ? 'NULL' : 1 + Math.floor(r() * 2000)}, ${(r() * 100).toFixed(2)})`);
  return `INSERT INTO t VALUES ${out.join(', ')}`;
}

beforeAll(async () => {
  twins = await openTwinEngines('integer-group-ids', [
    'CREATE TABLE t (k BIGINT, x DECIMAL(8,2)) DISTKEY(k)', rows(), 'ANALYZE t',
    // ~60,000 keys in 0..200,000: past a 2 MB budget the groups go to partition files
    'CREATE TABLE u (k BIGINT, x DECIMAL(8,2))',
    'INSERT INTO u SELECT a.k * 100 + b.k, a.x FROM t a, t b WHERE b.k < 30 AND a.k IS NOT NULL',
    'ANALYZE u',
  ]);
}, 60_000);

afterAll(async () => {
  await twins?.close();
});

describe('GROUP BY a dense integer column', () => {
  const sql = 'SELECT k, sum(x), count(*) FROM t GROUP BY k HAVING sum(x) > 60 ORDER BY 1';
  it('groups through the array, as DuckDB groups', async () => {
    const plan = (await twins!.s.execute(`EXPLAIN ${sql}`))[0].rows.map((row: unknown[]) => String(row[0])).join('\n');
    expect(plan).toMatch(/group ids from an array over key values 1\.\.\d+\)/);
    expect(await twins!.strataRows(sql)).toEqual(await twins!.duckRows(sql));
  });

  it('spills past the budget as DuckDB groups (the spilled tables hash)', async () => {
    const big = 'SELECT count(*), sum(s), max(n) FROM (SELECT k, sum(x) AS s, count(*) AS n FROM u GROUP BY k) g';
    const plan = (await twins!.s.execute(`EXPLAIN ${big}`))[0].rows.map((row: unknown[]) => String(row[0])).join('\n');
    expect(plan).toMatch(/group ids from an array over key values/);
    await twins!.s.execute("SET query_memory_limit = '2MB'");
    try {
      const r = await twins!.s.execute(`EXPLAIN ANALYZE ${big}`);
      expect(r[r.length - 1].rows.map((row: unknown[]) => String(row[0])).join('\n')).toMatch(/spilled [\d.]+ MB/);
      expect(await twins!.strataRows(big)).toEqual(await twins!.duckRows(big));
    } finally {
      await twins!.s.execute('RESET query_memory_limit');
    }
  });

  it('covers keys inserted after ANALYZE (statistics follow inserts), negative ones too, as DuckDB groups', async () => {
    const more = 'INSERT INTO t VALUES (-7, 70), (2500, 65), (2500, 1), (1, 99), (NULL, 80)';
    await twins!.s.execute(more);
    await twins!.duck.execute(more);
    const plan = (await twins!.s.execute(`EXPLAIN ${sql}`))[0].rows.map((row: unknown[]) => String(row[0])).join('\n');
    expect(plan).toMatch(/group ids from an array over key values -7\.\.2500\)/);
    expect(await twins!.strataRows(sql)).toEqual(await twins!.duckRows(sql));
  });
});
