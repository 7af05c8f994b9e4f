// Semi and anti joins built on their preserved (left) side when it is the smaller: each slice
// builds its table from its own left rows, the right side's rows mark the ones they match, and
// the marked (EXISTS, IN) or unmarked (NOT EXISTS, NOT IN) rows go on. Answers are checked
// against DuckDB over the same tables: NULL keys on both sides, duplicate keys on both sides,
// residual conditions (Q21's `l_suppkey <> l1.l_suppkey`), empty sides, and every placement the
// planner may choose (co-located, one side redistributed to meet the other, both redistributed,
// a DISTSTYLE ALL table, one slice). EXPLAIN shows the join and its filter on the right side's scan.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Session } from '../../../engine/database.ts';
import { translateToDuckDB, type DuckDBSession } from '../../support/verify-with-duckdb.ts';
import { openTwinEngines, type TwinEngines } from '../../support/twin-engines.ts';

let engines: TwinEngines;
let s: Session;
let s1: Session;
let duck: DuckDBSession;

const DIGITS = ['CREATE TABLE d (n INTEGER)', 'INSERT INTO d VALUES (0), (1), (2), (3), (4), (5), (6), (7), (8), (9)'];

// the right side: 20,000 rows, 4 per key (lk = x % 5000), a NULL key on every 101st row;
// ls a "supplier" for residuals, lf a column to filter on, lo another distribution key
const BIG = (name: string, layout: string) => [
  `CREATE TABLE ${name} (lk INTEGER, ls INTEGER, lf INTEGER, lo INTEGER) ${layout}`,
  `INSERT INTO ${name} SELECT CASE WHEN x % 101 = 0 THEN NULL ELSE x % 5000 END, x % 7, x % 3, x
     FROM (SELECT a.n * 10000 + b.n * 1000 + c.n * 100 + e.n * 10 + f.n AS x FROM d a, d b, d c, d e, d f WHERE a.n < 2) t`,
];
// the left side: 300 rows with keys spread over 0..5999 (some past every right key), a NULL key
// on every 37th row, and every 10th row twice (duplicate left keys)
const SMALL = (name: string, layout: string) => [
  `CREATE TABLE ${name} (ok INTEGER, os INTEGER, ov INTEGER) ${layout}`,
  `INSERT INTO ${name} SELECT CASE WHEN y % 37 = 0 THEN NULL ELSE y * 17 % 6000 END, y % 7, y
     FROM (SELECT a.n * 100 + b.n * 10 + c.n AS y FROM d a, d b, d c WHERE a.n < 3) t`,
  `INSERT INTO ${name} SELECT ok, os, ov + 1000 FROM ${name} WHERE ov % 10 = 0`,
];

const SETUP = [
  ...DIGITS,
  ...BIG('l_k', 'DISTKEY(lk)'), ...BIG('l_o', 'DISTKEY(lo)'),
  ...SMALL('o_k', 'DISTKEY(ok)'), ...SMALL('o_v', 'DISTKEY(ov)'), ...SMALL('o_all', 'DISTSTYLE ALL'),
];

