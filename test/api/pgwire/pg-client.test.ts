// The `pg` npm client against `strata serve --pg-port`: auth, simple and extended queries,
// prepared statements, SQLSTATEs, transactions, cancel and COPY FROM STDIN.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import pg from 'pg';
import { connect } from 'node:net';
import { startPg, sqlstate, type PgFixture } from './helpers.ts';
import { SLOW_SETUP, slowScript } from '../helpers.ts';

// a loaded 2-core machine: slices start on first use, so the first statements can be slow
vi.setConfig({ testTimeout: 30_000 });

let f: PgFixture;
beforeAll(async () => { f = await startPg(); }, 60_000);
afterAll(async () => { await f?.close(); });

describe('connecting', () => {
  it('authenticates with SCRAM-SHA-256 using an API token and runs a simple query', async () => {
    const c = await f.connect();
    const r = await c.query('select 1 as one, \'a\' as letter');
    expect(r.rows).toEqual([{ one: 1, letter: 'a' }]);
    expect(r.fields.map((x) => x.dataTypeID)).toEqual([23, 1043]);
  });

  it('refuses a wrong password, an unknown user and a token of another user', async () => {
    expect(await sqlstate(f.connect({ password: 'strata_000000000000_' + 'x'.repeat(43) }))).toBe('28P01');
    expect(await sqlstate(f.connect({ user: 'nobody@admin' }))).toBe('28P01');
    expect(await sqlstate(f.connect({ user: 'admin@elsewhere' }))).toBe('28P01');
  });

  it('answers what drivers ask on connect: settings, version, isolation level', async () => {
    const c = await f.connect();
    await c.query('SET extra_float_digits = 3');
    await c.query("SET application_name = 'PostgreSQL JDBC Driver'");
    expect((await c.query('SHOW application_name')).rows).toEqual([{ application_name: 'PostgreSQL JDBC Driver' }]);
    expect((await c.query('SHOW TRANSACTION ISOLATION LEVEL')).rows).toEqual([{ transaction_isolation: 'serializable' }]);
    const r = await c.query('select version(), current_schema(), current_database()');
    expect(r.rows[0].version).toMatch(/^PostgreSQL 15\.0 on Strata/);
    expect(r.rows[0]).toMatchObject({ current_schema: 'public', current_database: 'dev' });
    expect((await c.query('SHOW search_path')).rows).toEqual([{ search_path: 'public' }]);
    // a script is not mistaken for one client setting
    expect(await sqlstate(c.query("SET application_name = 'x'; SELECT 1"))).toBe('42704');
  });

  it('maps a bare user name to the admin account and refuses an unknown database', async () => {
    const c = await f.connect({ user: 'admin' });
    expect((await c.query('select current_user')).rows[0].current_user).toBe('admin');
    expect(await sqlstate(f.connect({ database: 'nope' }))).toBe('3D000');
  });
});

describe('queries', () => {
  it('runs parameterised queries (extended protocol) with results equal to the simple protocol', async () => {
    const c = await f.connect();
    await c.query('create table pts (id int, name varchar(20), score decimal(8,2))');
    await c.query("insert into pts values (1, 'one', 1.50), (2, 'two', 2.25), (3, null, -3.00)");
    for (const id of [1, 2, 3, 4]) {
      const ext = await c.query('select id, name, score from pts where id = $1', [id]);
      const simple = await c.query(`select id, name, score from pts where id = ${id}`);
      expect(ext.rows).toEqual(simple.rows);
    }
    expect((await c.query('select name from pts where id = $1 and score > $2', [2, '2.0'])).rows).toEqual([{ name: 'two' }]);
    expect((await c.query('select count(*) as n from pts where name is null or name = $1', [null])).rows[0].n).toBe('1');
  });

  it('reuses named prepared statements', async () => {
    const c = await f.connect();
    const q = (id: number) => c.query({ name: 'by_id', text: 'select name from pts where id = $1', values: [id] });
    expect((await q(1)).rows).toEqual([{ name: 'one' }]);
    expect((await q(2)).rows).toEqual([{ name: 'two' }]);
    const other = await f.connect();
    // statements are per connection
    expect((await other.query({ name: 'by_id', text: 'select id from pts where id = $1', values: [3] })).rows).toEqual([{ id: 3 }]);
    expect((await q(3)).rows).toEqual([{ name: null }]);
  });

  it('answers errors with SQLSTATE and position', async () => {
    const c = await f.connect();
    const err = async (sql: string, params?: unknown[]) => {
      try { await c.query(sql, params); } catch (e) { return e as { code: string; position?: string }; }
      throw new Error(`no error from ${sql}`);
    };
    expect((await err('selec 1')).code).toBe('42601');
    const undefinedTable = await err('select * from nowhere');
    expect(undefinedTable.code).toBe('42P01');
    expect(undefinedTable.position).toBe('15');
    expect((await err('select nope from pts')).code).toBe('42703');
    expect((await err('select 1/0')).code).toBe('22012');
    expect((await err('select cast(40000 as smallint) * cast(40000 as smallint)')).code).toBe('22003');
    expect((await err('select * from pts where id = $1', ['x'])).code).toBe('22P02');
    // the connection stays usable
    expect((await c.query('select 1 as x')).rows).toEqual([{ x: 1 }]);
  });

  it('reports the transaction status and fails a block after an error until ROLLBACK', async () => {
    const c = await f.connect();
    await c.query('begin');
    await c.query("insert into pts values (10, 'ten', 0)");
    expect(await sqlstate(c.query('select 1/0'))).toBe('22012');
    expect(await sqlstate(c.query('select 1'))).toBe('25P02');
    await c.query('rollback');
    expect((await c.query('select count(*) as n from pts where id = 10')).rows[0].n).toBe('0');
  });

  it('sees only what its user may: a user without privileges gets 42501', async () => {
    const c = await f.connect();
    await c.query("create user reader password 'pw'");
    const { createToken } = await import('../../../api/tokens.ts');
    const { token } = await createToken(f.api.services.db, { account: 'admin', user: 'reader' });
    const r = await f.connect({ user: 'reader@admin', password: token });
    expect(await sqlstate(r.query('select * from pts'))).toBe('42501');
    expect((await r.query('select current_user')).rows[0].current_user).toBe('reader');
  });
});

