// The whole producer/consumer flow at the session level: create, add, grant, consume (three-part
// names, joins, views, CTAS), INCLUDENEW, system views, usage log, removal and revocation.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { world, rows, failure, type World } from './helpers.ts';

let w: World;

beforeAll(async () => {
  w = await world();
  await w.prod.execute(`
    create table orders (id int, cust int, amount decimal(10,2));
    insert into orders values (1, 10, 5.50), (2, 11, 7.25), (3, 10, 1.00);
    create table secret (x int); insert into secret values (42);
    create schema sales; create table sales.regions (r varchar(10)); insert into sales.regions values ('eu');
    create view big_orders as select id, amount from orders where amount > 2;
    create view hidden_v as select * from secret;
    CREATE DATASHARE s;
    ALTER DATASHARE s ADD SCHEMA public;
    ALTER DATASHARE s ADD TABLE orders;
    ALTER DATASHARE s ADD VIEW big_orders;
    GRANT USAGE ON DATASHARE s TO ACCOUNT 'acme';
  `);
  await w.acme.execute(`CREATE DATABASE shop FROM DATASHARE s OF ACCOUNT 'prod'`);
}, 30_000);

afterAll(() => w?.close());

describe('producer SQL', () => {
  it('lists outbound shares, objects and consumers', async () => {
    expect(await rows(w.prod, 'SHOW DATASHARES')).toEqual([['s', 'OUTBOUND', 'admin', 'dev', null, 'prod', false, null, '2025-01-15 12:00:00']]);
    expect(await rows(w.prod, 'DESC DATASHARE s')).toEqual([
      ['OUTBOUND', 's', 'SCHEMA', 'public', 'prod', false],
      ['OUTBOUND', 's', 'TABLE', 'public.orders', 'prod', null],
      ['OUTBOUND', 's', 'VIEW', 'public.big_orders', 'prod', null],
    ]);
    expect(await rows(w.prod, 'select share_name, consumer_account, granted_by from svv_datashare_consumers')).toEqual([['s', 'acme', 'GRANT']]);
    expect(await rows(w.prod, `select count(*) from svv_datashare_objects where object_type = 'TABLE'`)).toEqual([[1]]);
  });

  it('only the owner or a granted user alters a share', async () => {
    await w.prod.execute(`CREATE USER analyst; CREATE USER helper`);
    const analyst = w.db.connect({ account: 'prod', user: 'analyst' });
    expect((await failure(analyst, 'ALTER DATASHARE s ADD TABLE secret')).code).toBe('PERMISSION_DENIED');
    expect((await failure(analyst, `GRANT USAGE ON DATASHARE s TO ACCOUNT 'other'`)).code).toBe('PERMISSION_DENIED');
    await w.prod.execute('GRANT ALTER ON DATASHARE s TO helper');
    const helper = w.db.connect({ account: 'prod', user: 'helper' });
    await helper.execute('ALTER DATASHARE s SET PUBLICACCESSIBLE TRUE');
    expect(await rows(w.prod, `select is_publicaccessible from svv_datashares where share_name = 's'`)).toEqual([[true]]);
    expect((await failure(w.acme, 'ALTER DATASHARE s ADD TABLE secret')).code).toBe('UNDEFINED_OBJECT');
  });
});

