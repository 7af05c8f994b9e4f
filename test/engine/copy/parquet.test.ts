// COPY ... FORMAT PARQUET and UNLOAD ... FORMAT PARQUET (engine/session/statements/copy.ts,
// engine/storage/parquet.ts). Round trips over every type with NULLs and edge values; files
// written by DuckDB loaded and compared with DuckDB's own answers; Strata's files read by DuckDB;
// and every kind of bad input failing with a clear message and nothing loaded.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { Dictionary, Int32, Table, Utf8, tableToIPC, vectorFromArray } from 'apache-arrow';
import { Table as WasmTable, writeParquet } from 'parquet-wasm';
import { Database, SqlError, type Session } from '../../../engine/database.ts';

let dir: string;
let db: Database;
let s: Session;
let duck: DuckDBConnection;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'strata-parquet-'));
  db = await Database.open({ dataDir: join(dir, 'data'), slices: 2 });
  s = db.connect();
  duck = await (await DuckDBInstance.create(':memory:', { threads: '2' })).connect();
});
afterAll(async () => {
  duck?.disconnectSync();
  await db?.close();
  rmSync(dir, { recursive: true, force: true });
});

const file = (name: string) => join(dir, name);

async function rows(sql: string): Promise<unknown[][]> {
  const r = await s.execute(sql);
  return r[r.length - 1].rows as unknown[][];
}

