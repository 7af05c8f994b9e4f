// A scalar subquery needs two of its rows at most (the second to fail with "more than one row")
// and EXISTS one, and a LIMIT over a Filter over a nested-loop join needs only the pairs that
// make its rows: each stops its input there (a LIMIT the slices and the nested loop obey,
// passed through Filters and Projects, row-pieces.ts forEachPiece), where they read every row
// or pair: at a small query_memory_limit they failed with OUT_OF_MEMORY, or a CROSS join over
// 50M pairs was refused. Answers as DuckDB's; the temp area is empty after each.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { openTwinEngines, type TwinEngines } from '../../support/twin-engines.ts';
import { TABLE_A_SETUP } from '../../support/table-a.ts';

let t: TwinEngines;
/** Table a's rows crossed with themselves under a filter the optimizer leaves above the join (it reads a computed column). */
const PAIRS = '(SELECT x.k AS xk, y.k AS yk, x.k + y.k AS v, y.s FROM a x CROSS JOIN a y) p';

beforeAll(async () => {
  t = await openTwinEngines('subquery-limits', TABLE_A_SETUP);
  await t.s.execute(`SET query_memory_limit = '4MB'`);
}, 60_000);

afterAll(async () => t?.close());

it('an uncorrelated scalar subquery reads two rows at most: more than one fails as such, not with OUT_OF_MEMORY', async () => {
  expect(await t.explain('SELECT (SELECT s FROM a)')).toMatch(/Subquery 1[^]*Limit 2 +\[leader/);
  await expect(t.s.execute('SELECT (SELECT s FROM a)')).rejects.toMatchObject({ code: 'CARDINALITY_VIOLATION' });
  await expect(t.s.execute(`SELECT k FROM a WHERE s = (SELECT v::VARCHAR FROM ${PAIRS} WHERE v % 7 = 3)`)).rejects.toMatchObject({ code: 'CARDINALITY_VIOLATION' });
  expect(t.leftover()).toEqual([]);
  // one row, or none, is the answer
  for (const sql of ['SELECT (SELECT s FROM a WHERE k = 4321), (SELECT k FROM a WHERE k < 0)', `SELECT (SELECT max(s) FROM a WHERE k % 1000 = 7)`]) {
    await t.same(sql);
  }
});

it('EXISTS over a Filter over a CROSS join of 9e10 pairs answers from its first match', async () => {
  // (one subquery a statement: two run at once, each with its nested loop's rows, would want twice the memory)
  const sql = `SELECT EXISTS (SELECT * FROM ${PAIRS} WHERE v % 7 = 3)`;
  expect(await t.explain(sql)).toMatch(/Limit 1 +\[leader[^]*Filter[^]*Nested Loop CROSS Join/);
  expect(await t.strataRows(sql)).toEqual([['true']]);
  expect(await t.strataRows(`SELECT k FROM a WHERE k < 3 AND NOT EXISTS (SELECT * FROM ${PAIRS} WHERE v % 1000 = 999 AND s LIKE 'row 4%')`)).toEqual([]);
  expect(t.leftover()).toEqual([]);
});

it('a LIMIT over a Filter over a nested loop stops the loop once it has its rows', async () => {
  const sql = `SELECT xk, yk, v, s FROM ${PAIRS} WHERE v % 7 = 3 AND yk > xk LIMIT 10`;
  expect(await t.explain(sql)).toMatch(/Limit 10 +\[leader[^]*Filter[^]*Nested Loop CROSS Join/);
  for (const stream of [false, true]) {
    const [r] = await t.s.execute(sql, { stream });
    const rows = stream ? r.stream!.next(100) : r.rows;
    expect(rows).toHaveLength(10);
    // any 10 of DuckDB's rows: each one a pair it has, with its values
    for (const [xk, yk, v, s] of rows as [number, number, number, string][]) {
      expect([v, s, (xk + yk) % 7, yk > xk]).toEqual([xk + yk, `row ${yk % 5000} of a few`, 3, true]);
    }
    expect(new Set(rows.map((row) => `${row[0]} ${row[1]}`)).size).toBe(10);
    expect(t.leftover()).toEqual([]);
  }
  // a GROUP BY over it reads as many
  const counted = `SELECT count(*), count(DISTINCT v % 7) FROM (${sql}) z`;
  await t.same(counted);
  expect(t.leftover()).toEqual([]);
});
