// Window frames that slide to the partition's end (`ROWS n PRECEDING AND UNBOUNDED FOLLOWING`,
// `RANGE BETWEEN CURRENT ROW AND UNBOUNDED FOLLOWING`, ...) are computed over their mirror image
// (plan/window-frames.ts): with the ORDER BY reversed each frame only grows, so an aggregate over
// it is one running accumulator, in memory and on the sorted path, where it kept every row the
// frame might still need and took the aggregate again for each row. Answers are compared with
// DuckDB's over the same rows; the temp area is empty after success, an error and a cancel.
// In a slice, a window partition too big to compute whole goes through the same sorted path.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { openTwinEngines, type TwinEngines } from '../../support/twin-engines.ts';
import { canceledOnTempFile, makesTempFile, type TempFile } from '../../support/temp-files.ts';
import { TABLE_A_SETUP } from '../../support/table-a.ts';

let twins: TwinEngines;

/** Strata answers `sql` as DuckDB does (numbers to 12 digits: sums of doubles added in another order differ in their last ones). */
const same = (sql: string, duckSql?: string) => twins.same(sql, { duckSql, digits: 12 });

// w: 50,000 rows; u is a unique order key (a permutation of k, one row NULL), d has 1,000 rows a
// value (ties, for RANGE), x is NULL every 13th row, g splits the rows into 3 partitions
const W_SETUP = [
  ...TABLE_A_SETUP,
  'CREATE TABLE w (k INTEGER, u INTEGER, d INTEGER, g INTEGER, x INTEGER, s VARCHAR(30))',
  `INSERT INTO w SELECT k, CASE WHEN k = 777 THEN NULL ELSE k * 7919 % 100003 END, k % 100, k % 3,
    CASE WHEN k % 13 = 0 THEN NULL ELSE k % 1009 END, s FROM a WHERE k < 50000`,
];

/** Sums of each window value weighted by its row (k % 1009), so a value at the wrong row shows. */
const weighted = (cols: string[], windows: string) =>
  `SELECT count(*), ${cols.map((c) => `sum(CAST(${c} AS DOUBLE) * (k % 1009 + 1))`).join(', ')} FROM (SELECT k, ${windows} FROM w) q`;

const FRAMES = [
  // ROWS over a unique order: every start (n PRECEDING, CURRENT ROW, n FOLLOWING), both orders and NULL placements
  weighted(['a', 'b', 'c', 'e', 'f', 'h'], `sum(x) OVER (ORDER BY u ROWS BETWEEN 3 PRECEDING AND UNBOUNDED FOLLOWING) AS a,
    count(x) OVER (ORDER BY u DESC NULLS LAST ROWS BETWEEN CURRENT ROW AND UNBOUNDED FOLLOWING) AS b,
    min(x) OVER (ORDER BY u NULLS FIRST ROWS BETWEEN 2 FOLLOWING AND UNBOUNDED FOLLOWING) AS c,
    avg(CAST(x AS DOUBLE)) OVER (ORDER BY u DESC ROWS BETWEEN 49999 PRECEDING AND UNBOUNDED FOLLOWING) AS e,
    count(*) OVER (ORDER BY u ROWS BETWEEN 50001 FOLLOWING AND UNBOUNDED FOLLOWING) AS f,
    stddev_samp(x) OVER (ORDER BY u ROWS BETWEEN 7 FOLLOWING AND UNBOUNDED FOLLOWING) AS h`),
  // partitions; strings, booleans and DISTINCT
  weighted(['a', 'b', 'c', 'e'], `length(max(s) OVER (PARTITION BY g ORDER BY u ROWS BETWEEN 1 PRECEDING AND UNBOUNDED FOLLOWING)) AS a,
    CAST(bool_and(x > 3) OVER (PARTITION BY g ORDER BY u DESC ROWS BETWEEN CURRENT ROW AND UNBOUNDED FOLLOWING) AS INTEGER) AS b,
    count(DISTINCT x) OVER (ORDER BY u ROWS BETWEEN 5 FOLLOWING AND UNBOUNDED FOLLOWING) AS c,
    sum(DISTINCT x) OVER (PARTITION BY g ORDER BY u ROWS BETWEEN 2 PRECEDING AND UNBOUNDED FOLLOWING) AS e`),
  // RANGE from the current row's peers: ties in d and x (NULLs first or last), where the order among peers cannot matter
  weighted(['a', 'b', 'c', 'e'], `sum(x) OVER (ORDER BY d RANGE BETWEEN CURRENT ROW AND UNBOUNDED FOLLOWING) AS a,
    count(*) OVER (PARTITION BY g ORDER BY x NULLS FIRST RANGE BETWEEN CURRENT ROW AND UNBOUNDED FOLLOWING) AS b,
    max(k) OVER (ORDER BY x DESC NULLS LAST, d RANGE BETWEEN CURRENT ROW AND UNBOUNDED FOLLOWING) AS c,
    avg(CAST(k AS DOUBLE)) OVER (PARTITION BY d ORDER BY g DESC RANGE BETWEEN CURRENT ROW AND UNBOUNDED FOLLOWING) AS e`),
];

