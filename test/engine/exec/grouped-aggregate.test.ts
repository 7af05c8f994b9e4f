// Grouped aggregation keeps a group's numbers side by side (exec/aggregate.ts CellLayout) while
// rows are added, and one array per state for merging and results. Answers are checked against
// DuckDB over the same rows: few groups from dictionary codes and many from the hash table,
// NULL keys and NULL inputs, DECIMAL sums past 2^53 (exact) and products of DECIMALs, every
// numeric aggregate, and empty inputs. A table that merges partial states and then takes more
// rows (both layouts in turn) must give what one table given every row gives. Over rows without
// NULLs the kernels' call-free updates run, handing rows past the exact range to the checked code.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Session } from '../../../engine/database.ts';
import { GroupTable, type AggSpec } from '../../../engine/exec/aggregate.ts';
import type { BAgg, BExpr } from '../../../engine/plan/bound.ts';
import { T } from '../../../engine/types/types.ts';
import type { Batch, Vector } from '../../../engine/types/vector.ts';
import { type DuckDBSession, translateToDuckDB } from '../../support/verify-with-duckdb.ts';
import { openTwinEngines, type TwinEngines } from '../../support/twin-engines.ts';

let s: Session;
let duck: DuckDBSession;
let twins: TwinEngines | undefined;

