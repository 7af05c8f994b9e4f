// Privileges as PostgreSQL and Redshift check them, replayed through the real HTTP server with
// several users and accounts: adding a table to a datashare needs ownership (or SELECT WITH
// GRANT OPTION, never column privileges); DELETE/UPDATE that read columns need SELECT; column
// privileges limit what a query may name; a cursor stops after REVOKE;
// identifiers with NUL or over 127 bytes are refused.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { code, ok } from '../api/helpers.ts';
import { secureServer, message, type Caller, type SecureServer } from './helpers.ts';

let srv: SecureServer;
let acme: Caller;
let dora: Caller;
let mallory: Caller;
let carol: Caller;
let carolToken: string;

beforeAll(async () => {
  srv = await secureServer({ accounts: ['acme', 'globex'] });
  acme = srv.as(await srv.token('acme'));
  ok(await acme.sql(`CREATE TABLE secrets (ssn VARCHAR(11), name VARCHAR(20));
    INSERT INTO secrets VALUES ('123-45-6789', 'ann'), ('987-65-4321', 'bo'), ('555-00-1111', 'cy');
    CREATE USER dora; CREATE USER mallory; CREATE USER carol;
    GRANT DELETE, UPDATE ON secrets TO dora;
    CREATE DATASHARE outbound; GRANT ALTER ON DATASHARE outbound TO mallory`));
  dora = srv.as(await srv.token('acme', 'dora'));
  mallory = srv.as(await srv.token('acme', 'mallory'));
  carolToken = await srv.token('acme', 'carol');
  carol = srv.as(carolToken);
}, 60_000);
afterAll(async () => srv?.close());

const denied = async (c: Caller, sql: string) => {
  const r = await c.sql(sql);
  expect(code(r), `${sql}: ${message(r)}`).toBe('PERMISSION_DENIED');
  return message(r);
};
const rows = async (c: Caller, sql: string) => ok(await c.sql(sql)).execute.rows;

describe('DELETE and UPDATE that read the table need SELECT', () => {
  it('refuses the DELETE-with-WHERE oracle and its variants to a DELETE-only user', async () => {
    expect(await denied(dora, "BEGIN; DELETE FROM secrets WHERE ssn LIKE '123%'; ROLLBACK")).toMatch(/column ssn of relation public\.secrets: user "dora" lacks SELECT on it, which DELETE needs when its WHERE/);
    await denied(dora, "DELETE FROM secrets WHERE ssn = '123-45-6789'");
    await denied(dora, 'DELETE FROM secrets WHERE ssn IN (SELECT ssn FROM secrets)');
    await denied(dora, "UPDATE secrets SET name = 'x' WHERE ssn LIKE '9%'");
    await denied(dora, 'UPDATE secrets SET name = ssn');
    // correlated subqueries read the target's columns too (they run as a query over it)
    await denied(dora, "DELETE FROM secrets WHERE EXISTS (SELECT 1 WHERE ssn LIKE '123%')");
    await denied(dora, "UPDATE secrets SET name = (SELECT 'x' WHERE ssn LIKE '9%')");
    expect(await rows(acme, 'SELECT count(*) FROM secrets')).toEqual([[3]]);
  });

  it('still lets the user delete or update without reading (as PostgreSQL does)', async () => {
    const r = ok(await dora('mutation { executeScript(sql: "BEGIN; UPDATE secrets SET name = \'anon\'; DELETE FROM secrets; ROLLBACK") { command rowCount } }')).executeScript;
    expect(r.map((x: { command: string; rowCount: number }) => [x.command, x.rowCount])).toEqual([['BEGIN', 0], ['UPDATE', 3], ['DELETE', 3], ['ROLLBACK', 0]]);
    expect(await rows(acme, 'SELECT count(*) FROM secrets')).toEqual([[3]]);
  });

  it('allows the WHERE once SELECT is granted', async () => {
    ok(await acme.sql('GRANT SELECT ON secrets TO dora'));
    const r = ok(await dora('mutation { executeScript(sql: "BEGIN; DELETE FROM secrets WHERE ssn LIKE \'123%\'; ROLLBACK") { rowCount } }')).executeScript;
    expect(r[1].rowCount).toBe(1);
    const c = ok(await dora('mutation { executeScript(sql: "BEGIN; DELETE FROM secrets WHERE EXISTS (SELECT 1 WHERE ssn LIKE \'123%\'); ROLLBACK") { rowCount } }')).executeScript;
    expect(c[1].rowCount).toBe(1);
    ok(await acme.sql('REVOKE SELECT ON secrets FROM dora'));
    await denied(dora, "DELETE FROM secrets WHERE ssn LIKE '123%'");
  });
});