/** The queries, over a left table O and a right table L. */
const QUERIES: [string, string][] = [
  ['EXISTS', 'SELECT ov, ok FROM O o WHERE EXISTS (SELECT * FROM L l WHERE l.lk = o.ok)'],
  ['NOT EXISTS', 'SELECT ov, ok FROM O o WHERE NOT EXISTS (SELECT * FROM L l WHERE l.lk = o.ok)'],
  ['EXISTS with a residual', 'SELECT ov FROM O o WHERE EXISTS (SELECT * FROM L l WHERE l.lk = o.ok AND l.ls <> o.os AND l.lf = 1)'],
  ['NOT EXISTS with a residual', 'SELECT ov FROM O o WHERE NOT EXISTS (SELECT * FROM L l WHERE l.lk = o.ok AND l.ls > o.os AND l.lf = 2)'],
  ['IN', 'SELECT ov FROM O WHERE ok IN (SELECT lk FROM L WHERE lf = 0)'],
  ['NOT IN without NULLs', 'SELECT ov FROM O WHERE ok NOT IN (SELECT lk FROM L WHERE lk IS NOT NULL AND lf = 0)'],
  ['NOT IN with a NULL', 'SELECT ov FROM O WHERE ok NOT IN (SELECT lk FROM L)'],
  ['an empty left side', 'SELECT ov FROM O o WHERE o.ov < 0 AND EXISTS (SELECT * FROM L l WHERE l.lk = o.ok)'],
  ['an empty right side (EXISTS)', 'SELECT ov FROM O o WHERE EXISTS (SELECT * FROM L l WHERE l.lk = o.ok AND l.lf = 5)'],
  ['an empty right side (NOT EXISTS)', 'SELECT ov FROM O o WHERE NOT EXISTS (SELECT * FROM L l WHERE l.lk = o.ok AND l.lf = 5)'],
  ['EXISTS and NOT EXISTS (Q21)', `SELECT os, count(*) FROM O o
     WHERE EXISTS (SELECT * FROM L l2 WHERE l2.lk = o.ok AND l2.ls <> o.os)
       AND NOT EXISTS (SELECT * FROM L l3 WHERE l3.lk = o.ok AND l3.ls <> o.os AND l3.lf = 1)
     GROUP BY os`],
];

/** Left and right tables, and the words EXPLAIN uses for where the rows meet. */
const PLACEMENTS: [string, string, string][] = [
  ['o_k', 'l_k', 'co-located'],
  ['o_k', 'l_o', 'probe side redistributed to where the build rows sit'],
  ['o_v', 'l_k', 'build side redistributed to where the probe rows sit'],
  ['o_v', 'l_o', 'both sides redistributed by key'],
  // every slice holds a copy of an ALL table, but one reads it
  ['o_all', 'l_k', 'build side redistributed to where the probe rows sit'],
];

const sqlFor = (q: string, o: string, l: string) => q.replace(/\bO\b/g, o).replace(/\bL\b/g, l);
const rowsOf = async (session: Session, sql: string) => { const r = await session.execute(sql); return (Array.isArray(r) ? r[r.length - 1] : r).rows; };
const explain = async (sql: string) => (await rowsOf(s, `EXPLAIN ${sql}`)).map((r: unknown[]) => String(r[0]));

/** Rows as sorted JSON lines, numbers plain. */
const sorted = (rows: unknown[][]) => rows.map((r) => JSON.stringify(r.map((v) => (typeof v === 'bigint' ? Number(v) : v)))).sort();

async function expectDuckDB(session: Session, sql: string): Promise<number> {
  const ours = sorted(await rowsOf(session, sql) as unknown[][]);
  const theirs = sorted((await duck.execute(translateToDuckDB(sql)))[0].rows as unknown[][]);
  expect(ours, sql).toEqual(theirs);
  return ours.length;
}

beforeAll(async () => {
  // Strata with 2 slices and with 1 (loaded with the tables its tests read), and DuckDB
  engines = await openTwinEngines('marking-join', SETUP, { slices: 2, oneSlice: [...DIGITS, ...BIG('l_k', 'DISTKEY(lk)'), ...SMALL('o_v', 'DISTKEY(ov)')] });
  ({ s, duck } = engines);
  s1 = engines.s1!;
}, 120_000);

afterAll(async () => {
  await engines?.close();
});

