// Views as PostgreSQL and Redshift run them: querying one needs SELECT on it (GRANT/REVOKE ON a
// view, WITH GRANT OPTION, PUBLIC, ALL TABLES IN SCHEMA), and its query reads with its OWNER's
// privileges (tables, columns, schema USAGE), so a user can publish a filter or projection of a
// table without granting the table. Nested views run as their own owners; current_user stays the
// caller. A reader learns nothing beyond the view's rows: not through EXPLAIN, not through a
// failing WHERE pushed below the view's filter, not by replacing someone else's view.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Database, SqlError, type Session } from '../../../engine/database.ts';
import { ManifestStore } from '../../../engine/storage/manifest.ts';
import type { CatalogState } from '../../../engine/catalog/catalog.ts';

let dir: string;
let db: Database;
let admin: Session;
let hr: Session;
let ann: Session;
let bo: Session;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'strata-viewpriv-'));
  db = await Database.open({ dataDir: dir, slices: 1 });
  admin = db.connect();
  // hr owns the table and publishes a filtered projection of it; ann and bo hold nothing on emp
  await admin.execute(`CREATE USER hr; CREATE USER ann; CREATE USER bo;
    CREATE SCHEMA private; GRANT USAGE, CREATE ON SCHEMA private TO hr`);
  hr = db.connect({ user: 'hr' });
  ann = db.connect({ user: 'ann' });
  bo = db.connect({ user: 'bo' });
  await hr.execute(`CREATE TABLE private.emp (id INT, name VARCHAR(10), salary INT, dept VARCHAR(10));
    INSERT INTO private.emp VALUES (1, '11', 100, 'eng'), (2, '22', 200, 'eng'), (3, 'Secret', 999, 'exec');
    CREATE VIEW public.eng AS SELECT id, name FROM private.emp WHERE dept = 'eng'`);
});
afterAll(async () => {
  await db?.close();
  rmSync(dir, { recursive: true, force: true });
});

const rows = async (s: Session, sql: string) => (await s.execute(sql)).at(-1)!.rows;
async function fails(s: Session, sql: string, code = 'PERMISSION_DENIED'): Promise<string> {
  try {
    await s.execute(sql);
  } catch (e) {
    expect((e as SqlError).code, `${sql}: ${(e as Error).message}`).toBe(code);
    return (e as Error).message;
  }
  throw new Error(`expected "${sql}" to be refused`);
}

describe('SELECT on a view', () => {
  it('is needed to query it, and is enough: the view reads the table as its owner', async () => {
    expect(await fails(ann, 'SELECT * FROM eng')).toMatch(/permission denied for view public\.eng: user "ann" lacks SELECT on it/);
    await hr.execute('GRANT SELECT ON eng TO ann');
    expect(await rows(ann, 'SELECT id, name FROM eng ORDER BY id')).toEqual([[1, '11'], [2, '22']]);
    // the table itself stays closed to ann, and bo (no grant) is still refused
    expect(await fails(ann, 'SELECT * FROM private.emp')).toMatch(/schema private/);
    await fails(bo, 'SELECT count(*) FROM eng');
  });

  it('is granted to PUBLIC, with ALL, and taken back by REVOKE at the next statement', async () => {
    await hr.execute('GRANT ALL ON eng TO PUBLIC');
    expect(await rows(bo, 'SELECT count(*) FROM eng')).toEqual([[2]]);
    await hr.execute('REVOKE ALL ON eng FROM PUBLIC');
    await fails(bo, 'SELECT count(*) FROM eng');
    // ann's own grant is untouched
    expect(await rows(ann, 'SELECT count(*) FROM eng')).toEqual([[2]]);
  });

  it('is taken by REVOKE at the caller\'s next statement even inside its open transaction', async () => {
    await hr.execute('GRANT SELECT ON eng TO bo');
    await bo.execute('BEGIN; SELECT count(*) FROM eng');
    await hr.execute('REVOKE SELECT ON eng FROM bo');
    await fails(bo, 'SELECT count(*) FROM eng');
    await bo.execute('ROLLBACK');
  });

  it('comes with ALL TABLES IN SCHEMA, which takes in the schema\'s views', async () => {
    await hr.execute('CREATE VIEW private.names AS SELECT name FROM private.emp');
    await admin.execute('GRANT USAGE ON SCHEMA private TO bo; GRANT SELECT ON ALL TABLES IN SCHEMA private TO bo');
    expect((await rows(bo, 'SELECT name FROM private.names ORDER BY name')).length).toBe(3);
    await admin.execute('REVOKE SELECT ON ALL TABLES IN SCHEMA private FROM bo; REVOKE USAGE ON SCHEMA private FROM bo');
    await fails(bo, 'SELECT * FROM private.names');
  });

  it('is granted only by the view\'s owner (or a superuser), never on columns', async () => {
    expect(await fails(ann, 'GRANT SELECT ON eng TO bo')).toMatch(/must be owner of relation eng/);
    expect(await fails(hr, 'GRANT SELECT (id) ON eng TO bo', 'FEATURE_NOT_SUPPORTED')).toMatch(/column privileges on view public\.eng/);
    expect(await fails(hr, 'GRANT SELECT ON eng TO nobody', 'UNDEFINED_OBJECT')).toMatch(/user "nobody"/);
  });

  it('is listed in svv_relation_privileges: a user sees its own and PUBLIC\'s grants, an owner all on what it owns', async () => {
    await hr.execute('GRANT SELECT ON eng TO bo; GRANT SELECT ON eng TO PUBLIC');
    const q = "SELECT relation_name, relation_type, privilege_type, identity_name FROM svv_relation_privileges WHERE relation_name = 'eng' ORDER BY identity_name";
    expect(await rows(hr, q)).toEqual([['eng', 'view', 'SELECT', 'PUBLIC'], ['eng', 'view', 'SELECT', 'ann'], ['eng', 'view', 'SELECT', 'bo']]);
    expect(await rows(ann, q)).toEqual([['eng', 'view', 'SELECT', 'PUBLIC'], ['eng', 'view', 'SELECT', 'ann']]);
    await hr.execute('REVOKE SELECT ON eng FROM bo; REVOKE SELECT ON eng FROM PUBLIC');
  });

  it('keeps WITH GRANT OPTION as a table does', async () => {
    await hr.execute('GRANT SELECT ON eng TO bo WITH GRANT OPTION');
    const grants = () => db.catalog.accounts.admin.users.bo.grants;
    expect(Object.values(grants())).toEqual([['SELECT', 'SELECT WITH GRANT OPTION']]);
    await hr.execute('REVOKE SELECT ON eng FROM bo');
    expect(grants()).toEqual({});
  });
});