describe('revocation', () => {
  it('ends a connection whose token was revoked (28000) before its next statement', async () => {
    const { createToken, revokeToken } = await import('../../../api/tokens.ts');
    const { token, record } = await createToken(f.api.services.db, { account: 'admin', user: 'admin' });
    const c = await f.connect({ password: token });
    expect((await c.query('select 1 as x')).rows).toEqual([{ x: 1 }]);
    await revokeToken(f.api.services.db, record.id);
    expect(await sqlstate(c.query('select 1 as x'))).toBe('28000');
    expect(await sqlstate(f.connect({ password: token }))).toBe('28P01');
  });
});

describe('strata serve --pg-port', () => {
  it('starts the protocol listener beside HTTP and stops it on close', async () => {
    const { startServer } = await import('../../../api/server.ts');
    const { tempDir } = await import('../helpers.ts');
    const tmp = tempDir('strata-pg-serve-');
    const s = await startServer({ dataDir: tmp.dir, port: 0, host: '127.0.0.1', slices: 1, pg: { port: 0 } });
    try {
      expect(s.pg).not.toBeNull();
      const c = new pg.Client({ host: '127.0.0.1', port: s.pg!.port, user: 'admin@admin', database: 'dev', password: s.adminToken! });
      await c.connect();
      expect((await c.query('select 41 + 1 as answer')).rows).toEqual([{ answer: 42 }]);
      await c.end();
    } finally {
      await s.close();
      tmp.remove();
    }
    const late = new pg.Client({ host: '127.0.0.1', port: s.pg!.port, user: 'admin@admin', database: 'dev', password: s.adminToken! });
    await expect(late.connect()).rejects.toThrow(/ECONNREFUSED/);
  });
});

describe('cancel', () => {
  it('a CancelRequest with the connection key cancels the running statement (57014); a wrong key does not', async () => {
    const c = await f.connect();
    await c.query(SLOW_SETUP);
    const client = c as unknown as { processID: number; secretKey: number };
    const sendCancel = (secret: number) => new Promise<void>((resolve) => {
      const s = connect(f.server.port, '127.0.0.1', () => {
        const b = Buffer.alloc(16);
        b.writeInt32BE(16, 0); b.writeInt32BE(80877102, 4); b.writeInt32BE(client.processID, 8); b.writeInt32BE(secret, 12);
        s.end(b);
      });
      s.on('close', () => resolve());
    });
    const t0 = Date.now();
    const running = c.query(slowScript(1).replace(/;\s*$/, ''));
    await new Promise((r) => setTimeout(r, 150));
    await sendCancel(client.secretKey ^ 1);
    await new Promise((r) => setTimeout(r, 100));
    // still running after the wrong key (and visible to GraphQL's runningQueries as this user's)
    expect(f.api.services.wlm.list().map((q) => [q.user, q.state])).toEqual([['admin', 'RUNNING']]);
    await sendCancel(client.secretKey);
    expect(await sqlstate(running)).toBe('57014');
    expect(Date.now() - t0).toBeLessThan(20_000);
    expect((await c.query('select 1 as ok')).rows).toEqual([{ ok: 1 }]);
    // statement_timeout is the engine's setting, enforced for protocol sessions too
    await c.query('SET statement_timeout = 100');
    expect((await c.query('SHOW statement_timeout')).rows).toEqual([{ statement_timeout: '100' }]);
    expect(await sqlstate(c.query(slowScript(1).replace(/;\s*$/, '')))).toBe('57014');
    await c.query('SET statement_timeout = 0');
  }, 60_000);
});