describe('semi and anti joins built on the smaller, preserved side', () => {
  for (const [o, l, where] of PLACEMENTS) {
    it(`answers as DuckDB does with ${o} and ${l} (${where})`, async () => {
      const plan = await explain(sqlFor(QUERIES[0][1], o, l));
      const join = plan.find((x) => /Hash SEMI Join/.test(x));
      expect(join, plan.join('\n')).toMatch(/build: left input/);
      expect(join).toMatch(/the right input's rows mark the left rows they match/);
      expect(join).toContain(where);
      let rows = 0;
      for (const [, q] of QUERIES) rows += await expectDuckDB(s, sqlFor(q, o, l));
      expect(rows).toBeGreaterThan(300); // the queries keep rows, not only empty answers
    });
  }

  it('answers as DuckDB does in one slice', async () => {
    const plan = (await rowsOf(s1, `EXPLAIN ${sqlFor(QUERIES[1][1], 'o_v', 'l_k')}`)).map((r: unknown[]) => String(r[0]));
    expect(plan.find((x) => /Hash ANTI Join/.test(x)), plan.join('\n')).toMatch(/build: left input/);
    for (const [, q] of QUERIES) await expectDuckDB(s1, sqlFor(q, 'o_v', 'l_k'));
  });

  it('filters the right side\'s scan by the left keys, for anti joins too', async () => {
    const sql = sqlFor(QUERIES[1][1], 'o_k', 'l_k');
    expect((await explain(sql)).join('\n')).toContain('Runtime filter: lk IN bloom(ok), min/max');
    const lines = (await rowsOf(s, `EXPLAIN ANALYZE ${sql}`)).map((r: unknown[]) => String(r[0]));
    const line = lines.find((x) => /Runtime filter removed, per slice/.test(x));
    const bloom = [...line!.matchAll(/bloom (\d+) of/g)].reduce((t, m) => t + Number(m[1]), 0);
    // about 260 of the 5000 keys are on the left: the filter drops most right rows before they probe
    expect(bloom).toBeGreaterThan(15_000);
  });

  it('sizes a join filter the slices merge by the keys they hold, not by the estimate', async () => {
    // the planner expects 2 left rows where 300 pass; the right rows move to meet the left ones,
    // so each slice's filter must hold every slice's keys
    const sql = 'SELECT ov FROM o_k o WHERE o.ov + 1 = o.ov + 1 AND NOT EXISTS (SELECT * FROM l_o l WHERE l.lk = o.ok)';
    const plan = (await explain(sql)).join('\n');
    expect(plan).toMatch(/Filter .*\(\(ov \+ 1\) = \(ov \+ 1\)\)\s+\[2 slices; est\. rows [1-9]\]/);
    expect(plan).toContain('probe side redistributed to where the build rows sit');
    const lines = (await rowsOf(s, `EXPLAIN ANALYZE ${sql}`)).map((r: unknown[]) => String(r[0]));
    const line = lines.find((x) => /Runtime filter removed, per slice/.test(x));
    const bloom = [...line!.matchAll(/bloom (\d+) of/g)].reduce((t, m) => t + Number(m[1]), 0);
    // about 1000 right rows have a left key; a filter sized for 2 keys passes nearly all 20,000
    expect(bloom).toBeGreaterThan(15_000);
    await expectDuckDB(s, sql);
  });

  it('probes the left side when SET join_distribution = broadcast forces a broadcast', async () => {
    const sql = sqlFor(QUERIES[2][1], 'o_v', 'l_o');
    await s.execute('SET join_distribution = broadcast');
    try {
      const plan = await explain(sql);
      expect(plan.find((x) => /Hash SEMI Join/.test(x)), plan.join('\n')).toMatch(/probe: left input, build: broadcast/);
      await expectDuckDB(s, sql);
    } finally {
      await s.execute('SET join_distribution = auto');
    }
  });

  it('probes the left side when it is the larger', async () => {
    const plan = await explain('SELECT lo FROM l_o l WHERE EXISTS (SELECT * FROM o_k o WHERE o.ok = l.lk)');
    expect(plan.find((x) => /Hash SEMI Join/.test(x)), plan.join('\n')).toMatch(/probe: left input/);
    await expectDuckDB(s, 'SELECT lo FROM l_o l WHERE EXISTS (SELECT * FROM o_k o WHERE o.ok = l.lk)');
  });
});
