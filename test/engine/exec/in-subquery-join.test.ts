// An uncorrelated `x [NOT] IN (SELECT …)` (`= ANY`, `<> ALL`) that may give more than a few
// rows is planned as a join in the slices (plan/subqueries.ts `membership`): a semi join as a
// WHERE conjunct, a null-aware anti join for NOT IN, a LEFT join with the distinct values (a mark)
// anywhere else. Answers are checked against DuckDB over NULLs on both sides, duplicates, empty
// subqueries and int, bigint, decimal, varchar and date keys; then an IN over 300,000 distinct
// values at a 4 MB query_memory_limit, which failed with OUT_OF_MEMORY as a list of constants.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTwinEngines, type TwinEngines } from '../../support/twin-engines.ts';
import { TABLE_A_SETUP } from '../../support/table-a.ts';
import { canceledOnTempFile } from '../../support/temp-files.ts';

let e: TwinEngines;

// o: 3,000 outer rows, a NULL in each column on every 17th row; s: 6,000 subquery rows whose
// values repeat (x % 2,000, each twice or more) with a NULL on every 101st row and a flag f = x % 3
const ROWS = (table: string, n: number, mod: number, nullEvery: number, p: string) => [
  `CREATE TABLE ${table} (${p}i INTEGER, ${p}b BIGINT, ${p}m DECIMAL(12,2), ${p}v VARCHAR(20), ${p}d DATE, ${p}f INTEGER)`,
  `INSERT INTO ${table} SELECT ${['x % M', '(x % M) * 3000000000', '(x % M) / 4.0', "'v' || (x % M)", "DATE '2020-01-01' + (x % M)"]
    .map((v) => `CASE WHEN x % ${nullEvery} = 0 THEN NULL ELSE ${v.replaceAll('M', String(mod))} END`).join(', ')}, x % 3
     FROM (SELECT a.n * 1000 + b.n * 100 + c.n * 10 + e.n AS x FROM d a, d b, d c, d e) t WHERE x < ${n}`,
];

const SETUP = [
  'CREATE TABLE d (n INTEGER)', 'INSERT INTO d VALUES (0), (1), (2), (3), (4), (5), (6), (7), (8), (9)',
  ...ROWS('o', 3000, 2500, 17, ''), ...ROWS('s', 6000, 2000, 101, 's'), 'ANALYZE',
];

