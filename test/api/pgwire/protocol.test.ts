// The protocol itself with a bare client: startup requests, limits, the extended-query state
// machine (Describe, row limits, Close, errors skipping to Sync), COPY in text format.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { serialize } from 'pg-protocol';
import { listenPg } from '../../../api/pgwire/server.ts';
import { RawClient, dataRowFields, errorCode, startPg, type PgFixture } from './helpers.ts';

vi.setConfig({ testTimeout: 30_000 });

let f: PgFixture;
beforeAll(async () => {
  f = await startPg({ auth: 'password', maxMessageBytes: 64 * 1024 });
  const c = await RawClient.login(f.server.port, f.token);
  c.send(serialize.query("create table kv (k int, v varchar(20)); insert into kv values (1, 'a'), (2, 'b'), (3, 'c')"));
  const msgs = await c.until('Z');
  expect(msgs.some((m) => m.type === 'E')).toBe(false);
  c.close();
}, 60_000);
afterAll(async () => { await f?.close(); });

const types = (msgs: { type: string }[]) => msgs.map((m) => m.type).join('');
const text = (b: Buffer | null) => b?.toString('utf8') ?? null;

describe('startup', () => {
  it('answers SSLRequest and GSSENCRequest with N, then accepts the startup packet', async () => {
    const c = await RawClient.open(f.server.port);
    c.send(serialize.requestSsl());
    expect((await c.bytes(1)).toString()).toBe('N');
    const gss = Buffer.alloc(8); gss.writeInt32BE(8); gss.writeInt32BE(80877104, 4);
    c.send(gss);
    expect((await c.bytes(1)).toString()).toBe('N');
    c.send(serialize.startup({ user: 'admin@admin', database: 'dev' }));
    expect((await c.next()).type).toBe('R');
    c.send(serialize.password(f.token));
    const msgs = await c.until('Z');
    expect(types(msgs)).toMatch(/^RS+KZ$/);
    expect(msgs.at(-1)!.body.toString()).toBe('I');
    c.close();
  });

  it('accepts a CREATE USER password in cleartext mode, as that user', async () => {
    const admin = await RawClient.login(f.server.port, f.token);
    admin.send(serialize.query("create user clerk password 'Secret-pw1'"));
    expect(types(await admin.until('Z'))).toBe('CZ');
    admin.close();
    const c = await RawClient.login(f.server.port, 'Secret-pw1', 'clerk@admin');
    c.send(serialize.query('select current_user'));
    const msgs = await c.until('Z');
    expect(text(dataRowFields(msgs.find((m) => m.type === 'D')!.body)[0])).toBe('clerk');
    c.close();
    await expect(RawClient.login(f.server.port, 'wrong', 'clerk@admin')).rejects.toThrow();
  });

  it('refuses a wrong cleartext password, and cleartext entirely in scram mode', async () => {
    await expect(RawClient.login(f.server.port, 'not-a-token')).rejects.toThrow();
    const scramOnly = await listenPg(f.api.services, { port: 0, host: '127.0.0.1', auth: 'scram' });
    try {
      const c = await RawClient.open(scramOnly.port);
      c.send(serialize.startup({ user: 'admin@admin', database: 'dev' }));
      const auth = await c.next();
      expect(auth.body.readInt32BE(0)).toBe(10); // SASL
      expect(auth.body.toString('utf8', 4)).toContain('SCRAM-SHA-256');
      c.send(serialize.password(f.token));
      const err = await c.next();
      expect(err.type).toBe('E');
      expect(['08P01', '28P01', '28000']).toContain(errorCode(err.body));
      c.close();
    } finally {
      await scramOnly.close();
    }
  });

  it('closes connections that do not authenticate in time', async () => {
    const slow = await listenPg(f.api.services, { port: 0, host: '127.0.0.1', authTimeoutMs: 200 });
    try {
      const c = await RawClient.open(slow.port);
      const err = await c.next();
      expect(err.type).toBe('E');
      expect(err.body.toString()).toContain('authentication timed out');
      await new Promise((r) => setTimeout(r, 50));
      expect(c.closed).toBe(true);
    } finally {
      await slow.close();
    }
  });

  it('refuses connections past the limit with 53300', async () => {
    const small = await listenPg(f.api.services, { port: 0, host: '127.0.0.1', auth: 'password', maxConnections: 1 });
    try {
      const a = await RawClient.login(small.port, f.token);
      const b = await RawClient.open(small.port);
      const err = await b.next();
      expect(errorCode(err.body)).toBe('53300');
      a.close(); b.close();
    } finally {
      await small.close();
    }
  });
});

