// A query's result read by a client a piece at a time (Result.stream): under a small
// query_memory_limit, a result several times the limit comes whole through the engine's stream,
// the PostgreSQL wire protocol (simple query, and a portal suspended by an Execute row limit)
// GraphQL pages and the Arrow download, where gathering it whole fails with OUT_OF_MEMORY; slices wrote the rows
// past their share to files the client reads back. The answers are checked against DuckDB over
// the same rows, and the temp area is empty after reading to the end, closing early, an error
// and a cancel. The CLI's printer writes a streamed result as it prints a whole one.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { serialize } from 'pg-protocol';
import type { Session } from '../../engine/database.ts';
import { twinsOf, type Twins } from '../support/twin-engines.ts';
import { canceledOnTempFile } from '../support/temp-files.ts';
import { RawClient, dataRowFields, startPg, type PgFixture } from './pgwire/helpers.ts';
import { client } from './helpers.ts';
import { formatResult, writeResult, PRINT_ROWS } from '../../api/output.ts';
import { tableFromIPC } from 'apache-arrow';
import { TABLE_A_ROWS, TABLE_A_SETUP } from '../support/table-a.ts';

const LIMIT = 4 * 2 ** 20;
const QUERY = 'SELECT k, s FROM a';
const ROWS = TABLE_A_ROWS;

let f: PgFixture;
let twins: Twins;
let s: Session;
/** count, sum(k), sum(length(s)) and the largest s as DuckDB computes them over the same rows */
let want: { count: number; sumK: number; sumLen: number; maxS: string };
/** DuckDB's first three rows of the sorted query */
let wantFirst: unknown[][];

const leftover = () => twins.leftover();
/** DuckDB's rows of `sql` over the same rows, numbers as numbers */
const duckNumbers = async (sql: string) => (await twins.duckRows(sql)).map((r) => r.map(Number));

/** The same summary of rows read by a client. */
function summary(rows: unknown[][]) {
  let sumK = 0, sumLen = 0, maxS = '';
  for (const [k, str] of rows) { sumK += Number(k); sumLen += String(str).length; if (String(str) > maxS) maxS = String(str); }
  return { count: rows.length, sumK, sumLen, maxS };
}

beforeAll(async () => {
  f = await startPg({ auth: 'password' });
  twins = await twinsOf(f.api.services.db.connect(), join(f.dir, 'tmp'), TABLE_A_SETUP);
  s = twins.s;
  // every statement from here on (this session's, the wire's, GraphQL's) runs under the limit
  f.api.services.db.queryMemoryLimit = LIMIT;
  const [[count, sumK, sumLen, maxS]] = await twins.duckRows('SELECT count(*), sum(k), sum(length(s)), max(s) FROM a');
  want = { count: Number(count), sumK: Number(sumK), sumLen: Number(sumLen), maxS };
  wantFirst = (await twins.duckRows('SELECT k, s FROM a ORDER BY s DESC, k LIMIT 3')).map(([k, str]) => [Number(k), str]);
  expect(want.count).toBe(ROWS);
}, 60_000);
afterAll(async () => { await twins?.close(); await f?.close(); });

