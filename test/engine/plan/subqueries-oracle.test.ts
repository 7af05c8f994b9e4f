// Correlated and uncorrelated subqueries of many generated shapes, answered by Strata and by
// DuckDB over the same seeded tables (NULLs in every column), compared row by row. The shapes
// cover EXISTS, NOT EXISTS, IN, NOT IN, scalar, ANY/ALL, in WHERE, SELECT, HAVING and ON, with
// equality, inequality and mixed correlation, nested two levels deep.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { Database, type Session } from '../../../engine/database.ts';
import { rng } from '../../support/rng.ts';

const LETTERS = ['x', 'y', 'z', 'w'];

/** INSERT statements for a table of (id, a, b, s) with about one NULL in six values. */
function rows(table: string, n: number, seed: number): string {
  const r = rng(seed);
  const v = (x: string) => (r() < 0.17 ? 'NULL' : x);
  const out: string[] = [];
  for (let id = 1; id <= n; id++) out.push(`(${id}, ${v(String(Math.floor(r() * 6)))}, ${v(String(Math.floor(r() * 8)))}, ${v(`'${LETTERS[Math.floor(r() * 4)]}'`)})`);
  return `INSERT INTO ${table} VALUES ${out.join(', ')}`;
}

/** How the subquery's rows relate to the outer row. */
const CORRELATIONS = [
  'i.a = o.a',
  'i.a > o.a',
  'i.a = o.a AND i.b <> o.b',
  'i.a = o.a OR i.b = o.b',
  'i.s = o.s AND i.b >= 2',
  'i.a + o.b > 6',
  'o.a IS NULL OR i.a < o.a',
  'i.b - 1 = o.a',
  'o.a = i.a AND o.s < i.s',
  'CAST(i.a AS BIGINT) = o.b AND i.b > 1',
];

/** Query templates; {C} is a correlation. Every query orders by the outer id. */
const SHAPES = [
  'SELECT id FROM o WHERE EXISTS (SELECT * FROM i WHERE {C}) ORDER BY id',
  'SELECT id FROM o WHERE NOT EXISTS (SELECT 1 FROM i WHERE {C}) ORDER BY id',
  'SELECT id FROM o WHERE o.b IN (SELECT i.b FROM i WHERE {C}) ORDER BY id',
  'SELECT id FROM o WHERE o.b NOT IN (SELECT i.b FROM i WHERE {C}) ORDER BY id',
  'SELECT id, (SELECT count(*) FROM i WHERE {C}) FROM o ORDER BY id',
  'SELECT id, (SELECT sum(i.b) FROM i WHERE {C}), (SELECT max(i.s) FROM i WHERE {C}) FROM o ORDER BY id',
  'SELECT id, (SELECT count(i.b) + 1 FROM i WHERE {C}) FROM o ORDER BY id',
  'SELECT id FROM o WHERE o.b > (SELECT min(i.b) FROM i WHERE {C}) ORDER BY id',
  'SELECT id, o.b IN (SELECT i.b FROM i WHERE {C}), o.b NOT IN (SELECT i.b FROM i WHERE {C}) FROM o ORDER BY id',
  'SELECT id, o.b > ALL (SELECT i.b FROM i WHERE {C}), o.b = ANY (SELECT i.b FROM i WHERE {C}) FROM o ORDER BY id',
  'SELECT id, o.b <> ALL (SELECT i.b FROM i WHERE {C}), o.b <= ANY (SELECT i.b FROM i WHERE {C}) FROM o ORDER BY id',
  'SELECT id FROM o WHERE EXISTS (SELECT * FROM i WHERE {C}) OR o.b = 3 ORDER BY id',
  'SELECT id, CASE WHEN NOT EXISTS (SELECT * FROM i WHERE {C}) THEN 1 ELSE 0 END FROM o ORDER BY id',
  'SELECT id, (SELECT i.b FROM i WHERE {C} ORDER BY i.b DESC NULLS LAST, i.id LIMIT 1) FROM o ORDER BY id',
  // plain rows: one at most per outer row, else a cardinality error
  'SELECT id, (SELECT i.b FROM i WHERE ({C}) AND i.id <= o.id AND i.id >= o.id) FROM o ORDER BY id',
  'SELECT id, (SELECT i.b FROM i WHERE {C}) FROM o ORDER BY id',
  'SELECT id, (SELECT count(*) FROM (SELECT DISTINCT i.s FROM i WHERE {C}) d) FROM o ORDER BY id',
  'SELECT id FROM o WHERE 2 < (SELECT count(*) FROM k, (SELECT i.b FROM i WHERE {C}) d WHERE d.b = k.b) ORDER BY id',
  'SELECT id FROM o WHERE EXISTS (SELECT * FROM i WHERE ({C}) AND EXISTS (SELECT * FROM k WHERE k.b = i.b AND k.a <> o.a)) ORDER BY id',
  'SELECT id, (SELECT count(*) FROM i WHERE ({C}) AND i.b > (SELECT min(k.b) FROM k WHERE k.s = o.s)) FROM o ORDER BY id',
  'SELECT id FROM o WHERE o.b < ANY (SELECT i.b FROM i WHERE {C} UNION ALL SELECT k.b FROM k WHERE k.a = o.a) ORDER BY id',
  'SELECT id, (SELECT count(*) FROM i WHERE {C} GROUP BY i.s HAVING count(*) > 100) FROM o ORDER BY id',
  'SELECT id FROM o WHERE o.b < (SELECT 0.5 * sum(i.b) FROM i WHERE {C}) ORDER BY id',
  'SELECT id, (SELECT count(DISTINCT i.s) * 2 + 1 FROM i WHERE {C}), (SELECT max(i.b) FROM i WHERE {C} HAVING count(*) > 1) FROM o ORDER BY id',
];

