// Query results cross-checked against DuckDB. A seeded generator writes two tables to CSV; both
// engines load the same files (Strata with COPY, DuckDB with read_csv and the same column types)
// and answer the same nontrivial queries. Rows are compared value by value: decimals, dates and
// strings as exact text, doubles within 1e-9 relative error; unordered results are sorted first.
// Where Redshift's semantics differ from DuckDB's (integer AVG truncates, integer division), the
// queries avoid or adapt the construct.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWriteStream, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { Database, type Result, type Session } from '../../../engine/database.ts';
import { rng } from '../../support/rng.ts';


const COLORS = ['red', 'green', 'blue', 'amber', 'violet', 'Teal', 'black'];
const WORDS = ['alpha', 'beta', 'gamma', 'delta', 'epsilon', 'zeta', 'eta', 'theta', 'iota', 'kappa'];

function isoDate(day: number): string {
  return new Date(day * 86_400_000).toISOString().slice(0, 10);
}

/** Decimal text with 2 places from an integer number of cents. */
function cents(c: number): string {
  const neg = c < 0;
  const a = Math.abs(c);
  return `${neg ? '-' : ''}${Math.floor(a / 100)}.${String(a % 100).padStart(2, '0')}`;
}

const T1_ROWS = 6000;
const T2_ROWS = 4000;
const T1_COLUMNS = 'id INTEGER, grp INTEGER, n INTEGER, amt DECIMAL(12,2), x DOUBLE PRECISION, color VARCHAR(10), name VARCHAR(40), d DATE';
const T2_COLUMNS = 't1_id INTEGER, color VARCHAR(10), qty INTEGER, price DECIMAL(12,2), shipped DATE';

/** t1: ints with NULLs, decimals, doubles, low- and high-cardinality strings, dates. */
function t1Csv(): string {
  const r = rng(42);
  const lines = ['id,grp,n,amt,x,color,name,d'];
  const base = Math.floor(Date.UTC(2019, 0, 1) / 86_400_000);
  for (let id = 1; id <= T1_ROWS; id++) {
    const grp = r() < 0.08 ? '' : String(Math.floor(r() * 9));
    const n = r() < 0.15 ? '' : String(Math.floor(r() * 2001) - 1000);
    const amt = r() < 0.05 ? '' : cents(Math.floor(r() * 20_000_001) - 5_000_000);
    const x = r() < 0.05 ? '' : String((r() - 0.3) * 1000 * (r() < 0.1 ? 1e6 : 1));
    const color = r() < 0.1 ? '' : COLORS[Math.floor(r() * COLORS.length)];
    const name = `${WORDS[Math.floor(r() * WORDS.length)]}_${Math.floor(r() * 100000)}${r() < 0.2 ? ' x' : ''}`;
    const d = r() < 0.05 ? '' : isoDate(base + Math.floor(r() * 1600));
    lines.push([id, grp, n, amt, x, color, name, d].join(','));
  }
  return lines.join('\n') + '\n';
}

/** t2: rows referencing t1 (some ids missing from t1, some NULL), for joins. */
function t2Csv(): string {
  const r = rng(7);
  const lines = ['t1_id,color,qty,price,shipped'];
  const base = Math.floor(Date.UTC(2019, 6, 1) / 86_400_000);
  for (let i = 0; i < T2_ROWS; i++) {
    const t1 = r() < 0.05 ? '' : String(1 + Math.floor(r() * (T1_ROWS + 500)));
    const color = r() < 0.1 ? '' : COLORS[Math.floor(r() * COLORS.length)];
    const qty = r() < 0.1 ? '' : String(1 + Math.floor(r() * 40));
    const price = cents(Math.floor(r() * 100_000));
    const shipped = isoDate(base + Math.floor(r() * 900));
    lines.push([t1, color, qty, price, shipped].join(','));
  }
  return lines.join('\n') + '\n';
}

let dir: string;
let db: Database;
let s: Session;
let duck: DuckDBConnection;

/** The DuckDB column list for read_csv: {'id': 'INTEGER', ...}. */
function duckColumns(cols: string): string {
  return '{' + cols.split(', ').map((c) => {
    const [name, ...type] = c.split(' ');
    return `'${name}': '${type.join(' ').replace(/VARCHAR\(\d+\)/, 'VARCHAR')}'`;
  }).join(', ') + '}';
}

