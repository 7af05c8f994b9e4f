// Filters whose plain comparisons (column or literal against column or literal, numbers and
// dates within 2^53) select rows in one branch-free pass (exec/kernels.ts emitSelectionPass),
// before the other conjuncts and the aggregate updates. Answers are checked against DuckDB over
// the same rows: NULLs, DECIMAL values at the edge of DECIMAL(12,2), wide BIGINTs and strings
// (conjuncts that stay out of the pass), blocks where every row or no row passes, filters that
// keep nothing, and the same again after DELETE, when the scan hands the kernels a selection.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Session } from '../../../engine/database.ts';
import { type DuckDBSession, translateToDuckDB } from '../../support/verify-with-duckdb.ts';
import { openTwinEngines, type TwinEngines } from '../../support/twin-engines.ts';
import { PassOrder } from '../../../engine/exec/selection.ts';

let s: Session;
let duck: DuckDBSession;
let twins: TwinEngines | undefined;

// 150,000 rows over 2 slices: each slice scans one full batch of 65,536 rows and a partial one.
// x runs in order, so `x < 70000` passes every row of some blocks and none of others.
const SETUP = [
  'CREATE TABLE d (n INTEGER)',
  'INSERT INTO d VALUES (0), (1), (2), (3), (4), (5), (6), (7), (8), (9)',
  `CREATE TABLE t (x INTEGER, i INTEGER, p DECIMAL(12,2), q DECIMAL(12,2), dt DATE, b BIGINT, s VARCHAR(4))`,
  // i NULL on every 13th row; p NULL on every 17th and at the ends of DECIMAL(12,2) on two rows in
  // 50,000; b past 2^53 from x = 9008 on
  `INSERT INTO t SELECT x,
     CASE WHEN x % 13 = 0 THEN NULL ELSE x % 1000 END,
     CASE WHEN x % 17 = 0 THEN NULL WHEN x % 50000 = 7 THEN 9999999999.99 WHEN x % 50000 = 8 THEN -9999999999.99 ELSE CAST(x % 977 AS DECIMAL(12,2)) / 100 END,
     CAST(x % 31 AS DECIMAL(12,2)) / 10,
     CAST('1992-01-01' AS DATE) + (x * 7919) % 2500,
     CAST(x AS BIGINT) * 1000000000000,
     'v' || CAST(x % 10 AS VARCHAR(2))
   FROM (SELECT a.n * 100000 + b.n * 10000 + c.n * 1000 + e.n * 100 + f.n * 10 + g.n AS x FROM d a, d b, d c, d e, d f, d g) r WHERE x < 150000`,
  // u: segments of each INSERT (one a slice), so its columns come in different encodings. The
  // first two are frame-of-reference in one or two bytes (scans compare their deltas): a from 0
  // and from 10^6, dq with a negative base and NULLs, dd with NULLs. The third holds dq at the
  // ends of DECIMAL(12,2) (no frame) and dd from 1900 (a negative base); the fourth a NULL in
  // every a and runs (run-length encoded: no frames).
  'CREATE TABLE u (a INTEGER, dq DECIMAL(12,2), dd DATE, w INTEGER)',
  `INSERT INTO u SELECT x % 200, CASE WHEN x % 11 = 0 THEN NULL ELSE CAST(x % 997 - 500 AS DECIMAL(12,2)) / 100 END,
     CASE WHEN x % 13 = 0 THEN NULL ELSE CAST('1995-06-01' AS DATE) + x % 300 END, x % 7
   FROM (SELECT a.n * 10000 + b.n * 1000 + c.n * 100 + e.n * 10 + f.n AS x FROM d a, d b, d c, d e, d f) r WHERE x < 70000`,
  `INSERT INTO u SELECT 1000000 + (x * 7) % 60000, CAST(x % 31 - 15 AS DECIMAL(12,2)) / 4, CAST('1996-01-01' AS DATE) + x % 40000, x % 5
   FROM (SELECT a.n * 10000 + b.n * 1000 + c.n * 100 + e.n * 10 + f.n AS x FROM d a, d b, d c, d e, d f) r WHERE x < 50000`,
  `INSERT INTO u SELECT x % 150, CASE WHEN x % 3 = 0 THEN 9999999999.99 WHEN x % 3 = 1 THEN -9999999999.99 ELSE CAST(x AS DECIMAL(12,2)) END,
     CAST('1900-01-01' AS DATE) + x * 7, x % 3
   FROM (SELECT a.n * 10000 + b.n * 1000 + c.n * 100 + e.n * 10 + f.n AS x FROM d a, d b, d c, d e, d f) r WHERE x < 10000`,
  `INSERT INTO u SELECT NULL, CAST(x / 1000 AS DECIMAL(12,2)), CAST('1995-07-01' AS DATE), x / 2000
   FROM (SELECT a.n * 10000 + b.n * 1000 + c.n * 100 + e.n * 10 + f.n AS x FROM d a, d b, d c, d e, d f) r WHERE x < 20000`,
];

