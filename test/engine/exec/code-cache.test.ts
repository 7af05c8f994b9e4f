// Generated kernels come from each isolate's code cache by their source text (exec/code-cache.ts),
// with every per-query value (literals, IN sets, LIKE patterns, dictionaries, layouts) passed in
// as arguments. So one cached function must still give each query its own answer: queries that
// differ only in a literal, a type, a case-insensitive match, an IN list, a dictionary or a
// column order, and two statements running at once in one slice, are checked against DuckDB.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CodeCache } from '../../../engine/exec/code-cache.ts';
import { translateToDuckDB } from '../../support/verify-with-duckdb.ts';
import { openTwinEngines, type TwinEngines } from '../../support/twin-engines.ts';

describe('CodeCache', () => {
  it('hands out one function per source, counts misses and hits, and evicts the least recently used past its entries', () => {
    const cache = new CodeCache(2, 1 << 20);
    const add = cache.fn<(a: number, b: number) => number>(['a', 'b'], 'return a + b;');
    expect(add(2, 3)).toBe(5);
    expect(cache.fn(['a', 'b'], 'return a + b;')).toBe(add);
    // the same body under other parameter names is another function
    const other = cache.fn<(x: number, y: number) => number>(['x', 'y'], 'return a + b;');
    expect(other).not.toBe(add);
    expect(cache.counts()).toMatchObject({ compiled: 2, reused: 1, evicted: 0, entries: 2 });
    // add was used before other: touching it makes other the oldest, so other goes
    cache.fn(['a', 'b'], 'return a + b;');
    const mul = cache.fn<(a: number, b: number) => number>(['a', 'b'], 'return a * b;');
    expect(mul(2, 3)).toBe(6);
    expect(cache.counts()).toMatchObject({ compiled: 3, reused: 2, evicted: 1, entries: 2 });
    expect(cache.fn(['a', 'b'], 'return a + b;')).toBe(add);
    expect(cache.fn(['x', 'y'], 'return a + b;')).not.toBe(other); // compiled again
    expect(cache.counts()).toMatchObject({ compiled: 4, evicted: 2, entries: 2 });
  });

  it('stays within its source bytes, keeping at least the newest function', () => {
    const cache = new CodeCache(100, 64);
    const body = (i: number) => `return ${i} + ${'0'.repeat(20)};`;
    for (let i = 0; i < 10; i++) expect(cache.fn<() => number>([], body(i))()).toBe(i);
    const c = cache.counts();
    expect(c.bytes).toBeLessThanOrEqual(64);
    expect(c.entries).toBeGreaterThanOrEqual(1);
    expect(c.evicted).toBe(10 - c.entries);
    const huge = `return ${'1'.repeat(100)};`;
    expect(cache.fn<() => number>([], huge)()).toBe(Number('1'.repeat(100)));
    expect(cache.counts().entries).toBe(1);
  });
});

let twins: TwinEngines;

const SETUP = [
  'CREATE TABLE d (n INTEGER)',
  'INSERT INTO d VALUES (0), (1), (2), (3), (4), (5), (6), (7), (8), (9)',
  // the same column names in two tables, of other types and in another order
  'CREATE TABLE a (i INTEGER, f DOUBLE PRECISION, s VARCHAR(12))',
  `INSERT INTO a SELECT x % 97, CAST(x % 53 AS DOUBLE PRECISION) / 4, 'Item' || CAST(x % 31 AS VARCHAR(4))
   FROM (SELECT b.n * 1000 + c.n * 100 + e.n * 10 + g.n AS x FROM d b, d c, d e, d g) q WHERE x < 5000`,
  'CREATE TABLE b (s VARCHAR(12), i DOUBLE PRECISION, f INTEGER)',
  `INSERT INTO b SELECT CASE WHEN x % 3 = 0 THEN 'item' ELSE 'ITEM' END || CAST(x % 7 AS VARCHAR(4)), CAST(x % 89 AS DOUBLE PRECISION) / 2, x % 41
   FROM (SELECT b.n * 1000 + c.n * 100 + e.n * 10 + g.n AS x FROM d b, d c, d e, d g) q WHERE x < 3000`,
];

async function same(sql: string): Promise<void> {
  const mine = await twins.s.execute(sql);
  const theirs = await twins.duck.execute(translateToDuckDB(sql));
  const norm = (rows: unknown[][]) => rows.map((r) => r.map((v) => (typeof v === 'bigint' ? Number(v) : v)));
  expect(norm(mine[mine.length - 1].rows as unknown[][]), sql).toEqual(norm(theirs[0].rows as unknown[][]));
}