// 60,000 rows over 2 slices, inserted in two statements: each slice adds two segments' batches.
const SETUP = [
  'CREATE TABLE d (n INTEGER)',
  'INSERT INTO d VALUES (0), (1), (2), (3), (4), (5), (6), (7), (8), (9)',
  `CREATE TABLE t (x INTEGER, f CHAR(1), st CHAR(1), k INTEGER, i INTEGER, p DECIMAL(12,2), q DECIMAL(12,2), w DECIMAL(18,2), b BOOLEAN, note VARCHAR(6), s2 VARCHAR(6))`,
  // f: 3 flags and NULL on every 11th row; st: 2 values; k: 5,000 keys, NULL on every 23rd row;
  // i NULL on every 13th row; p NULL on every 17th, at the ends of DECIMAL(12,2) on every 7th;
  // w near 10^16 (scaled past 2^53) on every 5th row, so its sums pass 2^53 and come back
  `INSERT INTO t SELECT x,
     CASE WHEN x % 11 = 0 THEN NULL WHEN x % 3 = 0 THEN 'A' WHEN x % 3 = 1 THEN 'N' ELSE 'R' END,
     CASE WHEN x % 4 < 2 THEN 'F' ELSE 'O' END,
     CASE WHEN x % 23 = 0 THEN NULL ELSE (x * 7) % 5000 END,
     CASE WHEN x % 13 = 0 THEN NULL ELSE x % 1000 - 300 END,
     CASE WHEN x % 17 = 0 THEN NULL WHEN x % 7 = 0 THEN 9999999999.99 WHEN x % 7 = 1 THEN -9999999999.99 ELSE CAST(x % 977 AS DECIMAL(12,2)) / 100 END,
     CAST(x % 31 AS DECIMAL(12,2)) / 100,
     CASE WHEN x % 5 = 0 THEN 9999999999999999.99 - x WHEN x % 5 = 1 THEN -9999999999999999.99 + x ELSE CAST(x AS DECIMAL(18,2)) END,
     x % 9 <> 0,
     'n' || CAST(x % 40 AS VARCHAR(3)),
     's' || CAST(x % 2000 AS VARCHAR(4))
   FROM (SELECT a.n * 100000 + b.n * 10000 + c.n * 1000 + e.n * 100 + f.n * 10 + g.n AS x FROM d a, d b, d c, d e, d f, d g) r WHERE x < 30000`,
  `INSERT INTO t SELECT x,
     CASE WHEN x % 11 = 0 THEN NULL WHEN x % 3 = 0 THEN 'A' WHEN x % 3 = 1 THEN 'N' ELSE 'R' END,
     CASE WHEN x % 4 < 2 THEN 'F' ELSE 'O' END,
     CASE WHEN x % 23 = 0 THEN NULL ELSE (x * 7) % 5000 END,
     CASE WHEN x % 13 = 0 THEN NULL ELSE x % 1000 - 300 END,
     CASE WHEN x % 17 = 0 THEN NULL WHEN x % 7 = 0 THEN 9999999999.99 WHEN x % 7 = 1 THEN -9999999999.99 ELSE CAST(x % 977 AS DECIMAL(12,2)) / 100 END,
     CAST(x % 31 AS DECIMAL(12,2)) / 100,
     CASE WHEN x % 5 = 0 THEN 9999999999999999.99 - x WHEN x % 5 = 1 THEN -9999999999999999.99 + x ELSE CAST(x AS DECIMAL(18,2)) END,
     x % 9 <> 0,
     'n' || CAST(x % 40 AS VARCHAR(3)),
     's' || CAST(x % 2000 AS VARCHAR(4))
   FROM (SELECT a.n * 100000 + b.n * 10000 + c.n * 1000 + e.n * 100 + f.n * 10 + g.n AS x FROM d a, d b, d c, d e, d f, d g) r WHERE x >= 30000 AND x < 60000`,
  'CREATE TABLE empty (f CHAR(1), p DECIMAL(12,2))',
  // no NULLs, so the kernels' call-free updates run (exec/call-free-updates.ts): p near the ends
  // of DECIMAL(12,2) on 3 rows in 7, mostly positive, so its sums (and p * 100's, p * q * 10's)
  // pass 2^53; in the first statement's segments w near 10^16 (scaled past 2^53) on 3 rows in 5,
  // in the second's w just below 2^52 scaled, whose sums pass 2^53; big just below 2^53 on every 1,000th row
  // (the first statement's batches, with wide values, take the checked code alone)
  `CREATE TABLE u (f CHAR(1), st CHAR(1), k INTEGER, q DECIMAL(12,2), p DECIMAL(12,2), w DECIMAL(18,2), big BIGINT)`,
  ...[[0, 20000, '9999999999999999.99 - x'], [20000, 40000, '45035996273704.96 - x']].map(([from, to, wide]) => `INSERT INTO u SELECT
     CASE WHEN x % 3 = 0 THEN 'A' WHEN x % 3 = 1 THEN 'N' ELSE 'R' END,
     CASE WHEN x % 4 < 2 THEN 'F' ELSE 'O' END,
     (x * 7) % 500,
     CAST(x % 5000 AS DECIMAL(12,2)) / 100 - 20,
     CASE WHEN x % 7 IN (0, 2) THEN 9999999999.99 - x / 100 WHEN x % 7 = 1 THEN -9999999999.99 ELSE CAST(x % 977 AS DECIMAL(12,2)) / 100 END,
     CASE WHEN x % 5 < 2 THEN ${wide} WHEN x % 5 = 2 THEN -(${wide}) ELSE CAST(x AS DECIMAL(18,2)) END,
     CASE WHEN x % 1000 = 0 THEN 9007199254700000 + x ELSE x - 20000 END
   FROM (SELECT a.n * 10000 + b.n * 1000 + c.n * 100 + e.n * 10 + f.n AS x FROM d a, d b, d c, d e, d f, d g WHERE g.n < 4) r WHERE x >= ${from} AND x < ${to}`),
];

const rowsOf = async (sql: string) => { const r = await s.execute(sql); return (Array.isArray(r) ? r[r.length - 1] : r).rows; };
const duckRows = async (sql: string) => (await duck.execute(translateToDuckDB(sql)))[0].rows;

/** Strata's and DuckDB's rows for a query, sorted the same way (by their first columns, the keys). */
async function both(sql: string): Promise<[unknown[][], unknown[][]]> {
  const key = (r: unknown[]) => JSON.stringify(r.map((v) => (typeof v === 'number' || typeof v === 'bigint' ? String(v) : v)));
  const sort = (rows: unknown[][], keys: number) => rows.sort((a, b) => key(a.slice(0, keys)).localeCompare(key(b.slice(0, keys))));
  const keys = (/GROUP BY (.*)$/i.exec(sql)?.[1].split(',').length) ?? 0;
  return [sort(await rowsOf(sql) as unknown[][], keys), sort(await duckRows(sql) as unknown[][], keys)];
}

