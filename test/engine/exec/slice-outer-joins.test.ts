// FULL joins, RIGHT joins (planned as LEFT joins with the sides swapped) and LEFT joins built on
// their smaller, preserved left side run inside the slices: the sides meet by key (co-located, or
// one or both redistributed; never broadcast), each slice probes, and once its probe rows are all
// through it adds the build rows none matched, with NULL probe columns. Answers are checked
// against DuckDB over the same tables: NULL keys and duplicate keys on both sides, two-column
// keys, residual ON conditions, empty sides, computed columns padded with NULL, and a GROUP BY
// over the padded rows; on 3 slices and on 1, and under a query_memory_limit that makes the
// slices' joins spill to disk by key hash. Set operations over the same tables run in the slices
// too (UNION ALL where the rows are, the others as aggregates by every column): checked the same
// way, duplicates and NULLs included.
// (Set operations spilling in the slices: spill.test.ts.)
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Session } from '../../../engine/database.ts';
import { translateToDuckDB, type DuckDBSession } from '../../support/verify-with-duckdb.ts';
import { openTwinEngines, type TwinEngines } from '../../support/twin-engines.ts';

let engines: TwinEngines;
let s: Session;
let s1: Session;
let duck: DuckDBSession;

const DIGITS = ['CREATE TABLE d (n INTEGER)', 'INSERT INTO d VALUES (0), (1), (2), (3), (4), (5), (6), (7), (8), (9)'];

// 11,000 rows, 2 or 3 per key (k = x % 4000), a NULL key on every 101st row, j a second key part
const BIG = (name: string, layout: string) => [
  `CREATE TABLE ${name} (k INTEGER, j INTEGER, v INTEGER, t VARCHAR(8)) ${layout}`,
  `INSERT INTO ${name} SELECT CASE WHEN x % 101 = 0 THEN NULL ELSE x % 4000 END, x % 3, x, 't' || (x % 50)
     FROM (SELECT a.n * 1000 + b.n * 100 + c.n * 10 + e.n AS x FROM d a, d b, d c, d e) y WHERE x < 12000`,
  `INSERT INTO ${name} SELECT CASE WHEN x % 101 = 0 THEN NULL ELSE x % 4000 END, x % 3, x, 't' || (x % 50)
     FROM (SELECT 10000 + b.n * 100 + c.n * 10 + e.n AS x FROM d b, d c, d e) y WHERE x < 12000`,
];
// 300 rows with keys over 0..5999 (some past every BIG key), a NULL key on every 37th row, every
// 10th row twice (duplicate keys)
const SMALL = (name: string, layout: string) => [
  `CREATE TABLE ${name} (k INTEGER, j INTEGER, w INTEGER) ${layout}`,
  `INSERT INTO ${name} SELECT CASE WHEN y % 37 = 0 THEN NULL ELSE y * 17 % 6000 END, y % 3, y
     FROM (SELECT a.n * 100 + b.n * 10 + c.n AS y FROM d a, d b, d c WHERE a.n < 3) t`,
  `INSERT INTO ${name} SELECT k, j, w + 1000 FROM ${name} WHERE w % 10 = 0`,
];

const SETUP = [
  ...DIGITS,
  ...BIG('big_k', 'DISTKEY(k)'), ...BIG('big_v', 'DISTKEY(v)'),
  ...SMALL('small_k', 'DISTKEY(k)'), ...SMALL('small_w', 'DISTKEY(w)'),
  'CREATE TABLE none (k INTEGER, j INTEGER, w INTEGER)',
];

