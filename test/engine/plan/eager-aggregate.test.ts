// GROUP BY over a join whose aggregates read one side only: the optimizer aggregates that side by
// its join keys first (plan/eager-aggregate.ts). Answers are compared with DuckDB's over tables
// with duplicate and NULL join keys, keys without partners, NULL values and a join condition on
// one side only; EXPLAIN shows where the rule applies and where it must not.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Session } from '../../../engine/database.ts';
import { type DuckDBSession, translateToDuckDB } from '../../support/verify-with-duckdb.ts';
import { openTwinEngines, type TwinEngines } from '../../support/twin-engines.ts';

let s: Session;
let duck: DuckDBSession;
let twins: TwinEngines | undefined;

const DIGITS = 'SELECT a.n * 1000 + b.n * 100 + c.n * 10 + d.n AS n FROM d a, d b, d c, d d';
const SETUP = [
  'CREATE TABLE d (n INTEGER)',
  'INSERT INTO d VALUES (0), (1), (2), (3), (4), (5), (6), (7), (8), (9)',
  'CREATE TABLE c (ck INTEGER, grp INTEGER, name VARCHAR(12))',
  // 2,000 rows over 250 keys (each 8 times), every 53rd key NULL
  `INSERT INTO c SELECT CASE WHEN n % 53 = 0 THEN NULL ELSE n % 250 END, n % 2, 'c' || (n % 40) FROM (${DIGITS}) g WHERE n < 2000`,
  'CREATE TABLE o (ok INTEGER, ck INTEGER, grp INTEGER, amt DECIMAL(10, 2), note VARCHAR(8))',
  // 4,000 rows on the even keys 0..638 only (odd customers have none), NULL keys, amounts and notes
  `INSERT INTO o SELECT n, CASE WHEN n % 41 = 0 THEN NULL ELSE (n * 7) % 320 * 2 END, CASE WHEN n % 14 < 7 THEN 0 ELSE 1 END,
     CASE WHEN n % 13 = 0 THEN NULL ELSE CAST((n % 997) / 100.0 AS DECIMAL(10, 2)) END,
     CASE WHEN n % 5 = 0 THEN 'xx' WHEN n % 19 = 0 THEN NULL ELSE 'ok' || (n % 11) END
   FROM (${DIGITS}) g WHERE n < 4000`,
  'CREATE TABLE li (ok INTEGER, qty INTEGER)',
  // 12,000 rows, three per order, every 17th quantity NULL
  `INSERT INTO li SELECT n % 4000, CASE WHEN n % 17 = 0 THEN NULL ELSE n % 50 END FROM (${DIGITS}) g WHERE n < 12000`,
  'CREATE TABLE g (id INTEGER, label VARCHAR(8))',
  "INSERT INTO g VALUES (0, 'even'), (1, 'odd')",
];

const rowsOf = async (sql: string) => { const r = await s.execute(sql); return (Array.isArray(r) ? r[r.length - 1] : r).rows as unknown[][]; };
const plan = async (sql: string) => (await rowsOf(`EXPLAIN ${sql}`)).map((r) => String(r[0])).join('\n');
const text = (v: unknown) => (v === null || v === undefined ? 'NULL' : String(v));

beforeAll(async () => {
  twins = await openTwinEngines('eager-agg', SETUP);
  ({ s, duck } = twins);
}, 60_000);

afterAll(async () => {
  await twins?.close();
});

/** Whether some hash aggregate runs below the (first) join in the plan. */
const aggregatesBelowJoin = (p: string) => /Join[^\n]*\n(?:.*\n)*?.*Hash Aggregate/.test(p);