/** Grouped outer queries: the subquery refers to group keys. */
const GROUPED = [
  'SELECT o.a, count(*), (SELECT count(*) FROM i WHERE i.a = o.a) FROM o GROUP BY o.a ORDER BY 1',
  'SELECT o.a FROM o GROUP BY o.a HAVING count(*) > (SELECT count(*) FROM i WHERE i.a = o.a) ORDER BY 1',
  'SELECT o.s, sum(o.b) FROM o GROUP BY o.s HAVING sum(o.b) >= ALL (SELECT i.b FROM i WHERE i.s = o.s) ORDER BY 1',
  'SELECT o.a, max(o.b) IN (SELECT i.b FROM i WHERE i.a <> o.a) FROM o GROUP BY o.a ORDER BY 1',
  'SELECT o.id, i.id FROM o JOIN i ON o.a = i.a AND i.b > (SELECT count(*) FROM k WHERE k.s = o.s) ORDER BY 1, 2',
  // outer joins whose ON has a subquery on one side (DuckDB refuses ones on both sides, below)
  'SELECT o.id, i.id FROM o LEFT JOIN i ON o.a = i.a AND i.b > (SELECT count(*) FROM k WHERE k.s = o.s) ORDER BY 1, 2',
  'SELECT o.id, i.id FROM o LEFT JOIN i ON o.a = i.a AND EXISTS (SELECT 1 FROM k WHERE k.b > i.b) ORDER BY 1, 2',
  'SELECT o.id FROM o WHERE o.b = (SELECT max(i.b) FROM i) ORDER BY 1',
  'SELECT o.id FROM o WHERE o.b NOT IN (SELECT k.b FROM k) ORDER BY 1',
  'SELECT o.id, o.a NOT IN (SELECT k.a FROM k WHERE k.a IS NOT NULL) FROM o ORDER BY 1',
  'SELECT (SELECT count(*) FROM o WHERE o.a > x.m) FROM (SELECT max(a) - 3 AS m FROM i) x',
  // the correlated subquery reads the working table, so its outer rows change every round
  'WITH RECURSIVE r(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM r WHERE n < 6 AND EXISTS (SELECT 1 FROM i WHERE i.a > r.n)) SELECT n FROM r ORDER BY n',
  'WITH RECURSIVE r(n, c) AS (SELECT 0, 0 UNION ALL SELECT n + 1, (SELECT count(*) FROM i WHERE i.a = r.n) FROM r WHERE n < 6) SELECT n, c FROM r ORDER BY n',
];

const QUERIES = [...SHAPES.flatMap((s) => CORRELATIONS.map((c) => s.replaceAll('{C}', c))), ...GROUPED];

let dir: string;
let db: Database;
let s: Session;
let duck: DuckDBConnection;