describe('the view\'s query runs with its owner\'s privileges', () => {
  it('checks the owner, not the caller, and names the owner when the owner lost a privilege', async () => {
    // a view by ann over emp: ann may not read emp, so neither may anyone through her view
    await fails(ann, 'CREATE VIEW mine AS SELECT * FROM private.emp');
    // a superuser's view owned by the superuser reads everything: bo with SELECT on it reads it
    await admin.execute('CREATE VIEW all_pay AS SELECT sum(salary) AS total FROM private.emp; GRANT SELECT ON all_pay TO bo');
    expect(await rows(bo, 'SELECT total FROM all_pay')).toEqual([[1299]]);
    // hr loses USAGE on private: its view stops working for everyone, naming hr and what it lacks
    await admin.execute('REVOKE USAGE ON SCHEMA private FROM hr');
    const why = await fails(ann, 'SELECT * FROM eng');
    expect(why).toMatch(/view public\.eng reads as its owner "hr", who may not: permission denied for schema private: user "hr" lacks USAGE/);
    await admin.execute('GRANT USAGE ON SCHEMA private TO hr');
    expect(await rows(ann, 'SELECT count(*) FROM eng')).toEqual([[2]]);
  });

  it('checks the owner\'s column privileges; SELECT * from the view needs only SELECT on the view', async () => {
    await admin.execute(`CREATE USER clerk; GRANT USAGE ON SCHEMA private TO clerk; GRANT SELECT (id, dept) ON private.emp TO clerk`);
    const clerk = db.connect({ user: 'clerk' });
    await clerk.execute("CREATE VIEW depts AS SELECT id, dept FROM private.emp; GRANT SELECT ON depts TO ann");
    expect(await rows(ann, 'SELECT * FROM depts ORDER BY id')).toEqual([[1, 'eng'], [2, 'eng'], [3, 'exec']]);
    // the owner may not read salary: a view of it refuses at CREATE, and after a REVOKE at query
    await fails(clerk, 'CREATE VIEW pay AS SELECT salary FROM private.emp');
    await admin.execute('REVOKE SELECT (dept) ON private.emp FROM clerk');
    expect(await fails(ann, 'SELECT * FROM depts')).toMatch(/owner "clerk", who may not: permission denied for column dept of relation private\.emp/);
  });

  it('runs nested views each as its own owner, with current_user the caller throughout', async () => {
    // ann builds on hr's view (she holds SELECT on it) and shares hers with bo, who holds nothing of hr's
    await ann.execute("CREATE VIEW mine AS SELECT id, name, current_user AS who FROM eng; GRANT SELECT ON mine TO bo");
    expect(await rows(bo, 'SELECT id, who, current_user FROM mine ORDER BY id')).toEqual([[1, 'bo', 'bo'], [2, 'bo', 'bo']]);
    // hr takes ann's SELECT on eng: ann's view stops working for bo too, naming ann
    await hr.execute('REVOKE SELECT ON eng FROM ann');
    expect(await fails(bo, 'SELECT * FROM mine')).toMatch(/view public\.mine reads as its owner "ann", who may not: permission denied for view public\.eng: user "ann" lacks SELECT/);
    await hr.execute('GRANT SELECT ON eng TO ann');
  });

  it('resolves its names where it was created, not in the caller\'s search path', async () => {
    // bo owns a table named like the view's table in a schema of his own, first on his search path
    await admin.execute('CREATE SCHEMA bos; GRANT USAGE, CREATE ON SCHEMA bos TO bo; GRANT USAGE ON SCHEMA private TO bo');
    await hr.execute("CREATE TABLE private.t (v VARCHAR(10)); INSERT INTO private.t VALUES ('hr'); SET search_path TO private; CREATE VIEW private.tv AS SELECT v FROM t; SET search_path TO public; GRANT SELECT ON private.tv TO bo");
    await bo.execute("CREATE TABLE bos.t (v VARCHAR(10)); INSERT INTO bos.t VALUES ('bo'); SET search_path TO bos, private");
    expect(await rows(bo, 'SELECT v FROM private.tv')).toEqual([['hr']]);
    await bo.execute('SET search_path TO public');
    await admin.execute('REVOKE USAGE ON SCHEMA private FROM bo');
  });
});