describe('limits', () => {
  it('ends a connection that sends a message over the size limit (54000)', async () => {
    const c = await RawClient.login(f.server.port, f.token);
    c.send(serialize.query(`select '${'x'.repeat(70 * 1024)}'`));
    const err = await c.next();
    expect(err.type).toBe('E');
    expect(errorCode(err.body)).toBe('54000');
    await new Promise((r) => setTimeout(r, 50));
    expect(c.closed).toBe(true);
  });
});

describe('extended query', () => {
  it('describes a statement: parameter types and result columns', async () => {
    const c = await RawClient.login(f.server.port, f.token);
    c.send(Buffer.concat([serialize.parse({ name: 's1', text: 'select v, k from kv where k = $1', types: [] }), serialize.describe({ type: 'S', name: 's1' }), serialize.sync()]));
    const msgs = await c.until('Z');
    expect(types(msgs)).toBe('1tTZ');
    const t = msgs[1].body;
    expect(t.readInt16BE(0)).toBe(1);
    expect(t.readInt32BE(2)).toBe(23); // inferred from the column k it is compared with
    const desc = msgs[2].body;
    expect(desc.readInt16BE(0)).toBe(2);
    expect(desc.toString('utf8', 2, 3)).toBe('v');
    c.close();
  });

  it('infers the types of open parameters from what they meet, and then takes binary values', async () => {
    const c = await RawClient.login(f.server.port, f.token);
    const describe = async (name: string, sql: string) => {
      c.send(Buffer.concat([serialize.parse({ name, text: sql, types: [] }), serialize.describe({ type: 'S', name }), serialize.sync()]));
      const msgs = await c.until('Z');
      const t = msgs.find((m) => m.type === 't');
      if (!t) throw new Error(`no ParameterDescription: ${types(msgs)} ${msgs.map((m) => m.body.toString()).join(' ')}`);
      return Array.from({ length: t.body.readInt16BE(0) }, (_, i) => t.body.readInt32BE(2 + 4 * i));
    };
    expect(await describe('q1', 'select v from kv where k = $1 and v like $2')).toEqual([23, 1043]);
    expect(await describe('q2', 'insert into kv values ($1, $2)')).toEqual([23, 1043]);
    expect(await describe('q3', 'update kv set v = $1 where k between $2 and $3')).toEqual([1043, 23, 23]);
    expect(await describe('q4', 'select $1')).toEqual([25]);
    // the inferred int4 decodes a binary value
    c.send(Buffer.concat([serialize.bind({ statement: 'q1', values: [Buffer.from('00000002', 'hex'), 'b%'] }), serialize.execute(), serialize.sync()]));
    const msgs = await c.until('Z');
    expect(msgs.filter((m) => m.type === 'D').map((m) => text(dataRowFields(m.body)[0]))).toEqual(['b']);
    c.close();
  });

  it('sends rows in slices with an Execute row limit (PortalSuspended), and closes portals', async () => {
    const c = await RawClient.login(f.server.port, f.token);
    c.send(Buffer.concat([
      serialize.parse({ text: 'select k from kv order by k', types: [] }),
      serialize.bind({ portal: 'p' }),
      serialize.execute({ portal: 'p', rows: 2 }),
      serialize.execute({ portal: 'p', rows: 2 }),
      serialize.close({ type: 'P', name: 'p' }),
      serialize.sync(),
    ]));
    const msgs = await c.until('Z');
    expect(types(msgs)).toBe('12DDsDC3Z');
    expect(msgs.filter((m) => m.type === 'D').map((m) => text(dataRowFields(m.body)[0]))).toEqual(['1', '2', '3']);
    expect(msgs.find((m) => m.type === 'C')!.body.toString('utf8', 0, 8)).toBe('SELECT 1');
    c.close();
  });

  it('skips messages after an error until Sync, then works again', async () => {
    const c = await RawClient.login(f.server.port, f.token);
    c.send(Buffer.concat([
      serialize.parse({ name: 'dup', text: 'select 1', types: [] }),
      serialize.parse({ name: 'dup', text: 'select 2', types: [] }),
      serialize.bind({ statement: 'dup' }),
      serialize.execute(),
      serialize.sync(),
    ]));
    let msgs = await c.until('Z');
    expect(types(msgs)).toBe('1EZ');
    expect(errorCode(msgs[1].body)).toBe('42P05');
    c.send(Buffer.concat([serialize.bind({ statement: 'nope' }), serialize.sync()]));
    msgs = await c.until('Z');
    expect(errorCode(msgs[0].body)).toBe('26000');
    c.send(Buffer.concat([serialize.execute({ portal: 'nope' }), serialize.sync()]));
    msgs = await c.until('Z');
    expect(errorCode(msgs[0].body)).toBe('34000');
    c.send(Buffer.concat([serialize.bind({ statement: 'dup' }), serialize.describe({ type: 'P' }), serialize.execute(), serialize.sync()]));
    msgs = await c.until('Z');
    expect(types(msgs)).toBe('2TDCZ');
    c.send(Buffer.concat([serialize.parse({ text: 'select 1; select 2', types: [] }), serialize.sync()]));
    expect(errorCode((await c.until('Z'))[0].body)).toBe('42601');
    c.close();
  });

  it('answers an empty query with EmptyQueryResponse', async () => {
    const c = await RawClient.login(f.server.port, f.token);
    c.send(serialize.query('  ;  '));
    expect(types(await c.until('Z'))).toBe('IZ');
    c.close();
  });
});

