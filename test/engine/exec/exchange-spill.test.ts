// Rows redistributed between the slices over a small query_memory_limit: a slice whose rows to
// send pass its share writes them to a file and splits it by destination into a file per slice,
// sending each slice the file's name; a slice whose received rows pass its share writes them to
// disk; the pipeline reads either back a block at a time. A join's build rows computed in the
// slice go to a file as they come once they pass its share, and the join spills from there; rows
// received for windows wait on disk and are split into window partitions from there, and a
// UNION ALL input's rows past a slice's share go to a file read back a block at a time; a leader
// GROUP BY over a LIMIT or UNION ALL at the leader reads the slices' rows in pieces, and over a
// CROSS or non-equi join the joined rows a block at a time. The
// joins and windows answer as DuckDB does where holding those rows fails, and no file is left after
// success, error and cancel. UNLOAD writes a result past the limit a piece at a time: text to a
// local file, Parquet a row group at a time, to S3 as a multipart upload of parts as they fill;
// a canceled UNLOAD leaves no file or object.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Session } from '../../../engine/database.ts';
import type { DuckDBSession } from '../../support/verify-with-duckdb.ts';
import { openTwinEngines, type TwinEngines } from '../../support/twin-engines.ts';
import { TABLE_A_ROWS, TABLE_A_SETUP } from '../../support/table-a.ts';
import { canceledOnTempFile, makesTempFile, type TempFile } from '../../support/temp-files.ts';
import { startS3Server, S3_CREDENTIALS } from '../../servers/s3-server.ts';
import { PARQUET_ROW_GROUP_ROWS } from '../../../engine/storage/parquet.ts';

let twins: TwinEngines | undefined;
let dir: string;
let s: Session;
let duck: DuckDBSession;
// both sides redistributed by key (join_distribution below): 300 000 probe rows cross the slices
const JOIN = 'SELECT count(*), sum(x.k), count(DISTINCT x.s), min(x.s) FROM a x JOIN (SELECT k FROM a WHERE k % 10 = 0) y ON x.k = y.k + 1';

const tempArea = () => twins!.tempArea;
const leftover = () => twins!.leftover();
/** a file of rows a slice writes for another */
const forASlice = (f: TempFile) => f.kind === 'rows-for-a-slice';
const rows = (sql: string) => twins!.strataRows(sql);

beforeAll(async () => {
  twins = await openTwinEngines('exchange-spill', TABLE_A_SETUP);
  ({ dir, s, duck } = twins);
  await s.execute("SET join_distribution = 'redistribute'");
}, 60_000);

afterAll(async () => {
  await twins?.close();
});

it('redistributed rows over a slice\'s share go between the slices as files and the join answers as DuckDB does', async () => {
  expect(await twins!.explain(JOIN)).toMatch(/Redistribute by key k[^]*Redistribute by key \(k \+ 1\)/);
  const want = await twins!.duckRows(JOIN);
  expect(await rows(JOIN)).toEqual(want);
  await s.execute("SET query_memory_limit = '3MB'");
  try {
    // the files each slice writes for the others appear while it runs
    expect(await makesTempFile(tempArea(), forASlice, () => rows(JOIN))).toEqual(want);
    expect(leftover()).toEqual([]);
    // a failure in the pipeline reading them back, and a cancel, leave no files either
    await expect(s.execute(JOIN.replace('count(*)', 'sum(1 / (x.k - 299991))'))).rejects.toMatchObject({ code: 'DIVISION_BY_ZERO' });
    expect(leftover()).toEqual([]);
    await canceledOnTempFile(s, JOIN, tempArea(), forASlice);
  } finally {
    await s.execute('RESET query_memory_limit');
  }
});

it('build rows a slice computes past its share go to a file as they come, and the join spills from there', async () => {
  // both sides 300 000 rows: the build side's rows alone pass a slice's share of 8 MB
  const sql = 'SELECT count(*), sum(x.k), count(DISTINCT y.s), max(y.s) FROM a x JOIN a y ON x.k = y.k + 1';
  const want = await twins!.duckRows(sql);
  await s.execute("SET query_memory_limit = '8MB'");
  try {
    expect(await makesTempFile(tempArea(), (f) => f.kind === 'result-rows', () => rows(sql))).toEqual(want);
    expect(leftover()).toEqual([]);
  } finally {
    await s.execute('RESET query_memory_limit');
  }
});

