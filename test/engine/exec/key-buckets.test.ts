// A GROUP BY over one integer key with a wide range puts its rows in key-range order before
// grouping them (exec/key-buckets.ts). The buckets must hand on every row they took once, with
// its validity, in order of key range; refuse what they cannot hold; and the groups made from
// them must be what the rows in their own order make: in a GroupTable (a key outside the
// statistics' range hands over to hashing mid-bucket), and in SQL, as DuckDB groups.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUCKETS, KeyBuckets, MIN_BUCKETED_SPAN } from '../../../engine/exec/key-buckets.ts';
import { GroupTable, type AggSpec } from '../../../engine/exec/aggregate.ts';
import { ArrayPool } from '../../../engine/exec/array-pool.ts';
import { T } from '../../../engine/types/types.ts';
import { makeVector, type Batch } from '../../../engine/types/vector.ts';
import { openTwinEngines, type TwinEngines } from '../../support/twin-engines.ts';
import { rng } from '../../support/rng.ts';

const SPAN = 4 * MIN_BUCKETED_SPAN;
const shift = Math.ceil(Math.log2(SPAN / BUCKETS));

/** n rows: k BIGINT in [1, SPAN] (NULL one in 20 when `nulls`), x DOUBLE = k / 2 + row. */
function batchOf(n: number, seed: number, nulls: boolean): Batch {
  const r = rng(seed);
  const k = new Float64Array(n), x = new Float64Array(n);
  const valid = nulls ? new Uint8Array(n).fill(1) : null;
  for (let i = 0; i < n; i++) {
    k[i] = 1 + Math.floor(r() * SPAN);
    x[i] = k[i] / 2 + i;
    if (valid && r() < 0.05) valid[i] = 0;
  }
  return { length: n, columns: [makeVector(T.bigint, n, k, valid), makeVector(T.double, n, x, null)] };
}

/** "k|valid|x" per row, sorted: the rows as a multiset. */
const rowSet = (rows: string[]) => [...rows].sort();

describe('KeyBuckets', () => {
  it('hands on every row it took once, NULLs and selections included, in order of key range', () => {
    const buckets = new KeyBuckets(1, SPAN, 0, null, Infinity, 5000);
    const a = batchOf(3000, 1, false), b = batchOf(4000, 2, true);
    const sel = Uint32Array.from({ length: 1500 }, (_, i) => 2 * i + 1);
    const taken: string[] = [];
    const take = (batch: Batch, rows: Uint32Array | null, n: number) => {
      for (let j = 0; j < n; j++) {
        const i = rows ? rows[j] : j;
        const [k, x] = batch.columns;
        taken.push(`${k.values[i]}|${k.valid ? k.valid[i] : 1}|${x.values[i]}`);
      }
    };
    expect(buckets.add(a, null, 3000)).toBe(true);
    take(a, null, 3000);
    expect(buckets.add(b, sel, 1500)).toBe(true); // the first NULLs come after rows without
    take(b, sel, 1500);
    // 500 places left: a batch of 1,000 does not fit, and nothing of it is held
    expect(buckets.add(b, null, 1000)).toBe(false);
    expect(buckets.rows).toBe(4500);
    const out: string[] = [];
    let lastBucket = -1, pieces = 0;
    buckets.drain((batch, n) => {
      pieces++;
      const [k, x] = batch.columns;
      expect(batch.length).toBe(n);
      for (let i = 0; i < n; i++) {
        const bucket = (k.values[i] - 1) >>> shift;
        expect(bucket).toBeGreaterThanOrEqual(lastBucket);
        lastBucket = bucket;
        out.push(`${k.values[i]}|${k.valid ? k.valid[i] : 1}|${x.values[i]}`);
      }
    });
    expect(pieces).toBe(1);
    expect(rowSet(out)).toEqual(rowSet(taken));
    expect(buckets.rows).toBe(0);
    // emptied: the next chunk holds new rows only, without the old chunk's NULLs
    expect(buckets.add(a, null, 10)).toBe(true);
    const again: string[] = [];
    buckets.drain((batch, n) => { for (let i = 0; i < n; i++) again.push(`${batch.columns[0].values[i]}|${batch.columns[0].valid ? 0 : 1}`); });
    expect(rowSet(again)).toEqual(rowSet(Array.from({ length: 10 }, (_, i) => `${a.columns[0].values[i]}|1`)));
  });

  it('holds nothing of a batch with a string column (its dictionary is its own) or other column types', () => {
    const buckets = new KeyBuckets(1, SPAN, 0, null, Infinity, 5000);
    const a = batchOf(100, 3, false);
    const withText: Batch = { length: 100, columns: [a.columns[0], makeVector(T.varchar, 100, new Int32Array(100), null, ['x'])] };
    expect(buckets.add(withText, null, 100)).toBe(false);
    expect(buckets.add(a, null, 100)).toBe(true);
    const ints: Batch = { length: 100, columns: [a.columns[0], makeVector(T.int, 100, new Int32Array(100), null)] };
    expect(buckets.add(ints, null, 100)).toBe(false);
    expect(buckets.rows).toBe(100);
  });

  it('holds nothing when its allowance of bytes holds fewer rows than a batch', () => {
    // two DOUBLE columns take 2 * (2 * 8 + 2) + 4 = 40 bytes a row: 1 MB is 26,214 rows, below 65,536
    const small = new KeyBuckets(1, SPAN, 0, null, 2 ** 20);
    expect(small.add(batchOf(100, 8, false), null, 100)).toBe(false);
    expect(small.rows).toBe(0);
    const enough = new KeyBuckets(1, SPAN, 0, null, 65536 * 40);
    expect(enough.add(batchOf(100, 8, false), null, 100)).toBe(true);
  });
});