/** A frame to the end of one partition of every row, at the limit that path must stay within. */
const ONE_PARTITION = 'SELECT count(*), sum(r), min(r), max(r) FROM (SELECT sum(x) OVER (ORDER BY u ROWS BETWEEN 1 PRECEDING AND UNBOUNDED FOLLOWING) AS r FROM w) q';

beforeAll(async () => {
  twins = await openTwinEngines('frames', W_SETUP);
}, 60_000);

afterAll(async () => {
  await twins?.close();
});

it('frames sliding to the partition\'s end answer as DuckDB does in memory, where each row took its frame again', async () => {
  for (const sql of FRAMES) await same(sql);
  // a PARTITION BY every call shares: each slice computes its partitions
  const inSlices = weighted(['a', 'b'], `sum(x) OVER (PARTITION BY g ORDER BY u DESC ROWS BETWEEN 4 PRECEDING AND UNBOUNDED FOLLOWING) AS a,
    count(*) OVER (PARTITION BY g ORDER BY d RANGE BETWEEN CURRENT ROW AND UNBOUNDED FOLLOWING) AS b`);
  expect(await twins.explain(inSlices)).toMatch(/Window per slice/);
  await same(inSlices);
  // LISTAGG joins its frame in order, so it keeps the frame's rows: exact, over a small partition
  const listagg = "SELECT k, listagg(CAST(k AS VARCHAR), ',') OVER (PARTITION BY g ORDER BY u ROWS BETWEEN 1 PRECEDING AND UNBOUNDED FOLLOWING) FROM w WHERE k < 40 ORDER BY k";
  await same(listagg, listagg.replace('listagg', 'string_agg'));
  // without ORDER BY the rows' arbitrary order is not reversed: a frame to the end counts the rows row_number has not reached
  const unordered = 'SELECT count(*), min(t), max(t) FROM (SELECT row_number() OVER () + count(*) OVER (ROWS BETWEEN CURRENT ROW AND UNBOUNDED FOLLOWING) AS t FROM w WHERE k < 2000) q';
  expect(await twins.strataRows(unordered)).toEqual([['2000', '2001', '2001']]);
  // ties on d (30 rows a value here): a ROWS frame to the end beside calls over the same window takes the tied rows in their order
  const tied = `SELECT count(*), min(t), max(t), min(n), max(n) FROM (SELECT
    sum(k) OVER (PARTITION BY g ORDER BY d ROWS BETWEEN CURRENT ROW AND UNBOUNDED FOLLOWING) + sum(k) OVER (PARTITION BY g ORDER BY d ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) - sum(k) OVER (PARTITION BY g) - k AS t,
    row_number() OVER (PARTITION BY g ORDER BY d) + count(*) OVER (PARTITION BY g ORDER BY d ROWS BETWEEN CURRENT ROW AND UNBOUNDED FOLLOWING) - count(*) OVER (PARTITION BY g) AS n
    FROM w WHERE k < 3000) q`;
  expect(await twins.strataRows(tied)).toEqual([['3000', '0', '0', '1', '1']]);
});

