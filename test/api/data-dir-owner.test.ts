// A server and the CLI on one data directory (the README's tour while `npm start` runs): the CLI
// runs through the server, so no commit of either is lost or rewound; a second server is refused
// naming the first one's PID and port; a server that cannot be reached is named, never bypassed.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer, type RunningServer } from '../../api/server.ts';
import { sqlTarget } from '../../api/data-dir-owner.ts';
import { Database } from '../../engine/database.ts';
import { DataDirLock } from '../../engine/storage/dir-lock.ts';

const BIN = fileURLToPath(new URL('../../bin/strata.js', import.meta.url));

interface Run { code: number | null; stdout: string; stderr: string }

/** Runs the real `strata` command line in `cwd`. */
function strata(args: string[], cwd: string): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, STRATA_DATA: '' } });
    let stdout = '', stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

let root: string;
let data: string;
let server: RunningServer | null = null;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'strata-owner-'));
  data = join(root, 'data');
});
afterEach(async () => {
  await server?.close();
  server = null;
  rmSync(root, { recursive: true, force: true });
});

async function gql(s: RunningServer, token: string, query: string) {
  const res = await fetch(s.url, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ query }) });
  return (await res.json()) as { data?: Record<string, { rows: unknown[][] }>; errors?: { message: string }[] };
}

