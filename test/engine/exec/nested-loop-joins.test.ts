// Leader joins that held both inputs whole, now taken in pieces. SEMI, ANTI and SINGLE joins
// without equal keys (from [NOT] EXISTS, NOT IN and scalar subqueries whose correlations are all
// comparisons) run as the block nested loop (operators/nested-loop.ts): the left input a piece at a
// time, each piece's rows marked as they meet the right rows, then the marked (SEMI), unmarked
// (ANTI) or padded (SINGLE) rows handed on. On main these went over a domain of the outer rows:
// the [NOT] EXISTS and NOT IN below, whose domain's nested loop made every matching pair first,
// passed the spill cap at 4 MB (OUT_OF_MEMORY); scalar subqueries answered there. A join condition calling
// a model (f, an ONNX model of 2x + 1, so DuckDB answers the same query with that expression):
// a call reading one input's columns is computed by a projection below that input
// (plan/model-columns.ts), in the slices, so the join runs as one without model calls; a call
// reading both inputs is computed a block of pairs at a time in the nested loop, or per piece of an
// equi-join's pairs of equal keys (an outer one marking the rows its passing pairs met). On main these held both inputs whole (OUT_OF_MEMORY at 4 MB) or refused
// outer joins (FEATURE_NOT_SUPPORTED). A sort by a model's value reads it from the projection below
// the sort, as every ORDER BY expression does (main answered that too). Answers are DuckDB's; the
// temp area is empty after each query, an error and a cancel.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openTwinEngines, type TwinEngines } from '../../support/twin-engines.ts';
import { canceledOnTempFile, makesTempFile } from '../../support/temp-files.ts';
import { TABLE_A_SETUP } from '../../support/table-a.ts';
import { withLinearModel } from '../../support/linear-model.ts';

let t: TwinEngines;
/** the model's file, outside the data directory (CREATE MODEL may not read inside it) */
const files = mkdtempSync(join(tmpdir(), 'strata-nested-loop-joins-'));

/** The query for DuckDB: each f(...) written as the model computes it. */
const modelAsExpr = (sql: string) => sql.replace(/\bf\(([^()]*)\)/g, 'CAST(2 * ($1) + 1 AS REAL)');
/** Expects Strata's rows of `sql` to be DuckDB's. */
const same = (sql: string) => t.same(sql, { duckSql: modelAsExpr(sql) });
/** Runs `f` at the statement memory limit `limit` (then back at 4 MB). */
async function at(limit: string, f: () => Promise<void>): Promise<void> {
  await t.s.execute(`SET query_memory_limit = '${limit}'`);
  try {
    await f();
  } finally {
    await t.s.execute("SET query_memory_limit = '4MB'");
  }
}

// e: ten rows, u = 0..9
const SETUP = [...TABLE_A_SETUP, 'CREATE TABLE e (n INTEGER, u REAL)', 'INSERT INTO e SELECT n, CAST(n AS REAL) FROM d'];
/** a's 300,000 rows with a REAL v = k % 10 */
const w = (alias: string) => `(SELECT k, CAST(k % 10 AS REAL) AS v, s FROM a) ${alias}`;

beforeAll(async () => {
  t = await openTwinEngines('nested-loop-joins', SETUP);
  await withLinearModel(t, files);
  await t.s.execute("SET query_memory_limit = '4MB'");
}, 60_000);

afterAll(async () => {
  await t?.close();
  rmSync(files, { recursive: true, force: true });
});

