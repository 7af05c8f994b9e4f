// Join filter pushdown: a hash join's build keys (min/max and a Bloom filter) filter the probe
// side's scan. Answers are checked against DuckDB over the same tables (NULL keys, mixed key
// types, multi-column keys, empty build sides, build keys outside the probe's range, inner,
// semi, left, right and anti joins); EXPLAIN and EXPLAIN ANALYZE show where the filter goes and
// what it removed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Session } from '../../../engine/database.ts';
import { type DuckDBSession, translateToDuckDB } from '../../support/verify-with-duckdb.ts';
import { openTwinEngines, type TwinEngines } from '../../support/twin-engines.ts';

let s: Session;
let duck: DuckDBSession;
let twins: TwinEngines | undefined;

/** Probe rows: x = 0..199999 (a.n < 2 below), sorted on k so its blocks' zone maps are narrow. */
const PROBE_ROWS = 200_000;

const SETUP = [
  'CREATE TABLE d (n INTEGER)',
  'INSERT INTO d VALUES (0), (1), (2), (3), (4), (5), (6), (7), (8), (9)',
  // k is NULL on every 97th row; kb = 3x (BIGINT), kd = x / 4 (DECIMAL(12,2)), ks a string of x % 5000, k2 = x % 7
  `CREATE TABLE p (k INTEGER, kb BIGINT, kd DECIMAL(12,2), ks VARCHAR(12), k2 INTEGER, v INTEGER) SORTKEY(k)`,
  `INSERT INTO p SELECT CASE WHEN x % 97 = 0 THEN NULL ELSE x END, x * 3, CAST(x AS DECIMAL(12,2)) / 4, 's' || CAST(x % 5000 AS VARCHAR(8)), x % 7, x % 1000
     FROM (SELECT a.n * 100000 + b.n * 10000 + c.n * 1000 + e.n * 100 + f.n * 10 + g.n AS x FROM d a, d b, d c, d e, d f, d g WHERE a.n < 2) t`,
  // 60 keys in 1000..3183 (one NULL among them; 97 * 11 = 1067 is a NULL key in p), typed several ways
  `CREATE TABLE b (k INTEGER, kb INTEGER, kf DOUBLE PRECISION, kd DECIMAL(10,1), ks VARCHAR(12), k2 INTEGER, w INTEGER)`,
  `INSERT INTO b SELECT 1000 + 37 * x, 3 * (1000 + 37 * x), 1000 + 37 * x, CAST(1000 + 37 * x AS DECIMAL(10,1)) / 4, 's' || CAST(1000 + 37 * x AS VARCHAR(8)), (1000 + 37 * x) % 7, x
     FROM (SELECT a.n * 10 + c.n AS x FROM d a, d c) t WHERE x < 60`,
  'INSERT INTO b VALUES (NULL, NULL, NULL, NULL, NULL, NULL, 99)',
  // every key past the probe's largest
  'CREATE TABLE far (k INTEGER, w INTEGER)',
  `INSERT INTO far SELECT 500000 + n, n FROM d`,
  'CREATE TABLE none (k INTEGER, w INTEGER)',
  // 4500 of the 5000 strings of p.ks: the Bloom filter keeps 90 % of the rows
  'CREATE TABLE most (ks VARCHAR(12))',
  `INSERT INTO most SELECT 's' || CAST(x AS VARCHAR(8)) FROM (SELECT a.n * 1000 + b.n * 100 + c.n * 10 + e.n AS x FROM d a, d b, d c, d e) t WHERE x >= 500 AND x < 5000`,
  // co-located: both distributed on k
  'CREATE TABLE pk (k INTEGER, v INTEGER) DISTKEY(k)',
  'INSERT INTO pk SELECT k, v FROM p WHERE kb < 150000',
  'CREATE TABLE bk (k INTEGER, w INTEGER) DISTKEY(k)',
  'INSERT INTO bk SELECT k, w FROM b',
  // keys the Bloom filter hashes from their numbers: dates, fractions, BIGINTs past 2^53 (whose
  // doubles collide: 2^53 + 1 is stored exactly but reads as the double 2^53)
  'CREATE TABLE pe (d DATE, f DOUBLE PRECISION, v INTEGER)',
  `INSERT INTO pe SELECT DATE '2000-01-01' + k2 * 400 + v, CAST(v AS DOUBLE PRECISION) / 8, v FROM p`,
  'CREATE TABLE be (d DATE, f DOUBLE PRECISION, w INTEGER)',
  `INSERT INTO be SELECT DATE '2000-01-01' + 37 * x, CAST(x AS DOUBLE PRECISION) / 8, x FROM (SELECT a.n * 10 + c.n AS x FROM d a, d c) t WHERE x < 60`,
  'CREATE TABLE bigs (big BIGINT)',
  'INSERT INTO bigs VALUES (9007199254740992), (9007199254740993), (9007199254740995), (-9007199254740993), (12), (NULL)',
  'CREATE TABLE bigp (big BIGINT, v INTEGER)',
  'INSERT INTO bigp SELECT bigs.big, a.n * 10 + c.n FROM bigs, d a, d c',
  'CREATE TABLE bigb (big BIGINT, w INTEGER)',
  'INSERT INTO bigb VALUES (9007199254740993, 1), (-9007199254740993, 2), (NULL, 3)',
];

