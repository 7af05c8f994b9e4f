// Schema USAGE as PostgreSQL and Redshift enforce it: naming anything in a schema (table, view,
// model, model function) needs USAGE on it, unless the user owns the schema or is a superuser.
// The public schema grants it to PUBLIC (revocable); CREATE SCHEMA gives it to nobody else.
// Errors name the schema and the position; a search-path lookup passes over such a schema without
// telling what it holds; REVOKE stops the next statement; listings leave out what such schemas hold.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Session } from '../../../engine/session/session.ts';
import type { CatalogState } from '../../../engine/catalog/catalog.ts';
import { ManifestStore } from '../../../engine/storage/manifest.ts';
import { describeGrantKey } from '../../../engine/catalog/object-grants.ts';
import { type TestDb, constantModel, openDb } from '../../ml/sql/helpers.ts';

let t: TestDb;
let bob: Session;
let ann: Session;
const files = mkdtempSync(join(tmpdir(), 'strata-usage-'));

beforeAll(async () => {
  t = await openDb({ slices: 1 });
  const onnx = join(files, 'const7.onnx');
  writeFileSync(onnx, constantModel(7));
  await t.s.execute(`CREATE USER bob; CREATE USER ann;
    CREATE TABLE obs (x REAL); INSERT INTO obs VALUES (1.5); GRANT SELECT ON obs TO bob;
    CREATE SCHEMA fin; CREATE TABLE fin.pay (id INT, amt INT); INSERT INTO fin.pay VALUES (1, 10), (2, 20);
    CREATE VIEW fin.pay_v AS SELECT id FROM fin.pay;
    GRANT SELECT, INSERT ON fin.pay TO bob; GRANT SELECT (id) ON fin.pay TO ann;
    CREATE MODEL fin.m FUNCTION fin.predict(REAL) RETURNS REAL FROM '${onnx}';
    GRANT EXECUTE ON MODEL fin.m TO bob`);
  bob = t.db.connect({ user: 'bob' });
  ann = t.db.connect({ user: 'ann' });
}, 60_000);
afterAll(async () => { await t.close(); rmSync(files, { recursive: true, force: true }); });

async function failure(s: Session, sql: string): Promise<{ code: string; message: string }> {
  try {
    await s.execute(sql);
  } catch (e) {
    return { code: (e as { code: string }).code, message: (e as Error).message };
  }
  throw new Error(`expected "${sql}" to fail`);
}
const rows = async (s: Session, sql: string) => (await s.execute(sql)).at(-1)!.rows;
const denied = (column: number, user = 'bob') => ({ code: 'PERMISSION_DENIED', message: `permission denied for schema fin: user "${user}" lacks USAGE on it at line 1, column ${column}` });

