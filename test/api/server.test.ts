// End to end over real HTTP: a server on a free port and a temp data dir; auth, tokens (CLI and
// mutation), cross-account isolation, grants, cancel, timeout, errors, shutdown and restart.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startServer, type RunningServer } from '../../api/server.ts';
import { client, code, ok, tempDir, SLOW_SETUP, slowScript } from './helpers.ts';

const run = promisify(execFile);
const tmp = tempDir();
let server: RunningServer;
const tokens: string[] = [];
const http = (token: string | null) => client(fetch, server.url, token);

async function start() {
  server = await startServer({ dataDir: tmp.dir, port: 0, host: '127.0.0.1', slices: 2, graceMs: 5000 });
  return server;
}

let admin: ReturnType<typeof http>;
let acme: ReturnType<typeof http>;
let acmeToken: string;

beforeAll(async () => {
  await start();
  expect(server.adminToken).toMatch(/^strata_[0-9a-f]{12}_/);
  tokens.push(server.adminToken!);
  admin = http(server.adminToken);
  ok(await admin('mutation { execute(sql: "create account acme; create table items (id int, v varchar(10)); insert into items values (1, \'admin\')") { command } }'));
  // the CLI talks to the running server through its control socket
  const { stdout } = await run(process.execPath, ['bin/strata.js', 'token', 'create', '--data', tmp.dir, '--account', 'acme'], { cwd: join(import.meta.dirname, '../..') });
  acmeToken = stdout.trim();
  tokens.push(acmeToken);
  acme = http(acmeToken);
}, 30_000);

afterAll(async () => {
  await server?.close();
  tmp.remove();
});

