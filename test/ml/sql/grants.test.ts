// Grants on models, schemas and databases name one object, qualified, and go with it (as
// PostgreSQL): a dropped and re-created model starts with no EXECUTE grant, a grant on public.m is
// no grant on other.m, and catalogs that keyed grants by the name as typed still open.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Session } from '../../../engine/session/session.ts';
import type { AccountState, CatalogState } from '../../../engine/catalog/catalog.ts';
import { describeGrantKey } from '../../../engine/catalog/object-grants.ts';
import { ManifestStore } from '../../../engine/storage/manifest.ts';
import { type TestDb, constantModel, openDb } from './helpers.ts';

const files = mkdtempSync(join(tmpdir(), 'strata-grants-'));
const modelFile = (k: number) => {
  const p = join(files, `const${k}.onnx`);
  if (!existsSync(p)) writeFileSync(p, constantModel(k));
  return p;
};
const create = (name: string, fn: string, k: number) => `CREATE MODEL ${name} FUNCTION ${fn}(REAL) RETURNS REAL FROM '${modelFile(k)}'`;

let t: TestDb;
let bob: Session;
beforeAll(async () => {
  t = await openDb({ slices: 1 });
  await t.s.execute('CREATE TABLE obs (x REAL); INSERT INTO obs VALUES (1.5); CREATE USER bob; GRANT SELECT ON obs TO bob');
  bob = t.db.connect({ user: 'bob' });
});
afterAll(async () => { await t.close(); rmSync(files, { recursive: true, force: true }); });

/** The code bob's statement fails with, or 'ok' and its answer. */
async function asBob(sql: string): Promise<string> {
  try {
    return `ok ${(await bob.execute(sql)).at(-1)!.rows.map((r) => r.join(',')).join(';')}`;
  } catch (e) {
    return (e as { code: string }).code;
  }
}

/** Grants (keyed by object id) by the objects' names, as GraphQL shows them. */
const named = (acct: AccountState, grants: Record<string, string[]> = {}) => Object.fromEntries(Object.entries(grants).map(([k, p]) => [describeGrantKey(acct, k), p]));
const grantsOf = (user: string) => Object.keys(named(t.db.catalog.accounts.admin, t.db.catalog.accounts.admin.users[user].grants)).filter((k) => !k.startsWith('table ')).sort();

describe('a view calling a model\'s function', () => {
  it('runs it with the view owner\'s EXECUTE, not the caller\'s', async () => {
    await t.s.execute(`${create('vm', 'vf', 7)}; CREATE USER carol; GRANT SELECT ON obs TO carol; GRANT EXECUTE ON MODEL vm TO carol`);
    const carol = t.db.connect({ user: 'carol' });
    await carol.execute('CREATE VIEW scored AS SELECT vf(x) AS p FROM obs; GRANT SELECT ON scored TO bob');
    expect(await asBob('SELECT vf(x) FROM obs')).toBe('PERMISSION_DENIED');
    expect(await asBob('SELECT p FROM scored')).toBe('ok 7');
    await t.s.execute('REVOKE EXECUTE ON MODEL vm FROM carol');
    await expect(bob.execute('SELECT p FROM scored')).rejects.toThrow(/view public\.scored reads as its owner "carol", who may not: permission denied for model public\.vm: user "carol" lacks EXECUTE/);
    await t.s.execute('DROP VIEW scored; DROP MODEL vm');
  });
});

