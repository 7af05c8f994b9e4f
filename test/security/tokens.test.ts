// Tokens belong to identities, not names: DROP USER / DROP ACCOUNT revoke their tokens in the
// same commit, a re-created namesake inherits nothing, and open SSE streams end when their
// token is revoked or its user dropped. Replayed through the real HTTP server.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { code, ok } from '../api/helpers.ts';
import { secureServer, type SecureServer } from './helpers.ts';
import { principalOf, verifyToken, type TokenRecord } from '../../api/tokens.ts';
import { initialCatalog } from '../../engine/catalog/catalog.ts';

let srv: SecureServer;

beforeAll(async () => {
  srv = await secureServer({ accounts: ['acme', 'globex'] });
}, 60_000);
afterAll(async () => srv?.close());

const me = '{ me { account user superuser } }';

/** Opens an SSE subscription; `ended` resolves with the text received once the server ends the stream. */
async function openStream(token: string, query: string) {
  const ac = new AbortController();
  const r = await fetch(srv.server.url, {
    method: 'POST', signal: ac.signal,
    headers: { 'content-type': 'application/json', accept: 'text/event-stream', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query }),
  });
  expect(r.status).toBe(200);
  const reader = r.body!.getReader();
  const dec = new TextDecoder();
  let text = '';
  const ended = (async () => {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return text;
      text += dec.decode(value);
    }
  })();
  return { ended, abort: () => ac.abort(), text: () => text };
}

/** Resolves true if `p` settles within `ms`. */
const within = (p: Promise<unknown>, ms: number) => Promise.race([p.then(() => true, () => true), new Promise<boolean>((r) => setTimeout(() => r(false), ms))]);

describe('DROP USER and CREATE USER of the same name', () => {
  it('does not revive the old token', async () => {
    const acme = srv.as(await srv.token('acme'));
    ok(await acme.sql('CREATE USER bob'));
    const oldBob = await srv.token('acme', 'bob');
    expect(ok(await srv.as(oldBob)(me)).me).toEqual({ account: 'acme', user: 'bob', superuser: false });
    ok(await acme.sql('DROP USER bob'));
    expect((await srv.as(oldBob)(me)).status).toBe(401);
    ok(await acme.sql('CREATE USER bob'));
    expect((await srv.as(oldBob)(me)).status).toBe(401);
    expect(code(await srv.as(oldBob).sql('SELECT 1'))).toBe('UNAUTHENTICATED');
    // the token is gone from the catalog, not merely ignored
    const listed = ok(await acme('{ tokens { user } }')).tokens.map((t: { user: string }) => t.user);
    expect(listed).not.toContain('bob');
    const newBob = await srv.token('acme', 'bob');
    expect(ok(await srv.as(newBob)(me)).me.user).toBe('bob');
  });
});

describe('DROP ACCOUNT and CREATE ACCOUNT of the same name', () => {
  it('gives the old tenant\'s token no rights on the new account', async () => {
    const old = await srv.token('globex');
    ok(await srv.as(old).sql("CREATE TABLE plans (p VARCHAR(20)); INSERT INTO plans VALUES ('old tenant')"));
    ok(await srv.admin.sql('DROP ACCOUNT globex'));
    ok(await srv.admin.sql('CREATE ACCOUNT globex'));
    ok(await srv.as(await srv.token('globex')).sql("CREATE TABLE plans (p VARCHAR(20)); INSERT INTO plans VALUES ('new tenant')"));
    expect((await srv.as(old)(me)).status).toBe(401);
    expect(code(await srv.as(old).sql('SELECT * FROM plans'))).toBe('UNAUTHENTICATED');
    expect(code(await srv.as(old).sql('CREATE USER mole'))).toBe('UNAUTHENTICATED');
  });

  it('a token made before ids existed does not match a re-created namesake', () => {
    const state = initialCatalog();
    const legacy: TokenRecord = { id: 'aaaaaaaaaaaa', hash: '', account: 'admin', user: 'admin', createdAt: '' };
    // the admin user of a new catalog has an id: an id-less record is someone else
    expect(principalOf(state, legacy)).toBeNull();
    delete state.accounts.admin.id;
    delete state.accounts.admin.users.admin.id;
    expect(principalOf(state, legacy)).toMatchObject({ account: 'admin', user: 'admin' });
    expect(verifyToken(state, 'strata_aaaaaaaaaaaa_' + 'x'.repeat(43))).toBeNull();
  });
});