/**
 * One value of each engine agrees: exact values (DECIMAL sums, counts, integers) to the last
 * digit; where DuckDB answers a double (AVG, variances), within a unit of Strata's last digit
 * (Redshift's AVG of a DECIMAL keeps its scale, of an integer truncates) or 1e-9 relatively.
 */
function agree(got: unknown, want: unknown): boolean {
  if (typeof want !== 'number') return String(got) === String(want);
  const g = Number(got);
  const digits = typeof got === 'string' ? got.split('.')[1]?.length ?? 0 : Number.isInteger(got) ? 0 : null;
  const unit = digits === null ? 0 : 10 ** -digits;
  return Math.abs(g - want) <= Math.max(unit, 1e-9 * Math.abs(want));
}

beforeAll(async () => {
  twins = await openTwinEngines('grouped-agg', SETUP);
  ({ s, duck } = twins);
}, 120_000);

afterAll(async () => {
  await twins?.close();
});

// Q1's aggregates, the same product used twice, and the other numeric aggregates; abs(p) * 100
// (about 10^14 scaled on every 7th row) sums past 2^52 row by row, each term below it
const AGGS = `sum(p), sum(abs(p) * 100), sum(q), sum(p * (1 - q)), sum(p * (1 - q) * (1 + q)), avg(p), avg(q), avg(i), count(*), count(i), count(p),
  min(p), max(i), sum(w), avg(w), min(w), stddev_samp(i), var_pop(p), bool_and(b), bool_or(b)`;

describe('grouped aggregates match DuckDB', () => {
  const cases: [string, string][] = [
    // dictionary codes: 4 x 2 combinations, NULL flags on every 11th row
    ['few groups from two string keys (Q1 shape)', `SELECT f, st, ${AGGS} FROM t WHERE x % 10 <> 3 GROUP BY f, st`],
    ['one string key', `SELECT note, ${AGGS} FROM t GROUP BY note`],
    // 5,000 integer keys and NULL: the hash table, groups added while rows are added
    ['many integer keys', `SELECT k, sum(p), avg(q), count(*), count(i), min(i), max(p), sum(w), bool_or(b) FROM t GROUP BY k`],
    // 40 x 2,000 dictionary code combinations: past DIRECT_GROUP_LIMIT, string keys go to the hash table
    ['two string keys with many combinations', 'SELECT note, s2, sum(p), avg(q), count(*), min(i), max(w), var_samp(i) FROM t GROUP BY note, s2'],
    ['integer and string keys', `SELECT k % 50, f, ${AGGS} FROM t GROUP BY k % 50, f`],
    ['a computed key', `SELECT i % 7, ${AGGS} FROM t GROUP BY i % 7`],
    ['DISTINCT beside plain aggregates', 'SELECT f, count(DISTINCT k), sum(DISTINCT q), sum(q), count(*) FROM t GROUP BY f'],
    ['a filter that keeps no row', `SELECT f, ${AGGS} FROM t WHERE x < 0 GROUP BY f`],
    ['an empty table', 'SELECT f, sum(p), avg(p), count(*), min(p) FROM empty GROUP BY f'],
    ['no GROUP BY', `SELECT ${AGGS} FROM t WHERE x % 3 = 1`],
  ];
  for (const [name, sql] of cases) {
    it(name, async () => {
      const [got, want] = await both(sql);
      expect(got.length).toBe(want.length);
      if (!/no row|empty/.test(name)) expect(got.length).toBeGreaterThan(0);
      const bad = got.flatMap((row, r) => row.flatMap((v, c) => (agree(v, want[r][c]) ? [] : [`row ${r} column ${c}: ${String(v)} vs ${String(want[r][c])}`])));
      expect(bad).toEqual([]);
    }, 60_000);
  }
});

