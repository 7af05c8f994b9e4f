// The workload manager: slots, the short-query lane, timeouts, cancel and drain.
import { describe, expect, it } from 'vitest';
import { WorkloadManager } from '../../api/wlm.ts';
import { EventBus, type QueryEvent } from '../../api/events.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const job = (sql: string, extra = {}) => ({ account: 'a', user: 'u', sql, ...extra });

/** A job that runs until released (or its signal aborts, like the engine between steps). */
function gate() {
  let release!: () => void;
  const p = new Promise<void>((r) => { release = r; });
  const run = (signal: AbortSignal) => new Promise<string>((resolve, reject) => {
    signal.addEventListener('abort', () => reject(Object.assign(new Error('canceled'), { name: 'SqlError', code: 'QUERY_CANCELED' })));
    void p.then(() => resolve('done'));
  });
  return { release, run };
}

describe('WorkloadManager', () => {
  it('runs at most `slots` main-queue queries at once', async () => {
    const w = new WorkloadManager({ slots: 2, shortSlots: 0, statementTimeoutMs: 0, accountSlots: 2 });
    const gs = [gate(), gate(), gate()];
    const ps = gs.map((g, i) => w.submit(job(`copy t${i} from 'x'`), g.run));
    await sleep(5);
    expect(w.metrics()).toMatchObject({ running: 2, queued: 1 });
    expect(w.load()).toEqual({ running: 2, queued: 1 }); // what /health reports
    gs[0].release();
    await ps[0];
    await sleep(5);
    expect(w.metrics()).toMatchObject({ running: 2, queued: 0 });
    gs[1].release(); gs[2].release();
    expect(await Promise.all(ps)).toEqual(['done', 'done', 'done']);
    expect(w.metrics().completed).toBe(3);
  });

  it('short queries pass long ones in their own lane', async () => {
    const w = new WorkloadManager({ slots: 1, shortSlots: 1, shortQueryMs: 50, statementTimeoutMs: 0 });
    const long = gate();
    const pl = w.submit(job('copy big from \'f\''), long.run);
    const queuedLong = gate();
    void w.submit(job('copy big2 from \'f\''), queuedLong.run);
    const short = await w.submit(job('select 1'), async () => 'fast');
    expect(short).toBe('fast');
    expect(w.list().map((q) => [q.lane, q.state])).toEqual([['main', 'RUNNING'], ['main', 'QUEUED']]);
    long.release(); queuedLong.release();
    await pl;
  });

  it('learns that a query shape is long and sends it to the main queue', async () => {
    const w = new WorkloadManager({ slots: 1, shortSlots: 1, shortQueryMs: 20, statementTimeoutMs: 0 });
    await w.submit(job('select sum(x) from big where y > 1'), () => sleep(40));
    const g = gate();
    const p = w.submit(job('select sum(x) from big where y > 2'), g.run);
    await sleep(1);
    expect(w.list()[0]).toMatchObject({ lane: 'main', state: 'RUNNING' });
    g.release();
    await p;
  });

  it('moves an overrunning short query out of the short lane', async () => {
    const w = new WorkloadManager({ slots: 1, shortSlots: 1, shortQueryMs: 10, statementTimeoutMs: 0 });
    const g = gate();
    const p = w.submit(job('select * from unknown'), g.run);
    await sleep(30);
    expect(w.list()[0].lane).toBe('main');
    expect(await w.submit(job('select 2'), async () => 2)).toBe(2);
    g.release();
    await p;
  });

  it('one account holds at most its share of each lane; another account passes its queued work', async () => {
    const w = new WorkloadManager({ slots: 2, shortSlots: 2, statementTimeoutMs: 0 });
    expect(w.metrics()).toMatchObject({ accountSlots: 1, accountShortSlots: 1 });
    const heavy = [gate(), gate(), gate()];
    const hs = heavy.map((g, i) => w.submit(job(`copy t${i} from 'x'`, { account: 'abuser' }), g.run));
    const light = [gate(), gate()];
    const ls = light.map((g, i) => w.submit(job(`select ${i}`, { account: 'abuser' }), g.run));
    await sleep(5);
    // one main slot and one short slot; the rest of the abuser's work waits although slots are free
    expect(w.list().filter((q) => q.state === 'RUNNING').map((q) => q.lane).sort()).toEqual(['main', 'short']);
    expect(w.metrics()).toMatchObject({ running: 2, queued: 3 });
    const other = gate();
    const o = w.submit(job('copy mine from \'y\'', { account: 'normal' }), other.run);
    expect(await w.submit(job('select 42', { account: 'normal' }), async () => 42)).toBe(42);
    await sleep(5);
    expect(w.list().filter((q) => q.account === 'normal').map((q) => [q.state, q.lane])).toEqual([['RUNNING', 'main']]);
    // the abuser's next statement starts when one of its own ends
    heavy[0].release();
    await hs[0];
    await sleep(5);
    expect(w.list().filter((q) => q.account === 'abuser' && q.state === 'RUNNING').map((q) => q.sql).sort()).toEqual(["copy t1 from 'x'", 'select 0']);
    for (const g of [...heavy, ...light, other]) g.release();
    await Promise.all([...hs, ...ls, o]);
    expect(w.metrics()).toMatchObject({ running: 0, queued: 0 });
  });

  it('an overrunning short query of an account at its main share stays in its short slot', async () => {
    const w = new WorkloadManager({ slots: 2, shortSlots: 2, shortQueryMs: 10, statementTimeoutMs: 0 });
    const heavy = gate(), overrun = gate(), other = gate();
    const ps = [w.submit(job("copy a from 'x'", { account: 'abuser' }), heavy.run), w.submit(job('select * from big', { account: 'abuser' }), overrun.run)];
    await sleep(30);
    expect(w.list().map((q) => [q.sql, q.lane]).sort()).toEqual([["copy a from 'x'", 'main'], ['select * from big', 'short']]);
    // the other account's heavy statement still finds a main slot
    ps.push(w.submit(job("copy b from 'y'", { account: 'normal' }), other.run));
    await sleep(5);
    expect(w.list().find((q) => q.account === 'normal')).toMatchObject({ state: 'RUNNING', lane: 'main' });
    for (const g of [heavy, overrun, other]) g.release();
    await Promise.all(ps);
  });

  it('a statement stopped by its timeout makes the next one of its shape start in the main queue', async () => {
    const w = new WorkloadManager({ slots: 1, shortSlots: 1, shortQueryMs: 20, statementTimeoutMs: 0 });
    const sql = 'select count(*) from a join b on a.x = b.x';
    await expect(w.submit(job(sql, { timeoutMs: 40 }), gate().run)).rejects.toMatchObject({ reason: 'timeout' });
    const p = w.submit(job(sql, { timeoutMs: 40 }), gate().run);
    const stopped = expect(p).rejects.toMatchObject({ reason: 'timeout' });
    await sleep(1);
    expect(w.list()[0]).toMatchObject({ lane: 'main', state: 'RUNNING' });
    await stopped;
  });

  it('times out queued and running statements', async () => {
    const w = new WorkloadManager({ slots: 1, shortSlots: 0, statementTimeoutMs: 1000 });
    const g = gate();
    const running = w.submit(job('select 1', { timeoutMs: 60 }), g.run);
    const queued = w.submit(job('select 2', { timeoutMs: 20 }), async () => 2);
    const [r, q] = await Promise.allSettled([running, queued]);
    expect(r).toMatchObject({ status: 'rejected', reason: { code: 'QUERY_CANCELED', reason: 'timeout' } });
    expect(q).toMatchObject({ status: 'rejected', reason: { code: 'QUERY_CANCELED', reason: 'timeout' } });
    expect(w.metrics().timedOut).toBe(2);
  });

  it('cancels by id and publishes query events', async () => {
    const bus = new EventBus();
    const seen: QueryEvent['state'][] = [];
    bus.on('query', (e) => seen.push(e.state));
    const w = new WorkloadManager({ slots: 1, shortSlots: 0, statementTimeoutMs: 0 }, bus);
    const g = gate();
    const p = w.submit(job('select 1'), g.run);
    await sleep(1);
    const [q] = w.list();
    expect(w.cancel(q.id)).toBe(true);
    await expect(p).rejects.toMatchObject({ code: 'QUERY_CANCELED', reason: 'user' });
    expect(w.cancel('nope')).toBe(false);
    expect(seen).toEqual(['QUEUED', 'RUNNING', 'CANCELED']);
  });

  it('drains: running work finishes, late work is canceled, new work refused', async () => {
    const w = new WorkloadManager({ slots: 1, shortSlots: 0, statementTimeoutMs: 0 });
    const quick = w.submit(job('select 1'), () => sleep(20).then(() => 'ok'));
    const stuck = gate();
    const slow = w.submit(job('select 2'), stuck.run);
    const drained = w.drain(60);
    await expect(w.submit(job('select 3'), async () => 3)).rejects.toMatchObject({ code: 'QUERY_CANCELED' });
    expect(await quick).toBe('ok');
    await expect(slow).rejects.toMatchObject({ reason: 'shutdown' });
    await drained;
    expect(w.metrics().running).toBe(0);
  });
});

describe('EventBus', () => {
  it('filters, buffers and ends subscriptions', async () => {
    const bus = new EventBus();
    const ac = new AbortController();
    const it = bus.subscribe('share', (e) => e.accounts.includes('acme'), ac.signal);
    bus.publish('share', { type: 'created', datashare: 's', producer: 'p', at: 't', accounts: ['other'] });
    bus.publish('share', { type: 'granted', datashare: 's', producer: 'p', at: 't', accounts: ['acme'] });
    expect((await it.next()).value).toMatchObject({ type: 'granted' });
    ac.abort();
    expect((await it.next()).done).toBe(true);
    expect(bus.size).toBe(0);
  });
});