async function loadBoth(table: string, cols: string, file: string): Promise<void> {
  await s.execute(`CREATE TABLE ${table} (${cols}); COPY ${table} FROM '${file}' FORMAT CSV IGNOREHEADER 1`);
  await duck.run(`CREATE TABLE ${table} AS SELECT * FROM read_csv('${file}', header = true, columns = ${duckColumns(cols)}, nullstr = '', quote = '"')`);
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'strata-oracle-'));
  db = await Database.open({ dataDir: join(dir, 'data'), slices: 2 });
  s = db.connect();
  duck = await (await DuckDBInstance.create(':memory:')).connect();
  writeFileSync(join(dir, 't1.csv'), t1Csv());
  writeFileSync(join(dir, 't2.csv'), t2Csv());
  await loadBoth('t1', T1_COLUMNS, join(dir, 't1.csv'));
  await loadBoth('t2', T2_COLUMNS, join(dir, 't2.csv'));
}, 60_000);

afterAll(async () => {
  duck?.closeSync();
  await db?.close();
  rmSync(dir, { recursive: true, force: true });
});

type Cell = string | number | null;

/** Strata's values as comparable cells: numbers for doubles, text for everything else. */
function strataRows(r: Result): Cell[][] {
  const dbl = r.columns.map((c) => /^(DOUBLE|REAL|FLOAT)/.test(c.type));
  return r.rows.map((row) => row.map((v, i) => (v === null ? null : dbl[i] ? Number(v) : String(v))));
}

/** DuckDB's values as cells, typed by Strata's result columns. */
async function duckRows(sql: string, types: string[]): Promise<Cell[][]> {
  const reader = await duck.runAndReadAll(sql);
  return reader.getRows().map((row) => row.map((v, i) => {
    if (v === null || v === undefined) return null;
    if (/^(DOUBLE|REAL|FLOAT)/.test(types[i] ?? '')) return Number(typeof v === 'object' ? String(v) : v);
    return String(v);
  }));
}

const cmpCells = (a: Cell[], b: Cell[]): number => {
  for (let i = 0; i < a.length; i++) {
    const x = a[i], y = b[i];
    if (x === y) continue;
    if (x === null) return -1;
    if (y === null) return 1;
    if (typeof x === 'number' && typeof y === 'number') return x - y;
    return String(x) < String(y) ? -1 : 1;
  }
  return 0;
};

function close(a: number, b: number): boolean {
  if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) && Number.isNaN(b);
  return a === b || Math.abs(a - b) <= 1e-9 * Math.max(Math.abs(a), Math.abs(b));
}

/**
 * Runs `sql` on both engines (DuckDB gets `duckSql` when its spelling differs) and compares.
 * Without `ordered` both sides are sorted first.
 */
async function check(sql: string, opts: { ordered?: boolean; duckSql?: string; minRows?: number } = {}): Promise<void> {
  const results = await s.execute(sql);
  const r = results[results.length - 1];
  const types = r.columns.map((c) => c.type);
  let ours = strataRows(r);
  let theirs = await duckRows(opts.duckSql ?? sql, types);
  if (!opts.ordered) {
    ours = [...ours].sort(cmpCells);
    theirs = [...theirs].sort(cmpCells);
  }
  expect(ours.length, `row count of: ${sql}`).toBe(theirs.length);
  expect(ours.length, `too few rows to mean much: ${sql}`).toBeGreaterThanOrEqual(opts.minRows ?? 1);
  for (let i = 0; i < ours.length; i++) {
    const a = ours[i], b = theirs[i];
    const same = a.length === b.length && a.every((v, c) => (typeof v === 'number' && typeof b[c] === 'number' ? close(v, b[c] as number) : v === b[c]));
    if (!same) expect(`row ${i}: ${JSON.stringify(a)}`, `${sql}\ncolumns ${JSON.stringify(types)}`).toBe(`row ${i}: ${JSON.stringify(b)}`);
  }
}