describe('grants on a model', () => {
  it('do not pass to a re-created namesake', async () => {
    await t.s.execute(`${create('m', 'f', 1)}; GRANT EXECUTE ON MODEL m TO bob`);
    expect(await asBob('SELECT f(x) FROM obs')).toBe('ok 1');
    await t.s.execute(`DROP MODEL m; ${create('m', 'f', 2)}`);
    expect(await asBob('SELECT f(x) FROM obs')).toBe('PERMISSION_DENIED');
    expect(grantsOf('bob')).toEqual([]);
    // granted again, it is the new model's
    await t.s.execute('GRANT EXECUTE ON MODEL public.m TO bob');
    expect(await asBob('SELECT f(x) FROM obs')).toBe('ok 2');
    await t.s.execute('REVOKE EXECUTE ON MODEL dev.public.m FROM bob');
    expect(await asBob('SELECT f(x) FROM obs')).toBe('PERMISSION_DENIED');
  });

  it('name the model in its schema: EXECUTE on public.m is not EXECUTE on other.m', async () => {
    await t.s.execute(`CREATE SCHEMA other; SET search_path TO other; ${create('m', 'g', 3)}; SET search_path TO public`);
    await t.s.execute('GRANT EXECUTE ON MODEL m TO bob');
    expect(await asBob('SELECT f(x) FROM obs')).toBe('ok 2');
    expect(await asBob('SELECT other.g(x) FROM public.obs')).toBe('PERMISSION_DENIED');
    expect(grantsOf('bob')).toEqual(['model dev.public.m']);
    await t.s.execute('GRANT EXECUTE ON MODEL other.m TO bob');
    // EXECUTE alone does not reach into a schema bob may not use
    expect(await asBob('SELECT other.g(x) FROM public.obs')).toBe('PERMISSION_DENIED');
    await t.s.execute('GRANT USAGE ON SCHEMA other TO bob');
    expect(await asBob('SELECT other.g(x) FROM public.obs')).toBe('ok 3');
  });

  it('must name an existing model', async () => {
    expect(await t.error('GRANT EXECUTE ON MODEL nope TO bob')).toEqual({ code: 'UNDEFINED_OBJECT', message: 'model "nope" does not exist at line 1, column 1' });
    expect((await t.error('GRANT EXECUTE ON MODEL other.f TO PUBLIC')).code).toBe('UNDEFINED_OBJECT');
  });
});

describe('GRANT EXECUTE ON FUNCTION', () => {
  it('is EXECUTE on the model whose function it names, the same grant GRANT ... ON MODEL gives and REVOKE takes', async () => {
    await t.s.execute(create('fm', 'h2', 8));
    expect(await asBob('SELECT h2(x) FROM obs')).toBe('PERMISSION_DENIED');
    await t.s.execute('GRANT EXECUTE ON FUNCTION h2(REAL) TO bob');
    expect(await asBob('SELECT h2(x) FROM obs')).toBe('ok 8');
    expect(await asBob('SELECT h2_explain(x) IS NOT NULL FROM obs')).toBe('ok true');
    expect(grantsOf('bob')).toContain('model dev.public.fm');
    await t.s.execute('REVOKE EXECUTE ON MODEL fm FROM bob');
    expect(await asBob('SELECT h2(x) FROM obs')).toBe('PERMISSION_DENIED');
    await t.s.execute('GRANT EXECUTE ON MODEL public.fm TO PUBLIC');
    expect(await asBob('SELECT public.h2(x) FROM obs')).toBe('ok 8');
    await t.s.execute('REVOKE ALL ON FUNCTION public.h2 FROM PUBLIC');
    expect(await asBob('SELECT h2(x) FROM obs')).toBe('PERMISSION_DENIED');
    await t.s.execute('GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA public TO bob');
    expect(await asBob('SELECT h2(x) FROM obs')).toBe('ok 8');
    await t.s.execute('REVOKE EXECUTE ON FUNCTION h2 FROM bob');
  });

  it('names an existing model function, with its argument types if written; built-ins are everyone\'s', async () => {
    expect(await t.error('GRANT EXECUTE ON FUNCTION h2(INT) TO bob')).toEqual({ code: 'UNDEFINED_FUNCTION', message: "function h2(INTEGER) does not exist: model public.fm's function is h2(REAL) at line 1, column 1" });
    expect((await t.error('GRANT EXECUTE ON FUNCTION nope TO bob')).code).toBe('UNDEFINED_FUNCTION');
    expect((await t.error('GRANT EXECUTE ON FUNCTION upper TO bob')).code).toBe('FEATURE_NOT_SUPPORTED');
    expect((await t.error('GRANT SELECT ON FUNCTION h2 TO bob')).code).toBe('INVALID_PARAMETER');
    // only the model's owner (or a superuser) grants on its functions
    expect(await asBob('GRANT EXECUTE ON FUNCTION h2 TO bob')).toBe('PERMISSION_DENIED');
    expect(await asBob('SELECT h2(x) FROM obs')).toBe('PERMISSION_DENIED');
  });
});