describe('the engine', () => {
  it('streams a result over the limit that gathering whole cannot hold, reading files the slices wrote', async () => {
    await expect(s.execute(QUERY)).rejects.toMatchObject({ code: 'OUT_OF_MEMORY' });
    const [r] = await s.execute(QUERY, { stream: true });
    expect(r.rowCount).toBe(ROWS);
    expect(r.rows).toEqual([]);
    // past their share the slices' rows went to files, moved to the result's own directory
    expect(leftover().some((p) => p.startsWith('result-'))).toBe(true);
    const rows: unknown[][] = [];
    while (r.stream!.remaining > 0) rows.push(...r.stream!.next(7_000));
    expect(summary(rows)).toEqual(want);
    expect(leftover()).toEqual([]);
  });

  it('streams a sorted result over the limit: slices write sorted runs, the leader merges them into a file', async () => {
    const sql = 'SELECT k, s FROM a ORDER BY s DESC, k';
    await expect(s.execute(sql)).rejects.toMatchObject({ code: 'OUT_OF_MEMORY' });
    const [r] = await s.execute(sql, { stream: true });
    expect(r.rowCount).toBe(ROWS);
    const rows: unknown[][] = [];
    while (r.stream!.remaining > 0) rows.push(...r.stream!.next(50_000));
    expect(summary(rows)).toEqual(want);
    // in order: s descending, then k
    let ordered = true;
    for (let i = 1; i < rows.length && ordered; i++) {
      const [k0, s0] = rows[i - 1] as [number, string], [k1, s1] = rows[i] as [number, string];
      ordered = s0 > s1 || (s0 === s1 && k0 < k1);
    }
    expect(ordered).toBe(true);
    expect(rows.slice(0, 3)).toEqual(wantFirst);
    expect(leftover()).toEqual([]);
  });

  it('streams a recursive UNION ALL over the limit, rounds going to a file, through a leader filter and projection', async () => {
    // 2 000 rows a round for 300 rounds: the rounds held whole pass the limit
    const sql = 'WITH RECURSIVE r(k, n) AS (SELECT k, 0 FROM a WHERE k < 2000 UNION ALL SELECT k, n + 1 FROM r WHERE n < 299) SELECT k, n * 2 AS m FROM r WHERE n % 3 <> 1';
    const plan = (await s.execute(`EXPLAIN ${sql}`))[0].rows.map((r) => String(r[0])).join('\n');
    expect(plan).toMatch(/Project[^]*Filter[^]*Recursive UNION ALL/);
    await expect(s.execute(sql)).rejects.toMatchObject({ code: 'OUT_OF_MEMORY' });
    const [r] = await s.execute(sql, { stream: true });
    const rows: unknown[][] = [];
    while (r.stream!.remaining > 0) rows.push(...r.stream!.next(50_000));
    const ours = [rows.length, rows.reduce((t, [k]) => t + Number(k), 0), rows.reduce((t, [, m]) => t + Number(m), 0)];
    expect([ours]).toEqual(await duckNumbers(`SELECT count(*), sum(k), sum(m) FROM (${sql}) x`));
    expect(leftover()).toEqual([]);
  });

  it('streams a LIMIT / OFFSET at the leader over the limit, reading the slices\' files no further than its last row', async () => {
    const sql = 'SELECT k, s FROM a LIMIT 100000 OFFSET 150000';
    await expect(s.execute(sql)).rejects.toMatchObject({ code: 'OUT_OF_MEMORY' });
    const [r] = await s.execute(sql, { stream: true });
    const rows: unknown[][] = [];
    while (r.stream!.remaining > 0) rows.push(...r.stream!.next(30_000));
    // without ORDER BY any 100,000 rows of a will do: as many as DuckDB returns, each a row of a once
    expect([[rows.length]]).toEqual(await duckNumbers(`SELECT count(*) FROM (${sql}) x`));
    expect(new Set(rows.map(([k]) => k)).size).toBe(rows.length);
    expect(rows.every(([k, str]) => str === `row ${Number(k) % 5000} of a few` && Number(k) < ROWS)).toBe(true);
    expect(leftover()).toEqual([]);
  });

  it('streams a UNION ALL at the leader over the limit: both inputs\' rows, one after the other', async () => {
    for (const sql of [
      "SELECT k, s FROM a UNION ALL SELECT -1, 'none'",
      'SELECT k, s FROM a WHERE k % 3 <> 0 UNION ALL (SELECT k, s FROM a ORDER BY k DESC LIMIT 50000)',
    ]) {
      expect((await s.execute(`EXPLAIN ${sql}`))[0].rows[0][0]).toMatch(/^UNION ALL/);
      await expect(s.execute(sql)).rejects.toMatchObject({ code: 'OUT_OF_MEMORY' });
      const [r] = await s.execute(sql, { stream: true });
      const rows: unknown[][] = [];
      while (r.stream!.remaining > 0) rows.push(...r.stream!.next(40_000));
      const [[count, sumK, sumLen, maxS]] = await twins.duckRows(`SELECT count(*), sum(k), sum(length(s)), max(s) FROM (${sql}) x`);
      expect(summary(rows)).toEqual({ count: Number(count), sumK: Number(sumK), sumLen: Number(sumLen), maxS });
      expect(leftover()).toEqual([]);
    }
  });

  it('a LIMIT over a leader UNION ALL goes into both inputs, so their slices stop there, and leaves an input it does not reach unrun', async () => {
    const sql = "SELECT k, s FROM a UNION ALL SELECT -1, 'none' LIMIT 10 OFFSET 295000";
    expect((await s.execute(`EXPLAIN ${sql}`))[0].rows.map((r) => String(r[0])).join('\n')).toMatch(/UNION ALL[^]*Limit 295010 per slice/);
    const [[count]] = await duckNumbers(`SELECT count(*) FROM (${sql}) x`);
    const valid = (rows: unknown[][]) => rows.every(([k, str]) => (k === -1 ? str === 'none' : str === `row ${Number(k) % 5000} of a few`));
    for (const stream of [false, true]) {
      const [r] = await s.execute(sql, { stream });
      const rows = stream ? r.stream!.next(100) : r.rows;
      expect(rows).toHaveLength(count);
      expect(valid(rows)).toBe(true);
    }
    // the left input has the 10 rows: the right, which would fail, never runs (as in PostgreSQL)
    const lazy = 'SELECT k, s FROM a UNION ALL (SELECT k, s FROM a WHERE 1 / (k - k) > 0 LIMIT 5) LIMIT 10';
    expect((await s.execute(lazy))[0].rows).toHaveLength(10);
    expect((await s.execute(lazy, { stream: true }))[0].stream!.next(100)).toHaveLength(10);
    expect((await s.execute(`SELECT count(*) FROM (${lazy}) x`))[0].rows).toEqual([[10]]);
    expect(leftover()).toEqual([]);
  });

  it('leaves no files when the result is closed early, when the query fails, and when it is canceled', async () => {
    const [r] = await s.execute(QUERY, { stream: true });
    expect(r.stream!.next(10)).toHaveLength(10);
    r.stream!.close();
    expect(leftover()).toEqual([]);
    // a division by zero in the slices, after some rows went to files
    await expect(s.execute('SELECT k, s, 1 / (k - 299999) FROM a', { stream: true })).rejects.toMatchObject({ code: 'DIVISION_BY_ZERO' });
    expect(leftover()).toEqual([]);
    // a join of 3M rows (10 per key), canceled once a slice's rows past its share go to a file: a
    // slice still writing its result file when the cancel came removed its directory before the statement failed
    await canceledOnTempFile(s, 'SELECT x.k, y.s FROM a x JOIN a y ON x.k % 30000 = y.k % 30000', twins.tempArea, undefined, true);
  });

  it('a script whose later statement fails closes the streams of those before it', async () => {
    await expect(s.execute(`${QUERY}; SELECT * FROM no_such_table`, { stream: true })).rejects.toMatchObject({ code: 'UNDEFINED_TABLE' });
    expect(leftover()).toEqual([]);
  });
});

