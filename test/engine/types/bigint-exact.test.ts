// BIGINT is exact over the whole int64 range wherever a user can see it: functions, aggregates,
// windows, grouping, joins, sorting, casts and zone-map pruning. The same seeded values (near
// ±2^63, 2^53 ± k, small, random over the full range, NULLs) go into Strata and DuckDB, and
// every query's rows must be equal as text. Where DuckDB answers in doubles (median, ceil) its
// query says the same thing exactly (through DECIMAL); where Redshift differs (AVG truncates,
// MEDIAN of BIGINT is a DECIMAL), the DuckDB side is written to compute Redshift's answer.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { Database, type Session } from '../../../engine/database.ts';
import { rng } from '../../support/rng.ts';

const TWO53 = 2n ** 53n;
const I64_MAX = 2n ** 63n - 1n;
const I64_MIN = -(2n ** 63n);

/** The test's values: every edge of the double and int64 ranges, then seeded ones around them. */
function values(): (bigint | null)[] {
  const r = rng(2026);
  const out: (bigint | null)[] = [I64_MAX, I64_MIN, I64_MAX - 1n, I64_MIN + 1n, TWO53 - 1n, TWO53, TWO53 + 1n, TWO53 + 2n,
    -TWO53 - 1n, 0n, 42n, -7n, null, TWO53 + 1n, 2n ** 60n + 1n, 2n ** 60n];
  const near = (c: bigint, spread: number) => c + BigInt(Math.floor(r() * spread) - spread / 2);
  for (let i = 0; i < 240; i++) {
    const pick = r();
    if (pick < 0.3) out.push(near(r() < 0.5 ? TWO53 : -TWO53, 40)); // neighbours that share a double
    else if (pick < 0.45) out.push(I64_MAX - BigInt(Math.floor(r() * 1000)));
    else if (pick < 0.6) out.push(I64_MIN + BigInt(Math.floor(r() * 1000)));
    else if (pick < 0.9) out.push(BigInt.asIntN(64, (BigInt(Math.floor(r() * 2 ** 32)) << 32n) | BigInt(Math.floor(r() * 2 ** 32))));
    else if (pick < 0.95) out.push(BigInt(Math.floor(r() * 2000) - 1000));
    else out.push(null);
  }
  return out;
}

/** A value as both engines print it. */
const text = (v: unknown) => (v === null || v === undefined ? 'NULL' : String(v));

/** [Strata SQL, DuckDB SQL (the same when omitted)] */
type Case = [string, string?];

// `safe` keeps rows whose sums and products stay inside int64 (Redshift's SUM(BIGINT) is a BIGINT)
const SAFE = 'x BETWEEN -1152921504606846976 AND 1152921504606846976';

