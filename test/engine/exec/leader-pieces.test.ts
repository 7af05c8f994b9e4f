// Leader operators that read an input coming in pieces (the slices' rows through a leader LIMIT,
// Filter, Project or UNION ALL, a shared result, another leader operator's rows in files:
// operators/row-pieces.ts) take it a piece at a time instead of gathering it whole, so under a
// small query_memory_limit a query whose operator state is small or spillable passes where
// gathering its input whole failed with OUT_OF_MEMORY. Answers are
// compared with DuckDB's over the same rows; the temp area is empty after success, an early
// close, an error and a cancel.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { cellText, openTwinEngines, type TwinEngines } from '../../support/twin-engines.ts';
import { canceledOnTempFile } from '../../support/temp-files.ts';
import { TABLE_A_SETUP } from '../../support/table-a.ts';

let twins: TwinEngines;

const LIMIT = '4MB';
const leftover = () => twins.leftover();
const plan = (sql: string) => twins.explain(sql);
/** Every row of a streamed result, read 40,000 at a time. */
const streamed = async (sql: string) => {
  const [r] = await twins.s.execute(sql, { stream: true });
  const rows: string[][] = [];
  while (r.stream!.remaining > 0) rows.push(...r.stream!.next(40_000).map((row) => row.map(cellText)));
  return rows;
};
const duckdb = (sql: string) => twins.duckRows(sql);
/** Runs `f` with the statement memory limit at `limit` (then back at LIMIT). */
async function at<T>(limit: string, f: () => Promise<T>): Promise<T> {
  await twins.s.execute(`SET query_memory_limit = '${limit}'`);
  try {
    return await f();
  } finally {
    await twins.s.execute(`SET query_memory_limit = '${LIMIT}'`);
  }
}
/** Rows sorted by s descending, then k, checked row by row, and DuckDB's count, sums and rows at three places. */
async function sameSorted(rows: string[][], sql: string) {
  for (let i = 1; i < rows.length; i++) {
    const [k0, s0] = rows[i - 1], [k1, s1] = rows[i];
    if (!(s0 > s1 || (s0 === s1 && Number(k0) < Number(k1)))) expect.fail(`rows ${i - 1} and ${i} out of order: ${rows[i - 1]} / ${rows[i]}`);
  }
  const sum = rows.reduce((t, [k, str]) => t + Number(k) * (str.length % 7), 0);
  expect([String(rows.length), String(sum)]).toEqual((await duckdb(`SELECT count(*), sum(k * (length(s) % 7)) FROM (${sql}) y`))[0]);
  for (const at of [0, 123_457, rows.length - 1]) expect(rows[at]).toEqual((await duckdb(`${sql} LIMIT 1 OFFSET ${at}`))[0]);
}

// a LIMIT over the slices' rows is a leader input that comes in pieces (the slices' files)
/** Runs `sql` and cancels it once its first temp file appears, so the cancel lands mid-work however fast the machine is; nothing may be left. */
async function canceledWhileSpilling(sql: string, stream = false) {
  await canceledOnTempFile(twins.s, sql, twins.tempArea, undefined, stream);
}

const A = '(SELECT k, s FROM a LIMIT 1000000) x';
const SMALL = '(SELECT k FROM a WHERE k < 500 LIMIT 1000) y';

beforeAll(async () => {
  twins = await openTwinEngines('pieces', TABLE_A_SETUP);
  await twins.s.execute(`SET query_memory_limit = '${LIMIT}'`);
}, 60_000);

afterAll(async () => {
  await twins?.close();
});