/** [name, query, the join EXPLAIN must show] */
const QUERIES: [string, string, RegExp][] = [
  ['IN', 'SELECT count(*), sum(i), max(v) FROM o WHERE i IN (SELECT si FROM s)', /SEMI Join/],
  ['IN over bigint, decimal, varchar and date', `SELECT count(*), sum(i) FROM o WHERE b IN (SELECT sb FROM s WHERE sf <> 1) AND m IN (SELECT sm FROM s)
     AND v IN (SELECT sv FROM s WHERE sf < 2) AND d IN (SELECT sd FROM s)`, /SEMI Join[^]*SEMI Join[^]*SEMI Join[^]*SEMI Join/],
  ['IN across types (int in bigint, bigint in decimal)', 'SELECT count(*), sum(i) FROM o WHERE i IN (SELECT sb / 3000000000 FROM s) AND b IN (SELECT sm * 12000000000 FROM s)', /SEMI Join/],
  ['= ANY', 'SELECT count(*), sum(i) FROM o WHERE v = ANY (SELECT sv FROM s WHERE sf = 2)', /SEMI Join/],
  ['NOT IN with a NULL', 'SELECT count(*), sum(i) FROM o WHERE i NOT IN (SELECT si FROM s)', /ANTI Join/],
  ['NOT IN without NULLs', 'SELECT count(*), sum(i), count(v) FROM o WHERE i NOT IN (SELECT si FROM s WHERE si IS NOT NULL)', /ANTI Join/],
  ['<> ALL over dates', 'SELECT count(*), sum(i) FROM o WHERE d <> ALL (SELECT sd FROM s WHERE sd IS NOT NULL AND sf > 0)', /ANTI Join/],
  ['NOT IN an empty subquery (NULLs on the left kept)', 'SELECT count(*), count(i) FROM o WHERE i NOT IN (SELECT si FROM s WHERE sf + 0 > 5)', /ANTI Join/],
  ['IN an empty subquery', 'SELECT count(*) FROM o WHERE v IN (SELECT sv FROM s WHERE sf + 0 > 5)', /SEMI Join/],
  ['IN under OR', 'SELECT count(*), sum(i) FROM o WHERE i IN (SELECT si FROM s WHERE sf = 0) OR i < 10', /LEFT Join/],
  ['NOT of a compound', 'SELECT count(*), sum(i) FROM o WHERE NOT (i IN (SELECT si FROM s) AND b > 0)', /LEFT Join/],
  ['IN and NOT IN in the SELECT list', `SELECT x, y, count(*), sum(i) FROM (SELECT i, i IN (SELECT si FROM s) AS x,
     m NOT IN (SELECT sm FROM s WHERE sm IS NOT NULL) AS y FROM o) t GROUP BY x, y ORDER BY x, y`, /LEFT Join[^]*LEFT Join/],
  ['IN and NOT IN of an empty subquery in the SELECT list', `SELECT x, y, count(*) FROM (SELECT i IN (SELECT si FROM s WHERE sf + 0 > 5) AS x,
     i NOT IN (SELECT si FROM s WHERE sf + 0 > 5) AS y FROM o) t GROUP BY x, y ORDER BY x, y`, /LEFT Join/],
  ['IN in CASE', "SELECT sum(CASE WHEN v IN (SELECT sv FROM s WHERE sf = 1) THEN 1 WHEN v IS NULL THEN 2 ELSE 3 END) FROM o", /LEFT Join/],
  ['IN and NOT IN in HAVING', `SELECT i % 7, count(*) FROM o GROUP BY i % 7 HAVING max(i) IN (SELECT si FROM s) AND min(b) NOT IN (SELECT sb FROM s WHERE sf = 2)
     AND count(*) > 10 ORDER BY 1`, /ANTI Join[^]*SEMI Join|SEMI Join[^]*ANTI Join/],
  ['IN under OR in HAVING', 'SELECT i % 7, count(*) FROM o GROUP BY i % 7 HAVING max(i) IN (SELECT si FROM s WHERE sf = 1) OR count(*) < 5 ORDER BY 1', /LEFT Join/],
  // the semi / anti join runs on the input its keys come from, below the join (TPC-H Q18)
  ['IN on one input of a join', 'SELECT count(*), sum(o.i), max(s.sv) FROM o, s WHERE o.i = s.si AND o.b IN (SELECT sb FROM s WHERE sf = 1)', /INNER Join[^]*SEMI Join/],
  ['NOT IN on one input of a join', 'SELECT count(*), sum(o.i) FROM s JOIN o ON o.i = s.si WHERE o.v NOT IN (SELECT sv FROM s WHERE sf = 1 AND sv IS NOT NULL)', /INNER Join[^]*ANTI Join/],
  ['nested IN (TPC-H Q20)', `SELECT count(*), sum(i) FROM o WHERE i IN (SELECT si FROM s WHERE sb IN (SELECT b FROM o WHERE m > 10)
     AND sm > (SELECT 0.5 * sum(m) FROM o o2 WHERE o2.i = s.si))`, /SEMI Join[^]*SEMI Join/],
];

beforeAll(async () => { e = await openTwinEngines('in-join', SETUP); }, 60_000);
afterAll(async () => { await e?.close(); });

