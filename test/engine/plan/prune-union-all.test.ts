// Column pruning through UNION ALL (plan/prune-union-all.ts): a projection or aggregate reading
// some of a UNION ALL's columns has each input project only those, so a union at the leader gets
// only them from its inputs' slices (EXPLAIN: the Project the slices end with); UNION, INTERSECT
// and EXCEPT, which compare whole rows, keep every column. Answers are DuckDB's.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { openTwinEngines, type TwinEngines } from '../../support/twin-engines.ts';

let twins: TwinEngines;

const digits = "(SELECT d1.n * 100 + d2.n * 10 + d3.n AS x FROM d d1, d d2, d d3) n";

beforeAll(async () => {
  twins = await openTwinEngines('prune-union-all', [
    'CREATE TABLE d (n INTEGER)',
    'INSERT INTO d VALUES (0), (1), (2), (3), (4), (5), (6), (7), (8), (9)',
    // a values overlap between the tables, with other b and c: whole rows differ where a does not
    'CREATE TABLE t1 (a INTEGER, b VARCHAR(10), c DOUBLE PRECISION)',
    `INSERT INTO t1 SELECT x, 'b' || (x % 37), x * 0.5 FROM ${digits}`,
    'CREATE TABLE t2 (a BIGINT, b VARCHAR(10), c DOUBLE PRECISION)',
    `INSERT INTO t2 SELECT x + 500, 'c' || (x % 41), x * 0.25 FROM ${digits}`,
  ]);
}, 60_000);

afterAll(async () => {
  await twins?.close();
});

/** Strata's rows are DuckDB's (in any order); returns how many. */
const sameAsDuckDB = async (sql: string) => (await twins.same(sql, { anyOrder: true })).length;
const explain = async (sql: string) => (await twins.explain(sql)).split('\n');
/** What the slices scanning `table` send the leader: the line below each Gather over its scan. */
function sentFrom(lines: string[], table: string): string[] {
  const sent: string[] = [];
  lines.forEach((l, i) => {
    if (!/Gather/.test(l)) return;
    const scan = lines.slice(i).find((x) => /Scan /.test(x))!;
    if (scan.includes(`Scan public.${table} `)) sent.push(lines[i + 1]);
  });
  expect(sent.length, lines.join('\n')).toBeGreaterThan(0);
  return sent;
}

// an input through a LIMIT (all of its rows: the answer does not depend on which) keeps the union at the leader
const T2_ALL = '(SELECT * FROM t2 LIMIT 100000) l';

it('has each input of a UNION ALL at the leader send only the columns read above it', async () => {
  const sql = `SELECT a * 2 + length(b) FROM (SELECT * FROM t1 UNION ALL SELECT * FROM ${T2_ALL}) u`;
  const lines = await explain(sql);
  expect(lines.some((l) => /UNION ALL\s+\[leader/.test(l)), lines.join('\n')).toBe(true);
  // the slices scanning t1 send a and b, not c (they loaded and sent all three before)
  expect(sentFrom(lines, 't1')).toEqual([expect.stringMatching(/Project: a, b\s+\[2 slices/)]);
  expect(await sameAsDuckDB(sql)).toBe(2000);
  // an aggregate over three inputs (a UNION ALL inside a UNION ALL) reads a and b
  const grouped = `SELECT b, sum(a), count(*) FROM (SELECT * FROM t1 UNION ALL SELECT * FROM ${T2_ALL} UNION ALL SELECT * FROM t1) u GROUP BY b`;
  expect(sentFrom(await explain(grouped), 't1')).toEqual([expect.stringMatching(/Project: a, b\s+\[2 slices/), expect.stringMatching(/Project: a, b\s+\[2 slices/)]);
  expect(await sameAsDuckDB(grouped)).toBe(78);
  // count(*) reads no column: each input still sends one, for its rows
  const counted = `SELECT count(*) FROM (SELECT * FROM t1 UNION ALL SELECT * FROM ${T2_ALL}) u`;
  expect(sentFrom(await explain(counted), 't1')).toEqual([expect.stringMatching(/Project: a\s+\[2 slices/)]);
  expect(await twins.strataRows(counted)).toEqual([['2000']]);
});

it('keeps every column of UNION, INTERSECT and EXCEPT, which compare whole rows', async () => {
  // t1's a values 500..999 are t2's too, with other b and c: no whole row is in both
  const rows = { UNION: 2000, INTERSECT: 0, EXCEPT: 1000, 'EXCEPT ALL': 1000 };
  for (const [op, n] of Object.entries(rows)) expect(await sameAsDuckDB(`SELECT a FROM (SELECT * FROM t1 ${op} SELECT * FROM ${T2_ALL}) u`), op).toBe(n);
});