const SETUP = [
  'CREATE TABLE o (id INTEGER, a INTEGER, b INTEGER, s VARCHAR(4))',
  'CREATE TABLE i (id INTEGER, a INTEGER, b INTEGER, s VARCHAR(4))',
  'CREATE TABLE k (id INTEGER, a INTEGER, b INTEGER, s VARCHAR(4))',
  rows('o', 40, 11), rows('i', 50, 12), rows('k', 30, 13),
];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'strata-subq-'));
  db = await Database.open({ dataDir: join(dir, 'data'), slices: 2 });
  s = db.connect();
  duck = await (await DuckDBInstance.create(':memory:')).connect();
  for (const sql of SETUP) { await s.execute(sql); await duck.run(sql); }
  // DuckDB 1.5.6's optimizer answers EXISTS with a mixed = / <> correlation wrongly where the
  // outer value is NULL (e.g. o.b NULL in `i.a = o.a AND i.b <> o.b`); its unoptimized plan is the reference
  await duck.run('PRAGMA disable_optimizer');
}, 60_000);

afterAll(async () => {
  duck?.disconnectSync();
  await db?.close();
  rmSync(dir, { recursive: true, force: true });
});

type Outcome = { rows: string[][] } | { error: string };

const text = (v: unknown) => (v === null || v === undefined ? 'NULL' : String(v));

async function strata(sql: string): Promise<Outcome> {
  try {
    const r = await s.execute(sql);
    const last = Array.isArray(r) ? r[r.length - 1] : r;
    return { rows: last.rows.map((row: unknown[]) => row.map(text)) };
  } catch (e) {
    return { error: (e as Error).message };
  }
}

async function duckdb(sql: string): Promise<Outcome> {
  try {
    return { rows: (await duck.runAndReadAll(sql)).getRows().map((row) => row.map(text)) };
  } catch (e) {
    return { error: (e as Error).message };
  }
}