describe('what a reader cannot learn through a view', () => {
  it('EXPLAIN of a view the caller could not read without it is refused; with the tables it is shown', async () => {
    expect(await fails(ann, 'EXPLAIN SELECT * FROM eng')).toMatch(/EXPLAIN would show what view dev\.public\.eng reads/);
    await fails(ann, 'EXPLAIN ANALYZE SELECT * FROM eng WHERE id > 0');
    expect((await rows(hr, 'EXPLAIN SELECT * FROM eng')).flat().join('\n')).toMatch(/emp/);
    expect((await rows(admin, 'EXPLAIN SELECT * FROM eng')).flat().join('\n')).toMatch(/emp/);
  });

  it('a WHERE on the view that can fail runs after the view\'s own filter', async () => {
    // 'Secret' (dept exec, hidden by the view) is not a number: a cast pushed below the view's
    // filter (here a join) would fail on it and name it, as it does for the owner's own reads
    await hr.execute(`CREATE TABLE private.open_depts (dept VARCHAR(10)); INSERT INTO private.open_depts VALUES ('eng');
      CREATE VIEW open_emp AS SELECT e.id, e.name FROM private.emp e JOIN private.open_depts d ON e.dept = d.dept; GRANT SELECT ON open_emp TO ann`);
    expect(await fails(hr, 'SELECT id FROM open_emp WHERE CAST(name AS INT) > 15', 'INVALID_TEXT_REPRESENTATION')).toMatch(/Secret/);
    expect(await rows(ann, 'SELECT id FROM open_emp WHERE CAST(name AS INT) > 15')).toEqual([[2]]);
    expect(await rows(ann, 'SELECT id FROM eng WHERE CAST(name AS INT) > 15')).toEqual([[2]]);
    expect(await rows(ann, 'SELECT e.id FROM open_emp e JOIN eng f ON e.id = f.id WHERE CAST(e.name AS INT) / (e.id - 3) < 0 ORDER BY 1')).toEqual([[1], [2]]);
    // the same cast in every place a query can put it near the view's rows
    for (const sql of [
      'SELECT id FROM open_emp WHERE EXISTS (SELECT 1 WHERE CAST(open_emp.name AS INT) > 15)',
      'SELECT max(o.id) FROM eng e LEFT JOIN open_emp o ON CAST(o.name AS INT) = e.id + 20',
      'SELECT o.id FROM eng e JOIN open_emp o ON CAST(o.name AS INT) > 15 AND o.id = e.id',
      'SELECT id FROM (SELECT * FROM open_emp) q WHERE CAST(name AS INT) > 15',
      'SELECT max(id) FROM open_emp GROUP BY name HAVING CAST(name AS INT) > 15',
      'SELECT id FROM eng WHERE id IN (SELECT id FROM open_emp WHERE CAST(name AS INT) > 15)',
    ]) expect(await rows(ann, sql), sql).toEqual([[2]]);
    // leakproof filters still go down (and stay right)
    expect(await rows(ann, "SELECT id FROM open_emp WHERE name = '22' OR name IS NULL")).toEqual([[2]]);
  });

  it('CREATE OR REPLACE needs the view\'s ownership, and keeps its owner, id and grants', async () => {
    expect(await fails(bo, 'CREATE OR REPLACE VIEW eng AS SELECT 1 AS id')).toMatch(/must be owner of view public\.eng/);
    const before = db.catalog.accounts.admin.databases.dev.schemas.public.views.eng;
    await admin.execute("CREATE OR REPLACE VIEW eng AS SELECT id, name FROM private.emp WHERE dept = 'eng' AND id = 1");
    const after = db.catalog.accounts.admin.databases.dev.schemas.public.views.eng;
    expect([after.id, after.owner, after.ownerId]).toEqual([before.id, 'hr', before.ownerId]);
    expect(await rows(ann, 'SELECT id FROM eng')).toEqual([[1]]);
  });

  it('DROP VIEW takes its grants; a re-created namesake starts with none', async () => {
    await hr.execute('CREATE VIEW gone AS SELECT id FROM private.emp; GRANT SELECT ON gone TO ann, PUBLIC');
    const key = `view:${db.catalog.accounts.admin.databases.dev.schemas.public.views.gone.id}`;
    await hr.execute('DROP VIEW gone');
    const acct = db.catalog.accounts.admin;
    expect([acct.users.ann.grants[key], acct.publicGrants?.[key]]).toEqual([undefined, undefined]);
    await hr.execute('CREATE VIEW gone AS SELECT id FROM private.emp');
    await fails(ann, 'SELECT * FROM gone');
  });

  it('a view broken since it was made names no near-named relation only its owner sees', async () => {
    await hr.execute("CREATE TABLE private.bonus (n INT); CREATE VIEW bonus_v AS SELECT n FROM private.bonus; GRANT SELECT ON bonus_v TO ann; DROP TABLE private.bonus; CREATE TABLE private.bonus2 (n INT)");
    expect(await fails(hr, 'SELECT * FROM bonus_v', 'UNDEFINED_TABLE')).toMatch(/did you mean "bonus2"/);
    const why = await fails(ann, 'SELECT * FROM bonus_v', 'UNDEFINED_TABLE');
    expect(why).toMatch(/view public\.bonus_v no longer binds as its owner "hr": relation "private\.bonus" does not exist/);
    expect(why).not.toMatch(/bonus2/);
  });

  it('INSERT, UPDATE and DELETE on a view stay refused, whatever the grant', async () => {
    await hr.execute('GRANT ALL ON eng TO ann');
    for (const sql of ['INSERT INTO eng VALUES (9, \'x\')', 'DELETE FROM eng', "UPDATE eng SET name = 'x'"]) await fails(ann, sql, 'FEATURE_NOT_SUPPORTED');
    expect(await rows(hr, 'SELECT count(*) FROM private.emp')).toEqual([[3]]);
  });
});

