// Ownership and per-user grants are keyed by the user's immutable id: a dropped and re-created
// namesake owns nothing of the old user and holds none of its grants, even when the drop races a
// transaction of the old user; catalogs written with owners by name migrate on open.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Database, SqlError, type Session } from '../../../engine/database.ts';
import { ManifestStore } from '../../../engine/storage/manifest.ts';
import type { CatalogState } from '../../../engine/catalog/catalog.ts';
import { extension as sharingExtension } from '../../../sharing/extension.ts';

const dirs: string[] = [];
const dbs: Database[] = [];
afterEach(async () => {
  for (const db of dbs.splice(0)) await db.close();
});
afterAll(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function open(dir?: string, closeAfterEach = true): Promise<Database> {
  const d = dir ?? mkdtempSync(join(tmpdir(), 'strata-owners-'));
  if (!dir) dirs.push(d);
  const db = await Database.open({ dataDir: d, slices: 1, lazySlices: true });
  db.use(sharingExtension(db));
  if (closeAfterEach) dbs.push(db);
  return db;
}

async function failure(s: Session, sql: string): Promise<SqlError> {
  try {
    await s.execute(sql);
  } catch (e) {
    return e as SqlError;
  }
  throw new Error(`expected "${sql}" to fail`);
}

describe('a re-created namesake', () => {
  let db: Database;
  beforeAll(async () => { db = await open(undefined, false); });
  afterAll(async () => { await db.close(); });

  it('does not get a table the old user created in a transaction the drop raced', async () => {
    const admin = db.connect();
    await admin.execute('CREATE USER bob');
    const oldBob = db.connect({ user: 'bob' });
    await oldBob.execute('BEGIN; CREATE TABLE loot (x INT)');
    // bob owns nothing committed, so the drop goes through while his transaction is open
    await admin.execute('DROP USER bob; CREATE USER bob');
    const e = await failure(oldBob, 'COMMIT');
    expect(e.code).toBe('PERMISSION_DENIED');
    expect(e.message).toMatch(/user "bob" was dropped/);
    const newBob = db.connect({ user: 'bob' });
    expect((await failure(newBob, 'SELECT * FROM loot')).code).toBe('UNDEFINED_TABLE');
    // and the old session is over
    expect((await failure(oldBob, 'SELECT 1')).message).toMatch(/no longer exists/);
  });

  it('a DROP USER racing the user\'s CREATE TABLE is refused at commit', async () => {
    const admin = db.connect();
    await admin.execute('CREATE USER bill');
    await admin.execute('BEGIN; DROP USER bill');
    await db.connect({ user: 'bill' }).execute('CREATE TABLE mine (x INT)');
    const e = await failure(admin, 'COMMIT');
    expect(e.message).toMatch(/owns table dev\.public\.mine/);
    // bill still exists and still owns it
    await db.connect({ user: 'bill' }).execute('DROP TABLE mine');
  });

  it('gets no grant given to the old user by a GRANT that raced the drop', async () => {
    const admin = db.connect();
    await admin.execute('CREATE TABLE secrets (s INT); CREATE USER gus');
    await admin.execute('BEGIN; GRANT SELECT ON secrets TO gus');
    await db.connect().execute('DROP USER gus; CREATE USER gus');
    expect((await failure(admin, 'COMMIT')).message).toMatch(/user "gus" no longer exists/);
    expect((await failure(db.connect({ user: 'gus' }), 'SELECT * FROM secrets')).code).toBe('PERMISSION_DENIED');
  });

  it('gets no datashare grant of the old user, even one that raced the drop', async () => {
    const admin = db.connect();
    await admin.execute('CREATE USER hal; CREATE DATASHARE ds');
    await admin.execute('BEGIN; GRANT ALTER ON DATASHARE ds TO hal');
    await db.connect().execute('DROP USER hal; CREATE USER hal');
    await failure(admin, 'COMMIT');
    expect((await failure(db.connect({ user: 'hal' }), 'ALTER DATASHARE ds SET PUBLICACCESSIBLE TRUE')).code).toBe('PERMISSION_DENIED');
  });
});

describe('a catalog written with owners by name', () => {
  /** Rewrites the current catalog as an older Strata wrote it: owners and datashare grants by name, no ids. */
  async function makeLegacy(dir: string, edit: (s: CatalogState) => void): Promise<void> {
    const store = await ManifestStore.open(dir);
    const s = structuredClone(store.current().state) as CatalogState;
    delete s.ownersById;
    delete s.legacyIds;
    const strip = (o: Record<string, unknown>) => { delete o.ownerId; };
    for (const a of Object.values(s.accounts)) {
      delete a.id;
      for (const u of Object.values(a.users)) delete u.id;
      for (const d of Object.values(a.databases)) {
        strip(d as never);
        for (const sc of Object.values(d.schemas)) {
          strip(sc as never);
          for (const t of Object.values(sc.tables)) strip(t as never);
          for (const v of Object.values(sc.views)) strip(v as never);
        }
      }
    }
    const sharing = s.ext.sharing as { shares: Record<string, Record<string, { ownerId?: string; userGrants: Record<string, string[]> }>> };
    for (const shares of Object.values(sharing?.shares ?? {})) for (const sh of Object.values(shares)) delete sh.ownerId;
    edit(s);
    s.version = store.current().version + 1;
    await store.commit(s);
  }

  it('migrates on open: owners keep their objects, a later namesake of a gone owner gets nothing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'strata-owners-'));
    dirs.push(dir);
    let db = await open(dir);
    await db.connect().execute('CREATE USER bob; CREATE USER fred; CREATE DATASHARE ds');
    await db.connect({ user: 'bob' }).execute('CREATE TABLE bobs (x INT); CREATE TABLE orphan (x INT)');
    await db.close();
    dbs.splice(dbs.indexOf(db), 1);
    await makeLegacy(dir, (s) => {
      // an owner dropped before DROP USER refused owners; fred's datashare grant keyed by name
      s.accounts.admin.databases.dev.schemas.public.tables.orphan.owner = 'carol';
      const share = (s.ext.sharing as { shares: Record<string, Record<string, { userGrants: Record<string, string[]> }>> }).shares.admin.ds;
      share.userGrants = { fred: ['ALTER'] };
    });

    db = await open(dir);
    const admin = db.connect();
    expect(db.catalog.ownersById).toBe(true);
    // bob (who existed at migration) still owns his table and cannot be dropped
    await db.connect({ user: 'bob' }).execute('GRANT SELECT ON bobs TO fred');
    expect((await failure(admin, 'DROP USER bob')).code).toBe('DEPENDENT_OBJECTS_STILL_EXIST');
    // fred's grant recorded by name still works for fred
    await db.connect({ user: 'fred' }).execute('ALTER DATASHARE ds SET PUBLICACCESSIBLE TRUE');
    // a new carol does not inherit the gone carol's table
    await admin.execute('CREATE USER carol');
    const carol = db.connect({ user: 'carol' });
    expect((await failure(carol, 'SELECT * FROM orphan')).code).toBe('PERMISSION_DENIED');
    expect((await failure(carol, 'DROP TABLE orphan')).code).toBe('PERMISSION_DENIED');
    // nor does a re-created fred get old fred's grant
    await admin.execute('DROP USER fred; CREATE USER fred');
    expect((await failure(db.connect({ user: 'fred' }), 'ALTER DATASHARE ds SET PUBLICACCESSIBLE FALSE')).code).toBe('PERMISSION_DENIED');

    // the migration is committed with the next commit and holds across a restart
    await db.close();
    dbs.splice(dbs.indexOf(db), 1);
    db = await open(dir);
    await db.connect({ user: 'bob' }).execute('REVOKE SELECT ON bobs FROM PUBLIC');
    expect((await failure(db.connect({ user: 'carol' }), 'DROP TABLE orphan')).code).toBe('PERMISSION_DENIED');
  });
});