const CASES: Case[] = [
  // scalar functions
  ['SELECT id, abs(x), sign(x), round(x), trunc(x) FROM b WHERE x > -9223372036854775808 ORDER BY id'],
  ['SELECT id, round(x, -3), trunc(x, -3), round(x, 2) FROM b WHERE x BETWEEN -9223372036854775000 AND 9223372036854775000 ORDER BY id',
    'SELECT id, round(x::DECIMAL(38,0), -3)::BIGINT, (x / 1000) * 1000, x FROM b WHERE x BETWEEN -9223372036854775000 AND 9223372036854775000 ORDER BY id'],
  ['SELECT id, ceil(x), floor(x), ceiling(x) FROM b ORDER BY id',
    'SELECT id, ceil(x::DECIMAL(38,0))::BIGINT, floor(x::DECIMAL(38,0))::BIGINT, x FROM b ORDER BY id'],
  ['SELECT id, mod(x, 1000), x % 7, x / 1000, -x FROM b WHERE x > -9223372036854775808 ORDER BY id'],
  ['SELECT id, x + 1, x - 1, x * 3 FROM b WHERE x BETWEEN -3074457345618258602 AND 3074457345618258602 ORDER BY id'],
  ['SELECT id, to_hex(x) FROM b WHERE x >= 0 ORDER BY id', "SELECT id, lower(hex(x)) FROM b WHERE x >= 0 ORDER BY id"],
  ['SELECT id, greatest(x, 9007199254740992), least(x, -9007199254740993), nvl(x, 1), nullif(x, 9007199254740993) FROM b ORDER BY id',
    'SELECT id, greatest(x, 9007199254740992), least(x, -9007199254740993), coalesce(x, 1), nullif(x, 9007199254740993) FROM b ORDER BY id'],
  // casts
  ['SELECT id, CAST(x AS VARCHAR), CAST(x AS DECIMAL(38,2)), CAST(CAST(x AS VARCHAR) AS BIGINT), CAST(CAST(x AS DECIMAL(19,0)) AS BIGINT) FROM b ORDER BY id'],
  ['SELECT id, CAST(x AS DOUBLE PRECISION), sqrt(abs(CAST(x AS DOUBLE PRECISION))) = sqrt(abs(x)) FROM b WHERE x BETWEEN -9223372036854775000 AND 9223372036854775000 ORDER BY id'],
  // comparisons, IN, BETWEEN, CASE
  ['SELECT id FROM b WHERE x = 9007199254740993 ORDER BY id'],
  ['SELECT id FROM b WHERE x IN (9007199254740993, -9007199254740993, 1152921504606846977) ORDER BY id'],
  ['SELECT id FROM b WHERE x BETWEEN 9007199254740992 AND 9007199254741000 ORDER BY id'],
  ['SELECT id, CASE WHEN x > 9007199254740992 THEN x ELSE -x END FROM b WHERE x > -9223372036854775808 ORDER BY id'],
  // aggregates
  ['SELECT g, count(x), min(x), max(x), count(DISTINCT x) FROM b GROUP BY g ORDER BY g'],
  [`SELECT g, sum(x), avg(x), sum(DISTINCT x) FROM b WHERE ${SAFE} GROUP BY g ORDER BY g`,
    `SELECT g, sum(x), sum(x) / count(x), sum(DISTINCT x) FROM b WHERE ${SAFE} GROUP BY g ORDER BY g`],
  ['SELECT g, percentile_disc(0.5) WITHIN GROUP (ORDER BY x), percentile_disc(0.9) WITHIN GROUP (ORDER BY x DESC) FROM b GROUP BY g ORDER BY g'],
  // grouping, distinct, joins and sorting keep neighbours that share a double apart
  ['SELECT x, count(*) FROM b GROUP BY x ORDER BY x NULLS LAST'],
  ['SELECT DISTINCT x FROM b WHERE x IS NOT NULL ORDER BY x DESC'],
  ['SELECT p.id, q.id FROM b p JOIN b q ON p.x = q.x WHERE p.id < q.id ORDER BY 1, 2'],
  ['SELECT count(*) FROM b p JOIN (SELECT x + 1 AS y FROM b WHERE x < 9223372036854775807) q ON p.x = q.y'],
  ['SELECT id, x FROM b ORDER BY x DESC NULLS LAST, id LIMIT 40'],
  ['SELECT x FROM b WHERE x > 0 UNION SELECT x + 1 FROM b WHERE x BETWEEN 0 AND 9007199254741000 ORDER BY 1'],
  // windows
  [`SELECT id, sum(x) OVER (ORDER BY id ROWS BETWEEN 2 PRECEDING AND CURRENT ROW), min(x) OVER (ORDER BY id ROWS BETWEEN 1 PRECEDING AND 1 FOLLOWING), max(x) OVER (PARTITION BY g) FROM b WHERE ${SAFE} ORDER BY id`],
  ['SELECT id, lag(x) OVER (ORDER BY id), lead(x, 2) OVER (ORDER BY id), first_value(x) OVER (PARTITION BY g ORDER BY id ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW), rank() OVER (ORDER BY x NULLS LAST) FROM b ORDER BY id'],
  ['SELECT id, count(*) OVER (PARTITION BY x) FROM b ORDER BY id'],
];

