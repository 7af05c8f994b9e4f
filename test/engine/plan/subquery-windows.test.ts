// A correlated min/max/avg subquery over tables the outer query joins with the same filters is
// a window over the outer rows (plan/subquery-windows.ts), as in TPC-H Q2 and Q17. Answers are
// compared with DuckDB's over tables with NULL keys and values, duplicate keys on both sides
// (a part key twice repeats each of its subquery rows twice), filters that keep no row, and an
// empty table; EXPLAIN shows the window and one scan of the subquery's table, or, where an outer
// filter, the aggregate or the correlation make the rewrite wrong, the subquery planned as before.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Session } from '../../../engine/database.ts';
import { openTwinEngines, type TwinEngines } from '../../support/twin-engines.ts';
import { rng } from '../../support/rng.ts';

let s: Session;
let twins: TwinEngines | undefined;

/** item(id, pk, sk, q, c): 4,000 rows, pk in 0..399 and q, c one in ten NULL. */
function items(): string {
  const r = rng(71);
  const v = (x: string) => (r() < 0.1 ? 'NULL' : x);
  const out: string[] = [];
  for (let id = 1; id <= 4000; id++) out.push(`(${id}, ${v(String(Math.floor(r() * 400)))}, ${Math.floor(r() * 20)}, ${v((r() * 50).toFixed(2))}, ${v(String(Math.floor(r() * 30)))})`);
  return `INSERT INTO item VALUES ${out.join(', ')}`;
}

/** prod(pk, brand): keys 0..399, 0..39 twice with the same brand (b0..b7), one NULL key; some brands NULL. */
function prods(): string {
  const r = rng(72);
  const out: string[] = [];
  const brand = (n: number) => (r() < 0.05 ? 'NULL' : `'b${Math.floor(r() * n)}'`);
  for (let pk = 0; pk < 400; pk++) {
    const b = brand(pk < 40 ? 8 : 40);
    out.push(`(${pk}, ${b})`);
    if (pk < 40) out.push(`(${pk}, ${b})`);
  }
  out.push(`(NULL, 'b1')`);
  return `INSERT INTO prod VALUES ${out.join(', ')}`;
}

const SETUP = [
  'CREATE TABLE item (id INTEGER, pk INTEGER, sk INTEGER, q DECIMAL(10,2), c INTEGER) DISTKEY(id)',
  'CREATE TABLE prod (pk INTEGER, brand VARCHAR(8)) DISTKEY(pk)',
  'CREATE TABLE sup (sk INTEGER, region VARCHAR(8))',
  'CREATE TABLE nothing (pk INTEGER, brand VARCHAR(8))',
  items(), prods(),
  `INSERT INTO sup VALUES ${Array.from({ length: 20 }, (_, i) => `(${i}, ${i % 7 === 3 ? 'NULL' : `'r${i % 3}'`})`).join(', ')}`,
  'ANALYZE item', 'ANALYZE prod', 'ANALYZE sup', 'ANALYZE nothing',
];

beforeAll(async () => {
  twins = await openTwinEngines('subquery-windows', SETUP);
  ({ s } = twins);
}, 60_000);

afterAll(async () => {
  await twins?.close();
});

async function explain(sql: string): Promise<string> {
  const r = await s.execute(`EXPLAIN ${sql}`);
  return r[0].rows.map((row: unknown[]) => String(row[0])).join('\n');
}

const Q17 = (extra = '', sub = 'avg(i2.q)', corr = 'i2.pk = p.pk') =>
  `SELECT sum(i.q), count(*) FROM item i, prod p WHERE p.pk = i.pk AND p.brand = 'b1' ${extra} AND i.q < (SELECT 0.8 * ${sub} FROM item i2 WHERE ${corr})`;

/** Each query, and whether it becomes a window (true) or keeps its subquery's second scan. */
const CASES: [string, boolean][] = [
  // TPC-H Q17's shape: prod keys 0..39 twice, NULL keys on both sides
  [Q17(), true],
  [`SELECT i.id, i.q FROM item i, prod p WHERE p.pk = i.pk AND p.brand IN ('b1', 'b7') AND i.q >= (SELECT max(i2.q) FROM item i2 WHERE i2.pk = p.pk) ORDER BY 1`, true],
  // TPC-H Q2's shape: two tables in the subquery, both filtered as in the outer query
  [`SELECT i.id, p.pk, s.sk FROM prod p, item i, sup s WHERE p.pk = i.pk AND i.sk = s.sk AND p.brand = 'b3' AND s.region = 'r1'
     AND i.c = (SELECT min(i2.c) FROM item i2, sup s2 WHERE i2.pk = p.pk AND i2.sk = s2.sk AND s2.region = 'r1') ORDER BY 1, 2`, true],
  // the value under COALESCE (the join is not made INNER) and over several aggregates
  [`SELECT i.id FROM item i, prod p WHERE p.pk = i.pk AND p.brand = 'b2' AND coalesce((SELECT max(i2.c) - min(i2.c) FROM item i2 WHERE i2.pk = p.pk), -1) > i.c ORDER BY 1`, true],
  // no outer row: a filter no row passes, and an empty table
  [Q17().replace("p.brand = 'b1'", "p.brand = 'none'"), true],
  [Q17().replace('prod p', 'nothing p'), true],
  // an outer filter on the subquery's table: the window would see fewer rows
  [Q17('AND i.c > 3'), false],
  // aggregates that change when their rows repeat (prod keys 0..39 appear twice)
  [Q17('', 'sum(i2.q) / 20'), false],
  [Q17('', 'count(*)'), false],
  // a subquery filter the outer query lacks, and a correlation the outer query does not join on
  [Q17('', 'avg(i2.q)', 'i2.pk = p.pk AND i2.c > 3'), false],
  [Q17('', 'avg(i2.q)', 'i2.sk = p.pk'), false],
];

describe('correlated aggregate subqueries as windows over the outer rows', () => {
  for (const [sql, window] of CASES) {
    it(`${window ? 'window' : 'subquery'}, answers as DuckDB: ${sql}`, async () => {
      expect(await twins!.strataRows(sql)).toEqual(await twins!.duckRows(sql));
      const plan = await explain(sql);
      if (window) {
        expect(plan).toMatch(/Window per slice: agg/);
        expect(plan.match(/Scan public\.item/g)).toHaveLength(1);
      } else {
        expect(plan).not.toMatch(/Window/);
        expect(plan.match(/Scan public\.item/g)).toHaveLength(2);
      }
    });
  }
});
