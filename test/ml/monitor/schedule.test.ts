// Scheduled monitor runs: a server (startBackground) runs a monitor an interval after its last
// run, as its owner, one at a time; the schedule lives in the catalog, so it resumes after a
// restart; SET SCHEDULE OFF stops it. A one-shot process (no startBackground) runs nothing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MlExtension } from '../../../ml/extension.ts';
import type { MonitorEventPayload } from '../../../ml/monitor/service.ts';
import { type TestDb, makePoints, openDb } from '../sql/helpers.ts';

let t: TestDb;
const min = process.env.STRATA_MONITOR_MIN_INTERVAL_SECONDS;
beforeAll(async () => {
  process.env.STRATA_MONITOR_MIN_INTERVAL_SECONDS = '1';
  t = await openDb({ slices: 1 });
  await makePoints(t, 'pts', 200);
  await t.s.execute(`SET ml_wait_for_training TO on;
    CREATE MODEL m FROM (SELECT x1, x2, label FROM pts) TARGET label FUNCTION f MODEL_TYPE XGBOOST AUTO OFF`);
}, 120_000);
afterAll(async () => {
  if (min === undefined) delete process.env.STRATA_MONITOR_MIN_INTERVAL_SECONDS;
  else process.env.STRATA_MONITOR_MIN_INTERVAL_SECONDS = min;
  await t.close();
});

const ml = (x: TestDb) => x.db.extensions.find((e) => e.name === 'ml') as MlExtension;
const runsOf = async (x: TestDb) => x.rows("SELECT run, trigger, run_by, state, started_at, finished_at FROM stv_ml_monitor_runs WHERE monitor_name = 'tick' AND column_name = '(overall)' ORDER BY run");

/** Resolves with the first `n` monitor events of `kind`. */
function events(x: TestDb, kind: string, n: number, timeoutMs = 30_000): Promise<MonitorEventPayload[]> {
  const seen: MonitorEventPayload[] = [];
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { x.db.events.off('monitor', on); reject(new Error(`saw ${seen.length} of ${n} ${kind} events`)); }, timeoutMs);
    const on = (e: MonitorEventPayload) => {
      if (e.kind !== kind) return;
      seen.push(e);
      if (seen.length === n) { clearTimeout(timer); x.db.events.off('monitor', on); resolve(seen); }
    };
    x.db.events.on('monitor', on);
  });
}

describe('monitor schedules', () => {
  it('runs on schedule in a server, one run at a time, and stops when the schedule is off', async () => {
    await t.s.execute(`CREATE USER ann PASSWORD 'Secret123'; GRANT SELECT ON pts TO ann; GRANT EXECUTE ON MODEL m TO ann`);
    const ann = t.db.connect({ user: 'ann' });
    await ann.execute('CREATE MONITOR tick ON MODEL m USING (SELECT x1, x2 FROM pts) SCHEDULE EVERY 1 SECOND');
    // without startBackground nothing runs
    await new Promise((r) => setTimeout(r, 1500));
    expect(await runsOf(t)).toEqual([]);
    const two = events(t, 'run_finished', 2);
    ml(t).startBackground!({});
    const got = await two;
    expect(got.map((e) => [e.monitor, e.state, e.owner, e.account])).toEqual([['tick', 'OK', 'ann', 'admin'], ['tick', 'OK', 'ann', 'admin']]);
    await ann.execute('ALTER MONITOR tick SET SCHEDULE OFF');
    await ml(t).monitors.idle(); // a run already under way finishes; one queued does not start
    const runs = await runsOf(t);
    expect(runs.length).toBeGreaterThanOrEqual(2);
    for (const r of runs) expect(r.slice(1, 4)).toEqual(['schedule', 'ann', 'OK']);
    // never overlapping: each run starts after the previous one finished, about an interval later
    for (let i = 1; i < runs.length; i++) expect(String(runs[i][4]) >= String(runs[i - 1][5])).toBe(true);
    await new Promise((r) => setTimeout(r, 1500));
    expect((await runsOf(t)).length).toBe(runs.length);
  }, 60_000);

  it('a schedule survives a restart: an overdue monitor runs once the server is back', async () => {
    await t.s.execute('ALTER MONITOR tick SET SCHEDULE EVERY 1 SECOND');
    const before = (await runsOf(t)).length;
    const dir = t.dir;
    await t.close(false);
    await new Promise((r) => setTimeout(r, 1200));
    t = await openDb({ dir, slices: 1 });
    const next = events(t, 'run_finished', 1);
    ml(t).startBackground!({});
    expect((await next)[0]).toMatchObject({ monitor: 'tick', state: 'OK' });
    await t.s.execute('ALTER MONITOR tick SET SCHEDULE OFF');
    const runs = await runsOf(t);
    expect(runs.length).toBeGreaterThan(before);
    expect(runs.at(-1)!.slice(1, 4)).toEqual(['schedule', 'ann', 'OK']);
  }, 60_000);

  it("a scheduled run whose owner lost SELECT fails cleanly and says so in an event", async () => {
    await t.s.execute('REVOKE SELECT ON pts FROM ann');
    const changed = events(t, 'state_changed', 1);
    await t.s.execute('ALTER MONITOR tick SET SCHEDULE EVERY 1 SECOND');
    const [e] = await changed;
    await t.s.execute('ALTER MONITOR tick SET SCHEDULE OFF');
    expect(e).toMatchObject({ monitor: 'tick', kind: 'state_changed', state: 'FAILED', previousState: 'OK', message: expect.stringMatching(/permission denied.*pts/) });
  }, 60_000);
});