describe('consumer SQL', () => {
  it('sees inbound shares and reads by three-part name', async () => {
    expect(await rows(w.acme, 'SHOW DATASHARES')).toEqual([['s', 'INBOUND', null, 'dev', 'shop', 'prod', expect.any(Boolean), null, '2025-01-15 12:00:00']]);
    expect(await rows(w.acme, 'select id, amount from shop.public.orders order by id')).toEqual([[1, '5.50'], [2, '7.25'], [3, '1.00']]);
    expect(await rows(w.acme, 'select count(*) from shop.public.big_orders')).toEqual([[2]]);
    expect(await rows(w.acme, 'SHOW TABLES FROM DATABASE shop')).toEqual([['public', 'big_orders', 'VIEW'], ['public', 'orders', 'TABLE']]);
  });

  it('joins, views and CREATE TABLE AS over shared data', async () => {
    await w.acme.execute(`create table customers (cust int, name varchar(10)); insert into customers values (10, 'ann'), (11, 'bob')`);
    expect(await rows(w.acme, `select c.name, sum(o.amount) from customers c join shop.public.orders o on o.cust = c.cust group by c.name order by 1`))
      .toEqual([['ann', '6.50'], ['bob', '7.25']]);
    await w.acme.execute('create view my_orders as select cust, amount from shop.public.orders where cust = 10');
    expect(await rows(w.acme, 'select count(*) from my_orders')).toEqual([[2]]);
    await w.acme.execute('create table snapshot_orders as select * from shop.public.orders');
    await w.prod.execute('insert into orders values (4, 11, 2.00)');
    expect(await rows(w.acme, 'select count(*) from snapshot_orders')).toEqual([[3]]);
    expect(await rows(w.acme, 'select count(*) from shop.public.orders')).toEqual([[4]]);
  });

  it('cannot write to shared objects', async () => {
    for (const sql of [
      `insert into shop.public.orders values (9, 9, 9)`,
      `update shop.public.orders set amount = 0`,
      `delete from shop.public.orders`,
      `truncate shop.public.orders`,
      `drop table shop.public.orders`,
      `alter table shop.public.orders rename to o2`,
      `create table shop.public.mine (a int)`,
      `create view shop.public.v as select 1`,
      `grant select on shop.public.orders to public`,
      `copy shop.public.orders from '/dev/null' format csv`,
    ]) {
      const f = await failure(w.acme, sql);
      expect(f.code, sql).toBe('READ_ONLY');
      expect(f.message, sql).toMatch(/read-only/);
    }
  });

  it('cannot reach objects it was not given', async () => {
    expect((await failure(w.acme, 'select * from shop.public.secret')).code).toBe('UNDEFINED_TABLE');
    expect((await failure(w.acme, 'select * from shop.public.hidden_v')).code).toBe('UNDEFINED_TABLE');
    expect((await failure(w.acme, 'select * from shop.sales.regions')).code).toBe('UNDEFINED_TABLE');
    expect((await failure(w.acme, 'select * from dev.public.orders')).code).toBe('UNDEFINED_TABLE');
    expect((await failure(w.acme, `DESC DATASHARE nope OF ACCOUNT 'prod'`)).code).toBe('UNDEFINED_OBJECT');
    expect(await rows(w.acme, 'select count(*) from svv_datashare_consumers')).toEqual([[0]]);
    expect(await rows(w.acme, 'select count(*) from svl_datashare_usage_producer')).toEqual([[0]]);
    // an account that was never granted sees nothing and cannot mount the share
    expect(await rows(w.other, 'SHOW DATASHARES')).toEqual([]);
    expect((await failure(w.other, `CREATE DATABASE x FROM DATASHARE s OF ACCOUNT 'prod'`)).code).toBe('PERMISSION_DENIED');
    expect((await failure(w.other, `DESC DATASHARE s OF ACCOUNT 'prod'`)).code).toBe('PERMISSION_DENIED');
    // a consumer user without USAGE on the consumer database
    await w.acme.execute('CREATE USER intern');
    const intern = w.db.connect({ account: 'acme', user: 'intern' });
    expect((await failure(intern, 'select * from shop.public.orders')).code).toBe('PERMISSION_DENIED');
    await w.acme.execute('GRANT USAGE ON DATABASE shop TO intern');
    expect(await rows(intern, 'select count(*) from shop.public.orders')).toEqual([[4]]);
  });

  it('a shared view reads unshared tables with its owner\'s rights', async () => {
    await w.prod.execute('create view secret_total as select sum(x) as total from secret; ALTER DATASHARE s ADD VIEW secret_total');
    expect(await rows(w.acme, 'select total from shop.public.secret_total')).toEqual([[42]]);
    expect((await failure(w.acme, 'select * from shop.public.secret')).code).toBe('UNDEFINED_TABLE');
  });

  it('INCLUDENEW adds tables created later', async () => {
    await w.prod.execute('ALTER DATASHARE s SET INCLUDENEW = TRUE FOR SCHEMA public; create table later (v int); insert into later values (7)');
    expect(await rows(w.acme, 'select v from shop.public.later')).toEqual([[7]]);
    expect(await rows(w.prod, `select include_new from svv_datashare_objects where object_type = 'SCHEMA'`)).toEqual([[true]]);
  });

  it('ADD ALL TABLES IN SCHEMA', async () => {
    await w.prod.execute('ALTER DATASHARE s ADD ALL TABLES IN SCHEMA sales');
    expect(await rows(w.acme, 'select r from shop.sales.regions')).toEqual([['eu']]);
  });

  it('records usage for the producer', async () => {
    const u = await rows(w.prod, `select consumer_account, object_name, rows_scanned from svl_datashare_usage_producer where object_name = 'public.orders' order by request_id`);
    expect(u.length).toBeGreaterThanOrEqual(4);
    expect(u.every((r) => r[0] === 'acme')).toBe(true);
    expect(u[0]).toEqual(['acme', 'public.orders', 3]);
    await w.ext.usage.flush();
  });

  it('removal and dropped tables take effect at the next statement', async () => {
    await w.prod.execute('ALTER DATASHARE s REMOVE TABLE later');
    const removed = await failure(w.acme, 'select * from shop.public.later');
    expect(removed).toMatchObject({ code: 'PERMISSION_DENIED' });
    expect(removed.message).toMatch(/no longer shared/);
    await w.prod.execute('drop table sales.regions');
    const dropped = await failure(w.acme, 'select * from shop.sales.regions');
    expect(dropped.message).toMatch(/no longer shared: the producer dropped it/);
  });

  it('REVOKE and DROP DATASHARE end access', async () => {
    await w.prod.execute(`REVOKE USAGE ON DATASHARE s FROM ACCOUNT 'acme'`);
    const f = await failure(w.acme, 'select * from shop.public.orders');
    expect(f.code).toBe('PERMISSION_DENIED');
    expect(f.message).toMatch(/no longer shared with account "acme"/);
    await w.prod.execute(`GRANT USAGE ON DATASHARE s TO ACCOUNT 'acme'`);
    expect(await rows(w.acme, 'select count(*) from shop.public.orders')).toEqual([[4]]);
    await w.prod.execute('DROP DATASHARE s');
    expect((await failure(w.acme, 'select * from shop.public.orders')).message).toMatch(/no longer exists/);
    expect(await rows(w.prod, 'SHOW DATASHARES')).toEqual([]);
  });
});
