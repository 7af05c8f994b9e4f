// End to end over a real HTTP server (api/server.ts): three accounts with their own bearer tokens
// share, consume, publish and subscribe through GraphQL, and each receives exactly the share
// events of the shares it is a party to (SSE subscriptions).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, type RunningServer } from '../../api/server.ts';
import { createToken } from '../../api/tokens.ts';

interface Gql { data?: Record<string, any>; errors?: { message: string; extensions?: { code?: string } }[] }

let server: RunningServer;
let dir: string;
let clock = new Date('2025-03-01T00:00:00Z');
const tokens: Record<string, string> = {};

async function gql(account: string, query: string, variables: Record<string, unknown> = {}): Promise<Gql> {
  const r = await fetch(server.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json', authorization: `Bearer ${tokens[account]}` },
    body: JSON.stringify({ query, variables }),
  });
  return (await r.json()) as Gql;
}

async function data(account: string, query: string, variables: Record<string, unknown> = {}): Promise<Record<string, any>> {
  const r = await gql(account, query, variables);
  if (r.errors?.length) throw new Error(`${account}: ${JSON.stringify(r.errors)}`);
  return r.data!;
}

const sql = (account: string, text: string) => data(account, 'mutation($s: String!) { execute(sql: $s) { rows } }', { s: text }).then((d) => d.execute.rows as unknown[][]);
const select = (account: string, text: string) => data(account, 'query($s: String!) { query(sql: $s) { rows } }', { s: text }).then((d) => d.query.rows as unknown[][]);

/** Collects shareEvents of one account over SSE until stopped. */
function listen(account: string) {
  const ac = new AbortController();
  const events: Record<string, any>[] = [];
  const ready = (async () => {
    const r = await fetch(server.url, {
      method: 'POST', signal: ac.signal,
      headers: { 'content-type': 'application/json', accept: 'text/event-stream', authorization: `Bearer ${tokens[account]}` },
      body: JSON.stringify({ query: 'subscription { shareEvents { type datashare producer consumer version product endsAt objects } }' }),
    });
    return r.body!.getReader();
  })();
  const pump = ready.then(async (reader) => {
    const dec = new TextDecoder();
    let buf = '';
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        buf += dec.decode(value);
        let i;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const chunk = buf.slice(0, i);
          buf = buf.slice(i + 2);
          for (const line of chunk.split('\n')) {
            if (!line.startsWith('data:')) continue;
            const m = JSON.parse(line.slice(5));
            if (m.data?.shareEvents) events.push(m.data.shareEvents);
          }
        }
      }
    } catch { /* aborted */ }
  });
  return { events, ready, stop: async () => { ac.abort(); await pump; } };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'strata-sharing-api-'));
  server = await startServer({ dataDir: dir, port: 0, host: '127.0.0.1', slices: 2 });
  // openApi takes no clock option yet: swap the database's clock so the test can jump ahead
  (server.services.db as { now: () => Date }).now = () => clock;
  tokens.admin = server.adminToken!;
  await sql('admin', 'CREATE ACCOUNT prod; CREATE ACCOUNT acme; CREATE ACCOUNT other');
  for (const a of ['prod', 'acme', 'other']) tokens[a] = (await createToken(server.services.db, { account: a })).token;
}, 30_000);