describe('a server and the CLI on one data directory', () => {
  it('loses no commit of either: the CLI runs through the server', async () => {
    server = await startServer({ dataDir: data, port: 0, host: '127.0.0.1', slices: 1 });
    const token = server.adminToken!;
    writeFileSync(join(root, 'rows.csv'), 'a\n10\n11\n');
    // the tour's statements, from another directory with a relative COPY path
    expect(await strata(['sql', '--data', data, 'CREATE TABLE t (a INT); INSERT INTO t VALUES (1), (2)'], root)).toMatchObject({ code: 0, stderr: '' });
    expect(await strata(['sql', '--data', data, "COPY t FROM 'rows.csv' FORMAT CSV IGNOREHEADER 1"], root)).toMatchObject({ code: 0 });
    // the server sees the CLI's commits at once, and commits on top of them
    const r = await gql(server, token, 'mutation { execute(sql: "INSERT INTO t VALUES (3)") { rowCount } }');
    expect(r.errors).toBeUndefined();
    // a token made through the control socket is a commit too; it must not rewind anything
    expect((await strata(['token', 'create', '--data', data, '--account', 'admin'], root)).code).toBe(0);
    const cli = await strata(['sql', '--data', data, '--format', 'json', 'SELECT count(*), sum(a) FROM t'], root);
    expect(JSON.parse(cli.stdout).rows).toEqual([[5, 27]]);
    const version = Number(readFileSync(join(data, 'CURRENT'), 'utf8'));
    await server.close();
    server = null;
    // after the server stops, the directory holds every commit, and the CLI opens it itself
    const after = await strata(['sql', '--data', data, '--format', 'json', 'SELECT a FROM t ORDER BY a'], root);
    expect(JSON.parse(after.stdout).rows).toEqual([[1], [2], [3], [10], [11]]);
    expect(Number(readFileSync(join(data, 'CURRENT'), 'utf8'))).toBe(version);
  }, 120_000);

  it('keeps one session per shell: a transaction spans statements and rolls back on close', async () => {
    server = await startServer({ dataDir: data, port: 0, host: '127.0.0.1', slices: 1 });
    const shell = await sqlTarget({ data, waitForTraining: false }, () => Promise.reject(new Error('must not open locally')));
    const other = await sqlTarget({ data, waitForTraining: false }, () => Promise.reject(new Error('must not open locally')));
    if (shell.kind !== 'server' || other.kind !== 'server') throw new Error('expected to run through the server');
    expect(shell.owner.pid).toBe(process.pid);
    await shell.session.execute('CREATE TABLE s (a INT)');
    await shell.session.execute('BEGIN');
    await shell.session.execute('INSERT INTO s VALUES (1)');
    expect((await other.session.execute('SELECT count(*) FROM s'))[0].rows).toEqual([[0]]);
    expect((await shell.session.execute('SELECT count(*) FROM s'))[0].rows).toEqual([[1]]);
    await shell.session.execute('COMMIT');
    expect((await other.session.execute('SELECT count(*) FROM s'))[0].rows).toEqual([[1]]);
    await shell.session.execute('BEGIN; INSERT INTO s VALUES (2)');
    shell.session.close(); // the connection ends: its open transaction is rolled back
    await expect(other.session.execute('SELECT count(*) FROM s')).resolves.toMatchObject([{ rows: [[1]] }]);
    other.session.close();
  }, 60_000);

  it('serves /local/sql only on the control socket (0600), never over TCP', async () => {
    server = await startServer({ dataDir: data, port: 0, host: '127.0.0.1', slices: 1 });
    const socket = join(data, 'api.sock');
    expect(statSync(socket).mode & 0o777).toBe(0o600);
    const body = JSON.stringify({ sql: 'CREATE TABLE via_tcp (a INT)' });
    for (const headers of [{}, { authorization: `Bearer ${server.adminToken}` }] as Record<string, string>[]) {
      const res = await fetch(server.url.replace('/graphql', '/local/sql'), { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
      expect(res.status).not.toBe(200);
      await res.text();
    }
    expect(Object.keys(server.services.db.catalog.accounts.admin.databases.dev.schemas.public.tables)).not.toContain('via_tcp');
  }, 60_000);

  it('refuses a second server, naming the first one\'s PID and port', async () => {
    server = await startServer({ dataDir: data, port: 0, host: '127.0.0.1', slices: 1 });
    const second = await startServer({ dataDir: data, port: 0, host: '127.0.0.1', slices: 1 }).catch((e: unknown) => e);
    expect((second as Error).message).toBe(`data directory ${data} is in use by strata serve (PID ${process.pid}, port ${server.port})`);
    const cli = await strata(['serve', '--data', data, '--port', '0'], root);
    expect(cli.code).toBe(1);
    expect(cli.stderr).toContain(`is in use by strata serve (PID ${process.pid}, port ${server.port})`);
  }, 60_000);

  it('stops with the owner\'s PID and port when the server that owns the directory cannot be reached', async () => {
    // a server that announced its port but has no control socket (e.g. a path too long for one)
    await (await Database.open({ dataDir: data, slices: 1 })).close();
    const lock = await DataDirLock.acquire(data, { command: 'strata serve' });
    try {
      await lock.update({ port: 4999 });
      const cli = await strata(['sql', '--data', data, 'CREATE TABLE lost (a INT)'], root);
      expect(cli.code).toBe(1);
      expect(cli.stderr).toContain(`is in use by strata serve (PID ${process.pid}, port 4999): run the SQL through that server`);
    } finally {
      await lock.release();
    }
    const db = await Database.open({ dataDir: data, slices: 1 });
    expect(Object.keys(db.catalog.accounts.admin.databases.dev.schemas.public.tables)).not.toContain('lost');
    await db.close();
  }, 60_000);

  it('waits while a server is still starting, then runs through it or on its own once it is gone', async () => {
    await (await Database.open({ dataDir: data, slices: 1 })).close();
    // a server that holds the lock but does not listen yet (no port, no socket)
    const starting = await DataDirLock.acquire(data, { command: 'strata serve' });
    setTimeout(() => void starting.release(), 600); // it gives up (e.g. its port was taken)
    const t0 = Date.now();
    const target = await sqlTarget({ data, waitForTraining: false, waitMs: 20_000 }, () => Database.open({ dataDir: data, slices: 1, owner: 'strata sql' }));
    expect(target.kind).toBe('local');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(500);
    if (target.kind === 'local') await target.db.close();
  }, 60_000);

  it('a second CLI waits for the first instead of writing beside it', async () => {
    await (await Database.open({ dataDir: data, slices: 1 })).close();
    const runs = await Promise.all([0, 1, 2].map((i) => strata(['sql', '--data', data, `CREATE TABLE c${i} (a INT); INSERT INTO c${i} VALUES (${i})`], root)));
    for (const r of runs) expect(r).toMatchObject({ code: 0, stderr: '' });
    const db = await Database.open({ dataDir: data, slices: 1 });
    const s = db.connect();
    expect((await s.execute('SELECT (SELECT a FROM c0) + (SELECT a FROM c1) + (SELECT a FROM c2)'))[0].rows).toEqual([[3]]);
    await db.close();
  }, 90_000);
});