describe('ALTER DATASHARE ... ADD needs ownership of what it adds', () => {
  it('refuses a table the user neither owns nor may pass on', async () => {
    expect(await denied(mallory, 'ALTER DATASHARE outbound ADD TABLE secrets')).toMatch(/must own it or hold SELECT WITH GRANT OPTION/);
    await denied(mallory, 'ALTER DATASHARE outbound ADD ALL TABLES IN SCHEMA public');
    await denied(mallory, 'ALTER DATASHARE outbound SET INCLUDENEW = TRUE FOR SCHEMA public');
    ok(await acme.sql('GRANT SELECT ON secrets TO mallory'));
    await denied(mallory, 'ALTER DATASHARE outbound ADD TABLE secrets');
    const share = ok(await acme.sql('DESC DATASHARE outbound')).execute.rows.map((r: unknown[]) => r.join(' '));
    expect(share.join('\n')).not.toContain('secrets');
    // so nothing reaches another account through the share
    ok(await acme.sql("GRANT USAGE ON DATASHARE outbound TO ACCOUNT 'globex'"));
    const globex = srv.as(await srv.token('globex'));
    ok(await globex.sql("CREATE DATABASE leak FROM DATASHARE outbound OF ACCOUNT 'acme'"));
    expect(code(await globex.sql('SELECT * FROM leak.public.secrets'))).toBe('UNDEFINED_TABLE');
  });

  it('accepts the owner\'s own table, and a table held WITH GRANT OPTION', async () => {
    ok(await mallory.sql("CREATE TABLE mine (x INT); INSERT INTO mine VALUES (42); ALTER DATASHARE outbound ADD TABLE mine"));
    ok(await acme.sql('GRANT SELECT ON secrets TO mallory WITH GRANT OPTION'));
    ok(await mallory.sql('ALTER DATASHARE outbound ADD TABLE secrets'));
    const globex = srv.as(await srv.token('globex'));
    expect(ok(await globex.sql('SELECT x FROM leak.public.mine')).execute.rows).toEqual([[42]]);
    expect(ok(await globex.sql('SELECT count(*) FROM leak.public.secrets')).execute.rows).toEqual([[3]]);
  });
});

describe('column-level privileges', () => {
  it('read only the granted columns, never add the table to a share, and end a cursor on REVOKE', async () => {
    ok(await acme.sql('CREATE USER cole; GRANT SELECT (name) ON secrets TO cole; CREATE DATASHARE colshare; GRANT ALTER ON DATASHARE colshare TO cole'));
    const cole = srv.as(await srv.token('acme', 'cole'));
    expect(await rows(cole, 'SELECT name FROM secrets ORDER BY name')).toEqual([['ann'], ['bo'], ['cy']]);
    expect(await denied(cole, 'SELECT * FROM secrets')).toMatch(/permission denied for column ssn of relation public\.secrets/);
    await denied(cole, "SELECT name FROM secrets WHERE ssn LIKE '123%'");
    expect(await denied(cole, 'ALTER DATASHARE colshare ADD TABLE secrets')).toMatch(/must own it or hold SELECT WITH GRANT OPTION/);
    expect(ok(await cole('{ columnPrivileges(table: "secrets") { schema table column privilege grantee granteeType } }')).columnPrivileges)
      .toEqual([{ schema: 'public', table: 'secrets', column: 'name', privilege: 'SELECT', grantee: 'cole', granteeType: 'user' }]);
    const first = ok(await cole('{ query(sql: "SELECT name FROM secrets ORDER BY name", limit: 1) { cursor } }')).query;
    ok(await acme.sql('REVOKE SELECT (name) ON secrets FROM cole'));
    expect(code(await cole('query ($c: String!) { fetch(cursor: $c, limit: 1) { rows } }', { c: first.cursor }))).toBe('PERMISSION_DENIED');
  });
});