it('rows broadcast between the slices past a slice\'s share wait on disk, a slice\'s own in a file every slice reads, and the join spills from there', async () => {
  const sql = 'SELECT count(*), sum(x.k), max(y.k) FROM a x JOIN a y ON x.k = y.k + 1';
  const want = await twins!.duckRows(sql);
  await s.execute("SET join_distribution = 'broadcast'");
  try {
    expect(await twins!.explain(sql)).toMatch(/Broadcast \(every slice -> every slice\)/);
    // a slice's 150,000 build keys fit its share of 4 MB, all 300,000 may not: what it receives then waits on disk
    await s.execute("SET query_memory_limit = '4MB'");
    expect(await rows(sql)).toEqual(want);
    expect(leftover()).toEqual([]);
    // at 2 MB a slice's own rows pass its share as it computes them: they go to a file the other
    // slices read too (held whole, they failed)
    await s.execute("SET query_memory_limit = '2MB'");
    expect(await rows(sql)).toEqual(want);
    expect(leftover()).toEqual([]);
    await expect(s.execute(sql.replace('count(*)', 'sum(1 / (x.k - 299991))'))).rejects.toMatchObject({ code: 'DIVISION_BY_ZERO' });
    expect(leftover()).toEqual([]);
    await canceledOnTempFile(s, sql, tempArea());
  } finally {
    await s.execute('RESET query_memory_limit');
    await s.execute("SET join_distribution = 'redistribute'");
  }
});

it('a build partition one key fills joins a chunk at a time against its probe file instead of failing', async () => {
  // 200,000 build rows on two keys (redistributed by key: one slice may hold both): no hash splits them
  const skewed = '(SELECT k % 2 AS g, k, s FROM a WHERE k < 200000) y';
  const inner = `SELECT count(*), sum(x.k), sum(y.k), max(y.s) FROM a x JOIN ${skewed} ON x.k = y.g`;
  // a LEFT join with a residual: a probe row is padded only when no chunk matched it
  const left = `SELECT count(*), sum(x.k), sum(y.k), count(y.k) FROM a x LEFT JOIN ${skewed} ON x.k = y.g AND y.k % 3 <> x.k`;
  const want = await Promise.all([inner, left].map((sql) => twins!.duckRows(sql)));
  await s.execute("SET query_memory_limit = '6MB'");
  try {
    expect(await rows(inner)).toEqual(want[0]);
    expect(leftover()).toEqual([]);
    expect(await rows(left)).toEqual(want[1]);
    expect(leftover()).toEqual([]);
    await expect(s.execute(inner.replace('count(*)', 'sum(1 / (y.k - 199999))'))).rejects.toMatchObject({ code: 'DIVISION_BY_ZERO' });
    expect(leftover()).toEqual([]);
  } finally {
    await s.execute('RESET query_memory_limit');
  }
});

it('rows a slice receives for windows wait on disk past its share and go to partition files a block at a time', async () => {
  // 300 000 rows of (k, s, s || s) redistributed by k % 1000: held whole in each slice, they pass 4 MB
  const sql = 'SELECT count(*), sum(r), count(DISTINCT r), max(t) FROM (SELECT k, s || s AS t, row_number() OVER (PARTITION BY k % 1000 ORDER BY k) r FROM a) x';
  expect(await twins!.explain(sql)).toMatch(/Window per slice/);
  const want = await twins!.duckRows(sql);
  await s.execute("SET query_memory_limit = '4MB'");
  try {
    expect(await rows(sql)).toEqual(want);
    expect(leftover()).toEqual([]);
    // r reaches 300 in every partition: the division fails in the slices after the rows went to disk
    await expect(s.execute(sql.replace('sum(r)', 'sum(1 / (r - 300))'))).rejects.toMatchObject({ code: 'DIVISION_BY_ZERO' });
    expect(leftover()).toEqual([]);
  } finally {
    await s.execute('RESET query_memory_limit');
  }
});

it('a UNION ALL input\'s rows in a slice go to a file past its share and are read back a block at a time', async () => {
  // each input computed whole in a slice (150 000 rows with a new string each) passes 6 MB
  const sql = "SELECT count(*), sum(k), max(t), min(t) FROM (SELECT k, s || s AS t FROM a UNION ALL SELECT k * 2, s || 'x' FROM a WHERE k % 3 <> 0) x";
  expect(await twins!.explain(sql)).toMatch(/UNION ALL per slice/);
  const want = await twins!.duckRows(sql);
  await s.execute("SET query_memory_limit = '6MB'");
  try {
    expect(await rows(sql)).toEqual(want);
    expect(leftover()).toEqual([]);
    await expect(s.execute(sql.replace('sum(k)', 'sum(1 / (k - 299999))'))).rejects.toMatchObject({ code: 'DIVISION_BY_ZERO' });
    expect(leftover()).toEqual([]);
  } finally {
    await s.execute('RESET query_memory_limit');
  }
});