describe('the PostgreSQL wire protocol', () => {
  it('sends a result over the limit a piece at a time (simple query)', async () => {
    const c = await f.connect();
    const r = await c.query(QUERY);
    expect(summary(r.rows.map((x) => [x.k, x.s]))).toEqual(want);
    expect(leftover()).toEqual([]);
  });

  it('a portal suspended by a row limit reads on from the stream; closing it deletes the rest', async () => {
    const c = await RawClient.login(f.server.port, f.token);
    c.send(Buffer.concat([
      serialize.parse({ text: QUERY, types: [] }),
      serialize.bind({ portal: 'p' }),
      serialize.execute({ portal: 'p', rows: 2_500 }),
      serialize.flush(),
    ]));
    const first = (await c.until('s')).filter((m) => m.type === 'D');
    c.send(Buffer.concat([serialize.execute({ portal: 'p', rows: 2_500 }), serialize.flush()]));
    const second = (await c.until('s')).filter((m) => m.type === 'D');
    expect([first.length, second.length]).toEqual([2_500, 2_500]);
    const keys = [...first, ...second].map((m) => Number(dataRowFields(m.body)[0]!.toString()));
    expect(new Set(keys).size).toBe(5_000);
    expect(leftover().length).toBeGreaterThan(0);
    c.send(Buffer.concat([serialize.close({ type: 'P', name: 'p' }), serialize.sync()]));
    await c.until('Z');
    expect(leftover()).toEqual([]);
    c.close();
  });
});