describe('open SSE streams', () => {
  it('end when their token is revoked', async () => {
    const acme = srv.as(await srv.token('acme'));
    ok(await acme.sql('CREATE USER carol'));
    const made = ok(await acme('mutation { createToken(user: "carol") { id token } }')).createToken;
    const s = await openStream(made.token, 'subscription { heartbeat(intervalMs: 1000) }');
    const other = await openStream(await srv.token('acme'), 'subscription { modelEvents { model } }');
    await new Promise((r) => setTimeout(r, 200));
    expect(await within(s.ended, 100)).toBe(false);
    expect(ok(await acme('mutation ($id: ID!) { revokeToken(id: $id) }', { id: made.id })).revokeToken).toBe(true);
    expect(await within(s.ended, 5000)).toBe(true);
    // an unrelated stream of the same account stays open
    expect(await within(other.ended, 300)).toBe(false);
    other.abort();
    s.abort();
  });

  it('end when their user is dropped', async () => {
    const acme = srv.as(await srv.token('acme'));
    ok(await acme.sql('CREATE USER dave'));
    const s = await openStream(await srv.token('acme', 'dave'), 'subscription { modelEvents { model } }');
    await new Promise((r) => setTimeout(r, 200));
    expect(await within(s.ended, 100)).toBe(false);
    ok(await acme.sql('DROP USER dave'));
    expect(await within(s.ended, 5000)).toBe(true);
    s.abort();
    expect(srv.server.services.revocations.size).toBeLessThanOrEqual(1);
  });
});

describe('what else a dropped identity held', () => {
  it('a user who owns objects cannot be dropped, so no namesake inherits them', async () => {
    const acme = srv.as(await srv.token('acme'));
    ok(await acme.sql('CREATE USER erin'));
    const erin = srv.as(await srv.token('acme', 'erin'));
    ok(await erin.sql("CREATE TABLE diary (d VARCHAR(20)); INSERT INTO diary VALUES ('private')"));
    const r = await acme.sql('DROP USER erin');
    expect(code(r)).toBe('DEPENDENT_OBJECTS_STILL_EXIST');
    expect(r.errors![0].message).toMatch(/owns table dev\.public\.diary/);
    expect(ok(await erin(me)).me.user).toBe('erin');
    ok(await acme.sql('DROP TABLE diary; DROP USER erin'));
    expect((await erin(me)).status).toBe(401);
  });

  it('datashare grants die with the user and the account', async () => {
    const acme = srv.as(await srv.token('acme'));
    ok(await acme.sql("CREATE USER fred; CREATE TABLE pub (x INT); INSERT INTO pub VALUES (1); CREATE DATASHARE ds; ALTER DATASHARE ds ADD TABLE pub; GRANT ALTER ON DATASHARE ds TO fred; GRANT USAGE ON DATASHARE ds TO ACCOUNT 'globex'"));
    ok(await acme.sql('DROP USER fred; CREATE USER fred'));
    const fred = srv.as(await srv.token('acme', 'fred'));
    expect(code(await fred.sql('ALTER DATASHARE ds SET PUBLICACCESSIBLE = TRUE'))).toBe('PERMISSION_DENIED');
    // the account the share was granted to is dropped and re-created: the newcomer gets nothing
    ok(await srv.admin.sql('DROP ACCOUNT globex; CREATE ACCOUNT globex'));
    const globex = srv.as(await srv.token('globex'));
    expect(code(await globex.sql("CREATE DATABASE got FROM DATASHARE ds OF ACCOUNT 'acme'"))).toBe('PERMISSION_DENIED');
  });
});