/** Queries over a small table S and a big table B, each a few aggregates over every joined row (the padded ones too). */
const QUERIES: [string, string][] = [
  ['FULL', 'SELECT count(*), count(s.k), count(b.k), sum(s.w), sum(b.v), min(b.t) FROM S s FULL JOIN B b ON s.k = b.k'],
  ['FULL, the big side on the left', 'SELECT count(*), count(s.k), count(b.k), sum(s.w), sum(b.v) FROM B b FULL JOIN S s ON s.k = b.k'],
  ['FULL on two key columns', 'SELECT count(*), count(s.k), count(b.k), sum(s.w), sum(b.v) FROM S s FULL JOIN B b ON s.k = b.k AND s.j = b.j'],
  ['FULL with a residual', 'SELECT count(*), count(s.k), count(b.k), sum(s.w), sum(b.v) FROM S s FULL JOIN B b ON s.k = b.k AND b.v > s.w * 20'],
  ['FULL with a term on one side', 'SELECT count(*), count(s.k), count(b.k), sum(s.w), sum(b.v) FROM S s FULL JOIN B b ON s.k = b.k AND b.j = 1'],
  ['RIGHT', 'SELECT count(*), count(s.k), count(b.k), sum(s.w), sum(b.v) FROM B b RIGHT JOIN S s ON s.k = b.k AND b.j <> s.j'],
  ['LEFT built on the smaller left', 'SELECT count(*), count(b.k), sum(s.w), sum(b.v) FROM S s LEFT JOIN B b ON s.k = b.k AND b.v % 7 <> s.w % 7'],
  ['an empty side', 'SELECT count(*), count(n.k), count(b.k), sum(b.v) FROM none n FULL JOIN B b ON n.k = b.k'],
  ['an empty side, both ways', 'SELECT count(*), count(n.k), count(s.k) FROM S s FULL JOIN none n ON n.k = s.k'],
  ['no key matches', 'SELECT count(*), count(s.k), count(b.k) FROM S s FULL JOIN B b ON s.k = b.k + 100000'],
  // a constant and coalesce() of the padded side must be NULL there, not computed over NULLs
  ['computed columns padded', 'SELECT count(*), count(x.one), sum(x.c) FROM (SELECT k, 1 AS one, coalesce(j, 9) AS c FROM S) x FULL JOIN B b ON x.k = b.k'],
  // the padded rows of a FULL join sit in every slice: the NULL group is one group
  ['GROUP BY over padded rows', 'SELECT s.j, count(*), count(b.k), sum(b.v) FROM S s FULL JOIN B b ON s.k = b.k GROUP BY s.j'],
  ['two FULL joins', 'SELECT count(*), count(s.k), count(b.k), count(c.k) FROM S s FULL JOIN B b ON s.k = b.k FULL JOIN B c ON b.v = c.v + 6000'],
];

/** Small and big tables, and the words EXPLAIN uses for where the rows meet. */
const PLACEMENTS: [string, string, string][] = [
  ['small_k', 'big_k', 'co-located'],
  ['small_w', 'big_v', 'both sides redistributed by key'],
  ['small_w', 'big_k', 'redistributed to where the'],
];

const sqlFor = (q: string, small: string, big: string) => q.replace(/\bS\b/g, small).replace(/\bB\b/g, big);
const rowsOf = async (session: Session, sql: string) => { const r = await session.execute(sql); return (Array.isArray(r) ? r[r.length - 1] : r).rows; };
const explain = async (session: Session, sql: string) => (await rowsOf(session, `EXPLAIN ${sql}`)).map((r: unknown[]) => String(r[0]));
const sorted = (rows: unknown[][]) => rows.map((r) => JSON.stringify(r.map((v) => (typeof v === 'bigint' ? Number(v) : v)))).sort();

async function expectDuckDB(session: Session, sql: string): Promise<void> {
  const ours = sorted(await rowsOf(session, sql) as unknown[][]);
  const theirs = sorted((await duck.execute(translateToDuckDB(sql)))[0].rows as unknown[][]);
  expect(ours, sql).toEqual(theirs);
}

