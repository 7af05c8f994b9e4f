// SEMI, ANTI and SINGLE joins without equal keys (from [NOT] EXISTS, NOT IN and scalar
// subqueries whose correlations are all comparisons) run at the leader as the block nested loop
// (operators/nested-loop.ts): the left input a piece at a time, each piece's rows marked as they
// meet the right rows, then the marked (SEMI), unmarked (ANTI) or padded (SINGLE) rows handed on.
// On main these went over a domain of the outer rows, joined back on it: the [NOT] EXISTS and NOT
// IN below, whose domain's nested loop made every matching pair first, passed the spill cap at
// 4 MB (OUT_OF_MEMORY); the scalar one answered. Answers are DuckDB's; the temp area is empty
// after each query, an error and a cancel.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Database, type Session } from '../../../engine/database.ts';
import { DuckDBSession } from '../../support/verify-with-duckdb.ts';
import { canceledWhen } from '../../support/cancel-when.ts';
import { TABLE_A_SETUP } from '../../support/table-a.ts';

let dir: string;
let db: Database;
let s: Session;
let duck: { session: DuckDBSession; close: () => void };

const leftover = () => readdirSync(join(dir, 'data', 'tmp'), { recursive: true, encoding: 'utf8' });
const plan = async (sql: string) => (await s.execute(`EXPLAIN ${sql}`))[0].rows.map((r) => String(r[0])).join('\n');
const strata = async (sql: string) => (await s.execute(sql))[0].rows.map((row) => row.map(String));
const duckdb = async (sql: string) => (await duck.session.execute(sql))[0].rows.map((row) => row.map(String));

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'strata-nl-semi-'));
  db = await Database.open({ dataDir: join(dir, 'data'), slices: 2 });
  s = db.connect();
  duck = await DuckDBSession.open();
  for (const stmt of TABLE_A_SETUP) {
    await s.execute(stmt);
    await duck.session.execute(stmt);
  }
  await s.execute("SET query_memory_limit = '4MB'");
}, 60_000);

afterAll(async () => {
  duck?.close();
  await db?.close();
  rmSync(dir, { recursive: true, force: true });
});

it('[NOT] EXISTS, NOT IN and a scalar subquery correlated by comparisons only answer as DuckDB at 4 MB, 300,000 outer rows in pieces', async () => {
  // a's rows (k, s) with a NULL k every 1,000th row
  const x = '(SELECT CASE WHEN k % 1000 = 1 THEN NULL ELSE k END AS k, s FROM a) x';
  const queries = [
    `SELECT count(*), sum(k), max(s) FROM ${x} WHERE EXISTS (SELECT 1 FROM d WHERE d.n * 30000 > x.k)`,
    `SELECT count(*), sum(k), max(s) FROM ${x} WHERE NOT EXISTS (SELECT 1 FROM d WHERE d.n * 30000 > x.k)`,
    // NOT IN's NULLs: a NULL among the subquery's rows (n = 3 for k < 120,000), or a NULL value
    `SELECT count(*), sum(k) FROM ${x} WHERE CASE WHEN x.k % 7 = 0 THEN NULL ELSE x.k % 10 END NOT IN (SELECT CASE WHEN d.n = 3 THEN NULL ELSE d.n END FROM d WHERE d.n * 40000 > x.k)`,
    // SINGLE: one row for k < 320,000 unless k % 40,000 >= 20,000 (NULL)
    `SELECT count(*), count(m), sum(m), sum(m * k) FROM (SELECT x.k, (SELECT d.n FROM d WHERE d.n * 40000 <= x.k AND d.n * 40000 + 20000 > x.k) AS m FROM ${x}) z`,
  ];
  expect(await plan(queries[0])).toMatch(/Nested Loop SEMI Join on [^\n]*\[leader[^]*Gather/);
  expect(await plan(queries[1])).toMatch(/Nested Loop ANTI Join on /);
  expect(await plan(queries[3])).toMatch(/Nested Loop SINGLE Join on /);
  for (const sql of queries) expect(await strata(sql), sql).toEqual(await duckdb(sql));
  expect(leftover()).toEqual([]);
  // a second match fails the scalar subquery (the error DuckDB gives too), after pieces went to files
  const twice = `SELECT count(*), sum(m) FROM (SELECT x.k, (SELECT d.n FROM d WHERE d.n * 30000 <= x.k AND d.n * 30000 > x.s) AS m FROM (SELECT k, k - 40000 AS s FROM a) x) z`;
  await expect(duckdb(twice)).rejects.toThrow(/More than one row/i);
  await expect(s.execute(twice)).rejects.toMatchObject({ code: 'CARDINALITY_VIOLATION' });
  expect(leftover()).toEqual([]);
});

it('a right input past a quarter of what is left is read again from its file for each left piece', async () => {
  // 20 left rows, 300,000 right rows (over a quarter of 3 MB: in a file)
  const x = '(SELECT k, k + 5 AS j FROM a WHERE k % 15000 = 7 LIMIT 100) x';
  const queries = [
    `SELECT count(*), sum(k) FROM ${x} WHERE EXISTS (SELECT 1 FROM a y WHERE y.k > x.k AND y.k < x.j AND y.k % 4 = x.k % 4)`,
    `SELECT count(*), sum(k) FROM ${x} WHERE NOT EXISTS (SELECT 1 FROM a y WHERE y.k > x.j AND y.k < x.k)`,
    `SELECT count(*), sum(k), max(m) FROM (SELECT x.k, (SELECT y.s FROM a y WHERE y.k > x.k AND y.k <= x.j AND y.k % 5 = 0) AS m FROM ${x}) z`,
  ];
  await s.execute("SET query_memory_limit = '3MB'");
  try {
    for (const sql of queries) expect(await strata(sql), sql).toEqual(await duckdb(sql));
    expect(leftover()).toEqual([]);
  } finally {
    await s.execute("SET query_memory_limit = '4MB'");
  }
});

it('an error or a cancel in the nested loop leaves no file behind', async () => {
  // the GROUP BY reading the join's pieces fails on one, while the loop runs
  await expect(s.execute('SELECT count(*), sum(1 / (x.k - 100)) FROM a x WHERE EXISTS (SELECT 1 FROM d WHERE d.n * 30000 > x.k)')).rejects.toMatchObject({ code: 'DIVISION_BY_ZERO' });
  expect(leftover()).toEqual([]);
  // few outer rows match: each meets all 3,000 right rows (900M pairs, minutes uncanceled)
  await canceledWhen(s, 'SELECT count(*) FROM a x WHERE NOT EXISTS (SELECT 1 FROM a y WHERE y.k > x.k AND y.k < 3000)', () => leftover().length > 0);
  expect(leftover()).toEqual([]);
});