describe('cached kernels keep each query its own state', () => {
  // one slice: every statement's kernels come from the same isolate's cache
  beforeAll(async () => { twins = await openTwinEngines('code-cache', SETUP, { slices: 1 }); }, 120_000);
  afterAll(async () => { await twins?.close(); });

  it('gives each query its own answer when they differ in a literal, a type, an IN list, a LIKE or ILIKE, a dictionary or a column order', async () => {
    const queries = [
      'SELECT count(*), sum(i) FROM a WHERE i < 10',
      'SELECT count(*), sum(i) FROM a WHERE i < 60',
      'SELECT count(*), sum(i) FROM b WHERE i < 10',
      'SELECT count(*), sum(f) FROM a WHERE f > 3.5',
      'SELECT count(*), sum(f) FROM b WHERE f > 3',
      'SELECT count(*) FROM a WHERE i IN (1, 2, 3)',
      'SELECT count(*) FROM a WHERE i IN (4, 5, 6, 7, 96)',
      "SELECT count(*) FROM b WHERE s LIKE 'item%'",
      "SELECT count(*) FROM b WHERE s ILIKE 'item%'",
      "SELECT count(*) FROM a WHERE s = 'Item3'",
      "SELECT count(*) FROM b WHERE s = 'item3'",
      'SELECT i * 2 + f, i FROM a WHERE i > 90 ORDER BY 1, 2 LIMIT 7',
      'SELECT i * 2 + f, i FROM b WHERE i > 40 ORDER BY 1, 2 LIMIT 7',
      'SELECT s, count(*), sum(i + f) FROM a GROUP BY s ORDER BY s LIMIT 5',
      'SELECT s, count(*), sum(i + f) FROM b GROUP BY s ORDER BY s LIMIT 5',
    ];
    for (const sql of queries) await same(sql);
    // and again in another order, each shape now cached
    for (const sql of [...queries].reverse()) await same(sql);
  });

  it('gives two statements running at once in one slice, through the same kernels, their own answers', async () => {
    const pairs = [
      ['SELECT count(*), sum(f) FROM a WHERE i < 20 AND f > 1', 'SELECT count(*), sum(f) FROM a WHERE i < 80 AND f > 9'],
      ['SELECT count(*) FROM a WHERE i IN (10, 11)', 'SELECT count(*) FROM a WHERE i IN (12, 13, 14, 50)'],
      ["SELECT i, count(*) FROM a WHERE s LIKE 'Item1%' GROUP BY i ORDER BY i LIMIT 4", "SELECT i, count(*) FROM a WHERE s LIKE 'Item2%' GROUP BY i ORDER BY i LIMIT 4"],
    ];
    for (const [x, y] of pairs) {
      const [rx, ry] = await Promise.all([twins.s.execute(x), twins.db.connect().execute(y)]);
      const [dx, dy] = [await twins.duck.execute(x), await twins.duck.execute(y)];
      const norm = (rows: unknown[][]) => rows.map((r) => r.map((v) => (typeof v === 'bigint' ? Number(v) : v)));
      expect(norm(rx[rx.length - 1].rows as unknown[][]), x).toEqual(norm(dx[0].rows as unknown[][]));
      expect(norm(ry[ry.length - 1].rows as unknown[][]), y).toEqual(norm(dy[0].rows as unknown[][]));
    }
  });

  it('EXPLAIN ANALYZE shows a repeated query shape compiling no kernels in its slice', async () => {
    const explain = async (sql: string) => {
      const r = await twins.s.execute(`EXPLAIN ANALYZE ${sql}`);
      return r[r.length - 1].rows.map((x) => String(x[0])).join('\n');
    };
    const compiled = (text: string) => [...text.matchAll(/; (\d+) kernels compiled/g)].map((m) => Number(m[1]));
    // a shape no other test here runs: its first run compiles its filter and aggregate
    const first = compiled(await explain('SELECT count(*), max(f) FROM b WHERE f BETWEEN 5 AND 30 AND i <> 3'));
    expect(first.length).toBeGreaterThan(0);
    expect(first.reduce((x, y) => x + y, 0)).toBeGreaterThan(0);
    // another literal: the same kernels
    const again = compiled(await explain('SELECT count(*), max(f) FROM b WHERE f BETWEEN 7 AND 12 AND i <> 8'));
    expect(again.length).toBeGreaterThan(0);
    expect(again.every((n) => n === 0)).toBe(true);
  });
});