/** DuckDB's rows in the shape Strata returns: exact integers as numbers, DECIMAL/DATE/TIMESTAMP as text. */
async function duckRows(sql: string): Promise<unknown[][]> {
  const r = await duck.runAndReadAll(sql);
  return r.getRows().map((row) => row.map((v) => {
    if (v === null || v === undefined) return null;
    if (typeof v === 'bigint') return Number(v);
    if (typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean') return v;
    return String(v);
  }));
}

/** Runs `sql`, expects a SqlError, and checks that table `table` still holds exactly what it did. */
async function failure(sql: string, table: string): Promise<SqlError> {
  const before = JSON.stringify(await rows(`SELECT * FROM ${table} ORDER BY 1`));
  let err: unknown;
  try {
    await s.execute(sql);
  } catch (e) {
    err = e;
  }
  expect(err, `expected an error from: ${sql}`).toBeInstanceOf(SqlError);
  expect(JSON.stringify(await rows(`SELECT * FROM ${table} ORDER BY 1`)), `data changed after: ${sql}`).toBe(before);
  return err as SqlError;
}

// ---------------------------------------------------------------- round trips

const ALL_TYPES = `id INTEGER, sm SMALLINT, i INTEGER, bi BIGINT, d2 DECIMAL(12,2), d4 DECIMAL(15,4), d0 DECIMAL(5,0),
  dw DECIMAL(38,6), r REAL, f DOUBLE PRECISION, b BOOLEAN, c CHAR(3), v VARCHAR(300), dt DATE, ts TIMESTAMP`;
const COLUMNS = ['id', 'sm', 'i', 'bi', 'd2', 'd4', 'd0', 'dw', 'r', 'f', 'b', 'c', 'v', 'dt', 'ts'];

function csvQuote(x: string): string {
  return `"${x.replace(/"/g, '""')}"`;
}

/** Rows with NULLs in every column, each type's extremes, and awkward strings. */
function allTypesCsv(n: number): string {
  const edge = [
    ['32767', '2147483647', '9007199254740991', '9999999999.99', '99999999999.9999', '99999', '9007199254.740991', '3.4028235e38', '1.7976931348623157e308', 'true', csvQuote('abc'), csvQuote('x'.repeat(300)), '9999-12-31', '2250-12-31 23:59:59.999999'],
    ['-32768', '-2147483648', '-9007199254740991', '-9999999999.99', '-99999999999.9999', '-99999', '-9007199254.740991', '-1.5e-30', '-4.9e-324', 'false', csvQuote(''), csvQuote(''), '0001-01-01', '0001-01-01 00:00:00'],
    ['0', '0', '0', '0.00', '0.0001', '0', '0.000001', 'NaN', 'Infinity', 'true', csvQuote('a  '), csvQuote('comma, "quote"\nnewline\ttab'), '1970-01-01', '1969-12-31 23:59:59.999999'],
    ['-1', '-1', '-1', '-0.01', '-0.0001', '-1', '-0.000001', '-Infinity', '-0', 'false', csvQuote('é'), csvQuote('héllo wörld ✓ 😀'), '2024-02-29', '9999-12-31 00:00:00'],
  ];
  const lines: string[] = [];
  for (let id = 1; id <= n; id++) {
    const e = edge[id - 1];
    if (e) { lines.push([id, ...e].join(',')); continue; }
    const k = id * 7919;
    const nul = (col: number) => (id + col) % 11 === 0; // every column has NULLs, rows differ
    const f = [
      String((k % 65535) - 32767), String(((k * 31) % 4294967295) - 2147483647), String(k * 1234567 - 4e12),
      `${(k % 2e9) - 1e9}.${String(k % 100).padStart(2, '0')}`, `${k % 99999999}.${String(k % 10000).padStart(4, '0')}`,
      String((k % 199999) - 99999), `${k % 9007199}.${String(k % 1e6).padStart(6, '0')}`,
      String(Math.fround((k % 1000) / 7)), String((k - 5e6) / 3), k % 2 ? 'true' : 'false',
      csvQuote(['ab', 'xyz', 'q', ''][k % 4]), csvQuote(`name ${k % 500} ${'z'.repeat(k % 13)}`),
      `${1900 + (k % 200)}-${String(1 + (k % 12)).padStart(2, '0')}-${String(1 + (k % 28)).padStart(2, '0')}`,
      `20${String(k % 100).padStart(2, '0')}-06-15 ${String(k % 24).padStart(2, '0')}:${String(k % 60).padStart(2, '0')}:0${k % 10}.${String(k % 1e6).padStart(6, '0')}`,
    ].map((x, col) => (nul(col) ? '' : x));
    lines.push([id, ...f].join(','));
  }
  return lines.join('\n') + '\n';
}

describe('UNLOAD to Parquet and COPY back', { timeout: 30_000 }, () => {
  const N = 3000;

  beforeAll(async () => {
    writeFileSync(file('all.csv'), allTypesCsv(N));
    await s.execute(`CREATE TABLE src (${ALL_TYPES}); COPY src FROM '${file('all.csv')}' FORMAT CSV`);
  });

  it('loads every type back exactly, NULLs included', async () => {
    expect((await rows('SELECT count(*) FROM src'))[0][0]).toBe(N);
    await s.execute(`UNLOAD ('SELECT * FROM src') TO '${file('all.parquet')}' FORMAT PARQUET`);
    await s.execute(`CREATE TABLE dst (${ALL_TYPES})`);
    const r = await s.execute(`COPY dst FROM '${file('all.parquet')}' FORMAT AS PARQUET`);
    expect(r[0].rowCount).toBe(N);
    const a = await rows('SELECT * FROM src ORDER BY id');
    const b = await rows('SELECT * FROM dst ORDER BY id');
    expect(b).toEqual(a);
    // every column really has NULLs and the edge rows survived
    const nulls = await rows(`SELECT ${COLUMNS.slice(1).map((c) => `count(*) - count(${c})`).join(', ')} FROM dst`);
    for (const n of nulls[0]) expect(n).toBeGreaterThan(0);
    expect(b[0]).toEqual([1, 32767, 2147483647, 9007199254740991, '9999999999.99', '99999999999.9999', '99999', '9007199254.740991', 3.4028235e38, 1.7976931348623157e308, true, 'abc', 'x'.repeat(300), '9999-12-31', '2250-12-31 23:59:59.999999']);
    expect(b[2].slice(8, 13)).toEqual(['NaN', 'Infinity', true, 'a', 'comma, "quote"\nnewline\ttab']);
  });

  it('loads into KEY-distributed, sorted tables and by a column list', async () => {
    await s.execute(`CREATE TABLE dk (${ALL_TYPES}) DISTKEY(v) SORTKEY(ts); COPY dk FROM '${file('all.parquet')}' PARQUET`);
    expect(await rows('SELECT * FROM dk ORDER BY id')).toEqual(await rows('SELECT * FROM src ORDER BY id'));
    // a column list picks some columns (by name, in any order); the others are NULL
    await s.execute(`CREATE TABLE part (id INTEGER, extra VARCHAR(5), v VARCHAR(300), d2 DECIMAL(14,3)); COPY part (d2, id, v) FROM '${file('all.parquet')}' FORMAT PARQUET`);
    const want = await rows('SELECT id, NULL, v, d2 FROM src ORDER BY id');
    const got = await rows('SELECT id, extra, v, d2 FROM part ORDER BY id');
    expect(got.map((r) => [r[0], r[1], r[2]])).toEqual(want.map((r) => [r[0], null, r[2]]));
    // DECIMAL(12,2) into DECIMAL(14,3): the same values with one more digit
    expect(got.map((r) => r[3])).toEqual(want.map((r) => (r[3] === null ? null : `${r[3]}0`)));
  });

  it('writes Parquet logical types that DuckDB reads back to the same values', async () => {
    const types = await duckRows(`SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM '${file('all.parquet')}')`);
    expect(Object.fromEntries(types)).toMatchObject({
      sm: 'SMALLINT', i: 'INTEGER', bi: 'BIGINT', d2: 'DECIMAL(12,2)', d4: 'DECIMAL(15,4)', d0: 'DECIMAL(5,0)', dw: 'DECIMAL(38,6)',
      r: 'FLOAT', f: 'DOUBLE', b: 'BOOLEAN', c: 'VARCHAR', v: 'VARCHAR', dt: 'DATE', ts: 'TIMESTAMP',
    });
    const strata = await rows('SELECT id, sm, i, bi, d2, d4, d0, dw, f, b, c, v, dt, ts FROM src ORDER BY id');
    const duckdb = await duckRows(`SELECT id, sm, i, bi, d2, d4, d0, dw, f, b, c, v, dt, ts FROM '${file('all.parquet')}' ORDER BY id`);
    const norm = (r: unknown[][]) => r.map((row) => row.map((v) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v)));
    expect(norm(duckdb)).toEqual(norm(strata));
    const reals = await duckRows(`SELECT r FROM '${file('all.parquet')}' ORDER BY id`);
    const mine = await rows('SELECT r FROM src ORDER BY id');
    reals.forEach((row, k) => {
      const m = mine[k][0];
      if (typeof m === 'string') expect(String(row[0])).toBe(m); // NaN, Infinity
      else expect(row[0] === null ? null : Math.fround(row[0] as number)).toBe(m === null ? null : Math.fround(m as number));
    });
  });

  it('unloads query results: expressions, exact wide sums, empty results', async () => {
    await s.execute(`UNLOAD ('SELECT c, sum(d4) AS total, count(*) AS n, max(dt) AS last FROM src GROUP BY c') TO '${file('agg.parquet')}' FORMAT PARQUET`);
    await s.execute(`CREATE TABLE agg (c CHAR(3), total DECIMAL(38,4), n BIGINT, last DATE); COPY agg FROM '${file('agg.parquet')}' FORMAT PARQUET`);
    expect(await rows('SELECT * FROM agg ORDER BY c')).toEqual(await rows('SELECT c, sum(d4), count(*), max(dt) FROM src GROUP BY c ORDER BY c'));
    await s.execute(`UNLOAD ('SELECT * FROM src WHERE id < 0') TO '${file('empty.parquet')}' FORMAT PARQUET`);
    await s.execute(`CREATE TABLE empty_t (${ALL_TYPES})`);
    const r = await s.execute(`COPY empty_t FROM '${file('empty.parquet')}' FORMAT PARQUET`);
    expect(r[0].rowCount).toBe(0);
    // an existing file is kept unless ALLOWOVERWRITE
    const e = await failure(`UNLOAD ('SELECT 1 AS x') TO '${file('empty.parquet')}' FORMAT PARQUET`, 'empty_t');
    expect(e.code).toBe('DUPLICATE_OBJECT');
    await s.execute(`UNLOAD ('SELECT 1 AS x') TO '${file('empty.parquet')}' FORMAT PARQUET ALLOWOVERWRITE`);
  });
});

