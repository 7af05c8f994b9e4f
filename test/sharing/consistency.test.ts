// Transactional consistency through a share: the producer keeps moving value between rows of two
// shared tables (the total never changes) while consumers run multi-statement transactions and
// joins; plus GC safety for a consumer's pinned snapshot and revocation inside a transaction.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { utimesSync } from 'node:fs';
import { join } from 'node:path';
import { world, rows, failure, dirFiles, type World } from './helpers.ts';
import { underLoad } from '../support/deadline.ts';

let w: World;
const TOTAL = 2 * 20 * 1000;

beforeAll(async () => {
  w = await world();
  const vals = Array.from({ length: 20 }, (_, i) => `(${i}, 1000)`).join(',');
  await w.prod.execute(`
    create table checking (id int, bal bigint); insert into checking values ${vals};
    create table savings (id int, bal bigint); insert into savings values ${vals};
    CREATE DATASHARE bank; ALTER DATASHARE bank ADD TABLE checking, savings;
    GRANT USAGE ON DATASHARE bank TO ACCOUNT 'acme'; GRANT USAGE ON DATASHARE bank TO ACCOUNT 'other';
  `);
  await w.acme.execute(`CREATE DATABASE bank FROM DATASHARE bank OF ACCOUNT 'prod'`);
  await w.other.execute(`CREATE DATABASE b2 FROM DATASHARE bank OF ACCOUNT 'prod'`);
}, 30_000);

afterAll(() => w?.close());

const num = (v: unknown) => Number(v);

describe('consistency', () => {
  it('consumers always see the sum invariant while the producer moves value', async () => {
    // everyone loops until each has done enough (not for a fixed time), so a busy machine only
    // makes this slower: at least 12 producer moves, 8 transactions per consumer account, 8 joins,
    // and readers that saw more than one producer state (the test really raced). A reader starts
    // its next check once the producer has moved again, so cheap reads do not starve the producer.
    let stop = false;
    let moves = 0;
    let moved!: () => void;
    let nextMove = new Promise<void>((r) => { moved = r; });
    const afterNextMove = () => (stop ? undefined : nextMove);
    const checks = { txn: { acme: 0, other: 0 }, join: 0, versions: new Set<number>() };
    const enough = () => moves >= 12 && checks.txn.acme >= 8 && checks.txn.other >= 8 && checks.join >= 8 && checks.versions.size > 1;
    const loop = async (step: () => Promise<void>) => {
      while (!stop) {
        await step();
        if (enough()) { stop = true; moved(); }
      }
    };
    const p = w.db.connect({ account: 'prod' });
    const producer = loop(async () => {
      const i = moves;
      const k = (i % 7) + 1, from = i % 20, to = (i * 7 + 3) % 20;
      await p.execute(`BEGIN; update checking set bal = bal - ${k} where id = ${from}; update savings set bal = bal + ${k} where id = ${to}; COMMIT`);
      moves++;
      const wake = moved;
      nextMove = new Promise<void>((r) => { moved = r; });
      wake();
    });
    const txnReader = (account: 'acme' | 'other', db: string) => {
      const c = w.db.connect({ account });
      return loop(async () => {
        await c.execute('BEGIN');
        const a = num((await rows(c, `select sum(bal) from ${db}.public.checking`))[0][0]);
        await new Promise((r) => setTimeout(r, 5)); // let producer commits land mid-transaction
        const b = num((await rows(c, `select sum(bal) from ${db}.public.savings`))[0][0]);
        const again = num((await rows(c, `select sum(bal) from ${db}.public.checking`))[0][0]);
        await c.execute('COMMIT');
        expect(a + b).toBe(TOTAL);
        expect(again).toBe(a);
        checks.txn[account]++;
        checks.versions.add(a);
        await afterNextMove();
      });
    };
    const joinReader = () => {
      const c = w.db.connect({ account: 'acme' });
      return loop(async () => {
        const r = await rows(c, `select sum(x.bal) + sum(y.bal) from bank.public.checking x join bank.public.savings y on x.id = y.id`);
        expect(num(r[0][0])).toBe(TOTAL);
        checks.join++;
        await afterNextMove();
      });
    };
    try {
      await Promise.all([producer, txnReader('acme', 'bank'), txnReader('other', 'b2'), joinReader()]);
    } finally {
      stop = true; // a failed check ends the other loops too
      moved();
    }
    expect(enough()).toBe(true);
  }, underLoad(30_000));

  it('a new consumer transaction sees the latest producer commit', async () => {
    await w.prod.execute('update checking set bal = bal + 0 where id = 0; insert into savings values (99, 0)');
    expect(await rows(w.acme, 'select count(*) from bank.public.savings')).toEqual([[21]]);
    await w.prod.execute('delete from savings where id = 99');
  });

  it('GC never frees segments a consumer transaction still reads', async () => {
    const c = w.db.connect({ account: 'acme' });
    await c.execute('BEGIN');
    const before = await rows(c, 'select id, bal from bank.public.checking order by id');
    const pinnedFiles = w.db.catalog.accounts.prod.databases.dev.schemas.public.tables.checking.segments.map((s) => s.file);
    // the producer rewrites the table many times; old segments become garbage
    for (let i = 0; i < 5; i++) await w.prod.execute(`update checking set bal = bal + 1 where id >= 0; update checking set bal = bal - 1 where id >= 0`);
    const segDir = join(w.dir, 'segments');
    const old = new Date(Date.now() - 3600_000);
    for (const f of dirFiles(segDir)) utimesSync(join(segDir, f), old, old);
    const removed = await w.db.collectGarbage();
    expect(removed.length).toBeGreaterThan(0);
    const onDisk = new Set(dirFiles(segDir));
    for (const f of pinnedFiles) expect(onDisk.has(f), f).toBe(true);
    // the consumer's pinned snapshot still reads its segments
    expect(await rows(c, 'select id, bal from bank.public.checking order by id')).toEqual(before);
    await c.execute('COMMIT');
    // once the transaction ends its snapshot is no longer protected
    for (const f of dirFiles(segDir)) utimesSync(join(segDir, f), old, old);
    await w.db.collectGarbage();
    const after = new Set(dirFiles(segDir));
    expect(pinnedFiles.some((f) => !after.has(f))).toBe(true);
    expect(await rows(c, 'select sum(bal) from bank.public.checking')).toEqual(await rows(w.prod, 'select sum(bal) from checking'));
  });

  it('revocation takes effect at the next statement of an open transaction', async () => {
    const c = w.db.connect({ account: 'other' });
    await c.execute('BEGIN');
    expect((await rows(c, 'select count(*) from b2.public.checking'))[0][0]).toBe(20);
    await w.prod.execute(`REVOKE USAGE ON DATASHARE bank FROM ACCOUNT 'other'`);
    const f = await failure(c, 'select count(*) from b2.public.checking');
    expect(f.code).toBe('PERMISSION_DENIED');
    await c.execute('ROLLBACK');
    // the other consumer is unaffected
    expect(await rows(w.acme, 'select count(*) from bank.public.checking')).toEqual([[20]]);
  });
});