describe('grants on schemas and databases', () => {
  it('go with DROP SCHEMA (and its models\') and DROP DATABASE', async () => {
    await t.s.execute('GRANT USAGE ON SCHEMA other TO PUBLIC');
    expect(grantsOf('bob')).toEqual(['model dev.other.m', 'model dev.public.m', 'schema dev.other']);
    await t.s.execute('DROP SCHEMA other CASCADE; CREATE SCHEMA other');
    expect(grantsOf('bob')).toEqual(['model dev.public.m']);
    // PUBLIC keeps only the default USAGE on public
    expect(named(t.db.catalog.accounts.admin, t.db.catalog.accounts.admin.publicGrants)).toEqual({ 'schema dev.public': ['USAGE', 'CREATE'] });

    await t.s.execute('CREATE DATABASE shop; GRANT USAGE, CREATE ON DATABASE shop TO bob');
    expect(grantsOf('bob')).toContain('database shop');
    await t.s.execute('DROP DATABASE shop; CREATE DATABASE shop');
    expect(grantsOf('bob')).toEqual(['model dev.public.m']);
    expect((await t.error('GRANT USAGE ON DATABASE gone TO bob')).code).toBe('UNDEFINED_OBJECT');
    expect((await t.error('GRANT USAGE ON SCHEMA shop.nope TO bob')).code).toBe('UNDEFINED_OBJECT');
  });
});

describe('a GRANT racing DROP and CREATE of the same name', () => {
  const failure = async (s: Session, sql: string) => {
    try { await s.execute(sql); } catch (e) { return e as { code: string; message: string }; }
    throw new Error(`expected "${sql}" to fail`);
  };
  it('is refused at commit for a schema, a model and a database: the new namesake gets nothing', async () => {
    const admin = t.db.connect();
    await t.s.execute(`CREATE SCHEMA race; ${create('rm', 'rf', 9)}; CREATE DATABASE rdb`);
    for (const [grant, recreate] of [
      ['GRANT USAGE ON SCHEMA race TO bob', 'DROP SCHEMA race; CREATE SCHEMA race'],
      ['GRANT EXECUTE ON MODEL rm TO bob', `DROP MODEL rm; ${create('rm', 'rf', 10)}`],
      ['GRANT EXECUTE ON FUNCTION rf TO bob', `DROP MODEL rm; ${create('rm', 'rf', 11)}`],
      ['GRANT USAGE ON DATABASE rdb TO bob', 'DROP DATABASE rdb; CREATE DATABASE rdb'],
    ]) {
      await admin.execute(`BEGIN; ${grant}`);
      await t.db.connect().execute(recreate);
      expect((await failure(admin, 'COMMIT')).message, grant).toMatch(/was dropped \(or dropped and created again\) while the statement ran; it gets no grant/);
    }
    expect(grantsOf('bob').filter((k) => /race|rm|rdb/.test(k))).toEqual([]);
    expect(await asBob('SELECT rf(x) FROM obs')).toBe('PERMISSION_DENIED');
    // without a race the same grants land on the objects as they are now
    await t.s.execute('GRANT USAGE ON SCHEMA race TO bob; GRANT EXECUTE ON FUNCTION rf TO bob');
    expect(await asBob('SELECT rf(x) FROM obs')).toBe('ok 11');
    expect(grantsOf('bob').filter((k) => /race|rm/.test(k))).toEqual(['model dev.public.rm', 'schema dev.race']);
    await t.s.execute('DROP SCHEMA race; DROP MODEL rm; DROP DATABASE rdb');
  });
});

