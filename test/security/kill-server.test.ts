// Fault test: a server is SIGKILLed while HTTP clients INSERT and a CLI runs statements against
// the same data directory (through the server while it lives, on its own once the lock is stale);
// the server restarts (waiting for the CLI to let go) and every acknowledged commit is counted.
// Target: 0 acknowledged commits lost. Rounds: STRATA_FAULT_ROUNDS (default 2, about 20 s);
// STRATA_TEST_VERBOSE=1 prints the counts.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Database } from '../../engine/database.ts';

const BIN = fileURLToPath(new URL('../../bin/strata.js', import.meta.url));
const ROUNDS = Number(process.env.STRATA_FAULT_ROUNDS ?? 2);
const HTTP_CLIENTS = 3;
const CLI_CLIENT = 99;

let root: string;
let data: string;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'strata-kill-'));
  data = join(root, 'data');
});
/** every process this file started: killed at the end even when the test failed or timed out */
const children = new Set<ChildProcess>();
afterAll(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  rmSync(root, { recursive: true, force: true });
});

function spawnStrata(args: string[], stdio: 'ignore' | 'pipe'): ChildProcess {
  const proc = spawn(process.execPath, [BIN, ...args], { stdio: stdio === 'pipe' ? ['ignore', 'pipe', 'pipe'] : 'ignore', env });
  children.add(proc);
  proc.once('exit', () => children.delete(proc));
  return proc;
}

const env = { ...process.env, STRATA_DATA: '' };

/** Starts `strata serve` on the directory; resolves with its port (and the first start's admin token). */
function startServer(): Promise<{ proc: ChildProcess; port: number; token: string | null; exited: Promise<void> }> {
  const proc = spawnStrata(['serve', '--data', data, '--port', '0', '--slices', '1'], 'pipe');
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  return new Promise((resolve, reject) => {
    let out = '', err = '';
    proc.stderr!.on('data', (d: Buffer) => { err += d.toString(); });
    proc.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /API on http:\/\/127\.0\.0\.1:(\d+)\/graphql/.exec(out);
      if (m) resolve({ proc, port: Number(m[1]), token: /^\s+(strata_\S+)$/m.exec(out)?.[1] ?? null, exited });
    });
    proc.once('exit', (code) => reject(new Error(`server exited (${code}) before listening: ${out}${err}`)));
  });
}

/** One `strata sql` run; true when it exited 0 (the statement's commit was acknowledged). */
function cli(sql: string): Promise<boolean> {
  return new Promise((resolve) => {
    const proc = spawnStrata(['sql', '--data', data, sql], 'ignore');
    proc.once('exit', (code) => resolve(code === 0));
  });
}

/** Inserts (client, seq) rows over HTTP until a request fails; records each acknowledged one. */
async function httpWriter(port: number, token: string, client: number, seq: { n: number }, acked: Set<string>): Promise<void> {
  for (;;) {
    const s = seq.n++;
    try {
      const res = await fetch(`http://127.0.0.1:${port}/graphql`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ query: `mutation { execute(sql: "INSERT INTO acks VALUES (${client}, ${s})") { rowCount } }` }),
      });
      const body = (await res.json()) as { data?: { execute?: { rowCount: number } }; errors?: unknown[] };
      if (body.errors || body.data?.execute?.rowCount !== 1) return;
      acked.add(`${client}:${s}`);
    } catch {
      return; // connection refused or reset: the server is gone
    }
  }
}

it('loses no acknowledged commit when the server is killed while clients and a CLI write', async () => {
  const acked = new Set<string>();
  const seqs = Array.from({ length: HTTP_CLIENTS + 1 }, () => ({ n: 0 }));
  let token: string | null = null;
  let cliRuns = 0, cliLocal = 0;
  for (let round = 0; round < ROUNDS; round++) {
    const srv = await startServer();
    token ??= srv.token;
    expect(token).not.toBeNull();
    if (round === 0) expect(await cli('CREATE TABLE acks (client INT, seq INT)')).toBe(true);
    let killed = false;
    const writers = Array.from({ length: HTTP_CLIENTS }, (_, c) => httpWriter(srv.port, token!, c, seqs[c], acked));
    // the CLI keeps running statements: through the server, then on its own once the server is dead
    const cliLoop = (async () => {
      let localRuns = 0;
      while (localRuns < 1) {
        const wasKilled = killed;
        const s = seqs[HTTP_CLIENTS].n++;
        if (await cli(`INSERT INTO acks VALUES (${CLI_CLIENT}, ${s})`)) acked.add(`${CLI_CLIENT}:${s}`);
        cliRuns++;
        if (wasKilled) { localRuns++; cliLocal++; }
      }
    })();
    // kill mid-traffic: once the writers are committing (slices start on first use), a little later
    const before = acked.size;
    for (let t0 = Date.now(); acked.size < before + HTTP_CLIENTS && Date.now() - t0 < 15_000;) await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, 200 + ((round * 7919) % 600)));
    srv.proc.kill('SIGKILL');
    killed = true;
    await srv.exited;
    await Promise.all(writers);
    await cliLoop;
  }
  // restart once more (the server takes over the dead one's lock) and count
  const last = await startServer();
  last.proc.kill('SIGTERM');
  await last.exited;
  const db = await Database.open({ dataDir: data, slices: 1 });
  let found: Set<string>;
  try {
    const rows = (await db.connect().execute('SELECT client, seq FROM acks'))[0].rows;
    found = new Set(rows.map(([c, s]) => `${c}:${s}`));
    expect(found.size).toBe(rows.length); // no commit applied twice
  } finally {
    await db.close();
  }
  const lost = [...acked].filter((k) => !found.has(k));
  if (process.env.STRATA_TEST_VERBOSE) {
    console.log(`kill -9 rounds: ${ROUNDS}, acknowledged: ${acked.size} (${[...acked].filter((k) => k.startsWith(`${CLI_CLIENT}:`)).length} by ${cliRuns} CLI runs, ${cliLocal} after the kill), found: ${found.size}, lost: ${lost.length}`);
  }
  expect(lost).toEqual([]);
  expect(acked.size).toBeGreaterThan(ROUNDS); // the writers made real progress
}, 60_000 + ROUNDS * 30_000);
