// Drift monitors over GraphQL (in-process server): createMonitor / alterMonitor / runMonitor /
// dropMonitor run the SQL as the caller, `monitors` and `monitor(name)` show runs, the server runs
// schedules (openApi starts them) and `monitorEvents` streams them; other users see nothing, and
// createMonitor's query cannot smuggle a second statement.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { code, inProcess, ok, subscribeEvents } from '../../api/helpers.ts';

let t: Awaited<ReturnType<typeof inProcess>>;
const min = process.env.STRATA_MONITOR_MIN_INTERVAL_SECONDS;
beforeAll(async () => {
  process.env.STRATA_MONITOR_MIN_INTERVAL_SECONDS = '1';
  t = await inProcess();
  const rows = Array.from({ length: 200 }, (_, i) => `(${(i % 20) / 4}, ${(i * 7) % 13}, ${(i % 20) / 4 + ((i * 7) % 13) / 3 > 4 ? 1 : 0})`).join(', ');
  ok(await t.admin('mutation($s: String!) { executeScript(sql: $s) { command } }', {
    s: `CREATE TABLE g (a REAL, b REAL, y INTEGER); INSERT INTO g VALUES ${rows};
        CREATE MODEL gm FROM g TARGET y FUNCTION gm_fn AUTO OFF MODEL_TYPE XGBOOST;
        CREATE USER bob PASSWORD 'Secret123'; GRANT SELECT ON g TO bob; GRANT EXECUTE ON MODEL gm TO bob`,
  }));
  for (let i = 0; i < 600 && ok(await t.admin('{ model(name: "gm") { state } }')).model.state === 'TRAINING'; i++) await new Promise((r) => setTimeout(r, 100));
}, 120_000);
afterAll(async () => {
  if (min === undefined) delete process.env.STRATA_MONITOR_MIN_INTERVAL_SECONDS;
  else process.env.STRATA_MONITOR_MIN_INTERVAL_SECONDS = min;
  await t.close();
});

const subscribe = (token: string, query: string, stop: (e: any) => boolean, started: () => Promise<void>, ms?: number) =>
  subscribeEvents(t.fetcher, token, query, stop, started, ms);

const RUN = 'run trigger by state error modelVersion rows retrain columns { column kind rows psi ks ksPValue state }';

