// A total (an aggregate without GROUP BY) over the same input as a grouped aggregate is computed
// from the groups (TPC-H Q11's HAVING threshold): the input is read once. Answers are compared
// with DuckDB's over tables with NULL values and NULL keys; EXPLAIN ANALYZE counts the scans.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Session } from '../../../engine/database.ts';
import { openTwinEngines, type TwinEngines } from '../../support/twin-engines.ts';
import { rng } from '../../support/rng.ts';

let s: Session;
let twins: TwinEngines | undefined;

/** INSERT rows (id, k, v, d) with about one NULL in ten k and v values; 40 keys. */
function rows(n: number, seed: number): string {
  const r = rng(seed);
  const v = (x: string) => (r() < 0.1 ? 'NULL' : x);
  const out: string[] = [];
  for (let id = 1; id <= n; id++) out.push(`(${id}, ${v(String(Math.floor(r() * 40)))}, ${v((r() * 100).toFixed(2))}, ${Math.floor(r() * 10)})`);
  return `INSERT INTO t VALUES ${out.join(', ')}`;
}

const SETUP = [
  'CREATE TABLE t (id INTEGER, k INTEGER, v DECIMAL(12,2), d INTEGER) DISTKEY(k)',
  'CREATE TABLE dim (d INTEGER, x VARCHAR(4))',
  rows(3000, 41),
  "INSERT INTO dim VALUES (0, 'a'), (1, 'b'), (2, 'a'), (3, 'c'), (4, 'a'), (5, 'b'), (6, 'c'), (7, 'a'), (8, 'b'), (9, 'c')",
  'ANALYZE t', 'ANALYZE dim',
];

beforeAll(async () => {
  twins = await openTwinEngines('totals', SETUP);
  ({ s } = twins);
}, 60_000);

afterAll(async () => {
  await twins?.close();
});

const strata = (sql: string) => twins!.strataRows(sql);
const duckdb = (sql: string) => twins!.duckRows(sql);

/** How many scans of table t ran (one that never ran has no actual rows). */
async function scansOfT(sql: string): Promise<number> {
  const r = await s.execute(`EXPLAIN ANALYZE ${sql}`);
  const plan = r[0].rows.map((row: unknown[]) => String(row[0])).join('\n');
  return plan.match(/Scan public\.t .*actual rows/g)?.length ?? 0;
}

const JOIN = "FROM t JOIN dim ON t.d = dim.d WHERE dim.x = 'a'";

describe('a total over a grouped aggregate\'s input', () => {
  const once = [
    // TPC-H Q11's shape: a HAVING threshold over the same join the GROUP BY sums
    `SELECT k, sum(v) AS total ${JOIN} GROUP BY k HAVING sum(v) > (SELECT sum(v) * 0.03 ${JOIN}) ORDER BY 2 DESC, 1`,
    'SELECT k, min(v), max(v) FROM t GROUP BY k HAVING max(v) = (SELECT max(v) FROM t) OR min(v) = (SELECT min(v) FROM t) ORDER BY 1',
    'SELECT k, sum(v) FROM t GROUP BY k HAVING sum(v) * 100 > (SELECT sum(v) FROM t) * 3 ORDER BY 1',
    // a sum over the groups of the grouped one's other calls too
    'SELECT k, count(*), sum(v) FROM t WHERE d < 5 GROUP BY k HAVING sum(v) < (SELECT sum(v) / 40 FROM t WHERE d < 5) ORDER BY 1',
  ];
  for (const sql of once) {
    it(`is computed from the groups, the input read once: ${sql}`, async () => {
      expect(await strata(sql)).toEqual(await duckdb(sql));
      expect(await scansOfT(sql)).toBe(1);
    });
  }

  const twice = [
    // COUNT over no groups would be NULL, not 0; AVG needs its count; the inputs differ
    'SELECT k, count(*) FROM t GROUP BY k HAVING count(*) > (SELECT count(*) FROM t) / 45 ORDER BY 1',
    'SELECT k FROM t GROUP BY k HAVING avg(v) > (SELECT avg(v) + 1 FROM t) ORDER BY 1',
    'SELECT k, sum(v) FROM t WHERE d < 5 GROUP BY k HAVING sum(v) > (SELECT sum(v) / 40 FROM t WHERE d < 6) ORDER BY 1',
  ];
  for (const sql of twice) {
    it(`reads the input again when the groups cannot give it: ${sql}`, async () => {
      expect(await strata(sql)).toEqual(await duckdb(sql));
      expect(await scansOfT(sql)).toBe(2);
    });
  }

  it('over no rows, the total is NULL as over the rows', async () => {
    for (const sql of [
      'SELECT k, sum(v) FROM t WHERE d > 100 GROUP BY k HAVING sum(v) > (SELECT sum(v) FROM t WHERE d > 100) ORDER BY 1',
      'SELECT (SELECT max(v) FROM t WHERE d > 100) IS NULL, count(*) FROM (SELECT k, max(v) FROM t WHERE d > 100 GROUP BY k) g',
    ]) expect(await strata(sql)).toEqual(await duckdb(sql));
  });
});