it('a leader GROUP BY reads a LIMIT or a UNION ALL over the slices\' rows a piece at a time', async () => {
  await s.execute("SET query_memory_limit = '4MB'");
  try {
    for (const sql of [
      // any 299 000 rows of a: as many, and strings of every length
      'SELECT count(*), min(length(s)), max(length(s)) FROM (SELECT k, s FROM a LIMIT 299000) x',
      "SELECT s, count(*), sum(k) FROM (SELECT k, s FROM a UNION ALL SELECT -1, 'x') y GROUP BY s ORDER BY 2 DESC, 1 LIMIT 3",
    ]) {
      // the aggregate's input is the leader's, in pieces (held whole it passes the limit)
      expect(await twins!.explain(sql)).toMatch(/Hash Aggregate[^\n]*\[leader[^]*(Limit 299000|UNION ALL)  \[leader/);
      await twins!.same(sql);
      expect(leftover()).toEqual([]);
    }
    await expect(s.execute('SELECT count(*), sum(1 / (k - 299999)) FROM (SELECT k, s FROM a UNION ALL SELECT -1, \'x\') y')).rejects.toMatchObject({ code: 'DIVISION_BY_ZERO' });
    expect(leftover()).toEqual([]);
  } finally {
    await s.execute('RESET query_memory_limit');
  }
});

it('a CROSS or non-equi join at the leader joins a block at a time: a GROUP BY takes each block, a client reads the rest from a file', async () => {
  const summary = 'count(*), sum(x.k), sum(d.n), max(x.s)';
  await s.execute("SET query_memory_limit = '4MB'");
  try {
    // 3M and ~2.99M joined rows (over 90 MB whole), aggregated as they are made
    for (const sql of [`SELECT ${summary} FROM a x CROSS JOIN d`, `SELECT ${summary} FROM a x JOIN d ON x.k > d.n * 1000`]) {
      expect(await twins!.explain(sql)).toMatch(/Nested Loop (CROSS|INNER) Join[^\n]*\[leader/);
      await twins!.same(sql);
      expect(leftover()).toEqual([]);
    }
    // 500,000 joined rows for a client: those past a quarter of what is left go to a file
    const sql = 'SELECT x.k, x.s, d.n FROM a x CROSS JOIN d WHERE x.k < 50000';
    await expect(s.execute(sql)).rejects.toMatchObject({ code: 'OUT_OF_MEMORY' });
    const [r] = await s.execute(sql, { stream: true });
    let count = 0, sumK = 0, sumN = 0, sumLen = 0;
    while (r.stream!.remaining > 0) for (const [k, str, n] of r.stream!.next(50_000)) { count++; sumK += Number(k); sumN += Number(n); sumLen += String(str).length; }
    const [d] = await duck.execute(`SELECT count(*), sum(k), sum(n), sum(length(s)) FROM (${sql}) z`);
    expect([count, sumK, sumN, sumLen]).toEqual(d.rows[0].map(Number));
    expect(leftover()).toEqual([]);
    await expect(s.execute('SELECT count(*), sum(1 / (x.k - 299999 + d.n)) FROM a x CROSS JOIN d')).rejects.toMatchObject({ code: 'DIVISION_BY_ZERO' });
    expect(leftover()).toEqual([]);
  } finally {
    await s.execute('RESET query_memory_limit');
  }
});

it('UNLOAD to a local file writes a result past the limit a piece at a time', async () => {
  const sql = 'SELECT k, s FROM a ORDER BY k';
  const target = join(dir, 'unloaded.csv');
  const [d] = await duck.execute('SELECT count(*), sum(k), sum(length(s)) FROM a');
  await s.execute("SET query_memory_limit = '3MB'");
  try {
    // the rows gathered whole do not fit
    await expect(s.execute(sql)).rejects.toMatchObject({ code: 'OUT_OF_MEMORY' });
    const [r] = await s.execute(`UNLOAD ('${sql}') TO '${target}' FORMAT CSV HEADER`);
    expect(r.rowCount).toBe(TABLE_A_ROWS);
  } finally {
    await s.execute('RESET query_memory_limit');
  }
  const lines = readFileSync(target, 'utf8').trimEnd().split('\n');
  expect(lines.slice(0, 2)).toEqual(['k,s', '0,row 0 of a few']);
  const data = lines.slice(1).map((l) => l.split(','));
  expect([data.length, data.reduce((t, [k]) => t + Number(k), 0), data.reduce((t, [, str]) => t + str.length, 0)]).toEqual(d.rows[0].map(Number));
  expect(data.every(([k], i) => Number(k) === i)).toBe(true);
  expect(leftover()).toEqual([]);
});

/** Aborts when `ready()` first holds (polled every millisecond), to cancel a statement mid-write. */
function abortWhen(ready: () => boolean): AbortController {
  const ac = new AbortController();
  const timer = setInterval(() => { if (ready()) { clearInterval(timer); ac.abort(); } }, 1);
  ac.signal.addEventListener('abort', () => clearInterval(timer));
  return ac;
}

it('UNLOAD to Parquet writes a result past the limit a row group at a time, and a cancel leaves no file', async () => {
  const sql = 'SELECT k, s FROM a ORDER BY k';
  const target = join(dir, 'unloaded.parquet');
  const unfinished = () => readdirSync(dir).filter((f) => f.includes('.tmp-'));
  const written = () => unfinished().some((f) => (statSync(join(dir, f), { throwIfNoEntry: false })?.size ?? 0) > 0);
  await s.execute("SET query_memory_limit = '3MB'");
  try {
    const [r] = await s.execute(`UNLOAD ('${sql}') TO '${target}' FORMAT PARQUET`);
    expect(r.rowCount).toBe(TABLE_A_ROWS);
    // canceled once its first row group is in its temporary file: neither it nor the target remains
    const ac = abortWhen(written);
    await expect(s.execute(`UNLOAD ('${sql}') TO '${join(dir, 'canceled.parquet')}' FORMAT PARQUET`, { signal: ac.signal })).rejects.toMatchObject({ code: 'QUERY_CANCELED' });
    expect(ac.signal.aborted).toBe(true);
  } finally {
    await s.execute('RESET query_memory_limit');
  }
  expect(unfinished()).toEqual([]);
  expect(existsSync(join(dir, 'canceled.parquet'))).toBe(false);
  expect(leftover()).toEqual([]);
  const summary = 'SELECT count(*), sum(k), sum(length(s)), count(DISTINCT s), min(s), max(s)';
  const [got] = await duck.execute(`${summary} FROM read_parquet('${target}')`);
  const [want] = await duck.execute(`${summary} FROM a`);
  expect(got.rows).toEqual(want.rows);
  const [groups] = await duck.execute(`SELECT count(DISTINCT row_group_id), max(row_group_num_rows) FROM parquet_metadata('${target}')`);
  expect(groups.rows[0].map(Number)).toEqual([Math.ceil(TABLE_A_ROWS / PARQUET_ROW_GROUP_ROWS), PARQUET_ROW_GROUP_ROWS]);
});

it('UNLOAD to S3 sends a result past the limit as a multipart upload of parts as they fill, and a cancel leaves no object', async () => {
  const s3 = await startS3Server(['lake']);
  const saved = process.env.STRATA_S3_ENDPOINT;
  process.env.STRATA_S3_ENDPOINT = s3.endpoint;
  const creds = `CREDENTIALS 'aws_access_key_id=${S3_CREDENTIALS.accessKeyId};aws_secret_access_key=${S3_CREDENTIALS.secretAccessKey}'`;
  const sql = 'SELECT k, s FROM a ORDER BY k';
  try {
    await s.execute("SET query_memory_limit = '3MB'");
    // about 7.5 MB of CSV: two parts of at least S3_PART_BYTES
    const [r] = await s.execute(`UNLOAD ('${sql}') TO 's3://lake/a.csv' ${creds} FORMAT CSV`);
    expect(r.rowCount).toBe(TABLE_A_ROWS);
    expect(s3.created).toEqual(['ObjectCreated:Post lake/a.csv']);
    // a small result is one PutObject
    await s.execute(`UNLOAD ('SELECT k FROM a WHERE k < 3') TO 's3://lake/small.csv' ${creds} FORMAT CSV`);
    expect(s3.created.at(-1)).toBe('ObjectCreated:Put lake/small.csv');
    // canceled once S3 holds its first part: no object appears
    const ac = abortWhen(() => s3.partsHeld('lake') > 0);
    await expect(s.execute(`UNLOAD ('${sql}') TO 's3://lake/canceled.csv' ${creds} FORMAT CSV`, { signal: ac.signal })).rejects.toMatchObject({ code: 'QUERY_CANCELED' });
    expect(ac.signal.aborted).toBe(true);
    expect(s3.created.filter((c) => c.includes('canceled'))).toEqual([]);
    expect(leftover()).toEqual([]);
    // read back through S3: every row, in order
    await s.execute('RESET query_memory_limit');
    await s.execute('CREATE TABLE a_back (k INTEGER, s VARCHAR(30))');
    await s.execute(`COPY a_back FROM 's3://lake/a.csv' ${creds} FORMAT CSV`);
    expect(await rows('SELECT count(*), sum(k), sum(length(s)), count(DISTINCT s) FROM a_back')).toEqual(await rows('SELECT count(*), sum(k), sum(length(s)), count(DISTINCT s) FROM a'));
    expect(await rows('SELECT count(*) FROM a_back b JOIN a ON a.k = b.k AND a.s = b.s')).toEqual([[String(TABLE_A_ROWS)]]);
  } finally {
    await s.execute('RESET query_memory_limit');
    await s.execute('DROP TABLE IF EXISTS a_back');
    if (saved === undefined) delete process.env.STRATA_S3_ENDPOINT; else process.env.STRATA_S3_ENDPOINT = saved;
    await s3.close();
  }
});