describe('GraphQL', () => {
  const gql = () => client((url, init) => f.api.app.fetch(url, init), 'http://localhost/graphql', f.token);

  it('pages through a result over the limit with its cursor, and closing a cursor deletes its files', async () => {
    const q = gql();
    const rows: unknown[][] = [];
    let page = (await q('query($sql: String!) { query(sql: $sql, limit: 10000) { totalRows hasMore cursor rows } }', { sql: QUERY })).data!.query;
    expect(page.totalRows).toBe(ROWS);
    rows.push(...page.rows);
    while (page.hasMore) {
      page = (await q('query($c: String!) { fetch(cursor: $c, limit: 10000) { hasMore cursor rows } }', { c: page.cursor })).data!.fetch;
      rows.push(...page.rows);
    }
    expect(summary(rows)).toEqual(want);
    expect(leftover()).toEqual([]);
    const open = (await q('query($sql: String!) { query(sql: $sql, limit: 10) { cursor } }', { sql: QUERY })).data!.query;
    expect(leftover().length).toBeGreaterThan(0);
    expect((await q('mutation($c: String!) { closeCursor(cursor: $c) }', { c: open.cursor })).data!.closeCursor).toBe(true);
    expect(leftover()).toEqual([]);
  });
});

describe('the Arrow download', () => {
  const arrow = async (query: string) => {
    const r = await f.api.app.fetch(`http://localhost/arrow?${query}`, { headers: { authorization: `Bearer ${f.token}` } });
    expect(r.status).toBe(200);
    const table = tableFromIPC(new Uint8Array(await r.arrayBuffer()));
    // the rows from the columns' arrays: a row object each (the table's iterator) costs seconds for 300,000 rows
    const k = table.getChild('k')!.toArray(), str = table.getChild('s')!.toArray();
    return { header: Number(r.headers.get('x-strata-rows')), rows: Array.from(k, (v, i) => [v, str[i]] as unknown[]), batches: table.batches.length };
  };

  it('sends a result over the limit a record batch at a time, and a cursor\'s rest', async () => {
    const got = await arrow(`sql=${encodeURIComponent(QUERY)}`);
    expect(got.header).toBe(ROWS);
    expect(got.batches).toBeGreaterThan(1);
    expect(summary(got.rows)).toEqual(want);
    expect(leftover()).toEqual([]);
    // the rows a GraphQL page left, from its cursor (a smaller result, checked against the rows it holds whole)
    const sql = `${QUERY} WHERE k % 10 = 3`;
    const whole = (await s.execute(sql))[0].rows;
    const q = client((url, init) => f.api.app.fetch(url, init), 'http://localhost/graphql', f.token);
    const page = (await q('query($sql: String!) { query(sql: $sql, limit: 1000) { cursor rows } }', { sql })).data!.query;
    const rest = await arrow(`cursor=${page.cursor}`);
    expect(rest.header).toBe(whole.length - 1000);
    expect(summary([...page.rows, ...rest.rows])).toEqual(summary(whole));
    expect(leftover()).toEqual([]);
  });
});

describe("the CLI's printer", () => {
  it('prints a streamed result as it prints the whole one (CSV, JSON, expanded records)', async () => {
    const sql = 'SELECT k, s FROM a WHERE k < 25000 ORDER BY k';
    const [whole] = await s.execute(sql);
    expect(whole.rows.length).toBeGreaterThan(2 * PRINT_ROWS);
    for (const [format, expanded] of [['csv', false], ['json', false], ['table', true]] as const) {
      const [r] = await s.execute(sql, { stream: true });
      let text = '';
      writeResult(r, (t) => { text += t; }, format, expanded);
      expect(text).toBe(formatResult(whole, format, expanded));
    }
    // a table: one header, the pieces under it, one count
    const [r] = await s.execute(sql, { stream: true });
    let text = '';
    writeResult(r, (t) => { text += t; }, 'table');
    const lines = text.trimEnd().split('\n');
    expect(lines.filter((l) => /^k +\| s/.test(l))).toHaveLength(1);
    expect(lines.length).toBe(2 + whole.rows.length + 1);
    expect(lines.at(-1)).toBe(`(${whole.rows.length} rows)`);
    expect(leftover()).toEqual([]);
  });
});