it('[NOT] EXISTS, NOT IN and a scalar subquery correlated by comparisons only answer as DuckDB at 4 MB, 300,000 outer rows in pieces', async () => {
  // a's rows (k, s) with a NULL k every 1,000th row
  const x = '(SELECT CASE WHEN k % 1000 = 1 THEN NULL ELSE k END AS k, s FROM a) x';
  const queries = [
    `SELECT count(*), sum(k), max(s) FROM ${x} WHERE EXISTS (SELECT 1 FROM d WHERE d.n * 30000 > x.k)`,
    `SELECT count(*), sum(k), max(s) FROM ${x} WHERE NOT EXISTS (SELECT 1 FROM d WHERE d.n * 30000 > x.k)`,
    // NOT IN's NULLs: a NULL among the subquery's rows (n = 3 for k < 120,000), or a NULL value
    `SELECT count(*), sum(k) FROM ${x} WHERE CASE WHEN x.k % 7 = 0 THEN NULL ELSE x.k % 10 END NOT IN (SELECT CASE WHEN d.n = 3 THEN NULL ELSE d.n END FROM d WHERE d.n * 40000 > x.k)`,
    // 50 values of g: the first row of each value in a piece meets the right rows, the others take its answer
    'SELECT count(*), sum(k) FROM (SELECT k, k % 50 AS g FROM a) x WHERE NOT EXISTS (SELECT 1 FROM d WHERE d.n * 5 > x.g)',
  ];
  expect(await t.explain(queries[0])).toMatch(/Nested Loop SEMI Join on [^\n]*\[leader[^]*Gather/);
  expect(await t.explain(queries[1])).toMatch(/Nested Loop ANTI Join on /);
  expect(await t.explain(queries[2])).toMatch(/Nested Loop ANTI Join on /);
  for (const sql of queries) await same(sql);
  expect(t.leftover()).toEqual([]);
  // a SINGLE join: a second match fails the scalar subquery (as in DuckDB), after pieces went to files
  const twice = 'SELECT count(*), sum(m) FROM (SELECT x.k, (SELECT d.n FROM d WHERE d.n * 30000 <= x.k AND d.n * 30000 > x.s) AS m FROM (SELECT k, k - 40000 AS s FROM a) x) z';
  await expect(t.duckRows(twice)).rejects.toThrow(/More than one row/i);
  expect(await t.explain(twice)).toMatch(/Nested Loop SINGLE Join on /);
  await expect(t.s.execute(twice)).rejects.toMatchObject({ code: 'CARDINALITY_VIOLATION' });
  expect(t.leftover()).toEqual([]);
});

it('a right input past a quarter of what is left is read again from its file for each left piece', async () => {
  // 20 left rows (half with a right row between k and j), 300,000 right rows: past a quarter of 3 MB, in files
  const x = '(SELECT k, CASE WHEN k % 30000 = 7 THEN k + 2 ELSE k + 1 END AS j FROM a WHERE k % 15000 = 7 LIMIT 100) x';
  const queries = [
    `SELECT count(*), sum(k) FROM ${x} WHERE EXISTS (SELECT 1 FROM a y WHERE y.k > x.k AND y.k < x.j)`,
    `SELECT count(*), sum(k), count(m), max(m) FROM (SELECT x.k, (SELECT y.s FROM a y WHERE y.k > x.k AND y.k < x.j) AS m FROM ${x}) z`,
  ];
  expect(await t.explain(queries[0])).toMatch(/Nested Loop SEMI Join on /);
  await at('3MB', async () => {
    for (const sql of queries) await makesTempFile(t.tempArea, () => true, () => same(sql));
    expect(t.leftover()).toEqual([]);
  });
});

it('an empty right input: an INNER or SEMI nested loop never reads its left input, an ANTI or LEFT one hands every left row on', async () => {
  // e.n > 100 keeps none of e's rows; a's 300,000 rows are the left input
  const none = '(SELECT * FROM e WHERE n > 100)';
  const unread = [
    `SELECT count(*) FROM a x WHERE EXISTS (SELECT 1 FROM ${none} y WHERE y.u < x.k)`,
    `SELECT count(*), sum(x.k) FROM a x JOIN ${none} y ON y.u < x.k`,
  ];
  for (const sql of unread) {
    const plan = (await t.strataRows(`EXPLAIN ANALYZE ${sql}`)).map((r) => r[0]);
    expect(plan.find((l) => /Nested Loop (SEMI|INNER) Join/.test(l)), plan.join('\n')).toMatch(/actual rows 0/);
    expect(plan.find((l) => /Scan public\.a /.test(l)), plan.join('\n')).toMatch(/never ran/);
    await same(sql);
  }
  for (const sql of [`SELECT count(*), sum(k) FROM a x WHERE NOT EXISTS (SELECT 1 FROM ${none} y WHERE y.u < x.k)`, `SELECT count(*), count(y.n) FROM a x LEFT JOIN ${none} y ON y.u < x.k`]) {
    const plan = (await t.strataRows(`EXPLAIN ANALYZE ${sql}`)).map((r) => r[0]);
    expect(plan.find((l) => /Nested Loop (ANTI|LEFT) Join/.test(l)), plan.join('\n')).toMatch(/actual rows 300000/);
    await same(sql);
  }
});

it('a join condition calling a model answers as DuckDB at 4 MB: one input\'s calls below it, both inputs\' a block of pairs at a time', async () => {
  const queries = [
    // one input's call: computed in the slices below the join, the nested loop reads its value
    `SELECT count(*), sum(x.k), max(x.s) FROM ${w('x')} JOIN e ON f(x.v) > e.u * 2`,
    // both inputs': the nested loop computes it a block of pairs at a time
    `SELECT count(*), sum(x.k), count(e.n) FROM ${w('x')} LEFT JOIN e ON f(x.v + e.u) > 30`,
    // an outer equi-join whose condition calls a model on its right input: in the slices
    `SELECT count(*), sum(x.k), count(y.k) FROM ${w('x')} LEFT JOIN ${w('y')} ON x.k = y.k + 1 AND f(y.v) < 9`,
    // outer equi-joins whose condition calls a model on both inputs: at the leader, the rows its passing pairs met marked
    `SELECT count(*), sum(x.k), count(e.n) FROM ${w('x')} LEFT JOIN e ON x.k % 10 = e.n AND f(x.v + e.u) > 10`,
    `SELECT count(*), sum(x.k), count(x.k), sum(e.n), count(e.n) FROM ${w('x')} FULL JOIN e ON x.k % 10 = e.n + 1 AND f(x.v + e.u) > 12`,
    // an equi-join at the leader over inputs in pieces: each piece's joined rows through the model
    `SELECT count(*), sum(x.k) FROM (SELECT k, v, s FROM ${w('w1')} LIMIT 1000000) x JOIN (SELECT k, v FROM ${w('w2')} LIMIT 1000000) y ON x.k = y.k + 3 AND f(x.v + y.v) > 17`,
  ];
  expect(await t.explain(queries[0])).toMatch(/Nested Loop INNER Join on \(model0[^]*Project[^\n]*\[2 slices/);
  expect(await t.explain(queries[1])).toMatch(/Nested Loop LEFT Join on \(lin@1\(/);
  expect(await t.explain(queries[2])).toMatch(/Hash LEFT Join \(probe: left input[^]*Filter: \(model0/);
  expect(await t.explain(queries[3])).toMatch(/Hash LEFT Join \(build: right input\) on \(k % 10\) = n AND \(lin@1\([^\n]*\[leader/);
  for (const sql of queries) await same(sql);
  // a sort by a model's value: the leader sorts its pieces into runs
  const sorted = `SELECT k, s FROM (SELECT k, v, s FROM ${w('w1')} LIMIT 1000000) x ORDER BY f(v) DESC, k LIMIT 3 OFFSET 150000`;
  expect(await t.explain(sorted)).toMatch(/Sort: sort0 DESC, k +\[leader[^]*Limit 1000000/);
  await same(sorted);
  expect(t.leftover()).toEqual([]);
});

it('an error or a cancel in a nested loop leaves no file behind', async () => {
  // the GROUP BY reading the join's pieces fails on one, while the loop runs
  await expect(t.s.execute('SELECT count(*), sum(1 / (x.k - 100)) FROM a x WHERE EXISTS (SELECT 1 FROM d WHERE d.n * 30000 > x.k)')).rejects.toMatchObject({ code: 'DIVISION_BY_ZERO' });
  expect(t.leftover()).toEqual([]);
  // the condition with a model fails on the pair of the last row
  await expect(t.s.execute(`SELECT count(*) FROM ${w('x')} JOIN e ON f(x.v + e.u) > 1 / (x.k - 299999)`)).rejects.toMatchObject({ code: 'DIVISION_BY_ZERO' });
  expect(t.leftover()).toEqual([]);
  // canceled once the left's rows go to files: few outer rows match, each meets all 3,000 right
  // rows (900M pairs, minutes uncanceled); and 9e10 pairs through the model
  await canceledOnTempFile(t.s, 'SELECT count(*) FROM a x WHERE NOT EXISTS (SELECT 1 FROM a y WHERE y.k > x.k AND y.k < 3000)', t.tempArea);
  await canceledOnTempFile(t.s, `SELECT count(*) FROM ${w('x')} JOIN ${w('y')} ON f(x.v + y.v) > 100`, t.tempArea);
});

it('a cancel that comes while the loop makes its pairs stops the loop itself', async () => {
  // both inputs are whole in memory before the loop starts, and the client's rows go to a file
  // once past a quarter of what is left: that file is made inside the loop, which the cancel then
  // has to stop on its own: the cancel reaches the leader on the loop's next pause (a turn every
  // few ms), whose check stops it; without that, all 8M pairs are made and the query answers
  const sql = 'SELECT x.k, y.k FROM (SELECT k FROM a WHERE k < 2000) x JOIN (SELECT k FROM a WHERE k < 5000) y ON x.k < y.k';
  expect(await t.explain(sql)).toMatch(/Nested Loop INNER Join on \(k < k\) +\[leader[^]*Gather[^]*Gather/);
  await canceledOnTempFile(t.s, sql, t.tempArea, (f) => !f.inSlice && f.kind === 'result-rows', true);
});