describe('a schema the user holds no USAGE on', () => {
  it('refuses every object named in it, with the schema and position, whatever is granted on the object', async () => {
    expect(await failure(bob, 'SELECT * FROM fin.pay')).toEqual(denied(15));
    expect(await failure(bob, 'SELECT count(*) FROM fin.pay_v')).toEqual(denied(22));
    expect(await failure(bob, 'SELECT 1 FROM obs JOIN dev.fin.pay p ON p.id = 1')).toEqual(denied(24));
    expect(await failure(bob, 'INSERT INTO fin.pay VALUES (3, 30)')).toEqual(denied(1));
    expect(await failure(bob, 'SELECT fin.predict(x) FROM obs')).toEqual(denied(8));
    expect(await failure(bob, 'SHOW MODEL fin.m')).toEqual(denied(1));
    expect(await failure(bob, 'DESCRIBE fin.pay')).toEqual(denied(1));
    expect(await failure(ann, 'SELECT id FROM fin.pay')).toEqual(denied(16, 'ann'));
    // a missing object answers the same: nothing is learned about what the schema holds
    expect(await failure(bob, 'SELECT * FROM fin.nothing_here')).toEqual(denied(15));
    expect(await rows(t.s, 'SELECT count(*) FROM fin.pay')).toEqual([[2]]);
  });

  it('is passed over by the search path, which tells nothing of its tables', async () => {
    await bob.execute('SET search_path TO fin, public');
    try {
      expect(await failure(bob, 'SELECT * FROM pay')).toEqual({ code: 'UNDEFINED_TABLE', message: 'relation "pay" does not exist (the search path passed over schema fin: user "bob" lacks USAGE on it) at line 1, column 15' });
      // no did-you-mean from the schema bob may not use; obs (in public) is still found
      expect((await failure(bob, 'SELECT * FROM pa')).message).not.toMatch(/pay/);
      expect(await rows(bob, 'SELECT x FROM obs')).toEqual([[1.5]]);
      expect((await failure(bob, 'SELECT predict(x) FROM obs')).code).toBe('UNDEFINED_FUNCTION');
    } finally {
      await bob.execute('SET search_path TO public');
    }
  });

  it('leaves its objects out of SHOW TABLES, SHOW MODEL and the svv_ views; SHOW SCHEMAS still names it', async () => {
    expect(await rows(bob, 'SHOW TABLES')).toEqual([['public', 'obs', 'TABLE']]);
    expect(await rows(bob, 'SHOW MODEL ALL')).toEqual([]);
    expect(await rows(bob, 'SELECT DISTINCT schema_name FROM svv_table_stats')).toEqual([['public']]);
    expect(await rows(ann, 'SELECT * FROM svv_column_privileges')).toEqual([]);
    expect((await rows(bob, 'SHOW SCHEMAS')).map((r) => r[1])).toEqual(['fin', 'public']);
    expect((await rows(t.s, 'SHOW TABLES')).map((r) => r[1])).toEqual(['pay', 'pay_v', 'obs']);
  });
});

