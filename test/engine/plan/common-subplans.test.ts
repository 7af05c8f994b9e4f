// Common subplans: an aggregate a statement computes twice (a view read in the FROM and again in
// a subquery, a CTE joined to itself) runs once. Answers are compared with DuckDB's over tables
// with NULLs; EXPLAIN ANALYZE shows how many times the table's scan ran.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Session } from '../../../engine/database.ts';
import { openTwinEngines, type TwinEngines } from '../../support/twin-engines.ts';
import { rng } from '../../support/rng.ts';

const T_ROWS = 300, S_ROWS = 40;

let s: Session;
let twins: TwinEngines | undefined;

/** INSERT rows (id, k, v, d) with about one NULL in eight k and v values. */
function rows(table: string, n: number, seed: number): string {
  const r = rng(seed);
  const v = (x: string) => (r() < 0.12 ? 'NULL' : x);
  const out: string[] = [];
  for (let id = 1; id <= n; id++) out.push(`(${id}, ${v(String(Math.floor(r() * 25)))}, ${v((r() * 100).toFixed(2))}, ${Math.floor(r() * 10)})`);
  return `INSERT INTO ${table} VALUES ${out.join(', ')}`;
}

const SETUP = [
  'CREATE TABLE t (id INTEGER, k INTEGER, v DECIMAL(12,2), d INTEGER)',
  'CREATE TABLE s (id INTEGER, k INTEGER, v DECIMAL(12,2), d INTEGER)',
  rows('t', T_ROWS, 21), rows('s', S_ROWS, 22),
  'CREATE VIEW rev (key, total) AS SELECT k, sum(v) FROM t WHERE d >= 3 GROUP BY k',
  'CREATE VIEW none (key, total) AS SELECT k, sum(v) FROM t WHERE d > 100 GROUP BY k',
];

beforeAll(async () => {
  twins = await openTwinEngines('common', SETUP);
  ({ s } = twins);
}, 60_000);

afterAll(async () => {
  await twins?.close();
});

const strata = (sql: string) => twins!.strataRows(sql);
const duckdb = (sql: string) => twins!.duckRows(sql);

/** The EXPLAIN ANALYZE text and how many scans of table t ran (one that never ran has no actual rows). */
async function analyze(sql: string): Promise<{ plan: string; scans: number }> {
  const r = await s.execute(`EXPLAIN ANALYZE ${sql}`);
  const plan = r[0].rows.map((row: unknown[]) => String(row[0])).join('\n');
  return { plan, scans: plan.match(/Scan public\.t .*actual rows/g)?.length ?? 0 };
}

describe('an aggregate computed twice runs once', () => {
  const once = [
    // TPC-H Q15's shape: the view in the FROM and its maximum in a subquery
    'SELECT s.id, r.total FROM s, rev r WHERE s.k = r.key AND r.total = (SELECT max(total) FROM rev) ORDER BY 1',
    'SELECT key, total FROM rev WHERE total > (SELECT avg(total) FROM rev) ORDER BY 1',
    'SELECT key FROM rev WHERE key IN (SELECT key FROM rev WHERE total < 500) ORDER BY 1',
    'WITH c AS (SELECT k, count(*) AS n FROM t GROUP BY k) SELECT a.k, b.k FROM c a JOIN c b ON a.n = b.n AND a.k < b.k ORDER BY 1, 2',
    'WITH c AS (SELECT DISTINCT k, d FROM t) SELECT count(*) FROM c a, c b WHERE a.k = b.d',
    // the view is empty: the maximum is NULL and nothing matches it
    'SELECT key, total FROM none WHERE total = (SELECT max(total) FROM none) ORDER BY 1',
  ];
  for (const sql of once) {
    it(`reads the table once and answers as DuckDB: ${sql}`, async () => {
      expect(await strata(sql)).toEqual(await duckdb(sql));
      const { plan, scans } = await analyze(sql);
      expect(plan).toMatch(/Shared result/);
      expect(scans).toBe(1);
    });
  }

  const twice = [
    // different filters: different results
    'SELECT key FROM rev WHERE total > (SELECT max(v) FROM t WHERE d < 3) ORDER BY 1',
    // random() gives each reference its own values
    'WITH c AS (SELECT k, sum(v * (1 + random() * 0)) AS x FROM t GROUP BY k) SELECT count(*) FROM c a JOIN c b ON a.k = b.k',
  ];
  for (const sql of twice) {
    it(`keeps apart what may differ: ${sql}`, async () => {
      expect(await strata(sql)).toEqual(await duckdb(sql));
      const { plan, scans } = await analyze(sql);
      expect(plan).not.toMatch(/Shared result/);
      expect(scans).toBe(2);
    });
  }

  it('a recursive query\'s step computes its aggregates anew every round', async () => {
    const sql = 'WITH RECURSIVE r(n, m) AS (SELECT 0, 0 UNION ALL SELECT n + 1, (SELECT count(*) FROM t WHERE t.k = n) + (SELECT count(*) FROM t WHERE t.k = n) FROM r WHERE n < 5) SELECT n, m FROM r ORDER BY n';
    expect(await strata(sql)).toEqual(await duckdb(sql));
  });
});
