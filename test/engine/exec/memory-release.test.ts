// Per-statement memory is the live sum of what the leader and the slices hold, not a total of
// everything ever reserved: an operator's inputs, tables and sort buffers are given back when it
// returns, and a slice gives back what its fragment held when it ends. A statement that runs the
// same work four times in a row (UNION ALL of four branches) peaks about as high as one branch.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Database, type Session } from '../../../engine/database.ts';

let dir: string;
let db: Database;
let s: Session;

const rowsOf = async (sql: string) => { const r = await s.execute(sql); return r[r.length - 1].rows; };
/** EXPLAIN ANALYZE's peak memory of a query, in MB. */
const peak = async (sql: string) => {
  const last = String((await rowsOf(`EXPLAIN ANALYZE ${sql}`)).at(-1)![0]);
  return Number(/peak memory ([\d.]+) MB/.exec(last)![1]);
};
const four = (q: string) => [q, q, q, q].join(' UNION ALL ');

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'strata-memrelease-'));
  db = await Database.open({ dataDir: join(dir, 'data'), slices: 2 });
  s = db.connect();
  // t: 100 000 rows (i = 0..99 999, g = i % 1000); u: 50 000 rows (k = 0..49 999)
  await s.execute(`CREATE TABLE d (n INTEGER); INSERT INTO d VALUES (0), (1), (2), (3), (4), (5), (6), (7), (8), (9);
    CREATE TABLE t (i INTEGER, g INTEGER, v DOUBLE PRECISION);
    INSERT INTO t SELECT x, x % 1000, x * 0.5 FROM (SELECT a.n * 10000 + b.n * 1000 + c.n * 100 + e.n * 10 + f.n AS x FROM d a, d b, d c, d e, d f) y;
    CREATE TABLE u (k INTEGER, w INTEGER); INSERT INTO u SELECT i, i % 7 FROM t WHERE i < 50000`);
}, 60_000);

afterAll(async () => {
  await db?.close();
  rmSync(dir, { recursive: true, force: true });
});

it('leader operators give back their inputs and working memory when they return', async () => {
  // a window at the leader over every row of t: the gathered rows, the window's output and working memory
  const branch = 'SELECT count(*), sum(r) FROM (SELECT i, row_number() OVER (ORDER BY v DESC) AS r FROM t) x';
  const one = await peak(branch);
  const all = await peak(four(branch));
  expect(one).toBeGreaterThan(3);
  expect(all).toBeLessThan(one * 1.25);
  const rows = await rowsOf(four(branch));
  expect(rows).toEqual(Array(4).fill([100000, 100000 * 100001 / 2]));
});

it('slices give back a fragment\'s build table and rows when it ends', async () => {
  // each branch broadcasts u (50 000 rows) to both slices and gathers the 40 000 first joined rows
  const branch = 'SELECT count(*), max(x) FROM (SELECT t.i + u.w AS x FROM t JOIN u ON t.i = u.k ORDER BY 1 LIMIT 40000) y';
  const one = await peak(branch);
  const all = await peak(four(branch));
  expect(one).toBeGreaterThan(1);
  expect(all).toBeLessThan(one * 1.25);
});

it('a statement stays under a limit its total of reservations would pass', async () => {
  const branch = 'SELECT count(*), sum(r) FROM (SELECT i, row_number() OVER (ORDER BY v DESC) AS r FROM t) x';
  const one = await peak(branch);
  // four branches in a row would reserve about 4x one's peak if nothing were given back
  await s.execute(`SET query_memory_limit = '${Math.ceil(one * 1.6)}MB'`);
  try {
    expect(await rowsOf(four(branch))).toEqual(Array(4).fill([100000, 100000 * 100001 / 2]));
  } finally {
    await s.execute('RESET query_memory_limit');
  }
});

it('a recursive UNION counts its table of the rows it has seen', async () => {
  // every n from 1 to 131 071, each round doubling; UNION keeps a key per row to drop repeats
  const rec = (union: string) => `WITH RECURSIVE r(n) AS (SELECT 1 ${union} SELECT n * 2 + x FROM r, (SELECT 0 AS x UNION ALL SELECT 1) v WHERE n < 65536) SELECT count(*), sum(n) FROM r`;
  expect(await rowsOf(rec('UNION'))).toEqual([[131071, 131071 * 131072 / 2]]);
  expect(await rowsOf(rec('UNION ALL'))).toEqual([[131071, 131071 * 131072 / 2]]);
  // 131 071 keys of 64 bytes (8 MB) counted besides the rows; UNION ALL keeps no table
  expect(await peak(rec('UNION'))).toBeGreaterThan(await peak(rec('UNION ALL')) + 5);
});

it('an uncorrelated subquery\'s values count while they are constants of the plan', async () => {
  // 20 000 values become an IN list of 20 000 constants (about 80 bytes each)
  const sql = 'SELECT sum(CASE WHEN i IN (SELECT k * 2 FROM u WHERE k < 20000) THEN 1 ELSE 0 END) FROM t';
  expect(await rowsOf(sql)).toEqual([[20000]]);
  expect(await peak(sql)).toBeGreaterThan(1.2);
});

it('an operator passing its input\'s columns on (a LIMIT, a projection) counts them once', async () => {
  // 100 000 rows of 4 + 4 + 8 bytes: the Gather's rows, which the LIMIT and the projection pass on
  const sql = 'SELECT count(*), sum(v) FROM (SELECT i, g, v FROM t LIMIT 1000000) l';
  expect(await rowsOf(sql)).toEqual([[100000, 0.5 * 99999 * 100000 / 2]]);
  const rows = 100000 * 16 / 2 ** 20;
  expect(await peak(sql)).toBeLessThan(rows * 1.5);
});

it('a leader join\'s pieces of output count the inputs\' string dictionaries once', async () => {
  // 100 000 distinct strings on the probe side: every probed piece keeps that dictionary
  const sql = "SELECT count(*), max(x.s) FROM (SELECT i, 'v' || i AS s FROM t LIMIT 1000000) x JOIN (SELECT k FROM u LIMIT 1000000) y ON x.i = y.k";
  expect(await rowsOf(sql)).toEqual([[50000, 'v9999']]);
  // the dictionary: 100 000 strings of about 6 characters (2 bytes each and a header)
  const dict = 100000 * (24 + 2 * 6) / 2 ** 20;
  expect(await peak(sql)).toBeLessThan(4 * dict);
});
