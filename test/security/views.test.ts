// Views through the real servers, as an ordinary user with a token: GRANT SELECT on a view lets a
// user read its rows without the table (GraphQL `execute`, `query` cursors, the PostgreSQL
// protocol), REVOKE of the view or of its owner's privilege stops the next statement and the
// next cursor page, EXPLAIN shows nothing inside, and the grant listing names the view.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serialize } from 'pg-protocol';
import { code, ok } from '../api/helpers.ts';
import { secureServer, message, type Caller, type SecureServer } from './helpers.ts';
import { RawClient, dataRowFields, errorCode, startPg, type PgFixture } from '../api/pgwire/helpers.ts';
import { createToken } from '../../api/tokens.ts';

let srv: SecureServer;
let acme: Caller;
let hr: Caller;
let ann: Caller;

beforeAll(async () => {
  srv = await secureServer({ accounts: ['acme'] });
  acme = srv.as(await srv.token('acme'));
  ok(await acme.sql(`CREATE USER hr; CREATE USER ann; CREATE SCHEMA private; GRANT USAGE, CREATE ON SCHEMA private TO hr`));
  hr = srv.as(await srv.token('acme', 'hr'));
  ann = srv.as(await srv.token('acme', 'ann'));
  ok(await hr.sql(`CREATE TABLE private.pay (name VARCHAR(10), salary INT, public_name BOOLEAN);
    INSERT INTO private.pay VALUES ('ann', 100, true), ('bo', 200, true), ('ceo', 999, false);
    CREATE VIEW staff AS SELECT name FROM private.pay WHERE public_name`));
}, 60_000);
afterAll(async () => srv?.close());

const rows = async (c: Caller, sql: string) => ok(await c.sql(sql)).execute.rows;
const denied = async (c: Caller, sql: string) => {
  const r = await c.sql(sql);
  expect(code(r), `${sql}: ${message(r)}`).toBe('PERMISSION_DENIED');
  return message(r);
};

describe('a view over GraphQL', () => {
  it('needs SELECT on it, then returns its rows and nothing of the table', async () => {
    expect(await denied(ann, 'SELECT * FROM staff')).toMatch(/view public\.staff: user "ann" lacks SELECT/);
    ok(await hr.sql('GRANT SELECT ON staff TO ann'));
    expect(await rows(ann, 'SELECT name FROM staff ORDER BY name')).toEqual([['ann'], ['bo']]);
    await denied(ann, 'SELECT salary FROM private.pay');
    expect(await denied(ann, 'EXPLAIN SELECT * FROM staff')).toMatch(/EXPLAIN would show what view dev\.public\.staff reads/);
    // the grant is listed by the view's name
    const users = ok(await acme('{ accounts { users { name grants { object privileges } } } }')).accounts[0].users;
    expect(users.find((u: { name: string }) => u.name === 'ann').grants).toEqual([{ object: 'view dev.public.staff', privileges: ['SELECT'] }]);
    const listed = '{ relationPrivileges(relation: "staff") { schema relation relationType privilege grantee granteeType grantOption } }';
    const annsGrant = { schema: 'public', relation: 'staff', relationType: 'view', privilege: 'SELECT', grantee: 'ann', granteeType: 'user', grantOption: false };
    expect(ok(await hr(listed)).relationPrivileges).toEqual([annsGrant]);
    expect(ok(await ann(listed)).relationPrivileges).toEqual([annsGrant]);
  });

  it('ends a cursor at the next page after REVOKE on the view, or of the owner\'s privilege', async () => {
    const page = (cursor: string) => ann('query ($c: String!) { fetch(cursor: $c, limit: 1) { rows cursor } }', { c: cursor });
    const open = async () => ok(await ann('{ query(sql: "SELECT name FROM staff ORDER BY name", limit: 1) { rows cursor } }')).query;
    let first = await open();
    expect(first.rows).toEqual([['ann']]);
    ok(await hr.sql('REVOKE SELECT ON staff FROM ann'));
    expect(code(await page(first.cursor))).toBe('PERMISSION_DENIED');
    ok(await hr.sql('GRANT SELECT ON staff TO ann'));
    first = await open();
    // the owner loses USAGE on the table's schema: the view stops for its readers too
    ok(await acme.sql('REVOKE USAGE ON SCHEMA private FROM hr'));
    const after = await page(first.cursor);
    expect([code(after), message(after)]).toEqual(['PERMISSION_DENIED', expect.stringMatching(/owner "hr", who may not: permission denied for schema private/)]);
    expect(await denied(ann, 'SELECT * FROM staff')).toMatch(/owner "hr"/);
    ok(await acme.sql('GRANT USAGE ON SCHEMA private TO hr'));
    expect(await rows(ann, 'SELECT count(*) FROM staff')).toEqual([[2]]);
  });

  it('cannot be made to borrow another user\'s rights', async () => {
    // ann cannot replace hr's view with one reading what hr may read, nor read the table through a view of her own
    ok(await acme.sql('GRANT CREATE ON SCHEMA public TO ann'));
    expect(await denied(ann, 'CREATE OR REPLACE VIEW staff AS SELECT name, salary FROM private.pay')).toMatch(/must be owner of view public\.staff/);
    await denied(ann, 'CREATE VIEW mine AS SELECT salary FROM private.pay');
    // a view of hr's view is ann's, and reads hr's view as ann: only what hr published
    ok(await ann.sql('CREATE VIEW mine AS SELECT name FROM staff'));
    expect(await rows(ann, 'SELECT count(*) FROM mine')).toEqual([[2]]);
    await denied(ann, 'GRANT SELECT ON staff TO PUBLIC');
  });
});

describe('a view over the PostgreSQL protocol', () => {
  let f: PgFixture;
  afterAll(async () => { await f?.close(); });

  it('returns no rows from a suspended portal after REVOKE on the view', async () => {
    f = await startPg({ auth: 'password' });
    const admin = f.api.services.db.connect();
    await admin.execute("CREATE TABLE kv (k INT, v VARCHAR(10)); INSERT INTO kv VALUES (1, 'a'), (2, 'b'), (3, 'c'); CREATE VIEW ks AS SELECT k FROM kv WHERE k < 3; CREATE USER carol; GRANT SELECT ON ks TO carol");
    const token = (await createToken(f.api.services.db, { account: 'admin', user: 'carol' })).token;
    const c = await RawClient.login(f.server.port, token, 'carol@admin');
    const rowsOf = (msgs: { type: string; body: Buffer }[]) => msgs.filter((m) => m.type === 'D').map((m) => dataRowFields(m.body)[0]!.toString());
    c.send(Buffer.concat([serialize.parse({ text: 'select k from ks order by k', types: [] }), serialize.bind({ portal: 'p' }), serialize.execute({ portal: 'p', rows: 1 }), serialize.flush()]));
    expect(rowsOf(await c.until('s'))).toEqual(['1']);
    await admin.execute('REVOKE SELECT ON ks FROM carol');
    c.send(Buffer.concat([serialize.execute({ portal: 'p', rows: 1 }), serialize.sync()]));
    const after = await c.until('Z');
    expect(rowsOf(after)).toEqual([]);
    const err = after.find((m) => m.type === 'E');
    expect(err && errorCode(err.body)).toBe('42501');
    // and the table itself was never carol's
    c.send(serialize.query('select * from kv'));
    const direct = (await c.until('Z')).find((m) => m.type === 'E');
    expect(direct && errorCode(direct.body)).toBe('42501');
    c.close();
  });
});
