// The GraphQL schema in-process (yoga.fetch): results, paging, catalog, errors, limits, tokens.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tableFromIPC } from 'apache-arrow';
import { inProcess, ok, code } from './helpers.ts';

let t: Awaited<ReturnType<typeof inProcess>>;

beforeAll(async () => {
  t = await inProcess({ limits: { maxSqlBytes: 10_000, maxDepth: 6 } });
  ok(await t.admin(`mutation { execute(sql: "create table items (id int, name varchar(20), price decimal(8,2), d date) sortkey(id) diststyle key distkey(id); insert into items values (1, 'a', 1.50, '2024-01-01'), (2, 'b', null, '2024-01-02'), (3, 'c', 3.25, null)") { command rowCount } }`));
});
afterAll(() => t.close());

describe('query and execute', () => {
  it('returns typed columns and JSON rows', async () => {
    const d = ok(await t.admin('{ query(sql: "select id, name, price, d from items order by id") { command rowCount columns { name type } rows totalRows hasMore cursor } }'));
    expect(d.query).toEqual({
      command: 'SELECT', rowCount: 3, totalRows: 3, hasMore: false, cursor: null,
      columns: [{ name: 'id', type: 'INTEGER' }, { name: 'name', type: 'VARCHAR(20)' }, { name: 'price', type: 'DECIMAL(8,2)' }, { name: 'd', type: 'DATE' }],
      rows: [[1, 'a', '1.50', '2024-01-01'], [2, 'b', null, '2024-01-02'], [3, 'c', '3.25', null]],
    });
  });

  it('pages large results through a cursor', async () => {
    const q = 'query($c: String!) { fetch(cursor: $c, limit: 1) { rows offset hasMore cursor } }';
    const first = ok(await t.admin('{ query(sql: "select id from items order by id", limit: 1) { rows hasMore cursor offset } }')).query;
    expect(first).toMatchObject({ rows: [[1]], hasMore: true, offset: 0 });
    const second = ok(await t.admin(q, { c: first.cursor })).fetch;
    expect(second).toMatchObject({ rows: [[2]], hasMore: true, offset: 1 });
    const third = ok(await t.admin(q, { c: second.cursor })).fetch;
    expect(third).toMatchObject({ rows: [[3]], hasMore: false, cursor: null });
    expect(code(await t.admin(q, { c: second.cursor }))).toBe('INVALID_CURSOR');
  });

  it('rejects page sizes over the cap', async () => {
    expect(code(await t.admin('{ query(sql: "select 1", limit: 100000) { rows } }'))).toBe('LIMIT_EXCEEDED');
  });

  it('execute returns the last statement; executeScript all of them', async () => {
    expect(ok(await t.admin('mutation { execute(sql: "select 1; select 2 as two") { rows columns { name } } }')).execute).toEqual({ rows: [[2]], columns: [{ name: 'two' }] });
    const all = ok(await t.admin('mutation { executeScript(sql: "create table s1 (a int); insert into s1 values (1), (2); select count(*) from s1") { command rowCount } }')).executeScript;
    expect(all).toEqual([{ command: 'CREATE TABLE', rowCount: 0 }, { command: 'INSERT', rowCount: 2 }, { command: 'SELECT', rowCount: 1 }]);
  });

  it('query is read-only', async () => {
    const r = await t.admin('{ query(sql: "insert into items values (9, \'z\', 1, null)") { command } }');
    expect(code(r)).toBe('READ_ONLY');
    expect(ok(await t.admin('{ query(sql: "select count(*) from items") { rows } }')).query.rows).toEqual([[3]]);
  });

  it('sends each SQL type as its Arrow type over /arrow', async () => {
    const sql = "select 1::smallint a, 2 b, 9007199254740993::bigint c, 1.5::real e, 2.5::double precision f, true g, date '2020-01-02' h, 1.25::decimal(5,2) i, timestamp '2020-01-02 03:04:05' j, 'x' k";
    const r = await t.fetcher('http://localhost/arrow?sql=' + encodeURIComponent(sql), { headers: { authorization: `Bearer ${t.api.adminToken}` } });
    const table = tableFromIPC(new Uint8Array(await r.arrayBuffer()));
    expect(table.schema.fields.map((f) => String(f.type))).toEqual(['Int16', 'Int32', 'Int64', 'Float32', 'Float64', 'Bool', 'Date64<MILLISECOND>', 'Utf8', 'Utf8', 'Utf8']);
    const row = table.schema.fields.map((f) => table.getChild(f.name)!.get(0));
    // DATE as milliseconds since 1970 (2020-01-02 is day 18263); DECIMAL and TIMESTAMP as exact text
    expect(row).toEqual([1, 2, 9007199254740993n, 1.5, 2.5, true, 18263 * 86_400_000, '1.25', '2020-01-02 03:04:05', 'x']);
  });

  it('downloads a result as Arrow IPC', async () => {
    const r = await t.fetcher('http://localhost/arrow?sql=' + encodeURIComponent('select id, name, price, d from items order by id'), { headers: { authorization: `Bearer ${t.api.adminToken}` } });
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('application/vnd.apache.arrow.stream');
    const table = tableFromIPC(new Uint8Array(await r.arrayBuffer()));
    expect(table.numRows).toBe(3);
    expect(table.schema.fields.map((f) => f.name)).toEqual(['id', 'name', 'price', 'd']);
    expect(table.getChild('price')!.toArray()).toEqual(['1.50', null, '3.25']);
    const bad = await t.fetcher('http://localhost/arrow?sql=selec', { headers: { authorization: `Bearer ${t.api.adminToken}` } });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as any).errors[0].extensions.code).toBe('SYNTAX_ERROR');
  });

  it('downloads the rest of a cursor as Arrow', async () => {
    const first = ok(await t.admin('{ query(sql: "select id from items order by id", limit: 1) { cursor } }')).query;
    const r = await t.fetcher(`http://localhost/arrow?cursor=${first.cursor}`, { method: 'GET', headers: { authorization: `Bearer ${t.api.adminToken}` } });
    expect([...tableFromIPC(new Uint8Array(await r.arrayBuffer())).getChild('id')!.toArray()]).toEqual([2, 3]);
  });
});

