// information_schema and pg_catalog tables in protocol sessions: plain SQL over them runs in the
// engine, shows the session's own account only, and other front ends do not get them.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startPg, sqlstate, type PgFixture } from './helpers.ts';

vi.setConfig({ testTimeout: 30_000 });

let f: PgFixture;
beforeAll(async () => { f = await startPg(); }, 60_000);
afterAll(async () => { await f?.close(); });

describe('system views', () => {
  it('information_schema.tables, columns and schemata answer with WHERE and ORDER BY', async () => {
    const c = await f.connect();
    await c.query('create table sv_orders (id bigint not null, total decimal(12,2), note varchar(30), placed date)');
    await c.query('create view sv_big as select id from sv_orders where total > 100');
    const tables = await c.query("select table_name, table_type from information_schema.tables where table_schema = 'public' and table_name like 'sv_%' order by table_name");
    expect(tables.rows).toEqual([{ table_name: 'sv_big', table_type: 'VIEW' }, { table_name: 'sv_orders', table_type: 'BASE TABLE' }]);
    const cols = await c.query("select column_name, ordinal_position, data_type, is_nullable, character_maximum_length, numeric_precision, numeric_scale from information_schema.columns where table_name = 'sv_orders' order by ordinal_position");
    expect(cols.rows).toEqual([
      { column_name: 'id', ordinal_position: 1, data_type: 'bigint', is_nullable: 'NO', character_maximum_length: null, numeric_precision: 64, numeric_scale: 0 },
      { column_name: 'total', ordinal_position: 2, data_type: 'numeric', is_nullable: 'YES', character_maximum_length: null, numeric_precision: 12, numeric_scale: 2 },
      { column_name: 'note', ordinal_position: 3, data_type: 'character varying', is_nullable: 'YES', character_maximum_length: 30, numeric_precision: null, numeric_scale: null },
      { column_name: 'placed', ordinal_position: 4, data_type: 'date', is_nullable: 'YES', character_maximum_length: null, numeric_precision: null, numeric_scale: null },
    ]);
    expect((await c.query('select schema_name from information_schema.schemata')).rows).toContainEqual({ schema_name: 'public' });
  });

  it('pg_class, pg_namespace, pg_attribute and pg_type join on stable oids', async () => {
    const c = await f.connect();
    const r = await c.query(`select c.relname, a.attname, t.typname, a.atttypmod from pg_catalog.pg_class c
      join pg_catalog.pg_namespace n on n.oid = c.relnamespace
      join pg_catalog.pg_attribute a on a.attrelid = c.oid
      join pg_catalog.pg_type t on t.oid = a.atttypid
      where n.nspname = 'public' and c.relname = 'sv_orders' order by a.attnum`);
    expect(r.rows.map((x) => [x.attname, x.typname, x.atttypmod])).toEqual([['id', 'int8', -1], ['total', 'numeric', (12 << 16 | 2) + 4], ['note', 'varchar', 34], ['placed', 'date', -1]]);
    const other = await f.connect();
    const oid = (await c.query("select oid from pg_class where relname = 'sv_orders'")).rows[0].oid;
    expect((await other.query("select oid from pg_class where relname = 'sv_orders'")).rows[0].oid).toBe(oid);
    expect((await c.query('select datname from pg_database')).rows).toContainEqual({ datname: 'dev' });
  });

  it('leaves out what schemas the user may not use hold (USAGE), as information_schema does', async () => {
    const c = await f.connect();
    await c.query('create user sv_ivy; create schema sv_hidden; create table sv_hidden.sv_pay (a int); grant select on sv_hidden.sv_pay to sv_ivy');
    const { createToken } = await import('../../../api/tokens.ts');
    const { token } = await createToken(f.api.services.db, { account: 'admin', user: 'sv_ivy' });
    const ivy = await f.connect({ user: 'sv_ivy', password: token });
    const seen = async () => (await ivy.query("select table_schema || '.' || table_name as t from information_schema.tables where table_name like 'sv_%' order by 1")).rows.map((r) => r.t);
    expect(await seen()).toEqual(['public.sv_big', 'public.sv_orders']);
    expect((await ivy.query("select count(*) as n from pg_class where relname = 'sv_pay'")).rows[0].n).toBe('0');
    expect((await ivy.query("select schema_name from information_schema.schemata where schema_name = 'sv_hidden'")).rows).toEqual([]);
    await c.query('grant usage on schema sv_hidden to sv_ivy');
    expect(await seen()).toEqual(['public.sv_big', 'public.sv_orders', 'sv_hidden.sv_pay']);
  });

  it('shows only the session\'s account, and only to protocol sessions', async () => {
    const c = await f.connect();
    await c.query('create account other');
    const { createToken } = await import('../../../api/tokens.ts');
    const { token } = await createToken(f.api.services.db, { account: 'other', user: 'admin' });
    const o = await f.connect({ user: 'admin@other', password: token });
    expect((await o.query("select count(*) as n from information_schema.tables where table_name like 'sv_%'")).rows[0].n).toBe('0');
    // the same SQL through GraphQL's sessions does not know these tables
    const session = f.api.services.db.connect({});
    await expect(session.execute('select count(*) from information_schema.tables')).rejects.toMatchObject({ code: 'UNDEFINED_TABLE' });
    await session.close();
    expect(await sqlstate(c.query('select * from information_schema.nope'))).toBe('42P01');
  });
});
