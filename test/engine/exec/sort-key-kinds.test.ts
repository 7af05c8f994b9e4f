// Every sort in an isolate compares rows through one RowOrder.compare (exec/batch-sort.ts), so
// V8 optimizes it once and keeps it across queries. It reads each kind of key its own way
// (dictionary ranks, doubles, 32-bit integers, other typed arrays, exact values past 2^53).
// These queries sort by each kind in turn in the same slices and leader, both directions and
// NULL placements, then by the first kinds again after the comparator has seen all of them,
// and check the row order against DuckDB's over the same rows.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { translateToDuckDB } from '../../support/verify-with-duckdb.ts';
import { openTwinEngines, type TwinEngines } from '../../support/twin-engines.ts';

let twins: TwinEngines;

const SETUP = [
  'CREATE TABLE d (n INTEGER)',
  'INSERT INTO d VALUES (0), (1), (2), (3), (4), (5), (6), (7), (8), (9)',
  `CREATE TABLE t (x INTEGER, sm SMALLINT, i INTEGER, b BIGINT, r REAL, f DOUBLE PRECISION, bo BOOLEAN,
     s VARCHAR(8), dt DATE, dc DECIMAL(12,2), ts TIMESTAMP)`,
  // each key repeats (so the next key and x decide ties) and is NULL on some rows; b is past 2^53
  // on some rows, where neighbouring exact values share one double
  `INSERT INTO t SELECT x,
     CASE WHEN x % 11 = 0 THEN NULL ELSE CAST(x % 37 - 18 AS SMALLINT) END,
     CASE WHEN x % 13 = 0 THEN NULL ELSE (x * 7919) % 101 - 50 END,
     CASE WHEN x % 17 = 0 THEN NULL WHEN x % 3 = 0 THEN CAST(9007199254740993 AS BIGINT) + x % 5 ELSE CAST(x % 23 AS BIGINT) * -1000000 END,
     CASE WHEN x % 19 = 0 THEN NULL ELSE CAST(x % 29 AS REAL) / 4 END,
     CASE WHEN x % 7 = 0 THEN NULL ELSE CAST((x * 31) % 41 AS DOUBLE PRECISION) / 8 END,
     CASE WHEN x % 5 = 0 THEN NULL ELSE x % 2 = 0 END,
     CASE WHEN x % 23 = 0 THEN NULL ELSE 'k' || CAST((x * 13) % 47 AS VARCHAR(3)) END,
     CASE WHEN x % 29 = 0 THEN NULL ELSE CAST('1994-03-01' AS DATE) + (x * 17) % 61 - 30 END,
     CASE WHEN x % 31 = 0 THEN NULL ELSE CAST((x * 11) % 53 - 26 AS DECIMAL(12,2)) / 4 END,
     CASE WHEN x % 37 = 0 THEN NULL ELSE CAST(CAST('1998-01-01' AS DATE) + x % 43 AS TIMESTAMP) END
   FROM (SELECT a.n * 1000 + c.n * 100 + e.n * 10 + g.n AS x FROM d a, d c, d e, d g) q WHERE x < 3000`,
];

const KEYS = ['sm', 'i', 'b', 'r', 'f', 'bo', 's', 'dt', 'dc', 'ts'];
const ORDERS = ['ASC NULLS LAST', 'DESC NULLS FIRST', 'ASC NULLS FIRST', 'DESC NULLS LAST'];

/** x in the order each engine gives for `ORDER BY <order>, x` (whole table, or its first rows). */
async function orderOf(order: string, limit?: number): Promise<[unknown[], unknown[]]> {
  const sql = `SELECT x FROM t ORDER BY ${order}, x${limit ? ` LIMIT ${limit}` : ''}`;
  const mine = await twins.s.execute(sql);
  const theirs = await twins.duck.execute(translateToDuckDB(sql));
  return [mine[mine.length - 1].rows.map((r) => r[0]), theirs[0].rows.map((r) => Number(r[0]))];
}

describe('sorting by every kind of key through one comparator', () => {
  beforeAll(async () => { twins = await openTwinEngines('sort-key-kinds', SETUP); }, 120_000);
  afterAll(async () => { await twins?.close(); });

  it('orders by each kind of key, both directions and NULL placements, as DuckDB does', async () => {
    for (const [n, key] of KEYS.entries()) {
      const order = `${key} ${ORDERS[n % ORDERS.length]}`;
      const [mine, theirs] = await orderOf(order);
      expect(mine, order).toEqual(theirs);
      expect(mine.length).toBe(3000);
    }
  });

  it('orders by two keys of different kinds, and top-N in the slices, after every kind was seen', async () => {
    for (const [n, key] of KEYS.entries()) {
      const other = KEYS[(n + 3) % KEYS.length];
      const order = `${key} ${ORDERS[(n + 1) % ORDERS.length]}, ${other} ${ORDERS[(n + 2) % ORDERS.length]}`;
      const [mine, theirs] = await orderOf(order, 40);
      expect(mine, order).toEqual(theirs);
    }
  });
});