describe('subqueries against DuckDB', () => {
  it(`answers ${QUERIES.length} generated subquery shapes as DuckDB does`, async () => {
    const wrong: string[] = [];
    for (const sql of QUERIES) {
      const [mine, theirs] = [await strata(sql), await duckdb(sql)];
      // both must fail (e.g. a scalar subquery yielding two rows) or both give the same rows
      if ('error' in theirs) {
        if (!('error' in mine)) wrong.push(`${sql}\n  DuckDB fails (${theirs.error.split('\n')[0]}), Strata answers`);
        else if (/more than one row/i.test(theirs.error) && !/more than one row returned by a subquery/.test(mine.error)) wrong.push(`${sql}\n  expected a cardinality error, got: ${mine.error}`);
        continue;
      }
      if ('error' in mine) { wrong.push(`${sql}\n  Strata: ${mine.error}`); continue; }
      const a = JSON.stringify(mine.rows), b = JSON.stringify(theirs.rows);
      if (a !== b) wrong.push(`${sql}\n  Strata: ${a.slice(0, 300)}\n  DuckDB: ${b.slice(0, 300)}`);
    }
    expect(wrong.join('\n\n')).toBe('');
  }, 300_000);

  it('groups a keyed aggregate over the filtered keys of the joined table they come from, as DuckDB answers', async () => {
    // the semi join that limits the subquery reads the part of the FROM holding the outer keys,
    // with that part's own filters, not the outer rows (which then need not be computed first)
    const queries = [
      "SELECT o.id, k.id FROM o, k WHERE o.a = k.a AND o.s = 'x' AND k.b < (SELECT avg(i.b) FROM i WHERE i.a = o.a) ORDER BY 1, 2",
      "SELECT o.id, k.id FROM o JOIN k ON o.b = k.b WHERE k.s <> 'y' AND o.b >= (SELECT count(*) FROM i WHERE i.s = k.s) ORDER BY 1, 2",
      "SELECT o.id, k.id FROM o, k WHERE o.s = k.s AND o.a > 1 AND o.b < (SELECT 0.5 * sum(i.b) FROM i WHERE i.a = o.a AND i.s = o.s) ORDER BY 1, 2",
      "SELECT o.id, k.id FROM o, k WHERE o.a = k.b AND k.s = 'z' AND o.b > (SELECT max(i.b) FROM i WHERE CAST(i.a AS BIGINT) = k.a) ORDER BY 1, 2",
      "SELECT d.id, k.id FROM (SELECT id, a + 1 AS a1, s FROM o WHERE b > 2) d, k WHERE d.s = k.s AND k.b > (SELECT avg(i.b) FROM i WHERE i.a = d.a1) ORDER BY 1, 2",
      "SELECT o.id, k.id FROM o, k WHERE o.id = k.id AND EXISTS (SELECT 1 FROM i WHERE i.s = o.s) AND k.b > (SELECT min(i.b) FROM i WHERE i.a = o.a) ORDER BY 1, 2",
      "SELECT o.id, k.id FROM o, k WHERE o.id = k.id AND o.b NOT IN (SELECT i.b FROM i WHERE i.a = o.a) AND o.s IS NOT NULL AND k.a <= (SELECT count(i.s) FROM i WHERE i.b = o.b) ORDER BY 1, 2",
      "SELECT o.id, k.id FROM o, k WHERE o.a = k.a AND o.s = 'x' AND o.b * 0 = 0 AND k.b < (SELECT avg(i.b) FROM i WHERE i.a = o.a AND i.b > 100) ORDER BY 1, 2",
    ];
    for (const sql of queries) expect(await strata(sql), sql).toEqual(await duckdb(sql));
    const r = await s.execute(`EXPLAIN ${queries[0]}`);
    const plan = r[0].rows.map((row: unknown[]) => String(row[0])).join('\n');
    expect(plan).toMatch(/SEMI Join/);
    expect(plan).not.toMatch(/Shared result/);
  });

  it('answers every ordering and (in)equality ANY / ALL over integers, strings, dates and decimals, NULLs on both sides and empty sets, as DuckDB does', async () => {
    // uncorrelated: planned as one row of the subquery's least and greatest values and counts
    const setup = [
      'CREATE TABLE q (id INTEGER, n INTEGER, s VARCHAR(6), d DATE, m DECIMAL(12,2), w DECIMAL(30,3))',
      `INSERT INTO q VALUES ${Array.from({ length: 24 }, (_, id) => {
        const v = (x: string) => (id % 5 === 3 ? 'NULL' : x);
        return `(${id}, ${v(String((id * 7) % 11 - 4))}, ${v(`'${LETTERS[id % 4]}${id % 3}'`)}, ${v(`DATE '2024-0${1 + (id % 9)}-1${id % 7}'`)}, ${v(`${(id * 37) % 23}.${id % 10}5`)}, ${v(`12345678901234567${id % 6}.${id % 8}21`)})`;
      }).join(', ')}`,
    ];
    for (const sql of setup) { await s.execute(sql); await duck.run(sql); }
    const sets = ['id < 0', 'id % 4 = 1', 'id % 5 = 3', 'id % 2 = 0 AND id <> 8', '{c} IS NOT NULL AND id > 9'];
    const tests = ['<', '<=', '>', '>=', '=', '<>'].flatMap((op) => ['ANY', 'ALL'].map((quantifier) => `${op} ${quantifier}`));
    const wrong: string[] = [];
    for (const c of ['n', 's', 'd', 'm', 'w']) {
      for (const set of sets) {
        const sql = `SELECT id, ${tests.map((t) => `${c} ${t} (SELECT ${c} FROM q WHERE ${set.replace('{c}', c)})`).join(', ')} FROM q ORDER BY id`;
        const [mine, theirs] = [await strata(sql), await duckdb(sql)];
        if (JSON.stringify(mine) !== JSON.stringify(theirs)) wrong.push(`${sql}\n  Strata: ${JSON.stringify(mine).slice(0, 300)}\n  DuckDB: ${JSON.stringify(theirs).slice(0, 300)}`);
      }
      // correlated, and in WHERE
      for (const sql of [
        `SELECT id, ${c} < ALL (SELECT x.${c} FROM q x WHERE x.id % 3 = q.id % 3 AND x.id <> q.id), ${c} >= ANY (SELECT x.${c} FROM q x WHERE x.id % 4 = q.id % 3) FROM q ORDER BY id`,
        `SELECT id FROM q WHERE ${c} > ALL (SELECT ${c} FROM q WHERE id % 4 = 1) OR ${c} <= ANY (SELECT ${c} FROM q WHERE id % 2 = 0 AND id <> 8) ORDER BY id`,
      ]) {
        const [mine, theirs] = [await strata(sql), await duckdb(sql)];
        if (JSON.stringify(mine) !== JSON.stringify(theirs)) wrong.push(`${sql}\n  Strata: ${JSON.stringify(mine).slice(0, 300)}\n  DuckDB: ${JSON.stringify(theirs).slice(0, 300)}`);
      }
    }
    expect(wrong.join('\n\n')).toBe('');
    const plan = (await s.execute('EXPLAIN SELECT id FROM q WHERE s < ALL (SELECT s FROM q WHERE id > 3)'))[0].rows.map((row: unknown[]) => String(row[0])).join('\n');
    expect(plan).toMatch(/s < ALL \(subquery 1\)[^]*Subquery 1[^]*Aggregate/);
  }, 60_000);

  it('EXPLAIN lists each uncorrelated subquery once and runs none', async () => {
    // the subquery would fail with DIVISION_BY_ZERO if it ran
    const sql = 'SELECT id FROM o WHERE b > (SELECT max(b) / min(b - b) FROM i) AND EXISTS (SELECT 1 FROM i WHERE i.a = o.a AND i.b > o.b)';
    const r = await s.execute(`EXPLAIN ${sql}`);
    const text = r[0].rows.map((row: unknown[]) => String(row[0])).join('\n');
    expect(text).toMatch(/Subquery 1 \(runs once, before the plan that uses it\)/);
    expect(text).not.toMatch(/Subquery 2/);
    await expect(s.execute(sql)).rejects.toMatchObject({ code: 'DIVISION_BY_ZERO' });
  });

  it('joins outer joins whose ON has a subquery on both sides as DuckDB joins the matching pairs', async () => {
    // DuckDB refuses these ("Cannot perform non-inner join on subquery"): it gets the pairs that
    // satisfy ON as a table and joins them to both sides (ids are unique and not NULL)
    const conditions = [
      'o.a = i.a AND EXISTS (SELECT 1 FROM k WHERE k.b < i.b + o.b)',
      'o.s = i.s AND o.b > (SELECT count(*) FROM k WHERE k.a = i.a OR k.a = o.a)',
      'o.s = i.s AND o.b IN (SELECT k.b FROM k WHERE k.a <> i.a)',
      'o.b < i.b AND NOT EXISTS (SELECT 1 FROM k WHERE k.a > o.a)',
    ];
    for (const on of conditions) {
      const pairs = `(SELECT o.id AS oid, i.id AS iid FROM o, i WHERE ${on}) p`;
      const cases: [string, string][] = [
        [`SELECT o.id, i.id FROM o LEFT JOIN i ON ${on} ORDER BY 1, 2`, `SELECT o.id, i.id FROM o LEFT JOIN ${pairs} ON p.oid = o.id LEFT JOIN i ON i.id = p.iid ORDER BY 1, 2`],
        [`SELECT o.id, i.id FROM o RIGHT JOIN i ON ${on} ORDER BY 1, 2`, `SELECT o.id, i.id FROM i LEFT JOIN ${pairs} ON p.iid = i.id LEFT JOIN o ON o.id = p.oid ORDER BY 1, 2`],
        [`SELECT o.id, i.id FROM o FULL JOIN i ON ${on} ORDER BY 1, 2`, `SELECT o.id, i.id FROM o FULL JOIN ${pairs} ON p.oid = o.id FULL JOIN i ON i.id = p.iid ORDER BY 1, 2`],
      ];
      for (const [mine, theirs] of cases) expect(await strata(mine), mine).toEqual(await duckdb(theirs));
    }
  });

  it('runs INSERT, UPDATE and DELETE with correlated subqueries as DuckDB does', async () => {
    const statements = [
      'DELETE FROM t WHERE EXISTS (SELECT 1 FROM i WHERE i.a = t.a AND i.b > t.b)',
      'DELETE FROM t WHERE t.b NOT IN (SELECT i.b FROM i WHERE i.s = t.s)',
      'DELETE FROM t WHERE t.b > (SELECT count(*) FROM i WHERE i.a < t.a)',
      'UPDATE t SET b = (SELECT count(*) FROM i WHERE i.a = t.a), s = (SELECT max(i.s) FROM i WHERE i.b > t.b) WHERE t.id % 2 = 0',
      'UPDATE t SET a = -a WHERE EXISTS (SELECT 1 FROM i WHERE i.a = t.a OR i.b = t.b)',
      'UPDATE t SET b = (SELECT min(k.b) FROM k WHERE k.s = t.s AND k.a <> t.a)',
      'UPDATE t SET b = (SELECT i.b FROM i WHERE i.a = t.a)',
      'UPDATE t SET b = 100 FROM k WHERE t.id = k.id AND t.a < (SELECT max(i.a) FROM i WHERE i.s = k.s)',
      'DELETE FROM t USING k WHERE t.id = k.id AND EXISTS (SELECT 1 FROM i WHERE i.a = t.a AND i.b <> k.b)',
      'INSERT INTO t SELECT id + 100, a, (SELECT max(i.b) FROM i WHERE i.a > o.a), s FROM o WHERE NOT EXISTS (SELECT 1 FROM k WHERE k.s = o.s AND k.b < o.b)',
    ];
    const wrong: string[] = [];
    for (const sql of statements) {
      const outcomes: Outcome[] = [];
      for (const run of [strata, duckdb]) {
        await run('CREATE TABLE t AS SELECT * FROM o');
        const r = await run(sql);
        outcomes.push('error' in r ? { error: 'fails' } : await run('SELECT * FROM t ORDER BY id'));
        await run('DROP TABLE t');
      }
      if (JSON.stringify(outcomes[0]) !== JSON.stringify(outcomes[1])) wrong.push(`${sql}\n  Strata: ${JSON.stringify(outcomes[0]).slice(0, 300)}\n  DuckDB: ${JSON.stringify(outcomes[1]).slice(0, 300)}`);
    }
    expect(wrong.join('\n\n')).toBe('');
  });

  it('answers LATERAL subqueries as DuckDB does', async () => {
    const queries = [
      'SELECT o.id, x.b FROM o, LATERAL (SELECT i.b FROM i WHERE i.a = o.a) x ORDER BY 1, 2',
      'SELECT o.id, x.b FROM o, LATERAL (SELECT i.b FROM i WHERE i.a > o.a AND i.s = o.s) x ORDER BY 1, 2',
      'SELECT o.id, x.c FROM o LEFT JOIN LATERAL (SELECT count(*) AS c FROM i WHERE i.a > o.a) x ON true ORDER BY 1, 2',
      'SELECT o.id, x.c FROM o CROSS JOIN LATERAL (SELECT count(*) AS c, max(i.b) AS m FROM i WHERE i.a = o.a) x ORDER BY 1, 2',
      'SELECT o.id, x.b FROM o LEFT JOIN LATERAL (SELECT i.b FROM i WHERE i.a = o.a ORDER BY i.b DESC NULLS LAST, i.id LIMIT 2) x ON x.b > o.b ORDER BY 1, 2',
      'SELECT o.id, x.s FROM o JOIN LATERAL (SELECT i.s, sum(i.b) AS t FROM i WHERE i.a = o.a GROUP BY i.s) x ON x.t > 3 ORDER BY 1, 2',
      'SELECT o.id, y.t, z.u FROM o, LATERAL (SELECT o.b * 2 AS t) y, LATERAL (SELECT y.t + k.b AS u FROM k WHERE k.a = o.a) z ORDER BY 1, 2, 3',
      'SELECT o.id, (SELECT count(*) FROM i, LATERAL (SELECT k.b FROM k WHERE k.a = i.a AND k.b < o.b) x) FROM o ORDER BY 1',
      'SELECT o.id, x.b FROM o, LATERAL (SELECT i.b FROM i WHERE i.a = o.a UNION SELECT k.b FROM k WHERE k.s = o.s) x ORDER BY 1, 2',
    ];
    const wrong: string[] = [];
    for (const sql of queries) {
      const [mine, theirs] = [await strata(sql), await duckdb(sql)];
      if (JSON.stringify(mine) !== JSON.stringify(theirs)) wrong.push(`${sql}\n  Strata: ${JSON.stringify(mine).slice(0, 300)}\n  DuckDB: ${JSON.stringify(theirs).slice(0, 300)}`);
    }
    expect(wrong.join('\n\n')).toBe('');
    await expect(s.execute('SELECT o.id FROM o FULL JOIN LATERAL (SELECT i.b FROM i WHERE i.a = o.a) x ON true')).rejects.toMatchObject({ code: 'FEATURE_NOT_SUPPORTED', message: expect.stringContaining('INNER or LEFT JOIN only') });
  });

  it('reports a scalar subquery with two rows as a cardinality violation', async () => {
    await expect(s.execute('SELECT id, (SELECT i.b FROM i WHERE i.a = o.a) FROM o')).rejects.toMatchObject({ code: 'CARDINALITY_VIOLATION', message: expect.stringContaining('more than one row returned by a subquery used as an expression') });
    await expect(s.execute('SELECT id FROM o WHERE a = (SELECT a FROM i)')).rejects.toMatchObject({ code: 'CARDINALITY_VIOLATION' });
  });
});