describe('a cursor opened before REVOKE', () => {
  const page = (c: Caller, cursor: string) => c('query ($c: String!) { fetch(cursor: $c, limit: 1) { rows cursor } }', { c: cursor });

  it('returns no rows after it', async () => {
    ok(await acme.sql('GRANT SELECT ON secrets TO carol'));
    const first = ok(await carol('{ query(sql: "SELECT ssn FROM secrets ORDER BY ssn", limit: 1) { rows cursor } }')).query;
    expect(first.rows).toEqual([['123-45-6789']]);
    const second = ok(await page(carol, first.cursor)).fetch;
    expect(second.rows).toEqual([['555-00-1111']]);
    ok(await acme.sql('REVOKE SELECT ON secrets FROM carol'));
    const after = await page(carol, second.cursor);
    expect(code(after)).toBe('PERMISSION_DENIED');
    expect(after.data?.fetch ?? null).toBeNull();
    // the cursor is gone, not merely refused once
    ok(await acme.sql('GRANT SELECT ON secrets TO carol'));
    expect(code(await page(carol, second.cursor))).toBe('INVALID_CURSOR');
  });

  it('keeps serving a cursor whose query still binds as it ran (search path included)', async () => {
    ok(await acme.sql("CREATE SCHEMA s2; CREATE TABLE s2.notes (n INT); INSERT INTO s2.notes VALUES (1), (2), (3); GRANT SELECT ON s2.notes TO carol; GRANT USAGE ON SCHEMA s2 TO carol"));
    const first = ok(await carol('mutation { execute(sql: "SET search_path TO s2, public; SELECT n FROM notes ORDER BY n", limit: 1) { rows cursor } }')).execute;
    expect(first.rows).toEqual([[1]]);
    const second = ok(await page(carol, first.cursor)).fetch;
    expect(second.rows).toEqual([[2]]);
    // and stops once the schema's USAGE is revoked, as after a REVOKE on the table
    ok(await acme.sql('REVOKE USAGE ON SCHEMA s2 FROM carol'));
    expect(message(await page(carol, second.cursor))).toMatch(/relation "notes" does not exist \(the search path passed over schema s2: user "carol" lacks USAGE on it\)/);
  });

  it('downloads nothing from /arrow after it', async () => {
    const first = ok(await carol('{ query(sql: "SELECT ssn FROM secrets ORDER BY ssn", limit: 1) { cursor } }')).query;
    ok(await acme.sql('REVOKE SELECT ON secrets FROM carol'));
    const r = await fetch(srv.server.url.replace('/graphql', `/arrow?cursor=${first.cursor}`), { headers: { authorization: `Bearer ${carolToken}` } });
    expect(r.status).toBe(400);
    expect((await r.json()).errors[0].extensions.code).toBe('PERMISSION_DENIED');
  });
});

describe('identifiers', () => {
  it('refuses NUL and names over 127 bytes, and creates nothing', async () => {
    const nul = await acme.sql('CREATE TABLE "\u0000models" (a INT)');
    expect(code(nul)).toBe('SYNTAX_ERROR');
    expect(message(nul)).toMatch(/NUL character at line 1, column 14/);
    const long = await acme.sql(`CREATE TABLE t_${'x'.repeat(200)} (a INT)`);
    expect(code(long)).toBe('SYNTAX_ERROR');
    expect(message(long)).toMatch(/202 bytes long; the limit is 127/);
    expect(code(await acme.sql(`CREATE MODEL "${'m'.repeat(128)}" FUNCTION f(REAL) RETURNS INT FROM 'x.onnx'`))).toBe('SYNTAX_ERROR');
    const tables = ok(await acme('{ tables { name } }')).tables.map((t: { name: string }) => t.name);
    expect(tables.every((n: string) => Buffer.byteLength(n) <= 127 && !n.includes('\u0000'))).toBe(true);
  });
});