describe('uncorrelated IN subqueries as joins answer as DuckDB does', () => {
  for (const [name, sql, join] of QUERIES) {
    it(name, async () => {
      const plan = (await e.s.execute(`EXPLAIN ${sql}`))[0].rows.map((r) => String(r[0])).join('\n');
      expect(plan).toMatch(join);
      expect(plan).not.toMatch(/ IN \(/); // no list of constants
      expect(await e.strataRows(sql)).toEqual(await e.duckRows(sql));
    });
  }

  it('NOT IN needs no test for NULLs where filters and join keys show both sides never NULL', async () => {
    const sqls = [
      'SELECT count(*), sum(i) FROM o WHERE i IS NOT NULL AND i NOT IN (SELECT si FROM s WHERE si > 10)',
      `SELECT x, count(*) FROM (SELECT o.i NOT IN (SELECT s.si FROM s JOIN o ON o.i = s.si WHERE s.sf = 1) AS x FROM o, s WHERE o.i = s.si) t GROUP BY x ORDER BY x`,
    ];
    for (const sql of sqls) {
      const plan = (await e.s.execute(`EXPLAIN ${sql}`))[0].rows.map((r) => String(r[0])).join('\n');
      expect(plan).toMatch(/(ANTI|LEFT) Join/);
      expect(plan).not.toMatch(/Subquery/);
      expect(await e.strataRows(sql)).toEqual(await e.duckRows(sql));
    }
  });

  it('IN in an outer join\'s ON stays a list of constants rather than join the sides\' cross product', async () => {
    const sql = 'SELECT count(*), count(s.si), sum(o.i) FROM o LEFT JOIN s ON o.i = s.si AND s.sb IN (SELECT b FROM o WHERE i > 100)';
    const plan = (await e.s.execute(`EXPLAIN ${sql}`))[0].rows.map((r) => String(r[0])).join('\n');
    expect(plan).toMatch(/Hash LEFT Join[^]*on i = si/);
    expect(plan).not.toMatch(/CROSS|SEMI/);
    expect(await e.strataRows(sql)).toEqual(await e.duckRows(sql));
  });

  it('a subquery that gives at most a few rows stays a list of constants', async () => {
    const sql = "SELECT count(*), sum(i) FROM o WHERE i IN (SELECT 1 UNION ALL SELECT 5 UNION ALL SELECT NULL) OR v NOT IN (SELECT 'v' || n FROM d)";
    const plan = (await e.s.execute(`EXPLAIN ${sql}`))[0].rows.map((r) => String(r[0])).join('\n');
    expect(plan).not.toMatch(/Join/);
    expect(await e.strataRows(sql)).toEqual(await e.duckRows(sql));
  });
});

describe('an IN over 300,000 distinct values at a 4 MB query_memory_limit', () => {
  let a: TwinEngines;
  beforeAll(async () => {
    a = await openTwinEngines('in-join-memory', [...TABLE_A_SETUP, 'ANALYZE']);
    await a.s.execute("SET query_memory_limit = '4MB'");
  }, 60_000);
  afterAll(async () => { await a?.close(); });

  it('answers IN, NOT IN and IN in the SELECT list as DuckDB does and leaves the temp area empty', async () => {
    for (const sql of [
      'SELECT count(*), sum(k), max(s) FROM a WHERE k IN (SELECT k * 2 FROM a)',
      'SELECT count(*), sum(k) FROM a WHERE k + 1 NOT IN (SELECT k * 3 FROM a)',
      'SELECT count(*), sum(k) FROM a WHERE k IN (SELECT k * 5 FROM a) OR k < 7',
    ]) expect(await a.strataRows(sql), sql).toEqual(await a.duckRows(sql));
    expect(a.leftover()).toEqual([]);
  });

  it('leaves the temp area empty when the query fails and when it is canceled', async () => {
    await expect(a.s.execute('SELECT count(*) FROM a WHERE k IN (SELECT k * 2 FROM a WHERE 1 / (k - 299999) < 5)')).rejects.toMatchObject({ code: 'DIVISION_BY_ZERO' });
    expect(a.leftover()).toEqual([]);
    // canceled once it spills (an event, not a delay a faster machine outlives)
    await canceledOnTempFile(a.s, 'SELECT count(*) FROM a WHERE k NOT IN (SELECT x.k * 10 + z.n FROM a x JOIN d z ON x.k % 10 = z.n)', a.tempArea);
  });
});