// ---------------------------------------------------------------- files written by DuckDB

describe('Parquet files written by DuckDB', { timeout: 60_000 }, () => {
  const N = 120_000;

  it('loads every Parquet physical layout and compares equal to DuckDB reading the same file', async () => {
    const f = file('duck.parquet');
    await duck.run(`COPY (
      SELECT i AS id,
        CASE WHEN i % 13 = 0 THEN NULL ELSE (i % 200 - 100)::TINYINT END AS tiny,
        (i % 60000 - 30000)::SMALLINT AS sm,
        CASE WHEN i % 7 = 0 THEN NULL ELSE (i * 9973 % 4000000000 - 2000000000)::INTEGER END AS n,
        (i * 1000003)::BIGINT * (CASE WHEN i % 2 = 0 THEN -1 ELSE 1 END) AS big,
        (i % 5000)::UINTEGER AS u,
        CASE WHEN i % 11 = 0 THEN NULL ELSE ((i % 20000) / 10.0 - 1000)::DECIMAL(5,1) END AS d_int32,
        ((i * 7919) % 100000000000 / 1000.0)::DECIMAL(18,3) AS d_int64,
        CASE WHEN i % 17 = 0 THEN NULL ELSE ((i * 104729) % 1000000000000 / 100000.0 * (CASE WHEN i % 3 = 0 THEN -1 ELSE 1 END))::DECIMAL(30,5) END AS d_fixed,
        (i / 7)::FLOAT AS fl,
        CASE WHEN i % 19 = 0 THEN NULL ELSE i / 3.0 END::DOUBLE AS db,
        CASE WHEN i % 5 = 0 THEN NULL ELSE i % 3 = 0 END AS flag,
        CASE WHEN i % 23 = 0 THEN NULL ELSE ['red', 'green', 'blue', 'Ünïcode ✓', ''][i % 5 + 1] END AS color,
        'item-' || (i * 31 % 100003)::VARCHAR AS name,
        CASE WHEN i % 29 = 0 THEN NULL ELSE DATE '1992-01-01' + (i % 3000)::INTEGER END AS day,
        TIMESTAMP '2001-02-03 04:05:06.789012' + to_microseconds(i * 1234567) AS ts,
        (TIMESTAMP '1969-12-31 23:00:00' + to_microseconds(i * 1000))::TIMESTAMP_MS AS ts_ms,
        (TIMESTAMP '2020-05-05 05:05:05' + to_microseconds(i))::TIMESTAMP_NS AS ts_ns
      FROM range(1, ${N + 1}) t(i)) TO '${f}' (FORMAT PARQUET, ROW_GROUP_SIZE 50000)`);
    await s.execute(`CREATE TABLE duck_t (id BIGINT, tiny SMALLINT, sm SMALLINT, n INTEGER, big BIGINT, u INTEGER,
      d_int32 DECIMAL(5,1), d_int64 DECIMAL(18,3), d_fixed DECIMAL(30,5), fl REAL, db DOUBLE PRECISION, flag BOOLEAN,
      color VARCHAR(20), name VARCHAR(20), day DATE, ts TIMESTAMP, ts_ms TIMESTAMP, ts_ns TIMESTAMP)`);
    const r = await s.execute(`COPY duck_t FROM '${f}' FORMAT PARQUET`);
    expect(r[0].rowCount).toBe(N);
    const cols = 'id, tiny, sm, n, big, u, d_int32, d_int64, d_fixed, db, flag, color, name, day, ts, ts_ms, ts_ns';
    const mine = await rows(`SELECT ${cols} FROM duck_t ORDER BY id`);
    // DuckDB prints DECIMAL, DATE and TIMESTAMP as Strata does; casting in SQL is faster than in JS
    const asText = cols.split(', ').map((c) => (/^(d_|day|ts)/.test(c) ? `${c}::VARCHAR` : c)).join(', ');
    const theirs = await duckRows(`SELECT ${asText} FROM '${f}' ORDER BY id`);
    expect(mine.length).toBe(N);
    for (let k = 0; k < N; k += 1) if (JSON.stringify(mine[k]) !== JSON.stringify(theirs[k])) expect(mine[k]).toEqual(theirs[k]);
    // REAL: the same float32 values
    const fl = await rows('SELECT fl FROM duck_t ORDER BY id');
    const dfl = await duckRows(`SELECT fl FROM '${f}' ORDER BY id`);
    for (let k = 0; k < N; k += 997) expect(Math.fround(fl[k][0] as number)).toBe(Math.fround(dfl[k][0] as number));
    // aggregates agree too
    const agg = 'count(*), count(n), sum(n), sum(d_int32), sum(d_int64), sum(d_fixed), min(day), max(ts), count(DISTINCT color)';
    expect(await rows(`SELECT ${agg} FROM duck_t`)).toEqual(await duckRows(`SELECT ${agg} FROM '${f}'`));
  });

  it('reads dictionary-typed columns (files whose Arrow schema says Dictionary)', async () => {
    const words = Array.from({ length: 5000 }, (_, i) => (i % 9 === 0 ? null : ['ab  ', 'cd', 'ab', 'éé'][i % 4]));
    const ids = Array.from({ length: 5000 }, (_, i) => i);
    const table = new Table({ id: vectorFromArray(ids, new Int32()), w: vectorFromArray(words, new Dictionary(new Utf8(), new Int32())) });
    writeFileSync(file('dict.parquet'), writeParquet(WasmTable.fromIPCStream(tableToIPC(table, 'stream'))));
    await s.execute(`CREATE TABLE dict_t (id INTEGER, w CHAR(4)); COPY dict_t FROM '${file('dict.parquet')}' FORMAT PARQUET`);
    // CHAR drops trailing blanks, so 'ab  ' and 'ab' become one value
    expect(await rows('SELECT w, count(*) FROM dict_t GROUP BY w ORDER BY w')).toEqual([['ab', 2222], ['cd', 1111], ['éé', 1111], [null, 556]]);
    expect(await rows('SELECT id, w FROM dict_t WHERE id < 4 ORDER BY id')).toEqual([[0, null], [1, 'cd'], [2, 'ab'], [3, 'éé']]);
    await s.execute('CREATE TABLE dict_short (id INTEGER, w CHAR(1))');
    const e = await failure(`COPY dict_short FROM '${file('dict.parquet')}' FORMAT PARQUET`, 'dict_short');
    expect(e.message).toContain('row 2: column "w": value too long for type character(1)');
  });

  it('reads DuckDB files with ZSTD and GZIP compression and dictionary pages', async () => {
    for (const codec of ['ZSTD', 'GZIP', 'UNCOMPRESSED']) {
      const f = file(`codec-${codec}.parquet`);
      await duck.run(`COPY (SELECT i AS id, 'k' || (i % 10) AS k, (i / 4.0)::DECIMAL(9,2) AS amt FROM range(5000) t(i)) TO '${f}' (FORMAT PARQUET, COMPRESSION ${codec})`);
      await s.execute(`CREATE TABLE codec_${codec} (ID BIGINT, K VARCHAR(4), AMT DECIMAL(9,2)); COPY codec_${codec} FROM '${f}' FORMAT PARQUET`);
      expect(await rows(`SELECT count(*), count(DISTINCT k), sum(amt) FROM codec_${codec}`)).toEqual([[5000, 10, '3124375.00']]);
    }
  });
});

