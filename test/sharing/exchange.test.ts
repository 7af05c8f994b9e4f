// The data exchange with an injected clock: publish, catalog, subscribe (usage granted), expiry
// at the term, cancel, producer's view of subscribers, and the events each party receives.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { world, rows, failure, type World } from './helpers.ts';

let w: World;

beforeAll(async () => {
  w = await world();
  await w.prod.execute(`
    create table prices (sku int, price int); insert into prices values (1, 100), (2, 200);
    CREATE DATASHARE market MANAGEDBY EXCHANGE;
    ALTER DATASHARE market ADD TABLE prices;
    CREATE PRODUCT daily_prices FROM DATASHARE market TITLE 'Daily prices' DESCRIPTION 'All SKUs, daily' TERM 1 MONTHS PRICE '$99/month';
  `);
}, 30_000);

afterAll(() => w?.close());

const types = (account: string) => w.events.filter((e) => e.accounts.includes(account)).map((e) => e.type);

describe('data exchange', () => {
  it('publishes products in a public catalog', async () => {
    const expected = [['prod', 'daily_prices', 'market', 'Daily prices', 'All SKUs, daily', 1, '$99/month', '2025-01-15 12:00:00']];
    expect(await rows(w.acme, 'SHOW PRODUCTS')).toEqual(expected);
    expect(await rows(w.other, 'SHOW PRODUCTS')).toEqual(expected);
  });

  it('grants on a managed share come from subscriptions only', async () => {
    const f = await failure(w.prod, `GRANT USAGE ON DATASHARE market TO ACCOUNT 'acme'`);
    expect(f.message).toMatch(/managed by the data exchange/);
    expect((await failure(w.acme, `CREATE DATABASE m FROM DATASHARE market OF ACCOUNT 'prod'`)).code).toBe('PERMISSION_DENIED');
  });

  it('subscribing grants usage until the term ends', async () => {
    w.events.length = 0;
    await w.acme.execute(`SUBSCRIBE TO PRODUCT daily_prices OF ACCOUNT 'prod'; CREATE DATABASE m FROM DATASHARE market OF ACCOUNT 'prod'`);
    expect(await rows(w.acme, 'select sum(price) from m.public.prices')).toEqual([[300]]);
    expect(await rows(w.acme, 'SHOW SUBSCRIPTIONS')).toEqual([[1, 'daily_prices', 'prod', 'market', '2025-01-15 12:00:00', '2025-02-15 12:00:00', 'ACTIVE']]);
    expect(await rows(w.prod, 'SHOW SUBSCRIBERS')).toEqual([[1, 'daily_prices', 'acme', '2025-01-15 12:00:00', '2025-02-15 12:00:00', 'ACTIVE']]);
    expect(await rows(w.prod, 'select consumer_account, granted_by, ends_at from svv_datashare_consumers')).toEqual([['acme', 'SUBSCRIPTION', '2025-02-15 12:00:00']]);
    expect((await failure(w.acme, `SUBSCRIBE TO PRODUCT daily_prices OF ACCOUNT 'prod'`)).code).toBe('DUPLICATE_OBJECT');
    expect(types('acme')).toEqual(['SUBSCRIPTION_STARTED', 'ACCESS_GRANTED']);
    expect(types('other')).toEqual([]);
  });

  it('warns before the end and ends access at the term', async () => {
    w.events.length = 0;
    w.clock.advanceDays(25); // Feb 9: six days left
    w.ext.watcher.sweep();
    expect(types('acme')).toEqual(['SUBSCRIPTION_EXPIRING']);
    expect(await rows(w.acme, 'select count(*) from m.public.prices')).toEqual([[2]]);
    w.clock.advanceDays(7); // Feb 16: past the term
    const f = await failure(w.acme, 'select count(*) from m.public.prices');
    expect(f.code).toBe('PERMISSION_DENIED');
    expect(f.message).toMatch(/subscription to product "daily_prices" ended/);
    expect(types('acme')).toEqual(['SUBSCRIPTION_EXPIRING', 'SUBSCRIPTION_ENDED']);
    expect(types('prod')).toEqual(['SUBSCRIPTION_EXPIRING', 'SUBSCRIPTION_ENDED']);
    expect(types('other')).toEqual([]);
    expect((await rows(w.prod, 'SHOW SUBSCRIBERS'))[0][5]).toBe('ENDED');
  });

  it('a new subscription restores access; cancel ends it at once', async () => {
    await w.acme.execute(`SUBSCRIBE TO PRODUCT daily_prices OF ACCOUNT 'prod'`);
    expect(await rows(w.acme, 'select count(*) from m.public.prices')).toEqual([[2]]);
    w.events.length = 0;
    await w.acme.execute(`CANCEL SUBSCRIPTION TO PRODUCT daily_prices OF ACCOUNT 'prod'`);
    expect((await failure(w.acme, 'select count(*) from m.public.prices')).message).toMatch(/was cancelled/);
    expect(types('prod')).toEqual(['SUBSCRIPTION_ENDED', 'ACCESS_REVOKED']);
    expect((await rows(w.acme, 'SHOW SUBSCRIPTIONS')).map((r) => r[6])).toEqual(['ENDED', 'CANCELLED']);
  });

  it('withdrawing a product ends its subscriptions', async () => {
    await w.other.execute(`SUBSCRIBE TO PRODUCT daily_prices OF ACCOUNT 'prod'; CREATE DATABASE p FROM DATASHARE market OF ACCOUNT 'prod'`);
    expect(await rows(w.other, 'select count(*) from p.public.prices')).toEqual([[2]]);
    expect((await failure(w.prod, 'DROP DATASHARE market')).message).toMatch(/DROP PRODUCT daily_prices first/);
    await w.prod.execute('DROP PRODUCT daily_prices');
    expect((await failure(w.other, 'select count(*) from p.public.prices')).code).toBe('PERMISSION_DENIED');
    expect(await rows(w.acme, 'SHOW PRODUCTS')).toEqual([]);
  });
});