describe('a GroupTable over a wide key range', () => {
  const spec = (lo: number, hi: number): AggSpec => ({
    keys: [{ k: 'col', index: 0, type: T.bigint }],
    aggs: [{ fn: 'count_star', arg: null, distinct: false, type: T.bigint }, { fn: 'sum', arg: { k: 'col', index: 1, type: T.double }, distinct: false, type: T.double }],
    keyRange: [lo, hi],
  });

  it('makes the groups and sums of the rows as they came, also when a key outside the range hands it to hashing', () => {
    const pool = new ArrayPool(256 * 2 ** 20);
    const batches = [batchOf(20000, 4, true), batchOf(30000, 5, false), batchOf(25000, 6, true)];
    // statistics gone stale: the last batch holds keys past the range the table was planned with
    const late = batchOf(500, 7, false);
    for (let i = 0; i < 500; i += 7) late.columns[0].values[i] = SPAN + 100 + i;
    batches.push(late);
    const want = new Map<number | null, [number, number]>();
    for (const b of batches) {
      const [k, x] = b.columns;
      for (let i = 0; i < b.length; i++) {
        const key = k.valid && !k.valid[i] ? null : k.values[i];
        const e = want.get(key) ?? [0, 0];
        e[0]++;
        e[1] += x.values[i];
        want.set(key, e);
      }
    }
    // with the buckets, and with an allowance too small for them (rows grouped as they come)
    for (const bucketBytes of [Infinity, 2 ** 20]) {
      const lease = pool.lease();
      const table = new GroupTable(spec(1, SPAN), lease, bucketBytes);
      for (const b of batches) table.consume(b, null, b.length);
      const [keys, counts, sums] = table.finish([T.bigint]);
      expect(table.groups).toBe(want.size);
      for (let g = 0; g < table.groups; g++) {
        const key = keys.valid && !keys.valid[g] ? null : keys.values[g];
        const [n, s] = want.get(key)!;
        expect(counts.values[g], `count of ${key}`).toBe(n);
        expect(sums.values[g]).toBeCloseTo(s, 6);
      }
      lease.end(true);
    }
  });
});

describe('GROUP BY a wide dense integer column in SQL', () => {
  let twins: TwinEngines | undefined;

  beforeAll(async () => {
    // 200,000 keys over 1..1,199,995 (dense enough for an array, too wide for the cache), some
    // with more rows, and NULL keys
    twins = await openTwinEngines('key-buckets', [
      'CREATE TABLE d (n INTEGER)',
      'INSERT INTO d VALUES (0), (1), (2), (3), (4), (5), (6), (7), (8), (9)',
      'CREATE TABLE w (k BIGINT, x DECIMAL(9,2), s VARCHAR(8)) DISTKEY(k)',
      `INSERT INTO w SELECT v * 6 + 1, CAST(v % 97 AS DECIMAL(9,2)), 'w' || CAST(v % 13 AS VARCHAR(2))
         FROM (SELECT a.n * 100000 + b.n * 10000 + c.n * 1000 + e.n * 100 + f.n * 10 + g.n AS v FROM d a, d b, d c, d e, d f, d g WHERE a.n < 2) t`,
      'INSERT INTO w SELECT k, x + 1, s FROM w WHERE k % 5 = 1',
      "INSERT INTO w VALUES (NULL, 5, 'n'), (NULL, 7, 'n')",
      'ANALYZE w',
    ]);
  }, 120_000);

  afterAll(async () => {
    await twins?.close();
  });

  it('puts the rows in key-range order first and groups them as DuckDB does', async () => {
    const sql = 'SELECT k, sum(x), count(*), min(x), max(x) FROM w GROUP BY k HAVING sum(x) > 150 ORDER BY 1';
    const plan = (await twins!.s.execute(`EXPLAIN ${sql}`))[0].rows.map((row: unknown[]) => String(row[0])).join('\n');
    expect(plan).toMatch(/group ids from an array over key values 1\.\.1199995, rows put in key-range order first/);
    expect(await twins!.strataRows(sql)).toEqual(await twins!.duckRows(sql));
    const all = 'SELECT count(*), sum(c), sum(t), max(k) FROM (SELECT k, count(*) AS c, sum(x) AS t FROM w GROUP BY k) g';
    expect(await twins!.strataRows(all)).toEqual(await twins!.duckRows(all));
  });

  it('leaves the rows in their order for LISTAGG, whose text follows it', async () => {
    const plan = (await twins!.s.execute('EXPLAIN SELECT k, listagg(s) FROM w GROUP BY k'))[0].rows.map((row: unknown[]) => String(row[0])).join('\n');
    expect(plan).toMatch(/group ids from an array over key values/);
    expect(plan).not.toMatch(/key-range order/);
  });
});
