// Drift monitors from SQL: the training profile kept with a version, CREATE / RUN / SHOW / ALTER /
// DROP MONITOR, stv_ml_monitor_runs, OK and DRIFTED verdicts on data with and without a shift,
// the statistics equal to those computed from the profile and the new rows directly, and who may
// see and run a monitor (its query runs with its owner's privileges).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_THRESHOLDS, compareColumn } from '../../../ml/drift/compare.ts';
import type { ModelProfile } from '../../../ml/drift/profile.ts';
import { T } from '../../../engine/types/types.ts';
import { type TestDb, makePoints, openDb } from '../sql/helpers.ts';

let t: TestDb;
beforeAll(async () => {
  t = await openDb({ slices: 2 });
  await makePoints(t, 'pts', 400);
  await t.s.execute(`SET ml_wait_for_training TO on;
    CREATE MODEL m FROM (SELECT x1, x2, cat, label FROM pts) TARGET label FUNCTION f MODEL_TYPE XGBOOST AUTO OFF`);
}, 120_000);
afterAll(async () => { await t.close(); });

const runs = async (mon: string) => t.rows(`SELECT run, column_name, state, psi, ks_statistic, ks_pvalue, error, trigger FROM stv_ml_monitor_runs WHERE monitor_name = '${mon}' ORDER BY run, column_name`);
const show = async (mon: string) => Object.fromEntries((await t.rows(`SHOW MONITOR ${mon}`)) as [string, string][]);

function profileOf(): ModelProfile {
  const v = (t.db.catalog.accounts.admin.databases.dev.schemas.public.models as Record<string, { profileFile?: string }>).m;
  expect(v.profileFile).toMatch(/\.profile\.json$/);
  return JSON.parse(readFileSync(join(t.dir, 'models', v.profileFile!), 'utf8')) as ModelProfile;
}