describe('a data directory from before views had grants', () => {
  it('gives each view an id and no grant: non-owners need SELECT from the owner; names resolve in the view\'s schema', async () => {
    const old = mkdtempSync(join(tmpdir(), 'strata-viewpriv-old-'));
    try {
      let d = await Database.open({ dataDir: old, slices: 1 });
      await d.connect().execute(`CREATE USER hr; CREATE USER ann; CREATE SCHEMA s; GRANT USAGE, CREATE ON SCHEMA s TO hr, ann;
        CREATE TABLE s.pay (who VARCHAR(10), amount INT); INSERT INTO s.pay VALUES ('x', 5); GRANT SELECT ON s.pay TO hr, ann`);
      await d.connect({ user: 'hr' }).execute('CREATE VIEW s.total AS SELECT sum(amount) AS n FROM s.pay');
      await d.close();
      // the catalog as an older version wrote it: views without ids or a recorded namespace
      const store = await ManifestStore.open(old);
      const state = structuredClone(store.current().state) as CatalogState;
      delete state.viewIds;
      const v = state.accounts.admin.databases.dev.schemas.s.views.total;
      delete v.id;
      delete v.resolveIn;
      v.sql = 'SELECT sum(amount) AS n FROM pay';
      state.version = store.current().version + 1;
      await store.commit(state);
      d = await Database.open({ dataDir: old, slices: 1 });
      try {
        const view = d.catalog.accounts.admin.databases.dev.schemas.s.views.total;
        expect(view.id).toMatch(/^[0-9a-f-]{36}$/);
        const ann = d.connect({ user: 'ann' });
        // ann read it before (she holds SELECT on pay); now the owner must grant it
        await expect(ann.execute('SELECT n FROM s.total')).rejects.toThrow(/lacks SELECT on it/);
        const hr = d.connect({ user: 'hr' });
        await hr.execute('GRANT SELECT ON s.total TO ann');
        // the unqualified `pay` resolves in the view's own schema, not the caller's search path
        expect((await ann.execute('SELECT n FROM s.total')).at(-1)!.rows).toEqual([[5]]);
      } finally {
        await d.close();
      }
    } finally {
      rmSync(old, { recursive: true, force: true });
    }
  });
});