afterAll(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('sharing over HTTP', () => {
  const listeners: Record<string, ReturnType<typeof listen>> = {};

  it('subscribes each account to share events', async () => {
    for (const a of ['prod', 'acme', 'other']) listeners[a] = listen(a);
    await Promise.all(Object.values(listeners).map((l) => l.ready));
    await new Promise((r) => setTimeout(r, 100));
  });

  it('runs the producer and consumer flow', async () => {
    await sql('prod', `create table sales (id int, amount int); insert into sales values (1, 10), (2, 20);
      CREATE DATASHARE s; ALTER DATASHARE s ADD TABLE sales; GRANT USAGE ON DATASHARE s TO ACCOUNT 'acme'`);
    const d = await data('prod', '{ datashares { name type producer objects { type name } consumers { account via } } }');
    expect(d.datashares).toEqual([{ name: 's', type: 'OUTBOUND', producer: 'prod', objects: [{ type: 'SCHEMA', name: 'public' }, { type: 'TABLE', name: 'public.sales' }], consumers: [{ account: 'acme', via: 'GRANT' }] }]);
    const inbound = await data('acme', '{ datashare(name: "s", producer: "prod") { type objects { name } consumers { account } } }');
    expect(inbound.datashare).toEqual({ type: 'INBOUND', objects: [{ name: 'public' }, { name: 'public.sales' }], consumers: [] });
    expect((await data('other', '{ datashares { name } }')).datashares).toEqual([]);
    await sql('acme', `CREATE DATABASE sh FROM DATASHARE s OF ACCOUNT 'prod'`);
    expect(await select('acme', 'select sum(amount) from sh.public.sales')).toEqual([[30]]);
    await sql('prod', 'insert into sales values (3, 30)');
    expect(await select('acme', 'select sum(amount) from sh.public.sales')).toEqual([[60]]);
    const w = await gql('acme', 'mutation { execute(sql: "delete from sh.public.sales") { rowCount } }');
    expect(w.errors?.[0].extensions?.code).toBe('READ_ONLY');
    const usage = await select('prod', 'select consumer_account, rows_scanned from svl_datashare_usage_producer order by request_id');
    expect(usage).toEqual([['acme', 2], ['acme', 3]]);
  });

  it('revokes mid-session with PERMISSION_DENIED', async () => {
    await sql('prod', `REVOKE USAGE ON DATASHARE s FROM ACCOUNT 'acme'`);
    const r = await gql('acme', 'query { query(sql: "select * from sh.public.sales") { rows } }');
    expect(r.errors?.[0].extensions?.code).toBe('PERMISSION_DENIED');
  });

  it('publishes, subscribes, expires and cancels through GraphQL', async () => {
    await sql('prod', `CREATE DATASHARE feed MANAGEDBY EXCHANGE; ALTER DATASHARE feed ADD TABLE sales`);
    const p = await data('prod', 'mutation { publishProduct(name: "sales_feed", datashare: "feed", title: "Sales", description: "daily", termMonths: 2, price: "$5") { producer name termMonths price } }');
    expect(p.publishProduct).toEqual({ producer: 'prod', name: 'sales_feed', termMonths: 2, price: '$5' });
    expect((await data('other', '{ products { name title producer } }')).products).toEqual([{ name: 'sales_feed', title: 'Sales', producer: 'prod' }]);
    const sub = await data('other', 'mutation { subscribe(product: "sales_feed", producer: "prod") { product status startedAt endsAt } }');
    expect(sub.subscribe).toEqual({ product: 'sales_feed', status: 'ACTIVE', startedAt: '2025-03-01 00:00:00', endsAt: '2025-05-01 00:00:00' });
    await sql('other', `CREATE DATABASE f FROM DATASHARE feed OF ACCOUNT 'prod'`);
    expect(await select('other', 'select count(*) from f.public.sales')).toEqual([[3]]);
    expect((await data('prod', '{ subscribers { consumer status } }')).subscribers).toEqual([{ consumer: 'other', status: 'ACTIVE' }]);
    clock = new Date('2025-04-27T00:00:00Z'); // four days left: SUBSCRIPTION_EXPIRING
    expect(await select('other', 'select count(*) from f.public.sales')).toEqual([[3]]);
    clock = new Date('2025-05-02T00:00:00Z');
    const denied = await gql('other', 'query { query(sql: "select count(*) from f.public.sales") { rows } }');
    expect(denied.errors?.[0].extensions?.code).toBe('PERMISSION_DENIED');
    expect((await data('other', '{ subscriptions { status } }')).subscriptions).toEqual([{ status: 'ENDED' }]);
    await data('other', 'mutation { subscribe(product: "sales_feed", producer: "prod") { status } }');
    const c = await data('other', 'mutation { cancelSubscription(product: "sales_feed", producer: "prod") { status } }');
    expect(c.cancelSubscription).toEqual({ status: 'CANCELLED' });
  });

  it('delivered each account only the events of its shares', async () => {
    await new Promise((r) => setTimeout(r, 300));
    for (const l of Object.values(listeners)) await l.stop();
    const seen = (a: string) => listeners[a].events.map((e) => `${e.type}:${e.datashare}${e.consumer ? `:${e.consumer}` : ''}`);
    const prod = seen('prod'), acme = seen('acme'), other = seen('other');
    expect(prod).toEqual(expect.arrayContaining(['ACCESS_GRANTED:s:acme', 'SHARE_UPDATED:s', 'ACCESS_REVOKED:s:acme', 'SUBSCRIPTION_STARTED:feed:other', 'SUBSCRIPTION_ENDED:feed:other']));
    expect(acme).toEqual(['ACCESS_GRANTED:s:acme', 'SHARE_UPDATED:s', 'ACCESS_REVOKED:s:acme']);
    expect(other.every((e) => e.includes(':feed'))).toBe(true);
    expect(other).toEqual(expect.arrayContaining(['SUBSCRIPTION_STARTED:feed:other', 'ACCESS_GRANTED:feed:other', 'SUBSCRIPTION_EXPIRING:feed:other', 'SUBSCRIPTION_ENDED:feed:other', 'ACCESS_REVOKED:feed:other']));
    const update = listeners.acme.events.find((e) => e.type === 'SHARE_UPDATED')!;
    expect(update.version).toBeGreaterThan(0);
    expect(update.objects).toEqual(['public.sales']);
  });
});