describe('drift monitors', () => {
  it('keeps a training profile with each trained version: every argument and the predictions', () => {
    const p = profileOf();
    expect(Object.keys(p.features)).toEqual(['x1', 'x2', 'cat']);
    expect(p.features.x1).toMatchObject({ kind: 'number', rows: 400, nulls: 0 });
    expect(p.features.cat).toMatchObject({ kind: 'text', rows: 400, nulls: 0 });
    if (p.features.x1.kind !== 'number' || p.prediction.kind !== 'text') throw new Error('unexpected profile kinds');
    expect(p.features.x1.counts.reduce((a, b) => a + b, 0)).toBe(400);
    expect(p.features.x1.sample).toHaveLength(400);
    // a classifier's predictions are categories: its labels 0 and 1
    expect(p.prediction.categories.map((c) => c.value).sort()).toEqual(['0', '1']);
  });

  it('RUN MONITOR on rows like the training ones is OK; on shifted rows it is DRIFTED', async () => {
    await t.s.execute('CREATE MONITOR same ON MODEL m USING (SELECT x1, x2, cat FROM pts WHERE id % 2 = 0)');
    const ok = await t.rows('RUN MONITOR same');
    expect(ok.map((r) => [r[1], r[7]])).toEqual([['x1', 'OK'], ['x2', 'OK'], ['cat', 'OK'], ['(prediction)', 'OK'], ['(overall)', 'OK']]);

    await t.s.execute('CREATE MONITOR shifted ON MODEL m USING (SELECT x1 + 1.5 AS x1, x2, cat, label FROM pts)');
    const drifted = await t.rows('RUN MONITOR shifted');
    const byColumn = Object.fromEntries(drifted.map((r) => [r[1], r]));
    expect(byColumn.x1[7]).toBe('DRIFTED');
    expect(byColumn.x2[7]).toBe('OK');
    expect(byColumn['(prediction)'][7]).toBe('DRIFTED');
    expect(byColumn['(overall)'][7]).toBe('DRIFTED');

    // the numbers are PSI/KS of the new rows against the stored profile (those agree with scipy: test/ml/drift)
    const x1 = (await t.s.execute('SELECT x1 + 1.5 AS x1 FROM pts'))[0];
    const values = Float64Array.from(x1.rows.map((r) => Number(r[0])));
    const direct = compareColumn('x1', profileOf().features.x1, { type: T.double, length: values.length, values, valid: null }, DEFAULT_THRESHOLDS);
    expect(Number(byColumn.x1[4])).toBeCloseTo(direct.psi, 9);
    expect(Number(byColumn.x1[5])).toBeCloseTo(direct.ks!, 9);
    expect(Number(byColumn.x1[6])).toBeCloseTo(direct.ksPValue!, 12);
  });

  it('SHOW MONITOR, SHOW MONITORS and stv_ml_monitor_runs report the runs', async () => {
    const s = await show('shifted');
    expect(s).toMatchObject({ 'Monitor Name': 'shifted', Owner: 'admin', Model: 'dev.public.m', State: 'DRIFTED', 'Model Version': '1', Rows: '400', Schedule: 'none (RUN MONITOR only)' });
    expect(s['Drift: x1']).toMatch(/^DRIFTED: PSI [\d.]+, KS [\d.]+ \(p .+\)$/);
    expect(s['Thresholds']).toBe('PSI 0.2, KS_PVALUE 0.05, KS_STATISTIC 0.1, SHARE 0.5');
    const all = await t.rows('SHOW MONITORS');
    expect(all.map((r) => [r[0], r[3], r[5]])).toEqual([['same', 'public.m', 'OK'], ['shifted', 'public.m', 'DRIFTED']]);
    const r = await runs('shifted');
    expect(r.map((x) => [x[0], x[1], x[2], x[7]])).toEqual([
      [1, '(overall)', 'DRIFTED', 'manual'], [1, '(prediction)', 'DRIFTED', 'manual'], [1, 'cat', 'OK', 'manual'], [1, 'x1', 'DRIFTED', 'manual'], [1, 'x2', 'OK', 'manual'],
    ]);
    expect(await t.rows("SELECT count(*) FROM stv_ml_monitor_runs WHERE state = 'DRIFTED' AND column_name <> '(overall)'")).toEqual([[2]]);
  });

  it('ALTER MONITOR changes thresholds and schedule; DROP MONITOR removes it', async () => {
    await t.s.execute('ALTER MONITOR shifted SET THRESHOLD (PSI 1000, KS_PVALUE 0)');
    const rows = await t.rows('RUN MONITOR shifted');
    expect(rows.at(-1)).toEqual([2, '(overall)', null, 400, null, null, null, 'OK']);
    expect((await show('shifted')).Thresholds).toBe('PSI 1000, KS_PVALUE 0, KS_STATISTIC 0.1, SHARE 0.5');
    await t.s.execute('ALTER MONITOR shifted SET SCHEDULE EVERY 2 HOURS');
    const s = await show('shifted');
    expect(s.Schedule).toBe('every 7200 seconds');
    // due an interval after the last run
    expect(Date.parse(s['Next Run']) - Date.parse((await t.rows("SELECT max(started_at) FROM stv_ml_monitor_runs WHERE monitor_name = 'shifted'"))[0][0] as string + 'Z')).toBe(7_200_000);
    await t.s.execute('ALTER MONITOR shifted SET SCHEDULE OFF');
    expect((await show('shifted')).Schedule).toBe('none (RUN MONITOR only)');
    await t.s.execute('DROP MONITOR shifted');
    expect(await t.error('SHOW MONITOR shifted')).toEqual({ code: 'UNDEFINED_OBJECT', message: 'monitor "shifted" does not exist at line 1, column 1' });
    expect(await runs('shifted')).toEqual([]);
    await t.s.execute('DROP MONITOR IF EXISTS shifted');
  });

  it('rejects bad definitions with clear errors', async () => {
    const cases: [string, string, RegExp][] = [
      ['CREATE MONITOR same ON MODEL m USING (SELECT x1, x2, cat FROM pts)', 'DUPLICATE_OBJECT', /monitor "same" already exists/],
      ['CREATE MONITOR b ON MODEL nope USING (SELECT x1 FROM pts)', 'UNDEFINED_OBJECT', /model "nope" does not exist/],
      ['CREATE MONITOR b ON MODEL m USING (SELECT x1, x2 FROM pts)', 'UNDEFINED_COLUMN', /has no column "cat" \(the model's arguments are x1, x2, cat/],
      ['CREATE MONITOR b ON MODEL m USING (SELECT x1, x2, label AS cat FROM pts)', 'DATATYPE_MISMATCH', /column "cat" is INTEGER, but the model takes VARCHAR/],
      ['CREATE MONITOR b ON MODEL m USING (SELECT x1, x2, cat FROM nosuch)', 'UNDEFINED_TABLE', /nosuch/],
      ['CREATE MONITOR b ON MODEL m USING (SELECT x1, x2, cat FROM pts) THRESHOLD (PSI -1)', 'INVALID_PARAMETER', /THRESHOLD PSI must be a number >= 0, got -1/],
      ['CREATE MONITOR b ON MODEL m USING (SELECT x1, x2, cat FROM pts) THRESHOLD (SHARE 2)', 'INVALID_PARAMETER', /SHARE must be a number between 0 and 1/],
      ['CREATE MONITOR b ON MODEL m USING (SELECT x1, x2, cat FROM pts) THRESHOLD (BOGUS 1)', 'INVALID_PARAMETER', /unknown THRESHOLD option BOGUS/],
      ['CREATE MONITOR b ON MODEL m USING (SELECT x1, x2, cat FROM pts) SCHEDULE EVERY 5 SECONDS', 'INVALID_PARAMETER', /at least 60 seconds, got 5/],
      ["CREATE MONITOR b ON MODEL m USING (SELECT x1, x2, cat FROM pts) SCHEDULE EVERY 'soon'", 'SYNTAX_ERROR', /invalid schedule interval 'soon'/],
      ['CREATE MONITOR b ON MODEL m USING (SELECT x1, x2, cat FROM pts) SCHEDULE EVERY 0 MINUTES', 'SYNTAX_ERROR', /must be positive/],
      ['RUN MONITOR nope', 'UNDEFINED_OBJECT', /monitor "nope" does not exist/],
      ['ALTER MONITOR nope SET SCHEDULE OFF', 'UNDEFINED_OBJECT', /monitor "nope" does not exist/],
      ['DROP MONITOR nope', 'UNDEFINED_OBJECT', /monitor "nope" does not exist/],
    ];
    for (const [sql, code, message] of cases) expect({ sql, ...(await t.error(sql)) }).toEqual({ sql, code, message: expect.stringMatching(message) });
  });

  it('a failing run is recorded FAILED with the reason, and RUN MONITOR reports it', async () => {
    await t.s.execute('CREATE TABLE fresh (x1 REAL, x2 REAL, cat VARCHAR(5)); INSERT INTO fresh VALUES (1, 2, \'a\')');
    await t.s.execute('CREATE MONITOR onfresh ON MODEL m USING (SELECT x1, x2, cat FROM fresh)');
    await t.s.execute('DROP TABLE fresh');
    expect(await t.error('RUN MONITOR onfresh')).toMatchObject({ code: 'UNDEFINED_TABLE', message: expect.stringMatching(/^monitor "onfresh" run 1 failed: .*fresh/) });
    const r = await runs('onfresh');
    expect(r).toHaveLength(1);
    expect(r[0].slice(1, 3)).toEqual(['(overall)', 'FAILED']);
    expect(r[0][6]).toMatch(/fresh/);
    expect((await show('onfresh')).State).toBe('FAILED');
  });
});

describe('versions without a training profile', () => {
  it('a version made before profiles gets one from its training query at its first run', async () => {
    await t.s.execute('CREATE MODEL old FROM (SELECT x1, x2, cat, label FROM pts) TARGET label FUNCTION old_fn MODEL_TYPE XGBOOST AUTO OFF');
    // as a catalog written before profiles existed: no profileFile on the version
    const txn = t.db.begin(true);
    txn.apply((s) => {
      const e = (s.accounts.admin.databases.dev.schemas.public.models as Record<string, { profileFile?: string; versions?: { profileFile?: string }[] }>).old;
      for (const v of [e, ...(e.versions ?? [])]) delete v.profileFile;
    }, { ddl: true });
    await t.db.commit(txn, 'admin');
    t.db.release(txn);
    await t.s.execute('CREATE MONITOR on_old ON MODEL old USING (SELECT x1, x2, cat FROM pts)');
    const rows = await t.rows('RUN MONITOR on_old');
    // the same rows as the training query: nothing drifts, every PSI is 0 and every KS statistic 0
    expect(rows.map((r) => [r[1], r[4], r[5] ?? 0, r[7]])).toEqual([['x1', 0, 0, 'OK'], ['x2', 0, 0, 'OK'], ['cat', 0, 0, 'OK'], ['(prediction)', 0, 0, 'OK'], ['(overall)', null, 0, 'OK']]);
    const e = (t.db.catalog.accounts.admin.databases.dev.schemas.public.models as Record<string, { profileFile?: string }>).old;
    expect(e.profileFile).toMatch(/\.profile\.json$/);
  });

  it('a model brought from a file, with no training query, cannot be monitored', async () => {
    await t.s.execute(`CREATE MODEL byo FUNCTION byo_fn(REAL, REAL) RETURNS REAL FROM '${join(process.cwd(), 'models/linear_regressor.onnx')}'`);
    expect(await t.error('CREATE MONITOR on_byo ON MODEL byo USING (SELECT x1, x2 FROM pts)')).toMatchObject({
      code: 'FEATURE_NOT_SUPPORTED', message: expect.stringMatching(/model "byo" \(version 1\) has no training profile and no training query/),
    });
  });
});

describe('monitor security', () => {
  it("a monitor's query runs with its owner's privileges; a revoked SELECT fails the next run cleanly", async () => {
    await t.s.execute(`CREATE USER alice PASSWORD 'Secret123'; GRANT SELECT ON pts TO alice; GRANT EXECUTE ON MODEL m TO alice;
      CREATE USER bob PASSWORD 'Secret123'; GRANT SELECT ON pts TO bob; GRANT EXECUTE ON MODEL m TO bob`);
    const alice = t.db.connect({ user: 'alice' });
    const bob = t.db.connect({ user: 'bob' });
    await alice.execute('CREATE MONITOR mine ON MODEL m USING (SELECT x1, x2, cat FROM pts)');
    expect((await alice.execute('RUN MONITOR mine'))[0].rows.at(-1)![7]).toBe('OK');

    // other users of the account neither see nor run nor change it
    for (const sql of ['SHOW MONITOR mine', 'RUN MONITOR mine', 'ALTER MONITOR mine SET SCHEDULE OFF', 'DROP MONITOR mine']) {
      await expect(bob.execute(sql), sql).rejects.toMatchObject({ code: 'UNDEFINED_OBJECT', message: expect.stringContaining('monitor "mine" does not exist') });
    }
    expect((await bob.execute('SHOW MONITORS'))[0].rows).toEqual([]);
    expect((await bob.execute('SELECT count(*) FROM stv_ml_monitor_runs'))[0].rows).toEqual([[0]]);

    // a superuser may run it, and it still runs as alice: after the revoke it fails for both
    await t.s.execute('REVOKE SELECT ON pts FROM alice');
    await expect(t.s.execute('RUN MONITOR mine')).rejects.toMatchObject({ code: 'PERMISSION_DENIED', message: expect.stringMatching(/^monitor "mine" run 2 failed: permission denied .*pts/) });
    await expect(alice.execute('RUN MONITOR mine')).rejects.toMatchObject({ code: 'PERMISSION_DENIED' });
    const r = (await alice.execute("SELECT run, state, run_by, error FROM stv_ml_monitor_runs WHERE column_name = '(overall)' ORDER BY run"))[0].rows;
    expect(r.map((x) => x.slice(0, 3))).toEqual([[1, 'OK', 'alice'], [2, 'FAILED', 'admin'], [3, 'FAILED', 'alice']]);
    // a monitor on data its owner cannot read cannot be created either
    await expect(alice.execute('CREATE MONITOR other ON MODEL m USING (SELECT x1, x2, cat FROM pts)')).rejects.toMatchObject({ code: 'PERMISSION_DENIED' });
    // nor on a model its creator may not execute
    await t.s.execute('REVOKE EXECUTE ON MODEL m FROM bob');
    await expect(bob.execute('CREATE MONITOR b ON MODEL m USING (SELECT x1, x2, cat FROM pts)')).rejects.toMatchObject({ code: 'PERMISSION_DENIED', message: expect.stringMatching(/lacks EXECUTE/) });
  });

  it('a monitor goes only into a schema its creator may CREATE in', async () => {
    await t.s.execute(`CREATE SCHEMA watch; CREATE USER dora PASSWORD 'Secret123'; GRANT SELECT ON pts TO dora; GRANT EXECUTE ON MODEL m TO dora;
      GRANT USAGE ON SCHEMA watch TO dora`);
    const dora = t.db.connect({ user: 'dora' });
    expect(await dora.execute('CREATE MONITOR watch.d ON MODEL m USING (SELECT x1, x2, cat FROM pts)').catch((e) => e)).toMatchObject({
      code: 'PERMISSION_DENIED', message: expect.stringMatching(/permission denied for schema watch: user "dora" lacks CREATE on it/),
    });
    await t.s.execute('GRANT CREATE ON SCHEMA watch TO dora');
    await dora.execute('CREATE MONITOR watch.d ON MODEL m USING (SELECT x1, x2, cat FROM pts)');
    expect((await dora.execute('SHOW MONITORS'))[0].rows.map((r) => r.slice(0, 2))).toEqual([['d', 'watch']]);
  });

  it('a dropped owner is not replaced by a namesake: the run fails', async () => {
    await t.s.execute(`CREATE USER carl PASSWORD 'Secret123'; GRANT SELECT ON pts TO carl; GRANT EXECUTE ON MODEL m TO carl`);
    await t.db.connect({ user: 'carl' }).execute('CREATE MONITOR carls ON MODEL m USING (SELECT x1, x2, cat FROM pts)');
    await t.s.execute(`DROP USER carl; CREATE USER carl PASSWORD 'Secret123'; GRANT SELECT ON pts TO carl; GRANT EXECUTE ON MODEL m TO carl`);
    expect(await t.error('RUN MONITOR carls')).toMatchObject({ code: 'PERMISSION_DENIED', message: expect.stringMatching(/owner "carl" no longer exists/) });
  });

  it('other accounts see nothing of it', async () => {
    await t.s.execute('CREATE ACCOUNT other');
    const o = t.db.connect({ account: 'other' });
    expect((await o.execute('SHOW MONITORS'))[0].rows).toEqual([]);
    expect((await o.execute('SELECT count(*) FROM stv_ml_monitor_runs'))[0].rows).toEqual([[0]]);
    await expect(o.execute('RUN MONITOR dev.public.same')).rejects.toMatchObject({ code: 'UNDEFINED_OBJECT' });
  });
});