describe('HTTP server', () => {
  it('requires a bearer token', async () => {
    const r = await fetch(server.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ me { account } }' }) });
    expect(r.status).toBe(401);
    expect(r.headers.get('www-authenticate')).toContain('Bearer');
    expect((await http('nonsense')('{ me { account } }')).status).toBe(401);
    expect(ok(await acme('{ me { account user superuser } }')).me).toEqual({ account: 'acme', user: 'admin', superuser: true });
  });

  it('reports health without auth', async () => {
    const r = await fetch(server.url.replace('/graphql', '/health'));
    expect(r.status).toBe(200);
    expect(await r.json()).toMatchObject({ status: 'ok' });
  });

  it('answers bad GraphQL and bad SQL with coded errors', async () => {
    const raw = await fetch(server.url, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json', authorization: `Bearer ${acmeToken}` }, body: JSON.stringify({ query: '{ query(sql: "select 1") ' }) });
    expect(raw.status).toBe(400);
    expect(((await raw.json()) as any).errors[0].extensions.code).toBe('GRAPHQL_PARSE_FAILED');
    const notJson = await fetch(server.url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${acmeToken}` }, body: '{not json' });
    expect(notJson.status).toBe(400);
    const bad = await acme('{ query(sql: "select 1 +") { rows } }');
    expect(bad.errors![0].extensions).toMatchObject({ code: 'SYNTAX_ERROR', position: { line: 1 } });
  });

  it('isolates accounts', async () => {
    ok(await acme('mutation { execute(sql: "create table secret (s varchar(10)); insert into secret values (\'acme-only\')") { command } }'));
    expect(code(await admin('{ query(sql: "select * from secret") { rows } }'))).toBe('UNDEFINED_TABLE');
    expect(code(await acme('{ query(sql: "select * from items") { rows } }'))).toBe('UNDEFINED_TABLE');
    expect(code(await acme('{ query(sql: "select * from dev.public.items") { rows } }'))).toBe('UNDEFINED_TABLE');
    expect(ok(await acme('{ query(sql: "select * from secret") { rows } }')).query.rows).toEqual([['acme-only']]);
    expect(ok(await acme('{ tables { name } }')).tables).toEqual([{ name: 'secret' }]);
    expect(ok(await admin('{ tables { name } }')).tables).toEqual([{ name: 'items' }]);
    expect(ok(await acme('{ accounts { name } }')).accounts).toEqual([{ name: 'acme' }]);
    expect(code(await acme('mutation { execute(sql: "create account evil") { command } }'))).toBe('PERMISSION_DENIED');
    expect(code(await acme('mutation { createToken(account: "admin") { token } }'))).toBe('PERMISSION_DENIED');
    const adminTokens = ok(await admin('{ tokens { id account } }')).tokens;
    const acmeTokenId = adminTokens.find((t: { account: string }) => t.account === 'acme').id;
    const mine = ok(await acme('{ tokens { id account } }')).tokens;
    expect(mine.every((t: { account: string }) => t.account === 'acme')).toBe(true);
    expect(ok(await acme('mutation($id: ID!) { revokeToken(id: $id) }', { id: adminTokens.find((t: { account: string }) => t.account === 'admin').id })).revokeToken).toBe(false);
    expect(acmeTokenId).toBeTruthy();
  });

  it('enforces grants for users of an account', async () => {
    ok(await acme('mutation { execute(sql: "create user bob") { command } }'));
    const bobToken = ok(await acme('mutation { createToken(user: "bob") { token user } }')).createToken.token;
    tokens.push(bobToken);
    const bob = http(bobToken);
    expect(ok(await bob('{ me { user superuser } }')).me).toEqual({ user: 'bob', superuser: false });
    expect(code(await bob('{ query(sql: "select * from secret") { rows } }'))).toBe('PERMISSION_DENIED');
    ok(await acme('mutation { execute(sql: "grant select on secret to bob") { command } }'));
    expect(ok(await bob('{ query(sql: "select * from secret") { rows } }')).query.rows).toEqual([['acme-only']]);
    expect(code(await bob('mutation { execute(sql: "insert into secret values (\'x\')") { rowCount } }'))).toBe('PERMISSION_DENIED');
    expect(code(await bob('mutation { execute(sql: "create user eve") { command } }'))).toBe('PERMISSION_DENIED');
    expect(code(await bob('mutation { createToken(user: "admin") { token } }'))).toBe('PERMISSION_DENIED');
    const grants = ok(await acme('{ accounts { users { name grants { object privileges } } } }')).accounts[0].users.find((u: { name: string }) => u.name === 'bob').grants;
    expect(grants).toEqual([{ object: 'table dev.public.secret', privileges: ['SELECT'] }]);
    ok(await acme('mutation { execute(sql: "revoke select on secret from bob") { command } }'));
    expect(code(await bob('{ query(sql: "select * from secret") { rows } }'))).toBe('PERMISSION_DENIED');
  });

  it('revokes tokens', async () => {
    const t = ok(await acme('mutation { createToken(label: "temp") { id token } }')).createToken;
    tokens.push(t.token);
    expect((await http(t.token)('{ me { account } }')).status).toBe(200);
    expect(ok(await acme('mutation($id: ID!) { revokeToken(id: $id) }', { id: t.id })).revokeToken).toBe(true);
    expect((await http(t.token)('{ me { account } }')).status).toBe(401);
  });

  it('cancels a running query and times out slow ones', async () => {
    ok(await acme(`mutation { execute(sql: ${JSON.stringify(SLOW_SETUP)}) { command } }`));
    const pending = acme('mutation($s: String!) { execute(sql: $s) { rows } }', { s: slowScript(40) });
    let id: string | undefined;
    for (let i = 0; i < 200 && !id; i++) {
      const qs = ok(await acme('{ runningQueries { id state sql } }')).runningQueries;
      id = qs.find((q: { state: string; sql: string }) => q.state === 'RUNNING' && q.sql.includes('big a join'))?.id;
      if (!id) await new Promise((r) => setTimeout(r, 10));
    }
    expect(id).toBeTruthy();
    expect(ok(await admin('{ runningQueries { id } }')).runningQueries.map((q: { id: string }) => q.id)).toContain(id); // deployment admin sees all
    expect(ok(await http(tokens[2])('mutation($id: ID!) { cancelQuery(id: $id) }', { id })).cancelQuery).toBe(false); // bob: not his
    const t0 = Date.now();
    expect(ok(await acme('mutation($id: ID!) { cancelQuery(id: $id) }', { id })).cancelQuery).toBe(true);
    const r = await pending;
    expect(r.errors![0].extensions).toMatchObject({ code: 'QUERY_CANCELED', reason: 'user' });
    expect(Date.now() - t0).toBeLessThan(3000);
    const slow = await acme('query($s: String!) { query(sql: $s, timeoutMs: 150) { rows } }', { s: slowScript(40) });
    expect(slow.errors![0].extensions).toMatchObject({ code: 'QUERY_CANCELED', reason: 'timeout' });
    const w = ok(await acme('{ wlm { canceled timedOut } }')).wlm;
    expect(w.canceled).toBeGreaterThanOrEqual(1);
    expect(w.timedOut).toBeGreaterThanOrEqual(1);
  }, 30_000);

  it('never stores a plaintext token in the data directory', () => {
    const files: string[] = [];
    // files may vanish under us (garbage collection of old manifests): skip those
    const gone = (e: unknown) => { if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e; };
    const walk = (d: string) => {
      let entries: string[] = [];
      try { entries = readdirSync(d); } catch (err) { gone(err); }
      for (const e of entries) {
        const p = join(d, e);
        try { const s = statSync(p); if (s.isDirectory()) walk(p); else if (s.isFile()) files.push(p); } catch (err) { gone(err); }
      }
    };
    walk(tmp.dir);
    expect(files.length).toBeGreaterThan(0);
    for (const f of files) {
      let text: string;
      try { text = readFileSync(f).toString('latin1'); } catch (err) { gone(err); continue; }
      for (const t of tokens) {
        expect(text.includes(t), `${f} holds a token`).toBe(false);
        expect(text.includes(t.split('_').slice(2).join('_')), `${f} holds a token secret`).toBe(false);
      }
    }
  });

  it('finishes running statements on shutdown and keeps tokens across restarts', async () => {
    const write = acme('mutation { execute(sql: "create table during (x int); insert into during select x from big") { command rowCount } }');
    await new Promise((r) => setTimeout(r, 30));
    await server.close();
    const r = await write;
    expect(ok(r).execute).toEqual({ command: 'INSERT', rowCount: 100000 });
    await start();
    expect(server.adminToken).toBeNull();
    acme = http(acmeToken);
    admin = http(tokens[0]);
    expect(ok(await acme('{ query(sql: "select count(*) from during") { rows } }')).query.rows).toEqual([[100000]]);
    expect(ok(await admin('{ me { account } }')).me.account).toBe('admin');
  }, 30_000);
});