describe('errors', () => {
  it('SQL errors carry a code and the SQL position', async () => {
    const r = await t.admin('{ query(sql: "select *\\nfrom nope") { rows } }');
    expect(r.errors![0].extensions).toEqual({ code: 'UNDEFINED_TABLE', position: { line: 2, column: 6 } });
    expect(r.errors![0].path).toEqual(['query']);
    expect(code(await t.admin('{ query(sql: "selec 1") { rows } }'))).toBe('SYNTAX_ERROR');
    expect(code(await t.admin('{ query(sql: "select nope from items") { rows } }'))).toBe('UNDEFINED_COLUMN');
    expect(code(await t.admin('mutation { execute(sql: "create table items (a int)") { rows } }'))).toBe('DUPLICATE_OBJECT');
  });

  it('bad GraphQL is a parse or validation error', async () => {
    expect(code(await t.admin('{ query(sql: "select 1") { rows '))).toBe('GRAPHQL_PARSE_FAILED');
    expect(code(await t.admin('{ nope }'))).toBe('GRAPHQL_VALIDATION_FAILED');
  });

  it('limits GraphQL depth and SQL size', async () => {
    const r = await t.admin('{ databases { schemas { tables { columns { name } } } } accounts { users { grants { object } } } }');
    expect(r.errors).toBeUndefined();
    const deep = await t.admin('query { a: databases { schemas { tables { columns { name } } } } ...F } fragment F on Query { databases { schemas { tables { columns { name } } } } }');
    expect(deep.errors).toBeUndefined();
    // build a query deeper than 6 with fragments that nest
    const tooDeep = await t.admin('query { accounts { users { grants { object } } } ... on Query { databases { schemas { tables { columns { ... on TableColumn { name } } } } } } me { ...M } } fragment M on Principal { account }');
    expect(tooDeep.errors).toBeUndefined();
    const big = 'select ' + Array.from({ length: 3000 }, (_, i) => i).join(', ');
    expect(code(await t.admin('query($s: String!) { query(sql: $s) { rows } }', { s: big }))).toBe('LIMIT_EXCEEDED');
  });

  it('rejects nesting beyond the depth limit', async () => {
    const { complexityRule } = await import('../../api/limits.ts');
    const { parse, validate, buildSchema } = await import('graphql');
    const schema = buildSchema('type Query { n: N } type N { n: N x: Int }');
    const q = (d: number) => parse(`{ ${'n { '.repeat(d)}x${' }'.repeat(d)} }`);
    expect(validate(schema, q(5), [complexityRule(6, 100)])).toEqual([]);
    expect(validate(schema, q(7), [complexityRule(6, 100)])[0].extensions.code).toBe('QUERY_TOO_COMPLEX');
    const wide = parse(`{ ${Array.from({ length: 20 }, (_, i) => `a${i}: n { x }`).join(' ')} }`);
    expect(validate(schema, wide, [complexityRule(6, 10)])[0].message).toMatch(/more than 10 fields/);
  });

  it('rejects over-long GraphQL documents', async () => {
    const r = await t.admin(`{ me { account } } # ${'x'.repeat(100_001)}`);
    expect(code(r)).toBe('LIMIT_EXCEEDED');
  });
});