const rowsOf = async (sql: string) => { const r = await s.execute(sql); return (Array.isArray(r) ? r[r.length - 1] : r).rows; };
const duckRows = async (sql: string) => (await duck.execute(translateToDuckDB(sql)))[0].rows;

/** Strata's and DuckDB's rows for a query, sorted the same way. */
async function both(sql: string): Promise<[unknown[][], unknown[][]]> {
  const key = (r: unknown[]) => JSON.stringify(r);
  const sort = (rows: unknown[][]) => rows.map((r) => r.map((v) => (typeof v === 'bigint' ? Number(v) : v))).sort((a, b) => key(a).localeCompare(key(b)));
  return [sort(await rowsOf(sql) as unknown[][]), sort(await duckRows(sql) as unknown[][])];
}

beforeAll(async () => {
  twins = await openTwinEngines('selection-pass', SETUP);
  ({ s, duck } = twins);
}, 120_000);

afterAll(async () => {
  await twins?.close();
});

const AGGS = 'count(*), count(i), sum(i), sum(p), min(p), max(p), sum(p * q), min(dt), max(dt)';
/** Filters of plain comparisons only, mixed with other conjuncts, and none at all. */
const FILTERS = [
  // Q6's shape: ranges on a date and a decimal, a bound on an integer
  `dt >= DATE '1994-01-01' AND dt < DATE '1995-01-01' AND q >= 0.5 AND q <= 0.7 AND i < 240`,
  // NULL inputs fail a comparison: i IS NULL on every 13th row, p on every 17th
  'i > 100 AND p < 5',
  'i <> 3 AND p >= 0',
  // the DECIMAL(12,2) extremes, as literals and as data
  'p >= 9999999999.99 AND x >= 0',
  'p <= -9999999999.99 AND x >= 0',
  'p > -9999999999.99 AND p < 9999999999.99',
  // column against column, integer against decimal
  'p < q AND i > x % 7',
  'i >= p AND q > 1',
  // blocks where every row passes and blocks where none does
  'x < 70000 AND i >= 0',
  'x >= 70000 AND x < 70010',
  // nothing passes
  'x < 0 AND i > 5',
  'i > 5000 AND x > 1',
  // plain comparisons beside a string test and a BIGINT past 2^53 (not in the pass)
  `i < 500 AND s = 'v3' AND p > 1`,
  `b > 9007199254740993000 AND i < 900 AND dt > DATE '1993-06-01'`,
  `s LIKE 'v%' AND x < 100000 AND q <> 1.5`,
  // one plain comparison alone, and OR (not a conjunction of comparisons)
  'x < 123457',
  'i < 10 OR p > 9',
];

