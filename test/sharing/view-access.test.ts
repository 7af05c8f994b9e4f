// Views in datashares: a consumer's access follows the share (the share granted to its account,
// USAGE on its consumer database), never the producer's grants on the view, and nothing of the
// producer's tables leaks beyond the view's rows: not through a failing filter, not through
// EXPLAIN, not once the view's owner lost what the view reads.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { world, rows, failure, type World } from './helpers.ts';

let w: World;

beforeAll(async () => {
  w = await world();
  await w.prod.execute(`
    create table emp (id int, name varchar(10), dept varchar(10));
    insert into emp values (1, '11', 'eng'), (2, '22', 'eng'), (3, 'Secret', 'exec');
    create table open_depts (dept varchar(10)); insert into open_depts values ('eng');
    create user bob; grant select on emp, open_depts to bob;
    create view unshared_v as select * from emp; grant select on unshared_v to public;
    CREATE DATASHARE s; ALTER DATASHARE s ADD SCHEMA public;
    GRANT USAGE ON DATASHARE s TO ACCOUNT 'acme'`);
  // bob publishes the open departments' rows; his view goes into the share
  await w.db.connect({ account: 'prod', user: 'bob' }).execute('create view pub as select e.id, e.name from emp e join open_depts d on e.dept = d.dept; grant select on pub to public');
  await w.prod.execute('ALTER DATASHARE s ADD VIEW pub');
  await w.acme.execute(`CREATE DATABASE shop FROM DATASHARE s OF ACCOUNT 'prod'; CREATE USER bob`);
}, 30_000);
afterAll(() => w?.close());

describe('a shared view', () => {
  it('is read as the share allows, whatever the producer granted on it', async () => {
    expect(await rows(w.acme, 'select id, name from shop.public.pub order by id')).toEqual([[1, '11'], [2, '22']]);
    // acme's bob is not prod's bob, and the producer's PUBLIC grant is not acme's: USAGE on shop is
    const bob = w.db.connect({ account: 'acme', user: 'bob' });
    expect((await failure(bob, 'select * from shop.public.pub')).message).toMatch(/database shop: user "bob" lacks USAGE/);
    await w.acme.execute('GRANT USAGE ON DATABASE shop TO bob');
    expect(await rows(bob, 'select count(*) from shop.public.pub')).toEqual([[2]]);
    // a view the producer granted to PUBLIC but never shared is not there for the consumer
    expect((await failure(w.acme, 'select * from shop.public.unshared_v')).code).toBe('UNDEFINED_TABLE');
    // an account the share was never granted to
    expect((await failure(w.other, `CREATE DATABASE x FROM DATASHARE s OF ACCOUNT 'prod'`)).code).toBe('PERMISSION_DENIED');
  });

  it('keeps the consumer\'s failing filters above its own, and its plan out of EXPLAIN', async () => {
    // in the producer, a superuser's read of the view lets the cast meet the hidden row
    expect((await failure(w.prod, 'select id from pub where cast(name as int) > 15')).message).toMatch(/Secret/);
    expect(await rows(w.acme, 'select id from shop.public.pub where cast(name as int) > 15')).toEqual([[2]]);
    const explain = await failure(w.acme, 'EXPLAIN select * from shop.public.pub');
    expect([explain.code, explain.message]).toEqual(['PERMISSION_DENIED', expect.stringMatching(/EXPLAIN would show what view shop\.public\.pub reads/)]);
    expect(explain.message).not.toMatch(/emp|open_depts/);
  });

  it('is added to a share by its owner, or by a user holding SELECT WITH GRANT OPTION on it', async () => {
    await w.prod.execute('create user carl; CREATE DATASHARE s2; GRANT ALTER ON DATASHARE s2 TO carl');
    const carl = w.db.connect({ account: 'prod', user: 'carl' });
    expect((await failure(carl, 'ALTER DATASHARE s2 ADD VIEW pub')).message).toMatch(/must own it or hold SELECT WITH GRANT OPTION on it/);
    await w.prod.execute('grant select on pub to carl');
    expect((await failure(carl, 'ALTER DATASHARE s2 ADD VIEW pub')).code).toBe('PERMISSION_DENIED');
    await w.prod.execute('grant select on pub to carl with grant option');
    await carl.execute('ALTER DATASHARE s2 ADD VIEW pub');
    expect(await rows(w.prod, "select object_name from svv_datashare_objects where share_name = 's2' and object_type = 'VIEW'")).toEqual([['public.pub']]);
  });

  it('stops when its owner loses a privilege it needs, without telling the consumer the producer\'s details', async () => {
    await w.prod.execute('revoke select on open_depts from bob');
    const f = await failure(w.acme, 'select * from shop.public.pub');
    expect([f.code, f.message]).toEqual(['PERMISSION_DENIED', expect.stringMatching(/shared view shop\.public\.pub can no longer be read: its query fails for its owner in account "prod"/)]);
    expect(f.message).not.toMatch(/bob|open_depts/);
    await w.prod.execute('grant select on open_depts to bob');
    expect(await rows(w.acme, 'select count(*) from shop.public.pub')).toEqual([[2]]);
  });
});
