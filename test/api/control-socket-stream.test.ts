// `strata sql` through the server that owns the data directory (its control socket): a query's
// rows come a piece at a time, read from the server's stream as the socket drains, and the CLI
// prints each piece as it arrives, so neither side formats the whole result. Under a small
// query_memory_limit a 300,000-row result, which fails when the server gathers it whole, prints
// with DuckDB's count and sums, and the server's temp area is empty after it, after a later
// statement fails and after the CLI goes away mid-result.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, type RunningServer } from '../../api/server.ts';
import { sqlTarget, type ServerSession } from '../../api/data-dir-owner.ts';
import { writeResult, PRINT_ROWS } from '../../api/output.ts';
import { twinsOf, type Twins } from '../support/twin-engines.ts';
import { TABLE_A_ROWS, TABLE_A_SETUP } from '../support/table-a.ts';

const QUERY = 'SELECT k, s FROM a';
let root: string;
let server: RunningServer;
let twins: Twins;

const leftover = () => twins.leftover();

async function connect(): Promise<ServerSession> {
  const t = await sqlTarget({ data: join(root, 'data'), waitForTraining: false }, () => Promise.reject(new Error('must not open locally')));
  if (t.kind !== 'server') throw new Error('expected to run through the server');
  await t.session.execute("SET query_memory_limit = '4MB'");
  return t.session;
}

/** Runs `sql` as the CLI does (rows streamed, printed as CSV); every write the printer made. */
async function printed(session: ServerSession, sql: string): Promise<string[]> {
  const writes: string[] = [];
  await session.execute(sql, { stream: true, onResult: (r) => writeResult(r, (t) => writes.push(t), 'csv') });
  return writes;
}

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'strata-socket-'));
  server = await startServer({ dataDir: join(root, 'data'), port: 0, host: '127.0.0.1', slices: 2 });
  twins = await twinsOf(server.services.db.connect(), join(root, 'data', 'tmp'), TABLE_A_SETUP);
}, 60_000);
afterAll(async () => {
  await twins?.close();
  await server?.close();
  rmSync(root, { recursive: true, force: true });
});

it('prints a result over the limit as its pieces arrive, equal to DuckDB\'s, leaving no files', async () => {
  const session = await connect();
  try {
    // the whole result at once does not fit
    await expect(session.execute(QUERY)).rejects.toMatchObject({ code: 'OUT_OF_MEMORY' });
    const writes = await printed(session, QUERY);
    // a header and a piece of at most PRINT_ROWS rows a write
    expect(writes.length).toBeGreaterThanOrEqual(TABLE_A_ROWS / PRINT_ROWS);
    expect(Math.max(...writes.map((w) => w.split('\n').length - 1))).toBeLessThanOrEqual(PRINT_ROWS + 1);
    const lines = writes.join('').trimEnd().split('\n');
    expect(lines[0]).toBe('k,s');
    let sumK = 0, sumLen = 0;
    for (const l of lines.slice(1)) { const [k, str] = l.split(','); sumK += Number(k); sumLen += str.length; }
    const [want] = await twins.duckRows('SELECT count(*), sum(k), sum(length(s)) FROM a');
    expect([lines.length - 1, sumK, sumLen]).toEqual(want.map(Number));
    expect(leftover()).toEqual([]);
  } finally {
    session.close();
  }
});

it('prints what a CLI on the directory itself prints, in every format', async () => {
  const session = await connect();
  const local = server.services.db.connect();
  try {
    const sql = 'SELECT k, s FROM a WHERE k < 12000 ORDER BY k; SELECT k FROM a WHERE k < 0';
    for (const [format, expanded] of [['table', false], ['table', true], ['json', false], ['csv', false]] as const) {
      const here: string[] = [], there: string[] = [];
      await local.execute(sql, { stream: true, onResult: (r) => writeResult(r, (t) => here.push(t), format, expanded) });
      await session.execute(sql, { stream: true, onResult: (r) => writeResult(r, (t) => there.push(t), format, expanded) });
      expect(there.join('')).toBe(here.join(''));
    }
  } finally {
    session.close();
    await local.close();
  }
});

it('sends a script\'s earlier result whole before a later statement fails, and the CLI going away mid-result deletes its files', async () => {
  const session = await connect();
  const writes: string[] = [];
  await expect(session.execute(`${QUERY} WHERE k < 50000; SELECT * FROM no_such_table`, { stream: true, onResult: (r) => writeResult(r, (t) => writes.push(t), 'csv') }))
    .rejects.toMatchObject({ code: 'UNDEFINED_TABLE' });
  expect(writes.join('').trimEnd().split('\n')).toHaveLength(50_001);
  expect(leftover()).toEqual([]);
  // the CLI stops reading after its first piece: the server's write fails and it closes the stream
  let pieces = 0;
  const run = session.execute(QUERY, { stream: true, onResult: (r) => writeResult(r, () => { if (++pieces === 2) session.close(); }, 'csv') });
  await expect(run).rejects.toMatchObject({ code: 'QUERY_CANCELED' });
  for (let i = 0; i < 100 && leftover().length; i++) await new Promise((r) => setTimeout(r, 50));
  expect(leftover()).toEqual([]);
});
