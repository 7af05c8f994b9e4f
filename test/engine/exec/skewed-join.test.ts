// Joins past the memory limit when one key is too big to split: a grace join's partition whose
// build rows all share one key stays too big after every hash split, so it is joined a chunk of
// build rows at a time against the probe partition's file (spill/chunked-join.ts), at the leader
// and in the slices; and a key matching many build rows gives its joined rows in pieces, never
// as one batch. At 4 MB each of these failed with OUT_OF_MEMORY; answers are compared with
// DuckDB's over the same rows, and the temp area is empty after success, an error and a cancel.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { openTwinEngines, type TwinEngines } from '../../support/twin-engines.ts';
import { canceledOnTempFile } from '../../support/temp-files.ts';
import { TABLE_A_SETUP } from '../../support/table-a.ts';

let twins: TwinEngines;

beforeAll(async () => {
  twins = await openTwinEngines('skew', TABLE_A_SETUP);
  await twins.s.execute("SET query_memory_limit = '4MB'");
}, 60_000);

afterAll(async () => {
  await twins?.close();
});

// 150,000 rows of key 7 and 50,000 of their own key (a leader input: the LIMIT's rows); its table alone is ~12 MB
const SKEW = '(SELECT CASE WHEN k < 150000 THEN 7 ELSE k END AS k, s, k AS v FROM a WHERE k < 200000 LIMIT 1000000)';
// ten rows of keys 3..12 (one of key 7)
const FEW = '(SELECT k % 10 + 3 AS k, s, k AS v FROM a WHERE k < 10 LIMIT 100)';
const summary = (sql: string) => `SELECT count(*), count(yv), sum(xv), sum(yv), max(xs) FROM (${sql}) z`;

/** Runs `sql` and cancels it once its first temp file appears (an event, not a delay); nothing may be left. */
const canceledWhileSpilling = (sql: string) => canceledOnTempFile(twins.s, sql, twins.tempArea);