describe('BIGINT exact over int64, against DuckDB', () => {
  let dir = '';
  let db: Database;
  let s: Session;
  let duck: DuckDBConnection;
  const vals = values();
  const rowsSql = vals.map((v, i) => `(${i}, ${i % 5}, ${v === null ? 'NULL' : v})`).join(', ');

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'strata-bigint-'));
    db = await Database.open({ dataDir: dir, slices: 2 });
    s = db.connect();
    duck = await (await DuckDBInstance.create(':memory:')).connect();
    await duck.run('SET integer_division = true');
    for (const sql of ['CREATE TABLE b (id INTEGER, g INTEGER, x BIGINT)', `INSERT INTO b VALUES ${rowsSql}`]) {
      await s.execute(sql);
      await duck.run(sql);
    }
  }, 60_000);

  afterAll(async () => {
    await s?.close();
    await db?.close();
    duck?.closeSync();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('answers every query as DuckDB does', async () => {
    for (const [ours, theirs] of CASES) {
      const got = await s.execute(ours).then((r) => r.at(-1)!.rows.map((row) => row.map(text).join('|')), (e: Error) => [`${ours}: ${e.message}`]);
      const want = (await duck.runAndReadAll(theirs ?? ours)).getRows().map((r) => r.map(text).join('|'));
      expect(got.length, ours).toBeGreaterThan(0);
      expect(got, ours).toEqual(want);
    }
  }, 60_000);

  // DuckDB interpolates DECIMAL quantiles through doubles (-9007199254740977.6 for a midpoint of
  // two integers), so the exact answer is computed here with BigInt: RN = 1 + f(N - 1), as Redshift
  // documents, at k fraction digits (f = num / 10^k)
  it('interpolates MEDIAN and PERCENTILE_CONT exactly', async () => {
    const exact = (xs: bigint[], num: bigint, k: number, desc: boolean) => {
      const s = xs.slice().sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
      if (desc) s.reverse();
      const pow = 10n ** BigInt(k), p = num * BigInt(s.length - 1);
      const lo = Number(p / pow), rem = p % pow;
      const v = s[lo] * pow + (rem === 0n ? 0n : (s[lo + 1] - s[lo]) * rem);
      const neg = v < 0n, a = neg ? -v : v;
      return `${neg ? '-' : ''}${a / pow}.${String(a % pow).padStart(k, '0')}`;
    };
    const got = (await s.execute('SELECT g, median(x), percentile_cont(0.25) WITHIN GROUP (ORDER BY x), percentile_cont(0.1) WITHIN GROUP (ORDER BY x DESC) FROM b GROUP BY g ORDER BY g')).at(-1)!.rows;
    expect(got.map((r) => r.map(text))).toEqual([0, 1, 2, 3, 4].map((g) => {
      const xs = vals.filter((v, i) => v !== null && i % 5 === g) as bigint[];
      return [String(g), exact(xs, 5n, 1, false), exact(xs, 25n, 2, false), exact(xs, 1n, 1, true)];
    }));
  });

  // 8192 consecutive keys across 2^53 (pairs share a double): enough groups for the slices'
  // final aggregation, each kept apart
  it('keeps thousands of neighbouring keys apart in GROUP BY and DISTINCT', async () => {
    await s.execute('CREATE TABLE many (x BIGINT)');
    await s.execute('INSERT INTO many VALUES (9007199254740000)');
    for (let k = 0; k < 13; k++) await s.execute(`INSERT INTO many SELECT x + ${2 ** k} FROM many`);
    const one = async (sql: string) => (await s.execute(sql)).at(-1)!.rows[0];
    expect(await one('SELECT count(*), count(DISTINCT x), max(x) FROM many')).toEqual([8192, 8192, '9007199254748191']);
    expect(await one('SELECT count(*), max(c) FROM (SELECT x, count(*) AS c FROM many GROUP BY x) g')).toEqual([8192, 1]);
    expect(await one('SELECT count(*) FROM (SELECT DISTINCT x * 100 FROM many) d')).toEqual([8192]);
  }, 60_000);

  it('raises NUMERIC_OVERFLOW only past int64', async () => {
    for (const sql of [
      'SELECT abs(x) FROM b WHERE x = -9223372036854775808',
      'SELECT -x FROM b WHERE x = -9223372036854775808',
      'SELECT x + 1 FROM b WHERE x = 9223372036854775807',
      'SELECT x * 8 FROM b WHERE x = 1152921504606846976',
      'SELECT round(x, -1) FROM b WHERE x = 9223372036854775807',
      'SELECT sum(x) FROM b WHERE x > 9223372036854775000',
    ]) await expect(s.execute(sql), sql).rejects.toMatchObject({ code: 'NUMERIC_OVERFLOW' });
  });

  it('prunes segments by exact int64 (and 38-digit DECIMAL) zone maps', async () => {
    // one segment per INSERT: each holds one value, and neighbours past 2^53 share a double
    await s.execute('CREATE TABLE z (x BIGINT)');
    const zs = [TWO53, TWO53 + 1n, TWO53 + 2n, TWO53 + 3n, I64_MAX, I64_MAX - 1n, -TWO53 - 1n];
    for (const v of zs) await s.execute(`INSERT INTO z VALUES (${v})`);
    for (const v of [...zs, TWO53 + 5n, I64_MIN]) {
      for (const op of ['=', '<', '>=']) {
        const where = `x ${op} ${v}`;
        const rows = (await s.execute(`SELECT x FROM z WHERE ${where} ORDER BY x`)).at(-1)!.rows.map((r) => BigInt(r[0] as string | number));
        const want = zs.filter((x) => (op === '=' ? x === v : op === '<' ? x < v : x >= v)).sort((a, b) => (a < b ? -1 : 1));
        expect(rows, where).toEqual(want);
        // every segment without a matching row is skipped by its zone map, never one with one
        const plan = (await s.execute(`EXPLAIN ANALYZE SELECT x FROM z WHERE ${where}`)).at(-1)!.rows.map((r) => r[0]).join('\n');
        const [, scanned, pruned] = /segments scanned (\d+), pruned by zone maps (\d+)/.exec(plan)!.map(Number);
        // (-2^63 is written as a DECIMAL literal, since 2^63 is not a BIGINT, so it compares as DECIMAL)
        if (v !== I64_MIN) expect({ where, scanned, pruned }).toEqual({ where, scanned: want.length, pruned: zs.length - want.length });
      }
    }
    // a DECIMAL(38,2) whose scaled values pass 2^53 (stored as Decimal128) prunes the same way
    await s.execute('CREATE TABLE zd (x DECIMAL(38,2))');
    const ds = ['90071992547409.92', '90071992547409.93', '90071992547409.94', '-90071992547409.93'];
    for (const v of ds) await s.execute(`INSERT INTO zd VALUES (${v})`);
    for (const v of ds) {
      const rows = (await s.execute(`SELECT x FROM zd WHERE x = ${v}`)).at(-1)!.rows;
      expect(rows, v).toEqual([[v]]);
      const plan = (await s.execute(`EXPLAIN ANALYZE SELECT x FROM zd WHERE x = ${v}`)).at(-1)!.rows.map((r) => r[0]).join('\n');
      expect(/segments scanned (\d+), pruned by zone maps (\d+)/.exec(plan)!.slice(1), v).toEqual(['1', '3']);
    }
  }, 60_000);
});