const REWRITTEN = [
  // TPC-H Q13's shape: ON conditions on the right side, then GROUP BY of the counts
  `SELECT cnt, count(*) FROM (SELECT c.ck, count(o.ok) AS cnt FROM c LEFT JOIN o ON c.ck = o.ck AND o.note NOT LIKE '%x%' GROUP BY c.ck) t
   GROUP BY cnt ORDER BY 2 DESC, 1 DESC`,
  // every decomposable aggregate; customers without orders count 0 orders and 1 row
  `SELECT c.ck, count(o.ok), count(*), sum(o.amt), min(o.note), max(o.amt), count(o.amt) FROM c LEFT JOIN o ON c.ck = o.ck AND o.note NOT LIKE '%x%'
   GROUP BY c.ck ORDER BY 1 NULLS LAST`,
  // a group of several left rows (duplicate keys too) sums their partners' partial results
  'SELECT c.grp, count(o.ok), sum(o.amt), count(*), max(o.note) FROM c LEFT JOIN o ON c.ck = o.ck GROUP BY c.grp ORDER BY 1',
  // inner join with the aggregated side on the left
  'SELECT c.name, sum(o.amt), count(*), max(o.note), min(o.ok) FROM o JOIN c ON o.ck = c.ck GROUP BY c.name ORDER BY 1',
  // two join keys; HAVING over the combined count
  'SELECT c.ck, c.grp, count(*), min(o.amt) FROM c JOIN o ON c.ck = o.ck AND c.grp = o.grp GROUP BY c.ck, c.grp HAVING count(*) > 1 ORDER BY 1, 2',
  'SELECT c.ck FROM c LEFT JOIN o ON c.ck = o.ck GROUP BY c.ck HAVING count(o.ok) = 0 ORDER BY 1 NULLS LAST',
  // a join tree: line items and their orders are summed per customer key before customers and
  // groups join them (TPC-H Q10's shape), or line items per order before orders join
  `SELECT c.ck, c.name, g.label, sum(li.qty), count(*), count(li.qty) FROM li, o, c, g
   WHERE li.ok = o.ok AND o.ck = c.ck AND c.grp = g.id GROUP BY c.ck, c.name, g.label ORDER BY 1, 2, 3`,
  'SELECT c.name, o.grp, sum(li.qty), min(li.qty) FROM li JOIN o ON li.ok = o.ok JOIN c ON o.ck = c.ck GROUP BY c.name, o.grp ORDER BY 1, 2',
  'SELECT g.label, c.ck, sum(li.qty), max(o.amt) FROM g JOIN c ON g.id = c.grp JOIN o ON c.ck = o.ck JOIN li ON o.ok = li.ok GROUP BY g.label, c.ck ORDER BY 1, 2',
  // aggregates reading two inputs of the tree: both are on the aggregated side
  'SELECT c.name, sum(li.qty + o.ok) FROM li, o, c WHERE li.ok = o.ok AND o.ck = c.ck AND c.ck < 200 GROUP BY c.name ORDER BY 1',
  // count(*) reads no side: the side with the duplicate keys (c) is counted first
  'SELECT o.grp, count(*), max(c.name) FROM c JOIN o ON c.ck = o.ck GROUP BY o.grp ORDER BY 1',
];

const KEPT = [
  // DISTINCT counts do not combine from partial results, nor do aggregates the rule does not know
  'SELECT c.ck, bool_or(o.ok > 2000), count(DISTINCT o.note) FROM c LEFT JOIN o ON c.ck = o.ck GROUP BY c.ck ORDER BY 1 NULLS LAST',
  // a global aggregate over no rows must still count 0
  'SELECT count(o.ok), sum(o.amt) FROM c JOIN o ON c.ck = o.ck WHERE c.ck > 100000',
  // the other side keeps 3 keys of 320: joining first drops most orders, aggregating first would not
  'SELECT c.ck, count(*), sum(o.amt) FROM c JOIN o ON c.ck = o.ck WHERE c.ck < 6 GROUP BY c.ck ORDER BY 1',
  // group keys from both sides
  'SELECT o.grp, c.grp, count(*), sum(o.amt) FROM c JOIN o ON c.ck = o.ck GROUP BY o.grp, c.grp ORDER BY 1, 2',
  // the other side is a small table: joining it costs a probe per row
  'SELECT c.name, count(*) FROM o JOIN (SELECT * FROM c WHERE c.ck < 120) c ON o.ck = c.ck GROUP BY c.name ORDER BY 1',
  // the same with a filter keeping about a quarter of the orders: most line items' orders find no partner
  'SELECT c.name, o.grp, sum(li.qty), min(li.qty) FROM li JOIN o ON li.ok = o.ok JOIN c ON o.ck = c.ck WHERE o.ok % 4 = 0 GROUP BY c.name, o.grp ORDER BY 1, 2',
  // a join tree whose aggregates read an input the keys read too
  'SELECT c.name, sum(li.qty + c.grp) FROM li, o, c WHERE li.ok = o.ok AND o.ck = c.ck GROUP BY c.name ORDER BY 1',
  // an ON condition across both sides
  'SELECT c.ck, count(o.ok) FROM c LEFT JOIN o ON c.ck = o.ck AND o.grp > c.grp GROUP BY c.ck ORDER BY 1 NULLS LAST',
];

describe('aggregating one side of a join first', () => {
  it('answers as DuckDB does, aggregating below the join where that pays', async () => {
    for (const sql of [...REWRITTEN, ...KEPT]) {
      const mine = (await rowsOf(sql)).map((r) => r.map(text));
      const theirs = (await duck.execute(translateToDuckDB(sql)))[0].rows.map((r) => r.map(text));
      expect(mine, sql).toEqual(theirs);
      expect(mine.length, sql).toBeGreaterThan(0);
    }
  });

  it('plans an aggregate below the join for the rewritten shapes and none for the others', async () => {
    for (const sql of REWRITTEN) expect(aggregatesBelowJoin(await plan(sql)), sql).toBe(true);
    for (const sql of KEPT) expect(aggregatesBelowJoin(await plan(sql)), sql).toBe(false);
  });
});