// every aggregate here takes the call-free updates: sums past 2^52 spill and products past 2^53
// (p * q * 10) go to BigInt, row by row through the checked code
const FAST_AGGS = `sum(q), sum(p), sum(p * 100), sum(q * (1 - q)), sum(q * (1 - q) * (1 + q)), avg(q), avg(p), count(*), count(q),
  sum(p * q * 10), sum(w), avg(w), sum(p + 0.5), sum(k * q), sum(q - k), sum(big)`;

describe('call-free updates match DuckDB', () => {
  const cases: [string, string][] = [
    ['dictionary-code groups (Q1 shape)', `SELECT f, st, ${FAST_AGGS} FROM u GROUP BY f, st`],
    ['dictionary-code groups under a filter', `SELECT f, st, ${FAST_AGGS} FROM u WHERE q <= 15 GROUP BY f, st`],
    ['hash-table groups', `SELECT k, ${FAST_AGGS} FROM u GROUP BY k`],
    ['no GROUP BY, a filter the selection pass takes whole (Q6 shape)', `SELECT ${FAST_AGGS} FROM u WHERE q >= -5 AND q < 10 AND k > 3`],
    ['no GROUP BY and no filter', `SELECT ${FAST_AGGS} FROM u`],
    // a literal past 2^53 is read from its text (a cast): the kernels keep the checked code alone
    ['a literal past 2^53', `SELECT f, ${FAST_AGGS}, sum(q + 12345678901234567.89) FROM u GROUP BY f`],
  ];
  for (const [name, sql] of cases) {
    it(name, async () => {
      const [got, want] = await both(sql);
      expect(got.length).toBe(want.length);
      expect(got.length).toBeGreaterThan(0);
      const bad = got.flatMap((row, r) => row.flatMap((v, c) => (agree(v, want[r][c]) ? [] : [`row ${r} column ${c}: ${String(v)} vs ${String(want[r][c])}`])));
      expect(bad).toEqual([]);
    }, 60_000);
  }

  it('a product past 38 digits is the checked code\'s overflow error', async () => {
    await expect(s.execute('SELECT f, sum(p * p * p * p) FROM u GROUP BY f')).rejects.toMatchObject({ code: 'NUMERIC_OVERFLOW' });
    await expect(duck.execute('SELECT f, sum(p * p * p * p) FROM u GROUP BY f')).rejects.toThrow(/overflow/i);
  });
});