// ---------------------------------------------------------------- errors

describe('COPY FORMAT PARQUET errors load nothing', { timeout: 60_000 }, () => {
  beforeAll(async () => {
    await s.execute(`CREATE TABLE target (id INTEGER, name VARCHAR(10), amt DECIMAL(6,2) NOT NULL, day DATE);
      INSERT INTO target VALUES (0, 'kept', 1.00, '2020-01-01')`);
    await duck.run(`COPY (SELECT i::INTEGER AS id, 'n' || i AS name, (i / 10.0)::DECIMAL(10,1) AS amt, DATE '2020-01-01' + i::INTEGER AS day
      FROM range(1, 100001) t(i)) TO '${file('good.parquet')}' (FORMAT PARQUET)`);
  });

  it('a missing file or one that is not Parquet', async () => {
    let e = await failure(`COPY target FROM '${file('nope.parquet')}' FORMAT PARQUET`, 'target');
    expect(e.code).toBe('BAD_COPY_FILE');
    expect(e.message).toMatch(/could not open file ".*nope\.parquet" for reading: no such file/);
    writeFileSync(file('text.csv'), 'id,name\n1,a\n');
    e = await failure(`COPY target FROM '${file('text.csv')}' FORMAT PARQUET`, 'target');
    expect(e.code).toBe('BAD_COPY_FILE');
    expect(e.message).toMatch(/COPY failed: text\.csv: not a readable Parquet file/);
    writeFileSync(file('empty.bin'), '');
    e = await failure(`COPY target FROM '${file('empty.bin')}' FORMAT PARQUET`, 'target');
    expect(e.message).toMatch(/empty\.bin: not a readable Parquet file/);
  });

  it('columns that do not match by name', async () => {
    await duck.run(`COPY (SELECT 1 AS id, 'x' AS nom, 2.5 AS amt, DATE '2020-01-01' AS day, 7 AS zzz) TO '${file('cols.parquet')}' (FORMAT PARQUET)`);
    let e = await failure(`COPY target FROM '${file('cols.parquet')}' FORMAT PARQUET`, 'target');
    expect(e.code).toBe('BAD_COPY_FILE');
    expect(e.message).toContain('missing from the file: "name"; not in the table: "nom", "zzz"');
    e = await failure(`COPY target (id, name) FROM '${file('cols.parquet')}' FORMAT PARQUET`, 'target');
    expect(e.message).toContain('the file has no column "name"');
    e = await failure(`COPY target (id, nosuch) FROM '${file('cols.parquet')}' FORMAT PARQUET`, 'target');
    expect(e.code).toBe('UNDEFINED_COLUMN');
  });

  it('types that cannot convert', async () => {
    await duck.run(`COPY (SELECT 'one' AS id, 'x' AS name, 1.0 AS amt, DATE '2020-01-01' AS day) TO '${file('str-id.parquet')}' (FORMAT PARQUET)`);
    let e = await failure(`COPY target FROM '${file('str-id.parquet')}' FORMAT PARQUET`, 'target');
    expect(e.code).toBe('DATATYPE_MISMATCH');
    expect(e.message).toContain('COPY failed: str-id.parquet: column "id": cannot load Parquet type STRING into INTEGER');
    await duck.run(`COPY (SELECT 1 AS id, 'x' AS name, 1.5::DOUBLE AS amt, TIMESTAMP '2020-01-01 10:00' AS day) TO '${file('float-amt.parquet')}' (FORMAT PARQUET)`);
    e = await failure(`COPY target FROM '${file('float-amt.parquet')}' FORMAT PARQUET`, 'target');
    expect(e.message).toContain('column "amt": cannot load Parquet type DOUBLE into DECIMAL(6,2)');
    await duck.run(`COPY (SELECT 1 AS id, [1, 2] AS name) TO '${file('list.parquet')}' (FORMAT PARQUET)`);
    e = await failure(`COPY target (id, name) FROM '${file('list.parquet')}' FORMAT PARQUET`, 'target');
    expect(e.message).toMatch(/column "name": Parquet type LIST.* is not supported/);
  });

  it('values out of range name the row and column', async () => {
    // good.parquet's amt reaches 10000.0 at its last row, 100000: one digit too wide for DECIMAL(6,2)
    let e = await failure(`COPY target FROM '${file('good.parquet')}' FORMAT PARQUET`, 'target');
    expect(e.code).toBe('BAD_COPY_FILE');
    expect(e.message).toContain('COPY failed: good.parquet: row 100000: column "amt": numeric overflow: value 10000.0 is out of range for DECIMAL(6,2)');
    await duck.run(`COPY (SELECT i AS id, 'n' AS name, 1.0 AS amt, NULL::DATE AS day FROM range(1, 5) t(i)) TO '${file('big-id.parquet')}' (FORMAT PARQUET)`);
    await duck.run(`COPY (SELECT (2147483647 + i)::BIGINT AS id FROM range(0, 3) t(i)) TO '${file('wide-id.parquet')}' (FORMAT PARQUET)`);
    e = await failure(`COPY target (id) FROM '${file('wide-id.parquet')}' FORMAT PARQUET`, 'target');
    expect(e.message).toContain('row 2: column "id": value 2147483648 is out of range for type integer');
    await duck.run(`COPY (SELECT 1 AS id, 'much too long' AS name) TO '${file('long.parquet')}' (FORMAT PARQUET)`);
    e = await failure(`COPY target (id, name) FROM '${file('long.parquet')}' FORMAT PARQUET`, 'target');
    expect(e.message).toContain('row 1: column "name": value too long for type character varying(10)');
    await duck.run(`COPY (SELECT 1 AS id, NULL::DECIMAL(6,2) AS amt) TO '${file('null-amt.parquet')}' (FORMAT PARQUET)`);
    e = await failure(`COPY target (id, amt) FROM '${file('null-amt.parquet')}' FORMAT PARQUET`, 'target');
    expect(e.code).toBe('NOT_NULL_VIOLATION');
    await duck.run(`COPY (SELECT 1 AS id, (2^60)::DECIMAL(38,0) AS big) TO '${file('huge.parquet')}' (FORMAT PARQUET)`);
    await s.execute('CREATE TABLE wide (id INTEGER, big DECIMAL(18,0))');
    e = await failure(`COPY wide FROM '${file('huge.parquet')}' FORMAT PARQUET`, 'wide');
    expect(e.message).toContain('value 1152921504606846976 is out of range for DECIMAL(18,0)');
    // a DECIMAL(38,0) column holds it exactly
    await s.execute('CREATE TABLE wider (id INTEGER, big DECIMAL(38,0))');
    await s.execute(`COPY wider FROM '${file('huge.parquet')}' FORMAT PARQUET`);
    expect(await rows('SELECT big FROM wider')).toEqual([['1152921504606846976']]);
  });

  it('a bad value after a million rows were written still loads nothing', async () => {
    const n = 1_100_000;
    await duck.run(`COPY (SELECT i::INTEGER AS id, CASE WHEN i = ${n} THEN 40000 ELSE i % 1000 END::INTEGER AS v FROM range(1, ${n + 1}) t(i)) TO '${file('late.parquet')}' (FORMAT PARQUET)`);
    await s.execute('CREATE TABLE late (id INTEGER, v SMALLINT); INSERT INTO late VALUES (-1, -1)');
    const e = await failure(`COPY late FROM '${file('late.parquet')}' FORMAT PARQUET`, 'late');
    expect(e.message).toContain(`row ${n}: column "v": value 40000 is out of range for type smallint`);
    expect(await rows('SELECT count(*) FROM late')).toEqual([[1]]);
    // and inside a transaction block, the block is aborted
    const t = db.connect();
    await t.execute('BEGIN; INSERT INTO late VALUES (-2, -2)');
    await expect(t.execute(`COPY late FROM '${file('late.parquet')}' FORMAT PARQUET`)).rejects.toThrow(/row 1100000/);
    await t.execute('ROLLBACK');
    expect(await rows('SELECT count(*) FROM late')).toEqual([[1]]);
  });

  it('options that only apply to text files', async () => {
    let e = await failure(`COPY target FROM '${file('good.parquet')}' FORMAT PARQUET IGNOREHEADER 1`, 'target');
    expect(e.message).toContain('COPY option IGNOREHEADER cannot be used with FORMAT PARQUET');
    e = await failure(`UNLOAD ('SELECT 1 AS a') TO '${file('opt.parquet')}' FORMAT PARQUET HEADER`, 'target');
    expect(e.message).toContain('UNLOAD option HEADER cannot be used with FORMAT PARQUET');
    e = await failure(`UNLOAD ('SELECT 1 AS a, 2 AS A') TO '${file('dup.parquet')}' FORMAT PARQUET`, 'target');
    expect(e.message).toContain('distinct column names');
  });

  it('loads the good file into a wide enough table', async () => {
    await s.execute(`CREATE TABLE good (id INTEGER, name VARCHAR(10), amt DECIMAL(10,2), day DATE); COPY good FROM '${file('good.parquet')}' FORMAT PARQUET`);
    const agg = 'count(*), sum(id), sum(amt), min(day), max(day), count(DISTINCT name)';
    const duckAgg = agg.replace('sum(amt)', 'sum(amt)::DECIMAL(38,2)');
    expect(await rows(`SELECT ${agg} FROM good`)).toEqual(await duckRows(`SELECT ${duckAgg} FROM '${file('good.parquet')}'`));
  });
});