const rowsOf = async (sql: string) => { const r = await s.execute(sql); return (Array.isArray(r) ? r[r.length - 1] : r).rows; };
const explain = async (sql: string) => (await rowsOf(`EXPLAIN ${sql}`)).map((r: unknown[]) => String(r[0]));
const analyze = async (sql: string) => (await rowsOf(`EXPLAIN ANALYZE ${sql}`)).map((r: unknown[]) => String(r[0]));
const duckRows = async (sql: string) => (await duck.execute(translateToDuckDB(sql)))[0].rows;

/** Strata's and DuckDB's rows for a query, sorted the same way. */
async function both(sql: string): Promise<[unknown[][], unknown[][]]> {
  const key = (r: unknown[]) => JSON.stringify(r);
  const sort = (rows: unknown[][]) => rows.map((r) => r.map((v) => (typeof v === 'bigint' ? Number(v) : v))).sort((a, b) => key(a).localeCompare(key(b)));
  return [sort(await rowsOf(sql) as unknown[][]), sort(await duckRows(sql) as unknown[][])];
}

/** What the scan's join filters removed, summed over the slices, from EXPLAIN ANALYZE. */
function removed(lines: string[]): { rows: number; rangeRows: number; blocks: number; segments: number; bloomRows: number } {
  const line = lines.find((l) => /Runtime filter removed, per slice/.test(l));
  expect(line, lines.join('\n')).toBeTruthy();
  const sum = (re: RegExp) => [...line!.matchAll(re)].reduce((t, m) => t + Number(m[1]), 0);
  return {
    rows: sum(/#\d+ (\d+) rows/g),
    rangeRows: sum(/min\/max (\d+) rows/g),
    blocks: sum(/in (\d+) blocks?/g),
    segments: sum(/(\d+) segments?;/g),
    bloomRows: sum(/bloom (\d+) of/g),
  };
}

beforeAll(async () => {
  twins = await openTwinEngines('runtime-filter', SETUP);
  ({ s, duck } = twins);
}, 120_000);

afterAll(async () => {
  await twins?.close();
});

describe('join filter pushdown', () => {
  const queries: [string, string][] = [
    ['inner, NULL keys on both sides', 'SELECT count(*), sum(p.v), sum(b.w) FROM p JOIN b ON p.k = b.k'],
    ['inner, build side first in FROM', 'SELECT count(*), sum(p.v) FROM b JOIN p ON b.k = p.k WHERE p.k2 < 5'],
    ['BIGINT probe = INTEGER build', 'SELECT count(*), sum(p.v) FROM p JOIN b ON p.kb = b.kb'],
    ['INTEGER probe = DOUBLE build', 'SELECT count(*), sum(p.v) FROM p JOIN b ON p.k = b.kf'],
    ['DECIMAL(12,2) probe = DECIMAL(10,1) build', 'SELECT count(*), sum(p.v) FROM p JOIN b ON p.kd = b.kd'],
    ['string keys', 'SELECT count(*), sum(p.v) FROM p JOIN b ON p.ks = b.ks'],
    ['multi-column keys', 'SELECT count(*), sum(p.v) FROM p JOIN b ON p.k = b.k AND p.k2 = b.k2'],
    ['multi-column keys of mixed types', 'SELECT count(*), sum(p.v) FROM p JOIN b ON p.kb = b.kb AND p.ks = b.ks'],
    // each bare numeric column of the key is also filtered alone, from its raw values
    ['multi-column keys, DECIMAL and INTEGER columns filtered alone', 'SELECT count(*), sum(p.v) FROM p JOIN b ON p.kd = b.kd AND p.k2 = b.k2'],
    ['multi-column keys, DATE and DOUBLE columns filtered alone', 'SELECT count(*), sum(pe.v), sum(be.w) FROM pe JOIN be ON pe.d = be.d AND pe.f = be.f'],
    ['multi-column keys, BIGINT columns past 2^53 filtered alone', 'SELECT count(*), sum(bigp.v) FROM bigp JOIN bigb ON bigp.big = bigb.big AND bigp.v = bigb.w'],
    ['semi join', 'SELECT count(*), sum(p.v) FROM p WHERE EXISTS (SELECT 1 FROM b WHERE b.k = p.k)'],
    ['anti join', 'SELECT count(*), sum(p.v) FROM p WHERE NOT EXISTS (SELECT 1 FROM b WHERE b.k = p.k)'],
    ['left join', 'SELECT count(*), count(b.w), sum(p.v) FROM p LEFT JOIN b ON p.k = b.k'],
    ['right join', 'SELECT count(*), count(p.v), sum(b.w) FROM p RIGHT JOIN b ON p.k = b.k'],
    ['right join preserving the probe table', 'SELECT count(*), count(b.w), sum(p.v) FROM b RIGHT JOIN p ON p.k = b.k'],
    ['empty build side, inner', 'SELECT count(*), sum(p.v) FROM p JOIN none ON p.k = none.k'],
    ['empty build side, semi', 'SELECT count(*) FROM p WHERE EXISTS (SELECT 1 FROM none WHERE none.k = p.k)'],
    ['empty build side, left', 'SELECT count(*), count(none.w) FROM p LEFT JOIN none ON p.k = none.k'],
    ['build keys outside the probe range', 'SELECT count(*), sum(p.v) FROM p JOIN far ON p.k = far.k'],
    ['build keys outside the probe range, anti', 'SELECT count(*) FROM p WHERE NOT EXISTS (SELECT 1 FROM far WHERE far.k = p.k)'],
    ['a Bloom filter that keeps most rows', 'SELECT count(*), sum(p.v) FROM p JOIN most ON p.ks = most.ks'],
    ['co-located join', 'SELECT count(*), sum(pk.v), sum(bk.w) FROM pk JOIN bk ON pk.k = bk.k'],
    ['two joins on one scan', 'SELECT count(*), sum(p.v) FROM p JOIN b ON p.k = b.k JOIN most ON p.ks = most.ks'],
    ['grouped rows', 'SELECT b.w, count(*), sum(p.v) FROM p JOIN b ON p.kb = b.kb GROUP BY b.w'],
    ['DATE keys', 'SELECT count(*), sum(pe.v), sum(be.w) FROM pe JOIN be ON pe.d = be.d'],
    ['fractional DOUBLE keys', 'SELECT count(*), sum(pe.v), sum(be.w) FROM pe JOIN be ON pe.f = be.f'],
    ['BIGINT keys past 2^53', 'SELECT bigb.w, count(*), sum(bigp.v) FROM bigp JOIN bigb ON bigp.big = bigb.big GROUP BY bigb.w'],
    // a probe gathers only the columns read after it: later probes, filters, residuals and the output read earlier joins' columns
    ['late gather: a later probe keyed on a build column, a filter over both sides', 'SELECT b.w, count(*), sum(p.v) FROM p JOIN b ON p.k = b.k JOIN bk ON bk.w = b.w WHERE p.v > b.w GROUP BY b.w'],
    ['late gather: a later residual over three inputs', 'SELECT count(*), sum(p.v), sum(b.kb) FROM p JOIN b ON p.k = b.k JOIN bk ON bk.k = p.k AND bk.w + p.v > b.w'],
    ['late gather: a LEFT join after an inner one', 'SELECT count(*), count(bk.w), sum(b.kb) FROM p JOIN b ON p.k = b.k LEFT JOIN bk ON bk.w = p.v'],
    ['every probe row filtered out before the join', 'SELECT count(*), sum(pe.v) FROM pe JOIN be ON pe.d = be.d WHERE pe.v < 0'],
  ];
  for (const [name, sql] of queries) {
    it(`answers as DuckDB does: ${name}`, async () => {
      const [ours, theirs] = await both(sql);
      expect(ours).toEqual(theirs);
    });
  }

  it('puts the filter on the probe scan of inner and semi joins only', async () => {
    const inner = await explain('SELECT count(*) FROM p JOIN b ON p.k = b.k');
    const scan = inner.findIndex((l) => /Scan public\.p /.test(l));
    expect(inner[scan + 1]).toMatch(/^\s+Runtime filter: k IN bloom\(k\), min\/max$/);
    expect((await explain('SELECT count(*) FROM p JOIN b ON p.k = b.k AND p.ks = b.ks')).join('\n')).toMatch(/Runtime filter: \(k, ks\) IN bloom\(k, ks\), min\/max of k\n/);
    expect((await explain('SELECT count(*) FROM p JOIN b ON p.ks = b.ks')).join('\n')).toMatch(/Runtime filter: ks IN bloom\(ks\)\n/);
    // a cast to the join's type is computed at the scan as the join computes it; no zone maps for it
    expect((await explain('SELECT count(*) FROM p JOIN b ON p.k = b.kf')).join('\n')).toMatch(/Runtime filter: k::DOUBLE PRECISION IN bloom\(kf\)\n/);
    expect((await explain('SELECT count(*) FROM p WHERE EXISTS (SELECT 1 FROM b WHERE b.k = p.k)')).join('\n')).toMatch(/Runtime filter: k IN bloom/);
    for (const sql of [
      'SELECT count(*) FROM p LEFT JOIN b ON p.k = b.k',
      'SELECT count(*) FROM p WHERE NOT EXISTS (SELECT 1 FROM b WHERE b.k = p.k)',
      'SELECT count(*) FROM b RIGHT JOIN p ON p.k = b.k',
    ]) expect((await explain(sql)).join('\n'), sql).not.toMatch(/Runtime filter/);
  });

  it('skips the blocks and segments outside the build keys\' range (EXPLAIN ANALYZE)', async () => {
    const lines = await analyze('SELECT count(*), sum(p.v) FROM p JOIN b ON p.k = b.k');
    const r = removed(lines);
    // the build keys lie in 1000..3183: every 65536-row block but the first of one slice is skipped
    expect(r.blocks).toBeGreaterThanOrEqual(2);
    expect(r.rangeRows).toBeGreaterThan(PROBE_ROWS / 2);
    expect(r.bloomRows).toBeGreaterThan(0);
    const scanned = Number(/(\d+) rows scanned/.exec(lines.find((l) => /^Execution:/.test(l))!)![1]);
    expect(scanned).toBeLessThan(PROBE_ROWS / 2);
    // no key of `far` is in p's range: nothing of p is read past the key column
    const far = removed(await analyze('SELECT count(*) FROM p JOIN far ON p.k = far.k'));
    expect(far.rangeRows).toBe(PROBE_ROWS);
    expect(far.segments).toBeGreaterThanOrEqual(2);
  });

  it('merges the slices\' filters when both sides are redistributed by key', async () => {
    await s.execute('SET join_distribution = redistribute');
    try {
      for (const sql of [
        'SELECT count(*), sum(p.v), sum(b.w) FROM p JOIN b ON p.k = b.k',
        'SELECT count(*), sum(p.v) FROM p JOIN b ON p.kb = b.kb AND p.ks = b.ks',
        'SELECT count(*), sum(p.v) FROM p WHERE EXISTS (SELECT 1 FROM b WHERE b.k = p.k)',
        'SELECT count(*), count(b.w) FROM p LEFT JOIN b ON p.k = b.k',
        'SELECT count(*) FROM p JOIN none ON p.k = none.k',
      ]) {
        const [ours, theirs] = await both(sql);
        expect(ours, sql).toEqual(theirs);
      }
      const lines = await analyze('SELECT count(*), sum(p.v) FROM p JOIN b ON p.k = b.k');
      expect(lines.join('\n')).toMatch(/Redistribute by key k[^\n]*\n\s+->\s+Scan public\.p [^\n]*\n\s+Runtime filter: k IN bloom\(k\), min\/max\n/);
      // each slice built from its part of b; the union of both parts filters every slice's scan
      const r = removed(lines);
      expect(r.rows).toBeGreaterThan(PROBE_ROWS - 1000);
      const moved = lines.find((l) => /Redistribute by key k .*Scan public\.p|Redistribute by key k \(/.test(l) && /actual rows (\d+)/.test(l) && Number(/actual rows (\d+)/.exec(l)![1]) < 1000);
      expect(moved, lines.join('\n')).toBeTruthy();
    } finally {
      await s.execute('SET join_distribution = auto');
    }
  });

  it('runs the Bloom filter on keys hashed from their numbers and keeps every matching row', async () => {
    for (const sql of ['SELECT count(*) FROM pe JOIN be ON pe.d = be.d', 'SELECT count(*) FROM pe JOIN be ON pe.f = be.f']) {
      const lines = await analyze(sql);
      const r = removed(lines);
      // it ran (most rows have no partner) and kept the matching ones: the count is DuckDB's
      expect(r.bloomRows, lines.join('\n')).toBeGreaterThan(PROBE_ROWS / 2);
      const [ours, theirs] = await both(sql);
      expect(ours).toEqual(theirs);
    }
  });

  it('switches the Bloom filter off when it keeps most rows', async () => {
    const lines = await analyze('SELECT count(*) FROM p JOIN most ON p.ks = most.ks');
    expect(lines.find((l) => /Runtime filter removed/.test(l))).toMatch(/switched off/);
  });
});