it('a leader join whose one key has more build rows than fit joins that partition a chunk of build rows at a time, for every join type', async () => {
  const queries = [
    // 150,000 pairs of key 7 (the ten probe rows' one), and nothing else matches
    `SELECT x.v AS xv, x.s AS xs, y.v AS yv FROM ${FEW} x JOIN ${SKEW} y ON x.k = y.k`,
    // with a residual: a pair of key 7 counts when y.v is a multiple of 1000 plus x.v, so each probe row is padded or matched once across chunks
    `SELECT x.v AS xv, x.s AS xs, y.v AS yv FROM ${FEW} x LEFT JOIN ${SKEW} y ON x.k = y.k AND y.v % 1000 = x.v`,
    // FULL: every chunk's build rows no probe row matched, padded
    `SELECT x.v AS xv, x.s AS xs, y.v AS yv FROM ${FEW} x FULL JOIN ${SKEW} y ON x.k = y.k + 2`,
    `SELECT x.v AS xv, x.s AS xs, 0 AS yv FROM ${FEW} x WHERE EXISTS (SELECT 1 FROM ${SKEW} y WHERE x.k = y.k)`,
    `SELECT x.v AS xv, x.s AS xs, 0 AS yv FROM ${FEW} x WHERE NOT EXISTS (SELECT 1 FROM ${SKEW} y WHERE x.k = y.k)`,
    // the reverse: 150,000 probe rows of key 7 against the ten rows
    `SELECT x.v AS xv, x.s AS xs, y.v AS yv FROM ${SKEW} x LEFT JOIN ${FEW} y ON x.k = y.k`,
  ];
  expect(await twins.explain(queries[0])).toMatch(/Hash INNER Join \(build: right input\) on k = k +\[leader/);
  expect(await twins.explain(queries[2])).toMatch(/Hash FULL Join \(build: right input\)[^]*\[leader/);
  for (const sql of queries) await twins.same(summary(sql));
  expect(twins.leftover()).toEqual([]);
  // a scalar subquery whose key 7 matches 150,000 rows fails as it should, from its chunks, and leaves nothing
  await expect(twins.s.execute(`SELECT x.v, (SELECT y.v FROM ${SKEW} y WHERE y.k = x.k) FROM ${FEW} x`)).rejects.toMatchObject({ code: 'CARDINALITY_VIOLATION' });
  expect(twins.leftover()).toEqual([]);
  await canceledWhileSpilling(summary(queries[0]));
});

it('a slice join whose broadcast build side has one key too big to split joins it a chunk at a time, its pairs in pieces', async () => {
  // each slice's probe rows of key 7 meet 150,000 build rows
  const sql = `SELECT x.v AS xv, x.s AS xs, y.v AS yv FROM (SELECT k AS v, s, k FROM a) x JOIN ${SKEW} y ON x.k = y.k`;
  expect(await twins.explain(summary(sql))).toMatch(/Hash INNER Join \(probe: left input, build: broadcast\)[^]*Broadcast \(leader -> every slice\)/);
  await twins.same(summary(sql));
  expect(twins.leftover()).toEqual([]);
  // in memory (its table fits): a scan batch's ~65 rows of key 7 meet 3,000 build rows each, ~195,000 pairs that
  // go through the slice's later steps (a filter, the GROUP BY) 65,536 at a time
  const many = `SELECT count(*), sum(x.k), sum(y.v), max(x.s) FROM a x JOIN (SELECT 7 AS k, k AS v FROM a WHERE k < 3000 LIMIT 1000000) y ON x.k % 1000 = y.k WHERE x.k + y.v < 290000`;
  expect(await twins.explain(many)).toMatch(/Hash INNER Join \(probe: left input, build: broadcast\)/);
  await twins.same(many);
});

it('a RIGHT join whose preserved side is a leader input hands its joined rows to the GROUP BY reading them, not to a file first', async () => {
  // 300,000 rows of five columns kept by the join: their file and the join's partition files passed 8× the limit (32 MB) on main
  const sql = `SELECT count(*), count(x.k), sum(x.k), sum(y.k3), sum(y.k5), sum(y.k7), max(x.s), max(y.s) FROM a x
    RIGHT JOIN (SELECT k, s, k * 3 AS k3, k * 5 AS k5, k * 7 AS k7 FROM a LIMIT 1000000) y ON x.k = y.k`;
  expect(await twins.explain(sql)).toMatch(/Hash Aggregate[^]*Hash LEFT Join \(build: right input\)[^]*\[leader/);
  await twins.same(sql);
  expect(twins.leftover()).toEqual([]);
});

it('a leader grace join hands a pair\'s joined rows on a probe block at a time, so a pair of many matches per key streams to its GROUP BY', async () => {
  // 100,000 build rows of 100 keys spill by key hash; each pair that fits (about 6 keys) meets ~190 probe rows,
  // ~190,000 joined rows, which were put together for the pair (OUT_OF_MEMORY at 4 MB on main)
  const join = (select: string) => `SELECT ${select} FROM (SELECT k % 100 AS k, k AS v FROM a WHERE k < 3000 LIMIT 1000000) x
    JOIN (SELECT k % 100 AS k, k AS v, s FROM a WHERE k < 100000 LIMIT 1000000) y ON x.k = y.k`;
  const sql = join('count(*), sum(x.v), sum(y.v), max(y.s)');
  expect(await twins.explain(sql)).toMatch(/Hash Aggregate[^]*Hash INNER Join \(build: right input\) on k = k +\[leader/);
  await twins.same(sql);
  expect(twins.leftover()).toEqual([]);
  await expect(twins.s.execute(join('sum(1 / (x.v - 2999))'))).rejects.toMatchObject({ code: 'DIVISION_BY_ZERO' });
  expect(twins.leftover()).toEqual([]);
  await canceledWhileSpilling(sql);
});

it('a leader grace join\'s build partition that a split cannot part is joined a chunk at a time at once, not split level after level', async () => {
  // 250,000 build rows of key 7 with four more columns, and 50,000 others: the partition of key 7 was
  // written again at each of 3 levels (the spill cap, 32 MB, at 4 MB on main); now once, as the split
  // that made it kept nearly all its rows
  const wide = '(SELECT CASE WHEN k < 250000 THEN 7 ELSE k END AS k, s, k AS v, k * 3 AS w, k * 5 AS u FROM a LIMIT 1000000)';
  const join = (select: string) => `SELECT ${select} FROM ${FEW} x JOIN ${wide} y ON x.k = y.k`;
  const sql = join('count(*), sum(x.v), sum(y.v), sum(y.w), sum(y.u), max(y.s)');
  await twins.same(sql);
  expect(twins.leftover()).toEqual([]);
  const spilled = /spilled ([\d.]+) MB/.exec(await twins.explain(`ANALYZE ${sql}`));
  expect(Number(spilled![1])).toBeLessThan(24);
  // the probe row of key 7 has x.v = 4
  await expect(twins.s.execute(join('sum(1 / (x.v - 4))'))).rejects.toMatchObject({ code: 'DIVISION_BY_ZERO' });
  expect(twins.leftover()).toEqual([]);
  await canceledWhileSpilling(sql);
});