describe('GRANT and REVOKE USAGE ON SCHEMA', () => {
  it('grant access to what else is granted, and a REVOKE stops the next statement, even in an open transaction', async () => {
    await t.s.execute('GRANT USAGE ON SCHEMA fin TO bob');
    expect(await rows(bob, 'SELECT id, amt FROM fin.pay ORDER BY id')).toEqual([[1, 10], [2, 20]]);
    expect(await rows(bob, 'SELECT fin.predict(x) FROM obs')).toEqual([[7]]);
    expect((await rows(bob, 'SHOW TABLES')).map((r) => r[1])).toEqual(['pay', 'pay_v', 'obs']);
    // USAGE is not SELECT: the view's table and the model's grants still decide
    expect((await failure(ann, 'SELECT amt FROM fin.pay')).code).toBe('PERMISSION_DENIED');
    await bob.execute('BEGIN');
    expect(await rows(bob, 'SELECT count(*) FROM fin.pay')).toEqual([[2]]);
    await t.s.execute('REVOKE USAGE ON SCHEMA fin FROM bob');
    expect(await failure(bob, 'SELECT count(*) FROM fin.pay')).toEqual(denied(22));
    await bob.execute('ROLLBACK');
  });

  it('to PUBLIC or as ALL work alike; the public schema is PUBLIC\'s until revoked', async () => {
    await t.s.execute('GRANT ALL ON SCHEMA fin TO bob');
    expect(await rows(bob, 'SELECT count(*) FROM fin.pay')).toEqual([[2]]);
    await t.s.execute('REVOKE ALL ON SCHEMA fin FROM bob; GRANT USAGE ON SCHEMA fin TO PUBLIC');
    expect(await rows(ann, 'SELECT id FROM fin.pay ORDER BY id')).toEqual([[1], [2]]);
    await t.s.execute('REVOKE USAGE ON SCHEMA fin FROM PUBLIC; REVOKE USAGE ON SCHEMA public FROM PUBLIC');
    expect(await failure(bob, 'SELECT x FROM public.obs')).toEqual({ code: 'PERMISSION_DENIED', message: 'permission denied for schema public: user "bob" lacks USAGE on it at line 1, column 15' });
    await t.s.execute('GRANT USAGE ON SCHEMA public TO PUBLIC');
    expect(await rows(bob, 'SELECT x FROM obs')).toEqual([[1.5]]);
  });

  it('CREATE decides who makes tables, views and models there: PUBLIC in public until revoked, the owner, or a grant', async () => {
    await bob.execute('CREATE TABLE mine (a INT); DROP TABLE mine');
    const noCreate = (schema: string, column: number) => ({ code: 'PERMISSION_DENIED', message: `permission denied for schema ${schema}: user "bob" lacks CREATE on it at line 1, column ${column}` });
    expect(await failure(bob, 'CREATE TABLE fin.mine (a INT)')).toEqual(noCreate('fin', 1));
    expect(await failure(bob, 'CREATE VIEW fin.v2 AS SELECT 1 AS one')).toEqual(noCreate('fin', 1));
    await t.s.execute('GRANT USAGE, CREATE ON SCHEMA fin TO bob');
    await bob.execute('CREATE TABLE fin.mine (a INT); INSERT INTO fin.mine VALUES (1)');
    expect(await rows(bob, 'SELECT a FROM fin.mine')).toEqual([[1]]);
    await t.s.execute('REVOKE USAGE, CREATE ON SCHEMA fin FROM bob; REVOKE CREATE ON SCHEMA public FROM PUBLIC');
    expect(await failure(bob, 'CREATE TABLE mine2 (a INT)')).toEqual(noCreate('public', 1));
    await t.s.execute('GRANT CREATE ON SCHEMA public TO PUBLIC');
  });

  it('a schema\'s owner uses it and grants on it; nobody else gets it from CREATE SCHEMA', async () => {
    await ann.execute('CREATE SCHEMA lab; CREATE TABLE lab.runs (n INT); INSERT INTO lab.runs VALUES (5); GRANT SELECT ON lab.runs TO bob');
    expect(await rows(ann, 'SELECT n FROM lab.runs')).toEqual([[5]]);
    expect((await failure(bob, 'SELECT n FROM lab.runs')).message).toMatch(/^permission denied for schema lab/);
    // a user that does not own a schema cannot grant on it
    expect(await failure(bob, 'GRANT USAGE ON SCHEMA lab TO bob')).toEqual({ code: 'PERMISSION_DENIED', message: 'must be owner of schema lab to GRANT on it at line 1, column 1' });
    await ann.execute('GRANT USAGE ON SCHEMA lab TO bob');
    expect(await rows(bob, 'SELECT n FROM lab.runs')).toEqual([[5]]);
    // the superuser needs no grant
    expect(await rows(t.s, 'SELECT n FROM lab.runs')).toEqual([[5]]);
  });
});

describe('a catalog written before USAGE was enforced', () => {
  it('opens with USAGE on each public schema for PUBLIC, and on other schemas only what was granted', async () => {
    const old = await openDb({ slices: 1 });
    await old.s.execute(`CREATE USER bob; CREATE TABLE obs (x INT); INSERT INTO obs VALUES (1); GRANT SELECT ON obs TO bob;
      CREATE SCHEMA s2; CREATE TABLE s2.t (x INT); GRANT SELECT ON s2.t TO bob; CREATE DATABASE other`);
    await old.close(false);
    const store = await ManifestStore.open(old.dir);
    const s = structuredClone(store.current().state) as CatalogState;
    delete s.publicSchemaUsage;
    delete s.accounts.admin.publicGrants;
    s.version = store.current().version + 1;
    await store.commit(s);

    const t2 = await openDb({ slices: 1, dir: old.dir });
    try {
      const acct = t2.db.catalog.accounts.admin;
      expect(Object.fromEntries(Object.entries(acct.publicGrants ?? {}).map(([k, p]) => [describeGrantKey(acct, k), p]))).toEqual({ 'schema dev.public': ['USAGE', 'CREATE'], 'schema other.public': ['USAGE', 'CREATE'] });
      const b = t2.db.connect({ user: 'bob' });
      expect((await b.execute('SELECT x FROM obs')).at(-1)!.rows).toEqual([[1]]);
      await expect(b.execute('SELECT x FROM s2.t')).rejects.toMatchObject({ code: 'PERMISSION_DENIED' });
    } finally {
      await t2.close();
    }
  });
});
