// A HAVING's comparison of an aggregate with a constant is estimated from how the aggregate's
// value spreads over the groups (plan/cardinality.ts groupValueSpread), not as a third of them:
// TPC-H Q18's `sum(l_quantity) > 300` keeps 62 of 1.5M orders. The estimate decides the plan: a
// semi join estimated at a third of the orders made every slice read the customers whole to join
// them, where the few orders it keeps are cheaper to move. Answers are checked against DuckDB.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTwinEngines, type TwinEngines } from '../../support/twin-engines.ts';

// 1,000 customers, 10,000 orders, 1 to 7 lines an order (4 on average, 40,000 lines), quantities 1..50
// (DECIMAL as TPC-H's: statistics hold hundredths, a comparison the aggregate's own scale)
const SETUP = [
  'CREATE TABLE d (n INTEGER)',
  'INSERT INTO d VALUES (0), (1), (2), (3), (4), (5), (6), (7), (8), (9)',
  'CREATE TABLE cust (c_key INTEGER, c_name VARCHAR(12)) DISTKEY(c_key)',
  `INSERT INTO cust SELECT x, 'cust' || CAST(x AS VARCHAR(6)) FROM (SELECT a.n * 100 + b.n * 10 + c.n AS x FROM d a, d b, d c) t`,
  'CREATE TABLE ord (o_key INTEGER, o_cust INTEGER, o_total INTEGER) DISTKEY(o_key)',
  `INSERT INTO ord SELECT x, (x * 7) % 1000, (x * 7919) % 100000 FROM (SELECT a.n * 1000 + b.n * 100 + c.n * 10 + e.n AS x FROM d a, d b, d c, d e) t`,
  'CREATE TABLE line (l_ord INTEGER, l_qty DECIMAL(12,2)) DISTKEY(l_ord)',
  `INSERT INTO line SELECT o_key, 1 + (o_key % 97 * 31 + ln.n * 17) * (o_key % 89 * 13 + ln.n * 7 + 1) % 997 % 50
     FROM ord, d ln WHERE ln.n <= (o_key * 13) % 7`,
  'ANALYZE',
];

const Q18 = `SELECT c_name, c_key, o_key, o_total, sum(l_qty) FROM cust, ord, line
  WHERE o_key IN (SELECT l_ord FROM line GROUP BY l_ord HAVING sum(l_qty) > 250) AND c_key = o_cust AND o_key = l_ord
  GROUP BY c_name, c_key, o_key, o_total ORDER BY o_total DESC, o_key LIMIT 100`;

let t: TwinEngines;

beforeAll(async () => {
  t = await openTwinEngines('having-estimate', SETUP);
}, 60_000);

afterAll(async () => {
  await t?.close();
});

/** The estimated rows EXPLAIN gives the plan's (one) Filter: the HAVING. */
const filterEstimate = (plan: string): number => {
  const line = plan.split('\n').find((l) => l.includes('Filter:'));
  expect(line, plan).toBeDefined();
  return Number(/est\. rows (\d+)/.exec(line!)![1]);
};

/** Groups of `line` by order that `having` keeps, counted by DuckDB. */
const keptGroups = async (having: string): Promise<number> =>
  Number((await t.duckRows(`SELECT count(*) FROM (SELECT l_ord FROM line GROUP BY l_ord HAVING ${having}) g`))[0][0]);

describe('HAVING estimates', () => {
  it('estimates a sum far above the typical group sum as selective, and moves the few orders it keeps instead of reading customers whole', async () => {
    const kept = await keptGroups('sum(l_qty) > 250');
    expect(kept).toBeGreaterThan(0);
    expect(kept).toBeLessThan(100);
    const plan = await t.explain(Q18);
    // a third of the 10,000 groups (3,333) before; within a few times what it keeps (39) now
    const est = filterEstimate(plan);
    expect(est).toBeLessThan(kept * 5);
    expect(est * 5).toBeGreaterThan(kept);
    // 3,333 estimated orders were at least twice the 1,000 customers, so every slice read them whole
    expect(plan).not.toMatch(/computed whole by every slice/);
    expect(plan).toMatch(/Redistribute by key o_cust/);
    const rows = await t.same(Q18);
    expect(rows.length).toBe(kept);
  });

  it('estimates count(*), avg and a lower bound from the same spread, within a few times what they keep', async () => {
    for (const having of ['sum(l_qty) > 200', 'sum(l_qty) >= 150', 'sum(l_qty) < 40', 'count(*) > 5', 'count(*) < 3', 'avg(l_qty) > 35']) {
      const sql = `SELECT l_ord FROM line GROUP BY l_ord HAVING ${having}`;
      const kept = await keptGroups(having);
      const est = filterEstimate(await t.explain(sql));
      expect(est, having).toBeLessThan(kept * 3);
      expect(est * 3, having).toBeGreaterThan(kept);
      await t.same(`SELECT count(*), sum(l_ord) FROM (${sql}) g`);
    }
  });
});