describe('filters whose plain comparisons select rows in one pass', () => {
  it('aggregates without GROUP BY agree with DuckDB', async () => {
    for (const f of FILTERS) {
      const [a, b] = await both(`SELECT ${AGGS} FROM t WHERE ${f}`);
      expect(a, f).toEqual(b);
    }
  }, 60_000);

  it('grouped aggregates and plain row scans agree with DuckDB', async () => {
    for (const f of FILTERS) {
      const [a, b] = await both(`SELECT s, count(*), sum(p), min(i) FROM t WHERE ${f} GROUP BY s`);
      expect(a, f).toEqual(b);
      const [c, d] = await both(`SELECT x, i, p FROM t WHERE ${f} ORDER BY x LIMIT 50`);
      expect(c, f).toEqual(d);
    }
  }, 60_000);

  it('an aggregate over the same comparison as the filter reads it in its own loop', async () => {
    const sql = `SELECT count(*), sum(CASE WHEN i > 100 THEN 1 ELSE 0 END), bool_and(i > 100), bool_or(p < q) FROM t WHERE i > 100 AND p < q`;
    const [a, b] = await both(sql);
    expect(a).toEqual(b);
    expect(Number(a[0][0])).toBeGreaterThan(0);
  });

  it('comparisons on frame-of-reference deltas agree with DuckDB across segments of mixed encodings', async () => {
    const filters = [
      // Q6's shape over columns with frames in some segments and not in others
      `a >= 50 AND a < 150 AND dq BETWEEN -1.5 AND 2.25 AND dd >= DATE '1995-07-01'`,
      // the literal on the left, equality and inequality, a negative bound below the base
      'a = 7 AND w <> 3',
      '150 > a AND -2.5 <= dq AND 3 >= w',
      `dq > -6 AND dq <> 0.25 AND dd <> DATE '1995-07-01'`,
      // a second segment's values around its base of 10^6, and past its range
      'a > 1000000 AND a <= 1030000 AND w < 4',
      'a >= 1059999 AND dq < 100',
      // the ends of DECIMAL(12,2), and bounds far outside every frame
      'dq >= -9999999999.99 AND dq <= 9999999999.99 AND a >= 0',
      'dq < -9999999999.98 AND a < 100',
      'a > -2147483647 AND a < 2147483647 AND dq > -99999999.99',
      // every row, no row, and whole segments out (dates before and after each segment's range)
      `a >= 0 AND dd >= DATE '1900-01-01'`,
      'a < 0 AND w >= 0',
      `dd < DATE '1995-06-01' AND a < 200`,
      `dd > DATE '2100-01-01' AND w = 1`,
      // a column compared with a column, and NULL tests (neither reads frames)
      'a > w AND dq < a',
      'a IS NULL AND dq > 5 AND w < 8',
    ];
    for (const f of filters) {
      const [a, b] = await both(`SELECT count(*), count(a), sum(a), sum(dq), min(dd), max(dd), sum(w) FROM u WHERE ${f}`);
      expect(a, f).toEqual(b);
      const [c, d] = await both(`SELECT w, count(*), sum(dq), max(a) FROM u WHERE ${f} GROUP BY w`);
      expect(c, f).toEqual(d);
    }
    const [c, d] = await both(`SELECT a, dq, dd FROM u WHERE ${filters[0]} ORDER BY a, dq, dd LIMIT 40`);
    expect(c).toEqual(d);
  }, 60_000);

  it('runs the passes that keep the fewest rows first, as the batches show', () => {
    const po = new PassOrder(3);
    expect([...po.order]).toEqual([0, 1, 2]);
    // pass 0 kept 61 % of what it tested, pass 2 a tenth; pass 1 never ran (the rows ran out
    // first), so it counts as keeping half
    po.tested[0] = 65536; po.kept[0] = 40000;
    po.tested[2] = 32768; po.kept[2] = 3277;
    po.update();
    expect([...po.order]).toEqual([2, 1, 0]);
    po.tested[1] = 3277; po.kept[1] = 3000;
    po.update();
    expect([...po.order]).toEqual([2, 0, 1]);
    // counts halve once a pass has seen 2^24 rows, keeping their ratios
    po.tested[2] = 2 ** 25; po.kept[2] = 2 ** 20;
    po.update();
    expect(po.tested[2]).toBe(2 ** 24);
    expect([...po.order]).toEqual([2, 0, 1]);
  });

  it('agrees with DuckDB after DELETE, when the scan passes live rows as a selection', async () => {
    const del = 'DELETE FROM t WHERE x % 5 = 0 OR (x >= 70000 AND x < 70005)';
    await s.execute(del);
    await duck.execute(translateToDuckDB(del));
    for (const f of FILTERS) {
      const [a, b] = await both(`SELECT ${AGGS} FROM t WHERE ${f}`);
      expect(a, f).toEqual(b);
    }
    const [c, d] = await both(`SELECT x, i, p FROM t WHERE ${FILTERS[8]} ORDER BY x LIMIT 50`);
    expect(c).toEqual(d);
  }, 60_000);
});