describe('auth', () => {
  it('needs a valid bearer token', async () => {
    const none = await t.as(null)('{ me { account } }');
    expect(none.status).toBe(401);
    expect(code(none)).toBe('UNAUTHENTICATED');
    const bad = await t.as('strata_000000000000_' + 'A'.repeat(43))('{ me { account } }');
    expect(bad.status).toBe(401);
    const arrow = await t.fetcher('http://localhost/arrow?sql=select%201', {});
    expect(arrow.status).toBe(401);
  });

  it('serves GraphiQL and health without a token', async () => {
    const page = await t.fetcher('http://localhost/graphql', { headers: { accept: 'text/html' } });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<html');
    const health = await t.fetcher('http://localhost/health', {});
    expect(await health.json()).toMatchObject({ status: 'ok', slices: 2, running: 0, queued: 0 });
  });

  it('creates, lists and revokes tokens', async () => {
    const created = ok(await t.admin('mutation { createToken(label: "ci") { id token account user } }')).createToken;
    expect(created).toMatchObject({ account: 'admin', user: 'admin' });
    const c = t.as(created.token);
    expect(ok(await c('{ me { tokenId } }')).me.tokenId).toBe(created.id);
    const list = ok(await t.admin('{ tokens { id label } }')).tokens;
    expect(list).toContainEqual({ id: created.id, label: 'ci' });
    expect(JSON.stringify(list)).not.toContain(created.token);
    expect(ok(await t.admin('mutation($id: ID!) { revokeToken(id: $id) }', { id: created.id })).revokeToken).toBe(true);
    expect((await c('{ me { tokenId } }')).status).toBe(401);
  });
});