describe('queries agree with DuckDB', () => {
  it('sanity: both engines loaded the same data', async () => {
    await check('SELECT count(*), count(grp), count(n), count(amt), count(x), count(color), count(d), sum(amt), sum(n), min(d), max(d), min(name), max(name) FROM t1');
    await check('SELECT count(*), count(t1_id), count(color), count(qty), sum(price), min(shipped), max(shipped) FROM t2');
  });

  const queries: [string, string, { ordered?: boolean; duckSql?: string; minRows?: number }?][] = [
    ['filters with AND/OR/NOT and NULLs',
      "SELECT id, n, amt FROM t1 WHERE (n > 500 OR amt < -40000) AND NOT (color = 'red') AND grp IS NOT NULL", { minRows: 50 }],
    ['BETWEEN, IN, LIKE',
      "SELECT id, name FROM t1 WHERE n BETWEEN -10 AND 10 AND color IN ('blue', 'Teal', 'black') OR name LIKE 'kappa_1%x'", { minRows: 5 }],
    ['GROUP BY two keys including NULL keys',
      'SELECT grp, color, count(*), count(n), sum(n), sum(amt), min(x), max(d) FROM t1 GROUP BY grp, color', { minRows: 60 }],
    ['GROUP BY three keys with an expression key',
      'SELECT grp, color, EXTRACT(year FROM d) AS y, count(*), sum(amt) FROM t1 GROUP BY grp, color, EXTRACT(year FROM d)', { minRows: 300 }],
    ['HAVING on aggregates',
      'SELECT color, grp, sum(amt) AS s FROM t1 GROUP BY color, grp HAVING count(*) > 80 AND sum(amt) > 0', { minRows: 3 }],
    ['aggregates over doubles',
      'SELECT grp, sum(x), min(x), max(x), avg(x) FROM t1 GROUP BY grp', { minRows: 9 }],
    // AVG(DECIMAL(12,2)) is a DECIMAL(38,2), as in Redshift (DuckDB's is a DOUBLE: rounded to 2 places here)
    ['average of decimals and integer AVG as Redshift truncates it (DuckDB: trunc of the exact mean)',
      'SELECT grp, avg(amt), avg(n) FROM t1 GROUP BY grp',
      { duckSql: 'SELECT grp, round(avg(amt), 2)::DECIMAL(38,2), trunc(sum(n) / count(n))::BIGINT FROM t1 GROUP BY grp' }],
    ['inner join with aggregate',
      'SELECT t1.color, count(*), sum(t2.qty), sum(t2.price * t2.qty) FROM t1 JOIN t2 ON t1.id = t2.t1_id GROUP BY t1.color', { minRows: 7 }],
    ['LEFT JOIN keeps unmatched rows with NULLs',
      'SELECT t2.t1_id, t2.qty, t1.id, t1.name FROM t2 LEFT JOIN t1 ON t1.id = t2.t1_id WHERE t2.qty > 35', { minRows: 100 }],
    ['LEFT JOIN counting unmatched',
      'SELECT count(*), count(t1.id), sum(CASE WHEN t1.id IS NULL THEN 1 ELSE 0 END) FROM t2 LEFT JOIN t1 ON t1.id = t2.t1_id'],
    ['join on two keys',
      'SELECT t1.id, t2.qty FROM t1 JOIN t2 ON t1.id = t2.t1_id AND t1.color = t2.color', { minRows: 50 }],
    ['ORDER BY with NULLS FIRST and LIMIT/OFFSET',
      'SELECT id, n, amt FROM t1 ORDER BY n DESC NULLS FIRST, id LIMIT 25 OFFSET 880', { ordered: true, minRows: 25 }],
    ['ORDER BY with NULLS LAST on two keys',
      'SELECT grp, d, id FROM t1 ORDER BY grp NULLS LAST, d DESC NULLS LAST, id LIMIT 40 OFFSET 5500', { ordered: true, minRows: 40 }],
    ['ORDER BY a string and a decimal',
      'SELECT color, amt, id FROM t1 WHERE amt IS NOT NULL ORDER BY color NULLS FIRST, amt DESC, id LIMIT 30', { ordered: true, minRows: 30 }],
    ['DISTINCT over two columns',
      'SELECT DISTINCT grp, color FROM t1', { minRows: 60 }],
    ['COUNT(DISTINCT) per group',
      'SELECT grp, count(DISTINCT color), count(DISTINCT n), count(DISTINCT d) FROM t1 GROUP BY grp', { minRows: 9 }],
    ['CASE with ranges and ELSE',
      "SELECT CASE WHEN amt IS NULL THEN 'none' WHEN amt < 0 THEN 'neg' WHEN amt < 50000 THEN 'small' ELSE 'big' END AS bucket, count(*), sum(amt) FROM t1 GROUP BY 1"],
    ['simple CASE and COALESCE/NULLIF',
      "SELECT id, CASE color WHEN 'red' THEN 1 WHEN 'blue' THEN 2 ELSE 0 END, coalesce(n, grp, -1), nullif(grp, 3) FROM t1 WHERE id % 7 = 0", { minRows: 100 }],
    ['string functions',
      "SELECT id, upper(color), lower(name), length(name), substring(name, 2, 4), trim(' ' || color || ' '), replace(name, 'a', 'A'), position('_' IN name), name || '#' || coalesce(color, '?') FROM t1 WHERE id < 300", { minRows: 299 }],
    ['string functions in filters and grouping',
      "SELECT left(name, 3), count(*), max(right(name, 2)) FROM t1 WHERE lower(name) LIKE '%ta%' GROUP BY left(name, 3)", { minRows: 3 }],
    ['date arithmetic and EXTRACT',
      "SELECT id, d + 30, d - 7, EXTRACT(year FROM d), EXTRACT(month FROM d), EXTRACT(day FROM d), EXTRACT(dow FROM d), DATE '2024-01-01' - d FROM t1 WHERE id < 200", { minRows: 150 }],
    ['date filters and grouping by month',
      "SELECT date_trunc('month', d)::DATE AS m, count(*) FROM t1 WHERE d >= DATE '2020-02-29' AND d < DATE '2021-03-01' GROUP BY 1", { minRows: 12 }],
    ['IN subquery',
      'SELECT id, color FROM t1 WHERE id IN (SELECT t1_id FROM t2 WHERE qty > 38)', { minRows: 50 }],
    ['NOT IN subquery without NULLs',
      'SELECT count(*) FROM t1 WHERE id NOT IN (SELECT t1_id FROM t2 WHERE t1_id IS NOT NULL)'],
    ['EXISTS correlated',
      "SELECT id FROM t1 WHERE EXISTS (SELECT 1 FROM t2 WHERE t2.t1_id = t1.id AND t2.color = 'red')", { minRows: 50 }],
    ['NOT EXISTS correlated',
      'SELECT count(*), sum(amt) FROM t1 WHERE NOT EXISTS (SELECT 1 FROM t2 WHERE t2.t1_id = t1.id)'],
    ['scalar subquery',
      'SELECT id, amt FROM t1 WHERE amt > (SELECT avg(price) * 10 FROM t2) AND grp = 3', { minRows: 50 }],
    ['correlated scalar subquery',
      'SELECT id, (SELECT sum(qty) FROM t2 WHERE t2.t1_id = t1.id) AS q FROM t1 WHERE id <= 500', { minRows: 500 }],
    ['correlated scalar subquery in WHERE',
      'SELECT id, n FROM t1 a WHERE n > (SELECT avg(b.n) FROM t1 b WHERE b.grp = a.grp) + 900', { minRows: 5,
        duckSql: 'SELECT id, n FROM t1 a WHERE n > (SELECT trunc(sum(b.n)::HUGEINT / count(b.n)) FROM t1 b WHERE b.grp = a.grp) + 900' }],
    ['derived table joined back',
      'SELECT t1.grp, t1.id, t1.amt FROM t1 JOIN (SELECT grp, max(amt) AS m FROM t1 GROUP BY grp) g ON t1.grp = g.grp AND t1.amt = g.m', { minRows: 9 }],
    ['UNION and UNION ALL',
      "SELECT color FROM t1 WHERE grp = 1 UNION SELECT color FROM t2 WHERE qty = 3 UNION ALL SELECT 'extra'", { minRows: 5 }],
    ['EXCEPT and INTERSECT',
      'SELECT t1_id FROM t2 EXCEPT SELECT id FROM t1 WHERE grp IS NOT NULL', { minRows: 100 }],
    ['INTERSECT',
      'SELECT id FROM t1 WHERE n > 0 INTERSECT SELECT t1_id FROM t2 WHERE qty < 10', { minRows: 50 }],
    ['row_number and rank over partitions',
      'SELECT id, grp, row_number() OVER (PARTITION BY grp ORDER BY amt DESC NULLS LAST, id), rank() OVER (PARTITION BY color ORDER BY grp NULLS FIRST) FROM t1', { minRows: T1_ROWS }],
    ['dense_rank and running sum',
      'SELECT id, dense_rank() OVER (PARTITION BY color ORDER BY grp), sum(amt) OVER (PARTITION BY grp ORDER BY id ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) FROM t1', { minRows: T1_ROWS }],
    ['partition totals next to rows',
      'SELECT id, sum(n) OVER (PARTITION BY grp, color), count(*) OVER (PARTITION BY color) FROM t1 WHERE id % 3 = 0', { minRows: 1000 }],
    ['top-N per group through a window in a derived table',
      'SELECT grp, id, amt FROM (SELECT grp, id, amt, row_number() OVER (PARTITION BY grp ORDER BY amt DESC, id) AS rn FROM t1 WHERE amt IS NOT NULL) x WHERE rn <= 3', { minRows: 27 }],
    ['decimal arithmetic in projections',
      'SELECT id, amt * 3, amt + price, amt - price * qty, round(amt, 1), abs(amt) FROM t1 JOIN t2 ON t1.id = t2.t1_id WHERE id < 2000', { minRows: 500 }],
    ['casts between types',
      'SELECT id, CAST(amt AS INTEGER), CAST(n AS DECIMAL(12,2)), CAST(id AS VARCHAR(10)), CAST(d AS VARCHAR(10)) FROM t1 WHERE id < 100', { minRows: 99 }],
    ['GROUP BY on joined tables with HAVING and ORDER BY',
      'SELECT t2.color, t1.grp, count(*) AS c, sum(qty) FROM t1 JOIN t2 ON t1.id = t2.t1_id GROUP BY t2.color, t1.grp HAVING count(*) >= 20 ORDER BY c DESC, t2.color NULLS LAST, t1.grp NULLS LAST', { ordered: true, minRows: 20 }],
    ['WITH clause',
      'WITH big AS (SELECT id, grp FROM t1 WHERE amt > 100000), cnt AS (SELECT grp, count(*) AS c FROM big GROUP BY grp) SELECT grp, c FROM cnt WHERE c > 10', { minRows: 5 }],
  ];

  for (const [name, sql, opts] of queries) it(name, () => check(sql, opts));
});