describe('COPY FROM STDIN', () => {
  it('loads the text format with escapes and \\N, and a bad row leaves the table unchanged', async () => {
    const c = await RawClient.login(f.server.port, f.token);
    c.send(serialize.query('copy kv (k, v) from stdin'));
    const start = await c.next();
    expect(start.type).toBe('G');
    expect(start.body.readInt16BE(1)).toBe(2);
    c.send(Buffer.concat([serialize.copyData(Buffer.from('10\ttab\\there\n11\t\\N\n')), serialize.copyData(Buffer.from('12\tsplit ')), serialize.copyData(Buffer.from('row\n')), serialize.copyDone()]));
    let msgs = await c.until('Z');
    expect(msgs[0].body.toString('utf8', 0, 6)).toBe('COPY 3');
    c.send(serialize.query('select k, v from kv where k >= 10 order by k'));
    msgs = await c.until('Z');
    expect(msgs.filter((m) => m.type === 'D').map((m) => dataRowFields(m.body).map(text))).toEqual([['10', 'tab\there'], ['11', null], ['12', 'split row']]);

    c.send(serialize.query('copy kv from stdin (format csv)'));
    expect((await c.next()).type).toBe('G');
    c.send(Buffer.concat([serialize.copyData(Buffer.from('20,"quoted, with comma"\n21,not-a-number-row\nx,y\n')), serialize.copyDone()]));
    msgs = await c.until('Z');
    expect(errorCode(msgs[0].body)).toBe('22P02');
    c.send(serialize.query('select count(*) from kv where k >= 20'));
    msgs = await c.until('Z');
    expect(text(dataRowFields(msgs.find((m) => m.type === 'D')!.body)[0])).toBe('0');
    c.close();
  });

  it('stops on CopyFail and reports it', async () => {
    const c = await RawClient.login(f.server.port, f.token);
    c.send(serialize.query('copy kv from stdin'));
    expect((await c.next()).type).toBe('G');
    c.send(Buffer.concat([serialize.copyData(Buffer.from('30\tz\n')), serialize.copyFail('client gave up')]));
    const msgs = await c.until('Z');
    expect(msgs[0].type).toBe('E');
    expect(msgs[0].body.toString()).toContain('client gave up');
    c.close();
  });
});