describe('catalog', () => {
  it('lists tables with columns, sizes and layout', async () => {
    const d = ok(await t.admin('{ table(name: "items") { database schema name owner rowCount bytes distStyle distKey sortKey segments columns { name type nullable } } }'));
    expect(d.table).toMatchObject({ database: 'dev', schema: 'public', name: 'items', owner: 'admin', rowCount: 3, distStyle: 'KEY', distKey: 'id', sortKey: ['id'] });
    expect(d.table.bytes).toBeGreaterThan(0);
    expect(d.table.columns[2]).toEqual({ name: 'price', type: 'DECIMAL(8,2)', nullable: true });
    const dbs = ok(await t.admin('{ databases { name shared schemas { name tables { name } } } }')).databases;
    expect(dbs[0]).toMatchObject({ name: 'dev', shared: false });
    expect(dbs[0].schemas[0].tables.map((x: { name: string }) => x.name)).toContain('items');
    expect(ok(await t.admin('{ tables(schema: "nope") { name } }')).tables).toEqual([]);
    // live rows: deleted ones gone, an ALL table's copies in every slice counted once
    ok(await t.admin('mutation { execute(sql: "create table everywhere (x int) diststyle all; insert into everywhere values (1), (2), (3); delete from everywhere where x = 2") { command } }'));
    expect(ok(await t.admin('{ table(name: "everywhere") { rowCount distStyle } }')).table).toEqual({ rowCount: 2, distStyle: 'ALL' });
  });

  it('shows schema and database grants qualified, and not once the object is dropped and re-created', async () => {
    const grantsOf = async (user: string) => ok(await t.admin('{ accounts { users { name grants { object privileges } } } }')).accounts[0].users.find((u: { name: string }) => u.name === user).grants;
    ok(await t.admin('mutation { execute(sql: "create user gina; create schema gs; grant usage on schema gs to gina; create database gdb; grant usage on database gdb to gina") { command } }'));
    expect(await grantsOf('gina')).toEqual([{ object: 'schema dev.gs', privileges: ['USAGE'] }, { object: 'database gdb', privileges: ['USAGE'] }]);
    expect(code(await t.admin('mutation { execute(sql: "grant usage on schema nope to gina") { command } }'))).toBe('UNDEFINED_OBJECT');
    ok(await t.admin('mutation { execute(sql: "drop schema gs; create schema gs; drop database gdb; create database gdb") { command } }'));
    expect(await grantsOf('gina')).toEqual([]);
  });

  it('shows WLM status', async () => {
    const w = ok(await t.admin('{ wlm { slots shortSlots running queued completed } runningQueries { id } }'));
    expect(w.wlm.slots).toBeGreaterThan(0);
    expect(w.wlm.completed).toBeGreaterThan(0);
    expect(w.runningQueries).toEqual([]);
  });
});

describe('subscriptions', () => {
  it('streams model events over SSE to the owning account only', async () => {
    const ac = new AbortController();
    const r = await t.fetcher('http://localhost/graphql', {
      method: 'POST', signal: ac.signal,
      headers: { 'content-type': 'application/json', accept: 'text/event-stream', authorization: `Bearer ${t.api.adminToken}` },
      body: JSON.stringify({ query: 'subscription { modelEvents(name: "m1") { model state kind loss at } }' }),
    });
    expect(r.status).toBe(200);
    const reader = r.body!.getReader();
    const emit = () => {
      t.api.services.db.events.emit('model', { model: 'other', state: 'TRAINING', kind: 'progress', at: 'x', account: 'admin' });
      t.api.services.db.events.emit('model', { model: 'm1', state: 'TRAINING', kind: 'progress', loss: 0.5, at: 'y', account: 'elsewhere' });
      t.api.services.db.events.emit('model', { model: 'm1', state: 'READY', kind: 'ready', loss: 0.25, at: 'z', account: 'admin' });
    };
    let text = '';
    const dec = new TextDecoder();
    setTimeout(emit, 100);
    while (!text.includes('"READY"')) {
      const { value, done } = await reader.read();
      if (done) break;
      text += dec.decode(value);
    }
    ac.abort();
    const events = text.split('\n').filter((l) => l.startsWith('data:')).map((l) => JSON.parse(l.slice(5))).filter((e) => e.data);
    expect(events.map((e) => e.data.modelEvents)).toEqual([{ model: 'm1', state: 'READY', kind: 'ready', loss: 0.25, at: 'z' }]);
  });
});