it('a leader sort reads its input a piece at a time into sorted runs and merges them into a file for the client', async () => {
  const sql = `SELECT k, s FROM ${A} ORDER BY s DESC, k`;
  expect(await plan(sql)).toMatch(/Sort: s DESC, k +\[leader[^]*Limit 1000000 +\[leader[^]*Gather/);
  await sameSorted(await streamed(sql), sql);
  // a LIMIT over the sort and a GROUP BY over that read the merged rows in pieces too
  const top = `SELECT count(*), sum(k), min(s), max(s) FROM (SELECT k, s FROM ${A} ORDER BY s, k LIMIT 200000 OFFSET 7) y`;
  await twins.same(top);
  expect(leftover()).toEqual([]);
});

it('a leader sort over pieces leaves no files when closed early, when it fails and when it is canceled', async () => {
  const [r] = await twins.s.execute(`SELECT k, s FROM ${A} ORDER BY s, k`, { stream: true });
  expect(r.stream!.next(10)).toHaveLength(10);
  r.stream!.close();
  expect(leftover()).toEqual([]);
  // the key divides by zero at the leader on the last row, after runs went to disk
  await expect(twins.s.execute(`SELECT k, s FROM ${A} ORDER BY s, 1 / (299999 - k)`, { stream: true })).rejects.toMatchObject({ code: 'DIVISION_BY_ZERO' });
  expect(leftover()).toEqual([]);
  await canceledWhileSpilling(`SELECT k, s FROM (SELECT x.k, x.s FROM ${A} CROSS JOIN (SELECT n FROM d) z) y ORDER BY s, k`, true);
});

it('DISTINCT and UNION / INTERSECT / EXCEPT at the leader take inputs in pieces into partition files by row hash', async () => {
  const B = '(SELECT k, s FROM a LIMIT 1000000) y';
  const queries = [
    `SELECT DISTINCT k % 200000 AS k, s FROM ${A}`,
    `SELECT k, s FROM ${A} UNION SELECT k + 100000, s FROM ${B}`,
    `SELECT k % 150000 AS k, s FROM ${A} INTERSECT ALL SELECT k % 100000, s FROM ${B}`,
    `SELECT k % 200000 AS k, s FROM ${A} EXCEPT SELECT k * 2, s FROM ${B}`,
  ];
  expect(await plan(queries[0])).toMatch(/Distinct +\[leader[^]*Limit 1000000 +\[leader/);
  expect(await plan(queries[2])).toMatch(/INTERSECT ALL +\[leader/);
  // a GROUP BY reads each one's rows; its count and sums are DuckDB's
  const summary = (sql: string) => `SELECT count(*), sum(k), sum(k * length(s)), min(s) FROM (${sql}) z`;
  for (const sql of queries) await twins.same(summary(sql));
  // a client reads the partitions' rows from a file
  const rows = await streamed(queries[1]);
  expect(rows.length).toBe(400_000);
  expect([String(rows.length), String(rows.reduce((t, [k, str]) => t + Number(k) * str.length, 0))]).toEqual((await duckdb(`SELECT count(*), sum(k * length(s)) FROM (${queries[1]}) z`))[0]);
  expect(leftover()).toEqual([]);
  await expect(twins.s.execute(`SELECT DISTINCT k, 1 / (299999 - k) FROM ${A}`, { stream: true })).rejects.toMatchObject({ code: 'DIVISION_BY_ZERO' });
  expect(leftover()).toEqual([]);
});

it('a leader hash join probes a left input in pieces: against its table, or into partition files by key hash when the table does not fit', async () => {
  const big = '(SELECT k FROM a WHERE k % 3 = 0 LIMIT 1000000) y', small = '(SELECT k FROM a WHERE k < 500 LIMIT 1000) y';
  const queries = [
    `SELECT x.k, x.s, y.k AS yk FROM ${A} JOIN ${big} ON x.k = y.k`,
    `SELECT x.k, x.s, y.k AS yk FROM ${A} JOIN ${small} ON x.k = y.k * 2`,
    `SELECT x.k, x.s, y.k AS yk FROM ${A} LEFT JOIN ${big} ON x.k = y.k * 2`,
    `SELECT x.k, x.s, 0 AS yk FROM ${A} WHERE NOT EXISTS (SELECT 1 FROM ${big} WHERE y.k = x.k)`,
    // FULL: the build rows no piece matched are added at the end (by partition pair when it spilled)
    `SELECT x.k, x.s, y.k AS yk FROM ${A} FULL JOIN ${big} ON x.k + 200000 = y.k`,
    `SELECT x.k, x.s, y.k AS yk FROM ${A} FULL JOIN (SELECT k * 3 + 1 AS k FROM a WHERE k < 500 LIMIT 1000) y ON x.k + 1000 = y.k`,
  ];
  expect(await plan(queries[0])).toMatch(/Hash INNER Join \(build: right input\) on k = k +\[leader[^]*Limit 1000000 +\[leader/);
  expect(await plan(queries[3])).toMatch(/Hash ANTI Join[^]*\[leader/);
  const summary = (sql: string) => `SELECT count(*), count(k), sum(k), sum(yk), sum(k * length(s)) FROM (${sql}) z`;
  for (const sql of queries) await twins.same(summary(sql));
  // a client reads the joined rows past a quarter of what is left from a file
  const rows = await streamed(queries[2]);
  expect([String(rows.length), String(rows.reduce((t, [k, str, yk]) => t + Number(k) * str.length + (yk === 'NULL' ? 0 : Number(yk)), 0))])
    .toEqual((await duckdb(`SELECT count(*), sum(k * length(s)) + sum(yk) FROM (${queries[2]}) z`))[0]);
  // a FULL join whose build rows all match, partition by partition, gives each partition's table back
  const full = `SELECT x.k, x.s, y.k AS yk FROM ${A} FULL JOIN ${big} ON x.k = y.k`;
  const fullRows = await streamed(full);
  expect([String(fullRows.length), String(fullRows.reduce((t, [k, , yk]) => t + Number(k) + (yk === 'NULL' ? 0 : Number(yk)), 0))])
    .toEqual((await duckdb(`SELECT count(*), sum(k) + sum(yk) FROM (${full}) z`))[0]);
  expect(leftover()).toEqual([]);
  await expect(twins.s.execute(`SELECT x.k, 1 / (299997 - y.k) FROM ${A} JOIN ${big} ON x.k = y.k`, { stream: true })).rejects.toMatchObject({ code: 'DIVISION_BY_ZERO' });
  expect(leftover()).toEqual([]);
});

it('a leader hash join takes a build input in pieces: into its table while that fits in half of what is left, else into partition files by key hash', async () => {
  // 300,000 build rows of three columns (past 4 MB whole: OUT_OF_MEMORY before), and 3,000 whose table fits
  const big = '(SELECT k, s, k * 7 AS k7 FROM a LIMIT 1000000) y', small = '(SELECT k, s, k * 7 AS k7 FROM a WHERE k < 3000 LIMIT 1000000) y';
  // and 300,000 with a NULL key in every 1,000th row (kept once each by LEFT / FULL, never matched)
  const nulls = '(SELECT CASE WHEN k % 1000 = 7 THEN NULL ELSE k END AS k, s, k * 7 AS k7 FROM a LIMIT 1000000) y';
  // probe sides: in pieces (300 and 30,000 rows), and one batch (a leader GROUP BY's 997 rows)
  const few = '(SELECT k * 1000 AS k, s FROM a WHERE k < 300 LIMIT 300) x', many = '(SELECT k, s FROM a WHERE k % 10 = 0 LIMIT 1000000) x';
  const grouped = '(SELECT k % 997 * 301 AS k, min(s) AS s FROM a GROUP BY 1) x';
  const queries = [
    `SELECT x.k, x.s, y.k7 AS yk FROM ${few} JOIN ${big} ON x.k = y.k`,
    `SELECT x.k, x.s, y.k7 AS yk FROM ${many} LEFT JOIN ${nulls} ON x.k = y.k * 3`,
    `SELECT x.k, x.s, 0 AS yk FROM ${few} WHERE EXISTS (SELECT 1 FROM ${big} WHERE y.k = x.k + 1)`,
    `SELECT x.k, x.s, 0 AS yk FROM ${many} WHERE NOT EXISTS (SELECT 1 FROM ${big} WHERE y.k7 = x.k)`,
    // FULL: the build rows no probe row matched are added, by partition pair
    `SELECT x.k, x.s, y.k7 AS yk FROM ${few} FULL JOIN ${big} ON x.k = y.k`,
    `SELECT x.k, y.s, y.k7 AS yk FROM ${grouped} FULL JOIN ${nulls} ON x.k = y.k`,
    // SINGLE: a scalar subquery's rows, one per probe row at most
    `SELECT x.k, x.s, (SELECT y.k7 FROM ${big} WHERE y.k = x.k) AS yk FROM ${few}`,
    // tables that fit: the pieces put together, probed as they come (or in one batch)
    `SELECT x.k, x.s, y.k7 AS yk FROM ${grouped} JOIN ${small} ON x.k = y.k`,
    `SELECT x.k, y.s, y.k7 AS yk FROM ${many} FULL JOIN ${small} ON x.k = y.k`,
  ];
  expect(await plan(queries[0])).toMatch(/Hash INNER Join \(build: right input\) on k = k +\[leader[^]*Limit 300 +\[leader[^]*Limit 1000000 +\[leader/);
  expect(await plan(queries[5])).toMatch(/Hash FULL Join \(build: right input\) on k = k +\[leader[^]*Hash Aggregate[^]*Limit 1000000 +\[leader/);
  expect(await plan(queries[6])).toMatch(/Hash SINGLE Join[^]*\[leader/);
  const summary = (sql: string) => `SELECT count(*), count(yk), sum(k), sum(yk), sum(k * length(s)) FROM (${sql}) z`;
  for (const sql of queries) await twins.same(summary(sql));
  // a client reads the joined rows (from a file past a quarter of what is left)
  const rows = await streamed(queries[4]);
  expect([String(rows.length), String(rows.reduce((t, [k, , yk]) => t + (k === 'NULL' ? 0 : Number(k)) + (yk === 'NULL' ? 0 : Number(yk)), 0))])
    .toEqual((await duckdb(`SELECT count(*), sum(coalesce(k, 0) + coalesce(yk, 0)) FROM (${queries[4]}) z`))[0]);
  expect(leftover()).toEqual([]);
  // an error after the build side went to files, and a cancel while a nested loop's 600,000 rows go there (about 1.7 s uncanceled)
  await expect(twins.s.execute(`SELECT x.k, 1 / (299000 - y.k) FROM ${few} JOIN ${big} ON x.k = y.k`, { stream: true })).rejects.toMatchObject({ code: 'DIVISION_BY_ZERO' });
  expect(leftover()).toEqual([]);
  await canceledWhileSpilling(`SELECT count(*) FROM ${few} JOIN (SELECT y.k, y.s FROM ${big} CROSS JOIN (SELECT n FROM d WHERE n < 2) z) y2 ON x.k = y2.k`);
});

it('a build side broadcast from the leader over an input in pieces reaches the slices in pieces: held up to a quarter of what is left, the rest in a file each slice splits into its grace join', async () => {
  // 300,000 build rows of three columns: whole, past 4 MB (OUT_OF_MEMORY before); some with NULL keys
  const big = '(SELECT k, s, k * 7 AS k7 FROM a LIMIT 1000000) y';
  const nulls = '(SELECT CASE WHEN k % 1000 = 7 THEN NULL ELSE k END AS k, s, k * 7 AS k7 FROM a LIMIT 1000000) y';
  const queries = [
    `SELECT x.k, x.s, y.k7 AS yk FROM a x JOIN ${big} ON x.k = y.k`,
    `SELECT x.k, x.s, y.k7 AS yk FROM a x LEFT JOIN ${nulls} ON x.k = y.k * 2`,
    `SELECT x.k, x.s, 0 AS yk FROM a x WHERE EXISTS (SELECT 1 FROM ${big} WHERE y.k7 = x.k)`,
    `SELECT x.k, x.s, 0 AS yk FROM a x WHERE NOT EXISTS (SELECT 1 FROM ${nulls} WHERE y.k * 2 = x.k)`,
  ];
  expect(await plan(queries[1])).toMatch(/Hash LEFT Join \(probe: left input, build: broadcast\)[^]*Broadcast \(leader -> every slice\) +\[leader[^]*Limit 1000000 +\[leader/);
  expect(await plan(queries[2])).toMatch(/Hash SEMI Join \(probe: left input, build: broadcast\)[^]*Broadcast \(leader -> every slice\) +\[leader/);
  expect(await plan(queries[3])).toMatch(/Hash ANTI Join \(probe: left input, build: broadcast\)[^]*Broadcast \(leader -> every slice\) +\[leader/);
  const summary = (sql: string) => `SELECT count(*), count(yk), sum(k), sum(yk), sum(k * length(s)) FROM (${sql}) z`;
  for (const sql of queries) await twins.same(summary(sql));
  expect(leftover()).toEqual([]);
  // an error in the slices' probe, and a cancel while a nested loop's 600,000 rows are broadcast (about 1.7 s uncanceled)
  await expect(twins.s.execute(`SELECT sum(1 / (299999 - y.k)) FROM a x JOIN ${big} ON x.k = y.k`)).rejects.toMatchObject({ code: 'DIVISION_BY_ZERO' });
  expect(leftover()).toEqual([]);
  await canceledWhileSpilling(`SELECT count(*) FROM a x JOIN (SELECT y.k, y.s FROM ${big} CROSS JOIN (SELECT n FROM d WHERE n < 2) z) y2 ON x.k = y2.k`);
});

it('a CROSS or non-equi join at the leader writes its right input past a quarter of what is left to a file, read again for each left piece', async () => {
  const x = '(SELECT k FROM a WHERE k < 10 LIMIT 100) x', y = '(SELECT k, s FROM a LIMIT 1000000) y';
  const queries = [
    `SELECT count(*), sum(x.k + y.k), max(y.s) FROM ${x} CROSS JOIN ${y}`,
    `SELECT count(*), sum(x.k + y.k), max(y.s) FROM ${x} JOIN ${y} ON x.k * 1000 < y.k`,
  ];
  expect(await plan(queries[0])).toMatch(/Nested Loop CROSS Join +\[leader/);
  // the right input's 300,000 rows do not fit beside the slices' work at 3 MB
  await at('3MB', async () => {
    for (const sql of queries) await twins.same(sql);
  });
  expect(leftover()).toEqual([]);
});

it('LEFT, RIGHT and FULL joins without equal keys at the leader run as a block nested loop, marking the matched rows of both sides across the pieces', async () => {
  const x = '(SELECT k, s FROM a WHERE k < 60000) x';
  // each side has rows the other does not match (x.k % 10 = 0; d.n = 9)
  const queries = [
    `SELECT count(*), sum(x.k), sum(d.n), count(d.n), max(x.s) FROM ${x} LEFT JOIN d ON x.k % 10 > d.n`,
    `SELECT count(*), sum(x.k), count(x.k), sum(d.n) FROM ${x} RIGHT JOIN d ON x.k % 10 >= d.n AND d.n < 9`,
    `SELECT count(*), sum(x.k), count(x.k), sum(d.n), count(d.n) FROM ${x} FULL JOIN d ON x.k % 10 > d.n AND d.n < 9`,
  ];
  expect(await plan(queries[2])).toMatch(/Nested Loop FULL Join on [^\n]*\[leader/);
  // held whole with their joined rows these passed 4 MB (OUT_OF_MEMORY on main)
  for (const sql of queries) await twins.same(sql);
  // the right input (300,000 rows) past a quarter of what is left goes to a file: the right rows
  // no left row matched are read back from it and padded at the end
  const full = `SELECT count(*), sum(x.k), count(x.k), sum(y.k), count(y.k), max(y.s) FROM (SELECT k FROM a WHERE k < 20) x FULL JOIN (SELECT k, s FROM a LIMIT 1000000) y ON y.k BETWEEN x.k * 1000 AND x.k * 1000 + 2`;
  await at('3MB', () => twins.same(full));
  // a client reads a LEFT join's rows, padded ones among them, from a file
  const left = `SELECT x.k, x.s, d.n FROM ${x} LEFT JOIN d ON x.k % 10 > d.n`;
  const rows = await streamed(left);
  const sums = [rows.length, rows.reduce((t, [k]) => t + Number(k), 0), rows.filter(([, , n]) => n === 'NULL').length, rows.reduce((t, [, str]) => t + str.length, 0)].map(String);
  expect(sums).toEqual((await duckdb(`SELECT count(*), sum(k), count(*) - count(n), sum(length(s)) FROM (${left}) z`))[0]);
  expect(leftover()).toEqual([]);
  await expect(twins.s.execute(`SELECT count(*), sum(1 / (x.k - 59999)) FROM ${x} LEFT JOIN d ON x.k % 10 > d.n`)).rejects.toMatchObject({ code: 'DIVISION_BY_ZERO' });
  expect(leftover()).toEqual([]);
  await at('3MB', () => canceledWhileSpilling(full));
});

it('a nested-loop join hands a LIMIT above it only the rows it reads, a block at a time to any consumer', async () => {
  // a LIMIT over the join broadcast to the slices: its blocks are cut and sent as they are made
  // (on main each Project and the LIMIT copied the joined rows' file, past 8 times the limit)
  const sql = 'SELECT count(*), sum(k), sum(z.n) FROM (SELECT k, n FROM (SELECT x.k, d.n FROM (SELECT k, s FROM a WHERE k < 50000) x CROSS JOIN d) j LIMIT 500000) z JOIN d ON z.n = d.n';
  expect(await plan(sql)).toMatch(/Limit 500000 +\[leader[^]*Nested Loop CROSS Join/);
  await twins.same(sql);
  // rows past the LIMIT are never made: the 9e10 pairs of the whole join were refused on main
  const first = 'SELECT count(*) FROM (SELECT x.k, y.s FROM a x CROSS JOIN a y LIMIT 200000 OFFSET 7) z';
  await twins.same(first);
  expect(leftover()).toEqual([]);
});

it('a client reads a nested-loop join through Projects and Filters from one file, not a copy per step', async () => {
  // 1,320,000 joined rows with strings: a file per Project / Filter passed 8 times the limit on main
  const sql = 'SELECT k + n AS kn, s FROM (SELECT x.k, x.s, d.n FROM (SELECT k, s FROM a) x JOIN d ON x.k % 10 > d.n) j WHERE n < 8';
  const [r] = await twins.s.execute(sql, { stream: true });
  let rows = 0, kn = 0, len = 0;
  while (r.stream!.remaining > 0) for (const [a, str] of r.stream!.next(100_000)) { rows++; kn += Number(a); len += String(str).length; }
  expect([rows, kn, len].map(String)).toEqual((await duckdb(`SELECT count(*), sum(kn), sum(length(s)) FROM (${sql}) z`))[0]);
  expect(leftover()).toEqual([]);
});

it('windows at the leader with a shared PARTITION BY take an input in pieces into partition files by the keys\' hash', async () => {
  const sql = `SELECT k, s, row_number() OVER (PARTITION BY s ORDER BY k) AS rn, sum(k) OVER (PARTITION BY s) AS t FROM ${A}`;
  expect(await plan(sql)).toMatch(/Window: row_number, agg +\[leader[^]*Limit 1000000 +\[leader/);
  const summary = `SELECT count(*), sum(rn * k), sum(t), max(s) FROM (${sql}) z`;
  await twins.same(summary);
  // a client reads the partitions' rows from a file
  const rows = await streamed(sql);
  expect([String(rows.length), String(rows.reduce((sum, [k, , rn, t]) => sum + Number(rn) * Number(k) + Number(t), 0))])
    .toEqual((await duckdb(`SELECT count(*), sum(rn * k) + sum(t) FROM (${sql}) z`))[0]);
  expect(leftover()).toEqual([]);
});

it('a leader window over a nested loop\'s pieces sorts partitions too big to compute one after another, giving back each one\'s sort', async () => {
  // d.n has 10 values, so each partition file holds whole partitions of 11,000 to 99,000 rows, each
  // through the sorted path: each sort's order stayed held until the window returned (OUT_OF_MEMORY at 4 MB)
  const sql = `SELECT count(*), sum(r), sum(r * x.k) FROM (SELECT x.k, row_number() OVER (PARTITION BY d.n ORDER BY x.k) AS r
    FROM (SELECT k FROM a WHERE k < 110000 LIMIT 110000) x JOIN d ON x.k % 10 < d.n) x`;
  expect(await plan(sql)).toMatch(/Window: row_number +\[leader[^]*Nested Loop INNER Join/);
  await twins.same(sql);
  expect(leftover()).toEqual([]);
  // each partition of one key is written once, not again at every level of splits that cannot part it
  // (28 MB in 311 files when it was), and its sorted file is handed on, not read back and written again
  const spilled = /spilled ([\d.]+) MB/.exec(await plan(`ANALYZE ${sql}`));
  expect(Number(spilled![1])).toBeLessThan(16);
  await canceledWhileSpilling(sql);
});

it('a leader window over a UNION ALL with three calls hands each sorted partition\'s file on, not read back and written again', async () => {
  // 3 partitions of ~67,000 rows, each sorted three times: writing its rows again passed the spill cap (32 MB) at 4 MB
  const UA = '(SELECT k, k % 3 AS g FROM (SELECT k FROM a WHERE k < 100000 LIMIT 100000) p UNION ALL SELECT k + 100000, k % 3 FROM (SELECT k FROM a WHERE k < 100000 LIMIT 100000) q) x';
  const sql = `SELECT count(*), sum(r * k), sum(q), sum(t) FROM (SELECT k, row_number() OVER (PARTITION BY g ORDER BY k) AS r,
    dense_rank() OVER (PARTITION BY g ORDER BY k % 77) AS q, lag(k, 2) OVER (PARTITION BY g ORDER BY k DESC) AS t FROM ${UA}) z`;
  await twins.same(sql);
  expect(leftover()).toEqual([]);
});

it('a leader window\'s partition file of one key too big to compute goes into the external sort from the file, never read whole', async () => {
  // one partition of 300,000 rows of four integers (4.8 MB): read back whole before its sort, OUT_OF_MEMORY at 4 MB on main
  const windows = (select: string) => `SELECT ${select} FROM (SELECT k, b, c,
    row_number() OVER (PARTITION BY g ORDER BY k DESC) AS r, lag(k) OVER (PARTITION BY g ORDER BY k DESC) AS t
    FROM (SELECT k, k * 3 AS b, k * 5 AS c, k / 300000 AS g FROM a LIMIT 1000000) x) z`;
  const sql = windows('count(*), sum(r * k), sum(t), sum(b), sum(c)');
  expect(await plan(sql)).toMatch(/Window: row_number, lag +\[leader/);
  await twins.same(sql);
  expect(leftover()).toEqual([]);
  // the GROUP BY reading the sorted rows fails part way through them
  await expect(twins.s.execute(windows('sum(100 / (t - 123))'))).rejects.toMatchObject({ code: 'DIVISION_BY_ZERO' });
  expect(leftover()).toEqual([]);
  await canceledWhileSpilling(sql);
});

it('a leader window without a shared PARTITION BY hands its last sort\'s walk to the GROUP BY reading it, with no file of its rows', async () => {
  // 150,000 rows sorted once: the sort's runs and merged file, as an ORDER BY of the rows writes (9.9 MB),
  // and no third copy (16.3 MB on main, which wrote the walked rows to a file the GROUP BY then read)
  const windows = (select: string) => `SELECT ${select} FROM (SELECT k, s, b, row_number() OVER (ORDER BY k DESC) AS r
    FROM (SELECT k, s, k * 3 AS b FROM a WHERE k < 150000 LIMIT 1000000) x) z`;
  const sql = windows('count(*), sum(r * k), sum(b), max(s)');
  await twins.same(sql);
  expect(leftover()).toEqual([]);
  const spilled = /spilled ([\d.]+) MB/.exec(await plan(`ANALYZE ${sql}`));
  expect(Number(spilled![1])).toBeLessThan(13);
  await expect(twins.s.execute(windows('sum(100 / (r - 1234))'))).rejects.toMatchObject({ code: 'DIVISION_BY_ZERO' });
  expect(leftover()).toEqual([]);
  await canceledWhileSpilling(sql);
});

it('a leader window computed by partitions hands each partition\'s rows to the GROUP BY reading them, with no file of them', async () => {
  // PARTITION BY k % 3 over 150,000 rows: each partition's rows went to a file the GROUP BY then read (18.0 MB
  // written at 4 MB on main); one partition of every row, through the sort, its walked rows went to a file too (17.4 MB)
  const windows = (select: string, by: string) => `SELECT ${select} FROM (SELECT k, s, b, row_number() OVER (PARTITION BY ${by} ORDER BY k DESC) AS r
    FROM (SELECT k, s, k * 3 AS b FROM a WHERE k < 150000 LIMIT 1000000) x) z`;
  for (const by of ['k % 3', 'k / 300000']) {
    const sql = windows('count(*), sum(r * k), sum(b), max(s)', by);
    await twins.same(sql);
    expect(leftover()).toEqual([]);
    const spilled = /spilled ([\d.]+) MB/.exec(await plan(`ANALYZE ${sql}`));
    expect(Number(spilled![1]), by).toBeLessThan(15);
  }
  await expect(twins.s.execute(windows('sum(100 / (r - 1234))', 'k % 3'))).rejects.toMatchObject({ code: 'DIVISION_BY_ZERO' });
  expect(leftover()).toEqual([]);
  await canceledWhileSpilling(windows('count(*), sum(r * k)', 'k / 300000'));
});

it('a recursive UNION\'s rows seen past a quarter of what is left go to files by row hash, checked a file at a time', async () => {
  // 10,000 rows, then 5,000 a round (pairs of k fold into one) for n = 1..24; n = 24 leads back to
  // n = 20, rows seen after the switch to files, so the query ends there
  const sql = 'WITH RECURSIVE r(k, n) AS (SELECT k, 0 FROM a WHERE k < 10000 UNION SELECT k - k % 2, CASE WHEN n = 24 THEN 20 ELSE n + 1 END FROM r) SELECT k, n FROM r';
  const summary = `SELECT count(*), sum(k), sum(n * k), max(n) FROM (${sql}) z`;
  await twins.same(summary);
  const rows = await streamed(sql);
  expect([String(rows.length), String(rows.reduce((t, [k, n]) => t + Number(k) * (Number(n) + 1), 0))])
    .toEqual((await duckdb(`SELECT count(*), sum(k * (n + 1)) FROM (${sql}) z`))[0]);
  expect(leftover()).toEqual([]);
});

it('a leader GROUP BY whose groups spilled hands them on in pieces to a join or a sort', async () => {
  const groups = `(SELECT k % 150000 AS k, count(*) AS n, min(s) AS m FROM ${A} GROUP BY 1) g`;
  const queries = [
    `SELECT count(*), sum(g.n), max(g.m) FROM ${groups} JOIN ${SMALL} ON g.k = y.k * 3`,
    `SELECT count(*), sum(n), max(k) FROM (SELECT k, n FROM ${groups} ORDER BY m, k LIMIT 100000) z`,
  ];
  expect(await plan(queries[0])).toMatch(/Hash INNER Join[^]*Hash Aggregate \(keys: 1[^]*\[leader/);
  for (const sql of queries) await twins.same(sql);
  expect(leftover()).toEqual([]);
  // the join fails on its last piece, after the groups went to a file
  await expect(twins.s.execute(`SELECT count(*), sum(1 / (g.k - 1497)) FROM ${groups} JOIN ${SMALL} ON g.k = y.k * 3`)).rejects.toMatchObject({ code: 'DIVISION_BY_ZERO' });
  expect(leftover()).toEqual([]);
});

it('a recursive UNION\'s file of rows seen too big to read back is read past each piece\'s rows a block at a time', async () => {
  // 20,000 new rows a round for 22 rounds: 460,000 rows seen, ~29,000 a file (over 2 MB read back whole)
  const sql = 'WITH RECURSIVE r(k, n) AS (SELECT k, 0 FROM a WHERE k < 20000 UNION SELECT k, n + 1 FROM r WHERE n < 22) SELECT count(*), sum(k), sum(n), sum(k * n) FROM r';
  expect(await plan(sql)).toMatch(/Hash Aggregate[^]*Recursive UNION r/);
  await at('2MB', async () => {
    await twins.same(sql);
    expect(leftover()).toEqual([]);
    await canceledWhileSpilling(sql);
  });
});

it('a shared result bigger than the limit is kept in files and read by each reader a piece at a time', async () => {
  // 600,000 distinct rows (about 8 MB with their dictionaries' strings), read by a join's probe side and by a subquery's GROUP BY
  const c = `WITH c AS (SELECT DISTINCT k, s FROM (SELECT k, s FROM ${A} UNION ALL SELECT k + 300000, s FROM (SELECT k, s FROM a LIMIT 1000000) z) u)`;
  const sql = `${c} SELECT count(*), sum(c.k), max(c.s), (SELECT count(*) FROM c WHERE k % 7 = 0) FROM c JOIN ${SMALL} ON c.k = y.k * 2`;
  expect(await plan(sql)).toMatch(/Shared result 1 \(runs once[^]*Subquery 1[^]*Shared result 1/);
  await at('8MB', async () => {
    await twins.same(sql);
    expect(leftover()).toEqual([]);
    // the later reader fails on its last rows: the shared files go with the run
    await expect(twins.s.execute(`${c} SELECT count(*), (SELECT sum(1 / (599999 - k)) FROM c) FROM c JOIN ${SMALL} ON c.k = y.k`)).rejects.toMatchObject({ code: 'DIVISION_BY_ZERO' });
    expect(leftover()).toEqual([]);
    await canceledWhileSpilling(`${c} SELECT count(*), (SELECT count(*) FROM c c1 CROSS JOIN (SELECT n FROM d) z) FROM c JOIN ${SMALL} ON c.k = y.k`);
  });
});

it('at 2 MB a leader sort over the slices\' files reads blocks of at most a quarter MB (a slice\'s batch is ~0.8 MB) and answers', async () => {
  const sql = `SELECT k, s FROM ${A} ORDER BY s DESC, k`;
  await twins.s.execute("SET query_memory_limit = '2MB'");
  try {
    await sameSorted(await streamed(sql), sql);
  } finally {
    await twins.s.execute(`SET query_memory_limit = '${LIMIT}'`);
  }
  expect(leftover()).toEqual([]);
});

it('a Filter over a shared result read whole (a join\'s build side) filters its pieces as they come', async () => {
  // the build side keeps 300 of the result's 100,000 rows: only those are put together
  const sql = `WITH c AS (SELECT DISTINCT k % 100000 AS k, s FROM ${A}) SELECT count(*), sum(c1.k), max(c1.s) FROM c c1 JOIN (SELECT k FROM c WHERE k < 300) c2 ON c1.k = c2.k * 2`;
  expect(await plan(sql)).toMatch(/Hash INNER Join \(build: right input\)[^]*Shared result 1 \(runs once[^]*Filter: \(k < 300\)[^]*Shared result 1 \(reused\)/);
  await twins.same(sql);
  expect(leftover()).toEqual([]);
});

it('an ordering ANY / ALL over a subquery bigger than the limit reads one row of its extremes and counts, not its values', async () => {
  // 300,000 values (OUT_OF_MEMORY before: every one was held as a constant), with NULLs, and strings
  const queries = [
    'SELECT count(*), sum(k) FROM a WHERE k < ALL (SELECT k + 150000 FROM a WHERE k > 7)',
    'SELECT count(*), sum(k) FROM a WHERE k >= ANY (SELECT CASE WHEN k % 9 = 4 THEN NULL ELSE 299990 - k END FROM a)',
    'SELECT count(*), count(k > ALL (SELECT CASE WHEN k = 5 THEN NULL ELSE k - 299996 END FROM a)), max(s) FROM a WHERE s <= ANY (SELECT s FROM a WHERE k > 150000) AND s > ALL (SELECT s FROM a WHERE k % 5000 > 120)',
  ];
  for (const sql of queries) await twins.same(sql);
  expect(leftover()).toEqual([]);
  await expect(twins.s.execute('SELECT count(*) FROM a WHERE k < ALL (SELECT 1 / (k - 299999) FROM a)')).rejects.toMatchObject({ code: 'DIVISION_BY_ZERO' });
  expect(leftover()).toEqual([]);
  // the subquery's DISTINCT at the leader goes to partition files: canceled there
  await canceledWhileSpilling(`SELECT count(*) FROM a WHERE s < ALL (SELECT s FROM (SELECT DISTINCT k, s FROM ${A}) z)`);
});

it('a recursive UNION takes its anchor in pieces and runs a linear step over a round bigger than the limit a piece at a time, from a file', async () => {
  const queries = [
    // rounds of 150,000 rows with a string (1.7 MB and more whole: OUT_OF_MEMORY before); a join with a table in the step
    'WITH RECURSIVE r(k, s, n) AS (SELECT k, s, 0 FROM a WHERE k % 2 = 0 UNION ALL SELECT r.k + d.n, r.s, r.n + 1 FROM r JOIN d ON d.n = r.k % 10 WHERE r.n < 2) SELECT count(*), sum(k), max(s), sum(n * k) FROM r',
    // UNION: rounds of 75,000 rows, its rows seen in files
    'WITH RECURSIVE r(k, s, n) AS (SELECT k, s, 0 FROM a WHERE k % 4 = 0 UNION SELECT k + 100001, s, CASE WHEN n < 2 THEN n + 1 ELSE 2 END FROM r WHERE k < 500000) SELECT count(*), sum(k), max(s), sum(n * k) FROM r',
  ];
  expect(await plan(queries[0])).toMatch(/Recursive UNION ALL r \(the second input repeats over the rows each round adds, a piece at a time\)/);
  // a step that reads its rows together (an aggregate) is not run a piece at a time
  expect(await plan('WITH RECURSIVE r(k) AS (SELECT 1 UNION ALL SELECT max(k) + 1 FROM r HAVING max(k) < 5) SELECT k FROM r')).toMatch(/Recursive UNION ALL r \(the second input repeats over the rows each round adds\)/);
  for (const sql of queries) await twins.same(sql);
  expect(leftover()).toEqual([]);
  // streamed to the client: a round's file is handed on as it is
  const sql = 'WITH RECURSIVE r(k, s, n) AS (SELECT k, s, 0 FROM a WHERE k % 2 = 0 UNION ALL SELECT k + 1, s, n + 1 FROM r WHERE n < 1) SELECT k, s, n FROM r';
  const rows = await streamed(sql);
  expect([String(rows.length), String(rows.reduce((t, [k, str, n]) => t + Number(k) * (Number(n) + 1) + str.length, 0))])
    .toEqual((await duckdb(`SELECT count(*), sum(k * (n + 1) + length(s)) FROM (${sql}) z`))[0]);
  expect(leftover()).toEqual([]);
  // the step fails over its third round (n = 2), after rounds went to files
  await expect(twins.s.execute('WITH RECURSIVE r(k, s, n) AS (SELECT k, s, 0 FROM a WHERE k % 2 = 0 UNION ALL SELECT k + 1 / (2 - n), s, n + 1 FROM r WHERE n < 3) SELECT count(*), sum(k) FROM r')).rejects.toMatchObject({ code: 'DIVISION_BY_ZERO' });
  expect(leftover()).toEqual([]);
  await canceledWhileSpilling('WITH RECURSIVE r(k, s, n) AS (SELECT k, s, 0 FROM a UNION ALL SELECT k + 1, s, n + 1 FROM r WHERE n < 200) SELECT count(*), max(s) FROM r');
});