describe('a group table in both layouts', () => {
  const N = 5000;
  const keyCol = Int32Array.from({ length: N }, (_, i) => (i * 7919) % 300);
  const ints = Int32Array.from({ length: N }, (_, i) => (i % 97) - 40);
  const valid = Uint8Array.from({ length: N }, (_, i) => (i % 9 === 0 ? 0 : 1));
  const columns: Vector[] = [
    { type: T.int, length: N, values: keyCol, valid: null },
    { type: T.int, length: N, values: ints, valid },
  ];
  const col = (index: number): BExpr => ({ k: 'col', index, type: columns[index].type });
  const aggs: BAgg[] = [
    { fn: 'sum', arg: col(1), distinct: false, type: T.bigint },
    { fn: 'avg', arg: col(1), distinct: false, type: T.bigint },
    { fn: 'count', arg: col(1), distinct: false, type: T.bigint },
    { fn: 'count_star', arg: null, distinct: false, type: T.bigint },
    { fn: 'min', arg: col(1), distinct: false, type: T.int },
    { fn: 'var_samp', arg: col(1), distinct: false, type: T.double },
  ];
  const spec: AggSpec = { keys: [col(0)], aggs };
  const part = (from: number, to: number): Batch => ({
    length: to - from,
    columns: columns.map((c) => ({ ...c, length: to - from, values: c.values.subarray(from, to), valid: c.valid ? c.valid.subarray(from, to) : null })),
  });
  const results = (t: GroupTable) => {
    const out = t.finish([T.int]);
    const rows: unknown[][] = [];
    // the variance differs in its last bits with the order partial states merge in
    const at = (v: Vector, g: number, c: number) => (v.valid && v.valid[g] === 0 ? null : c === aggs.length ? Number(v.values[g].toPrecision(12)) : v.values[g]);
    for (let g = 0; g < t.groups; g++) rows.push(out.map((v, c) => at(v, g, c)));
    return rows.sort((a, b) => (a[0] as number) - (b[0] as number));
  };

  it('adds rows after merging partial states as one table given every row', () => {
    const whole = new GroupTable(spec);
    whole.consume(part(0, N), null, N);
    // rows, then another table's partial state, then rows again (new groups among them)
    const mixed = new GroupTable(spec);
    mixed.consume(part(0, 1000), null, 1000);
    const other = new GroupTable(spec);
    other.consume(part(1000, 3000), null, 2000);
    mixed.merge(structuredClone(other.toPartial()));
    mixed.consume(part(3000, N), null, N - 3000);
    expect(mixed.groups).toBe(300);
    expect(results(mixed)).toEqual(results(whole));
    // and a table read between batches keeps adding correctly
    const read = new GroupTable(spec);
    for (let from = 0; from < N; from += 700) { read.consume(part(from, Math.min(N, from + 700)), null, Math.min(N, from + 700) - from); read.toPartial(); }
    expect(results(read)).toEqual(results(whole));
  });

  it('finishes a sum with only NULL inputs as NULL and a sum past 2^53 exactly, beside plain sums', () => {
    // group 0: two values of 2^52 + 1 (the sum, 2^53 + 2, needs its exact part); group 1: NULLs only; group 2: 5 + 7
    const big = 2 ** 52 + 1;
    const keys = Int32Array.of(0, 1, 0, 2, 1, 2), xs = Float64Array.of(big, 0, big, 5, 0, 7), xValid = Uint8Array.of(1, 0, 1, 1, 0, 1);
    const batch: Batch = { length: 6, columns: [{ type: T.int, length: 6, values: keys, valid: null }, { type: T.bigint, length: 6, values: xs, valid: xValid }] };
    const sums: AggSpec = { keys: [col(0)], aggs: [{ fn: 'sum', arg: { k: 'col', index: 1, type: T.bigint }, distinct: false, type: T.bigint }, { fn: 'count', arg: { k: 'col', index: 1, type: T.bigint }, distinct: false, type: T.bigint }] };
    const t = new GroupTable(sums);
    t.consume(batch, null, 6);
    const [k, sum, count] = t.finish([T.int]);
    const byKey = new Map(Array.from({ length: t.groups }, (_, g) => [k.values[g], g]));
    const exact = (g: number) => (sum.valid && sum.valid[g] === 0 ? null : sum.big?.[g] ?? sum.values[g]);
    expect(exact(byKey.get(0)!)).toBe(2n ** 53n + 2n);
    expect(exact(byKey.get(1)!)).toBeNull();
    expect(exact(byKey.get(2)!)).toBe(12);
    expect(count.values[byKey.get(1)!]).toBe(0);
    expect(count.values[byKey.get(0)!]).toBe(2);
    // and without an exact part, the sums come straight from the states: NULL still NULL
    const small = new GroupTable(sums);
    small.consume({ length: 4, columns: [batch.columns[0], { ...batch.columns[1], values: Float64Array.of(1, 0, 2, 5) }] }, null, 4);
    const [k2, sum2] = small.finish([T.int]);
    const got = new Map(Array.from({ length: small.groups }, (_, g) => [k2.values[g], sum2.valid && sum2.valid[g] === 0 ? null : sum2.values[g]]));
    expect(got).toEqual(new Map([[0, 3], [1, null], [2, 5]]));
  });

  it('counts NULL inputs out of each aggregate and not out of count(*)', () => {
    const t = new GroupTable(spec);
    t.consume(part(0, N), null, N);
    const rows = results(t);
    for (const r of rows) {
      const members = [...keyCol.keys()].filter((i) => keyCol[i] === r[0]);
      const present = members.filter((i) => valid[i] === 1);
      expect(r[3]).toBe(present.length);
      expect(r[4]).toBe(members.length);
      expect(r[1]).toBe(present.reduce((a, i) => a + ints[i], 0));
    }
  });
});