/** The plan's outer join line; it runs in the slices, and no join runs at the leader. */
function sliceJoin(plan: string[], kind: string, slices: number): string {
  const line = plan.find((x) => new RegExp(`Hash ${kind} Join`).test(x));
  expect(line, plan.join('\n')).toMatch(new RegExp(`then each slice adds the build rows no probe row matched.*\\[${slices} slices?`));
  expect(plan.filter((x) => /Join.*\[leader/.test(x)), plan.join('\n')).toEqual([]);
  expect(plan.join('\n')).not.toMatch(/Broadcast/);
  return line!;
}

beforeAll(async () => {
  // Strata with 3 slices and with 1 (loaded with the tables its tests read), and DuckDB
  engines = await openTwinEngines('outer-joins', SETUP, { slices: 3, oneSlice: [...DIGITS, ...BIG('big_v', 'DISTKEY(v)'), ...SMALL('small_w', 'DISTKEY(w)'), SETUP.at(-1)!] });
  ({ s, duck } = engines);
  s1 = engines.s1!;
}, 120_000);

afterAll(async () => {
  await engines?.close();
});

describe('outer joins keeping their build rows in the slices', () => {
  for (const [small, big, where] of PLACEMENTS) {
    it(`answer as DuckDB does with ${small} and ${big} (${where})`, async () => {
      // the smaller side builds: the FULL join probes with the big side, as the LEFT join does
      expect(sliceJoin(await explain(s, sqlFor(QUERIES[0][1], small, big)), 'FULL', 3)).toMatch(new RegExp(`probe: right input, build: [^;]*${where}`));
      expect(sliceJoin(await explain(s, sqlFor(QUERIES[6][1], small, big)), 'LEFT', 3)).toMatch(/probe: right input/);
      for (const [, q] of QUERIES) await expectDuckDB(s, sqlFor(q, small, big));
    });
  }

  it('answer as DuckDB does on one slice', async () => {
    sliceJoin(await explain(s1, sqlFor(QUERIES[0][1], 'small_w', 'big_v')), 'FULL', 1);
    for (const [, q] of QUERIES) await expectDuckDB(s1, sqlFor(q, 'small_w', 'big_v'));
  });

  it('spill to disk by key hash over the memory limit and answer as DuckDB does', async () => {
    // two big sides: each slice's table over ~3,500 build rows does not fit in its share of 1 MB;
    // the second's ON condition (three terms, nested ANDs) has two key columns and a residual
    const spilling = [
      'SELECT count(*), count(a.k), count(b.k), sum(a.v), sum(b.v), max(b.t) FROM big_v a FULL JOIN big_k b ON a.k = b.k + 2000',
      'SELECT count(*), count(a.k), count(b.k), sum(a.v), sum(b.v) FROM big_k a FULL JOIN big_k b ON a.k = b.k AND a.j = b.j AND a.v < b.v',
      'SELECT count(*), count(a.k), count(b.k), sum(a.v) FROM (SELECT * FROM big_v WHERE v < 10500) a LEFT JOIN big_k b ON a.k = b.k + 1000 AND a.j <> b.j',
    ];
    await s.execute("SET query_memory_limit = '1MB'");
    try {
      for (const sql of spilling) {
        const analyzed = (await rowsOf(s, `EXPLAIN ANALYZE ${sql}`)).map((r: unknown[]) => String(r[0]));
        expect(analyzed.at(-1), sql).toMatch(/spilled [\d.]+ MB to \d+ temp files/);
        expect(analyzed.join('\n'), sql).toMatch(/then each slice adds the build rows no probe row matched/);
        await expectDuckDB(s, sql);
      }
    } finally {
      await s.execute('RESET query_memory_limit');
    }
  });
});

describe('set operations over two slice pipelines', () => {
  const ops = ['UNION', 'UNION ALL', 'INTERSECT', 'INTERSECT ALL', 'EXCEPT', 'EXCEPT ALL'];
  // every row with how often it comes out: a multiset answer, NULLs equal
  const counted = (left: string, op: string, right: string) => `SELECT k, j, count(*) FROM (SELECT k, j FROM ${left} ${op} SELECT k, j FROM ${right}) x GROUP BY k, j`;

  it('answer as DuckDB does on 3 slices and on 1, with duplicates, NULLs and an empty side', async () => {
    for (const op of ops) {
      const plan = (await explain(s, counted('small_w', op, 'big_v'))).join('\n');
      expect(plan).toMatch(/UNION ALL per slice/);
      expect(plan).not.toMatch(/(UNION|INTERSECT|EXCEPT)( ALL)?\s+\[leader/);
      for (const [l, r] of [['small_w', 'big_v'], ['big_v', 'small_w'], ['none', 'small_w'], ['small_w', 'none']]) {
        await expectDuckDB(s, counted(l, op, r));
        await expectDuckDB(s1, counted(l, op, r));
      }
    }
  });
});