describe('monitors over GraphQL', () => {
  it('createMonitor, runMonitor with monitorEvents, monitors and monitor(name)', async () => {
    const created = ok(await t.admin(`mutation { createMonitor(name: "gmon", model: "gm", query: "SELECT a + 3 AS a, b FROM g", thresholds: { psi: 0.3, share: 0.4 }) {
      name database schema owner model query scheduleSeconds nextRunAt thresholds { psi ksPValue ksStatistic share } state runs { run } } }`)).createMonitor;
    expect(created).toEqual({
      name: 'gmon', database: 'dev', schema: 'public', owner: 'admin', model: 'dev.public.gm', query: 'SELECT a + 3 AS a, b FROM g',
      scheduleSeconds: null, nextRunAt: null, thresholds: { psi: 0.3, ksPValue: 0.05, ksStatistic: 0.1, share: 0.4 }, state: null, runs: [],
    });
    let run: any;
    const events = await subscribe(t.api.adminToken!, 'subscription { monitorEvents(name: "gmon") { monitor model kind state previousState run message at } }',
      (e) => e.monitorEvents.kind === 'state_changed',
      async () => {
        await new Promise((r) => setTimeout(r, 100));
        run = ok(await t.admin(`mutation { runMonitor(name: "gmon") { ${RUN} } }`)).runMonitor;
      });
    expect(events.map((e) => [e.monitorEvents.kind, e.monitorEvents.state])).toEqual([['run_finished', 'DRIFTED'], ['state_changed', 'DRIFTED']]);
    expect(events[0].monitorEvents).toMatchObject({ monitor: 'gmon', model: 'gm', run: 1, previousState: null, message: expect.stringMatching(/^DRIFTED on 200 rows; drifted: a/) });
    expect(run).toMatchObject({ run: 1, trigger: 'manual', by: 'admin', state: 'DRIFTED', error: null, modelVersion: 1, rows: 200, retrain: null });
    expect(run.columns.map((c: any) => [c.column, c.kind, c.state])).toEqual([['a', 'number', 'DRIFTED'], ['b', 'number', 'OK'], ['(prediction)', 'text', expect.any(String)]]);
    expect(run.columns[0].psi).toBeGreaterThan(0.3);

    const d = ok(await t.admin(`{ monitors { name state } monitor(name: "gmon") { state runs(limit: 1) { ${RUN} } } }`));
    expect(d.monitors).toEqual([{ name: 'gmon', state: 'DRIFTED' }]);
    expect(d.monitor.runs).toEqual([run]);
    expect(ok(await t.admin('{ monitor(name: "nope") { name } }')).monitor).toBeNull();
  }, 60_000);

  it('the server runs schedules: alterMonitor sets one and its runs stream as events', async () => {
    const events = await subscribe(t.api.adminToken!, 'subscription { monitorEvents(name: "gmon") { kind state run } }',
      (e) => e.monitorEvents.kind === 'run_finished',
      async () => {
        const m = ok(await t.admin('mutation { alterMonitor(name: "gmon", scheduleSeconds: 1, thresholds: { psi: 0.25 }) { scheduleSeconds nextRunAt thresholds { psi share } } }')).alterMonitor;
        expect(m).toMatchObject({ scheduleSeconds: 1, thresholds: { psi: 0.25, share: 0.4 } });
        expect(typeof m.nextRunAt).toBe('string');
      });
    expect(events.at(-1).monitorEvents).toMatchObject({ kind: 'run_finished', state: 'DRIFTED' });
    ok(await t.admin('mutation { alterMonitor(name: "gmon", scheduleSeconds: 0) { scheduleSeconds } }'));
    const runs = ok(await t.admin('{ monitor(name: "gmon") { scheduleSeconds runs { run trigger by } } }')).monitor;
    expect(runs.scheduleSeconds).toBeNull();
    expect(runs.runs.some((r: any) => r.trigger === 'schedule' && r.by === 'admin')).toBe(true);
  }, 60_000);

  it('other users see nothing of it; a query cannot carry a second statement', async () => {
    const bobToken = ok(await t.admin('mutation { createToken(user: "bob") { token } }')).createToken.token;
    const bob = t.as(bobToken);
    expect(ok(await bob('{ monitors { name } monitor(name: "gmon") { name } }'))).toEqual({ monitors: [], monitor: null });
    expect(code(await bob('mutation { runMonitor(name: "gmon") { run } }'))).toBe('UNDEFINED_OBJECT');
    expect(code(await bob('mutation { dropMonitor(name: "gmon") }'))).toBe('UNDEFINED_OBJECT');
    // bob's subscription gets none of admin's events
    const seen = await subscribe(bobToken, 'subscription { monitorEvents { monitor kind } }', () => false,
      async () => { ok(await t.admin('mutation { runMonitor(name: "gmon") { run } }')); }, 1500);
    expect(seen).toEqual([]);

    expect(code(await t.admin('mutation { createMonitor(name: "evil", model: "gm", query: "SELECT a, b FROM g); DROP TABLE g; --") { name } }'))).toBe('SYNTAX_ERROR');
    expect(ok(await t.admin('{ query(sql: "SELECT count(*) FROM g") { rows } }')).query.rows).toEqual([[200]]);
    expect(ok(await t.admin('mutation { dropMonitor(name: "gmon") }')).dropMonitor).toBe(true);
    expect(ok(await t.admin('{ monitors { name } }')).monitors).toEqual([]);
  }, 60_000);
});