describe('grants on tables', () => {
  const tableKeys = () => {
    const a = t.db.catalog.accounts.admin;
    return [...Object.keys(a.users.bob.grants), ...Object.keys(a.users.bob.columnGrants ?? {}), ...Object.keys(a.publicColumnGrants ?? {})].filter((k) => k.startsWith('table:')).sort();
  };
  it('go with DROP TABLE, DROP SCHEMA ... CASCADE and DROP DATABASE, column grants included', async () => {
    const before = tableKeys();
    await t.s.execute('CREATE TABLE gone_t (a INT); GRANT SELECT ON gone_t TO bob; GRANT UPDATE (a) ON gone_t TO bob; GRANT SELECT (a) ON gone_t TO PUBLIC');
    const id = `table:${t.db.catalog.accounts.admin.databases.dev.schemas.public.tables.gone_t.id}`;
    expect(tableKeys()).toEqual([...before, id, id, id].sort());
    await t.s.execute('DROP TABLE gone_t');
    expect(tableKeys()).toEqual(before);
    await t.s.execute('CREATE SCHEMA tmp; CREATE TABLE tmp.x (a INT); GRANT SELECT ON tmp.x TO bob; CREATE DATABASE d2');
    await t.s.execute('DROP SCHEMA tmp CASCADE');
    expect(tableKeys()).toEqual(before);
    const other = t.db.connect({ database: 'd2' });
    await other.execute('CREATE TABLE y (a INT); GRANT SELECT (a) ON y TO bob');
    expect(tableKeys()).toHaveLength(before.length + 1);
    await t.s.execute('DROP DATABASE d2');
    expect(tableKeys()).toEqual(before);
  });

  it('on objects dropped before (and old ON FUNCTION entries) are removed when the catalog opens', async () => {
    const old = await openDb({ slices: 1 });
    await old.s.execute('CREATE TABLE obs (x REAL); CREATE USER bob; GRANT SELECT ON obs TO bob');
    await old.close(false);
    const store = await ManifestStore.open(old.dir);
    const s = structuredClone(store.current().state) as CatalogState;
    const admin = s.accounts.admin;
    const live = `table:${admin.databases.dev.schemas.public.tables.obs.id}`;
    Object.assign(admin.users.bob.grants, { 'table:t99999': ['SELECT'], 'function:f': ['EXECUTE'], 'schema:dev.gone': ['USAGE'] });
    admin.users.bob.columnGrants = { 'table:t99999': { a: ['SELECT'] }, [live]: { x: ['UPDATE'] } };
    s.version = store.current().version + 1;
    await store.commit(s);
    const t2 = await openDb({ slices: 1, dir: old.dir });
    try {
      const bob2 = t2.db.catalog.accounts.admin.users.bob;
      expect(bob2.grants).toEqual({ [live]: ['SELECT'] });
      expect(bob2.columnGrants).toEqual({ [live]: { x: ['UPDATE'] } });
    } finally {
      await t2.close();
    }
  });
});

describe('a catalog that keyed grants by the name as typed', () => {
  it('opens with each grant on the objects it matched then, and none on later namesakes', async () => {
    const old = await openDb({ slices: 1 });
    await old.s.execute(`CREATE TABLE obs (x REAL); INSERT INTO obs VALUES (1.5); CREATE USER bob; GRANT SELECT ON obs TO bob; ${create('m', 'f', 4)}; CREATE SCHEMA s2`);
    await old.close(false);
    const store = await ManifestStore.open(old.dir);
    const s = structuredClone(store.current().state) as CatalogState;
    delete s.objectGrantsQualified;
    delete s.publicSchemaUsage;
    // and before objects had ids
    delete s.objectIds;
    for (const db of Object.values(s.accounts.admin.databases)) {
      delete db.id;
      for (const sc of Object.values(db.schemas)) {
        delete sc.id;
        for (const m of Object.values(sc.models) as { modelId?: string }[]) delete m.modelId;
      }
    }
    const admin = s.accounts.admin as typeof s.accounts.admin & { publicGrants?: Record<string, string[]> };
    Object.assign(admin.users.bob.grants, { 'model:m': ['EXECUTE'], 'model:gone': ['EXECUTE'], 'schema:s2': ['USAGE'], 'database:gone': ['USAGE'] });
    admin.publicGrants = { 'model:public.m': ['EXECUTE'] };
    s.version = store.current().version + 1;
    await store.commit(s);

    const t2 = await openDb({ slices: 1, dir: old.dir });
    try {
      const acct = t2.db.catalog.accounts.admin as typeof t2.db.catalog.accounts.admin & { publicGrants?: Record<string, string[]> };
      const userGrants = Object.entries(acct.users.bob.grants).filter(([k]) => !k.startsWith('table:'));
      expect(named(acct, Object.fromEntries(userGrants))).toEqual({ 'model dev.public.m': ['EXECUTE'], 'schema dev.s2': ['USAGE'] });
      expect(named(acct, acct.publicGrants)).toEqual({ 'model dev.public.m': ['EXECUTE'], 'schema dev.public': ['USAGE', 'CREATE'] });
      const b = t2.db.connect({ user: 'bob' });
      expect((await b.execute('SELECT f(x) FROM obs')).at(-1)!.rows).toEqual([[4]]);
      // a model later named like the gone one gets no old grant
      await t2.s.execute(create('gone', 'h', 5));
      await expect(b.execute('SELECT h(x) FROM obs')).rejects.toMatchObject({ code: 'PERMISSION_DENIED' });
      // and the old grant on m goes with m
      await t2.s.execute(`DROP MODEL m; ${create('m', 'f', 6)}; REVOKE EXECUTE ON MODEL m FROM PUBLIC`);
      await expect(b.execute('SELECT f(x) FROM obs')).rejects.toMatchObject({ code: 'PERMISSION_DENIED' });
    } finally {
      await t2.close();
    }
  });
});