describe('exact decimals at scale', () => {
  it('SUM of 2,000,000 DECIMAL(12,2) values loaded by COPY is exact to the last digit', async () => {
    const N = 2_000_000;
    const file = join(dir, 'big.csv');
    const r = rng(2024);
    const out = createWriteStream(file);
    let want = 0n, wantPos = 0n;
    let chunk: string[] = [];
    for (let i = 0; i < N; i++) {
      // up to ±9,999,999,999.99: the total goes far beyond 2^53 cents
      const c = Math.floor(r() * 999_999_999_999) * (r() < 0.45 ? -1 : 1) + (i % 100);
      want += BigInt(c);
      if (c > 0) wantPos += BigInt(c);
      chunk.push(`${i % 10},${cents(c)}`);
      if (chunk.length === 50_000) {
        if (!out.write(chunk.join('\n') + '\n')) await once(out, 'drain');
        chunk = [];
      }
    }
    out.end(chunk.length ? chunk.join('\n') + '\n' : '');
    await once(out, 'finish');
    const text = (c: bigint) => `${c < 0n ? '-' : ''}${(c < 0n ? -c : c) / 100n}.${String((c < 0n ? -c : c) % 100n).padStart(2, '0')}`;
    await s.execute(`CREATE TABLE big (k INTEGER, v DECIMAL(12,2)); COPY big FROM '${file}' FORMAT CSV`);
    const [res] = await s.execute('SELECT count(*), sum(v), sum(CASE WHEN v > 0 THEN v END) FROM big');
    expect(res.rows[0]).toEqual([N, text(want), text(wantPos)]);
    await duck.run(`CREATE TABLE big AS SELECT * FROM read_csv('${file}', header = false, columns = {'k': 'INTEGER', 'v': 'DECIMAL(12,2)'})`);
    const d = (await duck.runAndReadAll('SELECT sum(v)::VARCHAR FROM big')).getRows()[0][0];
    expect(d).toBe(text(want));
    // per-group sums too, against DuckDB
    await check('SELECT k, sum(v), count(*) FROM big GROUP BY k', { minRows: 10 });
  }, 60_000);
});