/** Runs `sql` and checks that it went through the sorted path (its sort's runs appeared) and answered as DuckDB does. */
async function sortedAsDuckDB(sql: string) {
  // the window's sort's runs: a consumer taking pieces reads the walked rows as they are made, with no file of them
  await makesTempFile(twins.tempArea, (f) => f.kind === 'window-sort-run', () => same(sql), sql);
}

it('frames sliding to the end of a partition of every row go through the sorted path and answer as DuckDB does, leaving no file behind', async () => {
  try {
    // at 4 MB, the frame's kept rows (every row, for the first) failed with OUT_OF_MEMORY
    await twins.s.execute("SET query_memory_limit = '4MB'");
    await sortedAsDuckDB(ONE_PARTITION);
    expect(twins.leftover()).toEqual([]);
    // an error in the walk over the sorted rows, and a cancel once the first spill file appears, leave nothing behind
    const failing = 'SELECT max(r) FROM (SELECT sum(1 / (k - 27777)) OVER (ORDER BY u ROWS BETWEEN 1 PRECEDING AND UNBOUNDED FOLLOWING) AS r FROM w) q';
    await expect(twins.s.execute(failing)).rejects.toMatchObject({ code: 'DIVISION_BY_ZERO' });
    expect(twins.leftover()).toEqual([]);
    await canceledOnTempFile(twins.s, ONE_PARTITION, twins.tempArea);
    // every frame above, several calls a query: each group of calls is sorted and walked in turn
    await twins.s.execute("SET query_memory_limit = '8MB'");
    for (const sql of FRAMES) await sortedAsDuckDB(sql);
    expect(twins.leftover()).toEqual([]);
  } finally {
    await twins.s.execute('RESET query_memory_limit');
  }
});

it('in a slice, a window partition too big to compute whole goes through the external sort at 8 MB and answers as DuckDB does', async () => {
  // 150,000 of a's rows in 3 partitions of 50,000, every call's: each slice computes the partitions it holds
  const sql = `SELECT count(*), sum(r), sum(rn * (k % 7)), sum(c * (k % 5)), sum(l % 11) FROM (SELECT k,
    sum(k) OVER (PARTITION BY k % 3 ORDER BY k ROWS UNBOUNDED PRECEDING) AS r, row_number() OVER (PARTITION BY k % 3 ORDER BY k) AS rn,
    count(*) OVER (PARTITION BY k % 3 ORDER BY k ROWS BETWEEN 2 PRECEDING AND 1 FOLLOWING) AS c, lag(k, 2) OVER (PARTITION BY k % 3 ORDER BY k) AS l FROM a WHERE k < 150000) q`;
  expect(await twins.explain(sql)).toMatch(/Window per slice/);
  /** a slice's sorted window rows file */
  const sortedInSlice = (f: TempFile) => f.inSlice && f.kind === 'window-rows';
  await twins.s.execute("SET query_memory_limit = '8MB'");
  try {
    await makesTempFile(twins.tempArea, sortedInSlice, () => same(sql), sql);
    expect(twins.leftover()).toEqual([]);
    // an error in the walk over a slice's sorted rows, and a cancel once they are there, leave nothing behind
    await expect(twins.s.execute(sql.replace('sum(k) OVER', 'sum(1 / (k - 77777)) OVER'))).rejects.toMatchObject({ code: 'DIVISION_BY_ZERO' });
    expect(twins.leftover()).toEqual([]);
    await canceledOnTempFile(twins.s, sql, twins.tempArea, sortedInSlice);
  } finally {
    await twins.s.execute('RESET query_memory_limit');
  }
});
