// Model lifecycle through SQL: background training (TRAINING -> READY | FAILED), progress events,
// snapshots, DROP during training, and a restart while training.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestDb, eventsUntil, makePoints, openDb } from './helpers.ts';

/** MLP settings slow enough to still be training when the test acts. */
const SLOW = `MODEL_TYPE MLP AUTO OFF HYPERPARAMETERS DEFAULT EXCEPT (EPOCHS '100000', EARLY_STOPPING_PATIENCE '100000', MINI_BATCH_SIZE '4')`;

let t: TestDb;
beforeAll(async () => {
  t = await openDb();
  await makePoints(t);
});
afterAll(async () => { await t.close(); });

describe('background training', () => {
  it('goes TRAINING -> READY without blocking queries, publishing progress events', async () => {
    const done = eventsUntil(t.db, 'lin', ['ready', 'failed']);
    await t.s.execute(`CREATE MODEL lin FROM (SELECT x1, x2, cat, label FROM pts) TARGET label FUNCTION lin_fn AUTO OFF MODEL_TYPE LINEAR_LEARNER SETTINGS (SEED 3)`);
    expect((await t.show('lin'))['Model State']).toBe('TRAINING');
    // other queries run meanwhile; the function is not usable yet
    expect(await t.rows('SELECT count(*) FROM pts')).toEqual([[400]]);
    const nr = await t.error('SELECT lin_fn(x1, x2, cat) FROM pts');
    expect(nr.code).toBe('MODEL_NOT_READY');
    expect(nr.message).toMatch(/still training/);

    const events = await done;
    expect(events[0]).toMatchObject({ kind: 'created', state: 'TRAINING', account: 'admin' });
    expect(events.at(-1)).toMatchObject({ kind: 'ready', state: 'READY' });
    expect(events.some((e) => e.kind === 'progress' && e.epoch !== undefined && typeof e.loss === 'number')).toBe(true);
    expect(events.some((e) => e.kind === 'progress' && typeof e.validationScore === 'number')).toBe(true);

    const m = await t.show('lin');
    expect(m).toMatchObject({
      'Model State': 'READY', 'Model Type': 'LINEAR_LEARNER', 'Problem Type': 'BINARY_CLASSIFICATION', Objective: 'F1',
      'Target Column': 'label', 'Function Name': 'lin_fn', 'Function Parameters': 'x1 x2 cat',
      'Function Parameter Types': 'REAL REAL VARCHAR(5)', 'Function Return Type': 'INTEGER', 'Training Rows': '400', Auto: 'OFF',
    });
    expect(m['Validation Score']).toMatch(/^F1 0\.9/);
    expect(m['Training Time']).toMatch(/ s$/);
    expect(m.Hyperparameters).toMatch(/epochs=\d+/);
    expect(m.Preprocessing).toMatch(/x1: numeric .*cat: one-hot \(3 categories/);
    expect(m.Settings).toBe('SEED=3');
    expect(await t.rows('SHOW MODEL ALL')).toEqual([['public', 'lin', 'READY', 'LINEAR_LEARNER', 'BINARY_CLASSIFICATION', 'lin_fn(REAL, REAL, VARCHAR(5)) RETURNS INTEGER', expect.any(Number)]]);
    // the graph and its training profile (for drift monitors) are files under <dataDir>/models, named in the catalog
    expect(readdirSync(join(t.dir, 'models')).map((f) => f.replace(/^[^.]+/, 'id')).sort()).toEqual(['id.onnx', 'id.profile.json']);
  }, 120_000);

  it('predicts in SELECT, WHERE, GROUP BY and CREATE TABLE AS; _prob gives labels and probabilities', async () => {
    const [[acc]] = await t.rows('SELECT avg(CASE WHEN lin_fn(x1, x2, cat) = label THEN 1.0 ELSE 0.0 END::FLOAT) FROM pts');
    expect(Number(acc)).toBeGreaterThan(0.95);
    const groups = await t.rows('SELECT lin_fn(x1, x2, cat) AS p, count(*) FROM pts GROUP BY lin_fn(x1, x2, cat) ORDER BY 1');
    expect(groups.map((r) => r[0])).toEqual([0, 1]);
    const [[positives]] = await t.rows('SELECT count(*) FROM pts WHERE lin_fn(x1, x2, cat) = 1');
    expect(positives).toBe(groups[1][1]);
    await t.s.execute('CREATE TABLE scored AS SELECT id, lin_fn(x1, x2, cat) AS p FROM pts');
    expect(await t.rows('SELECT count(*), sum(p) FROM scored')).toEqual([[400, positives]]);
    const probs = await t.rows('SELECT lin_fn_prob(x1, x2, cat), lin_fn(x1, x2, cat) FROM pts ORDER BY id LIMIT 5');
    for (const [json, label] of probs) {
      const p = JSON.parse(json as string) as { labels: number[]; probabilities: number[] };
      expect(p.labels).toEqual([0, 1]);
      expect(p.probabilities[0] + p.probabilities[1]).toBeCloseTo(1, 4);
      expect(p.probabilities[label as number]).toBeGreaterThanOrEqual(0.5);
    }
  });

  it('shows a snapshot: a transaction begun while training keeps seeing TRAINING', async () => {
    const other = t.db.connect();
    const done = eventsUntil(t.db, 'snap', ['ready', 'failed']);
    await t.s.execute(`CREATE MODEL snap FROM (SELECT x1, x2, label FROM pts) TARGET label FUNCTION snap_fn AUTO OFF MODEL_TYPE XGBOOST`);
    await other.execute('BEGIN; SELECT count(*) FROM pts');
    await done;
    const old = await other.execute('SHOW MODEL snap').then((r) => Object.fromEntries(r[0].rows as [string, string][]));
    expect(old['Model State']).toBe('TRAINING');
    await expect(other.execute('SELECT snap_fn(x1, x2) FROM pts')).rejects.toMatchObject({ code: 'MODEL_NOT_READY' });
    await other.execute('ROLLBACK');
    const now = await other.execute('SELECT count(*) FROM pts WHERE snap_fn(x1, x2) = label');
    expect(Number(now[0].rows[0][0])).toBeGreaterThan(360);
    await other.close();
  }, 120_000);

  it('records a failure with its reason; the function then says why', async () => {
    const done = eventsUntil(t.db, 'bad', ['ready', 'failed']);
    await t.s.execute(`CREATE MODEL bad FROM (SELECT x1, x2, label FROM pts) TARGET label FUNCTION bad_fn MODEL_TYPE MLP AUTO OFF HYPERPARAMETERS DEFAULT EXCEPT (ACTIVATION 'sigmoid')`);
    const events = await done;
    expect(events.at(-1)).toMatchObject({ kind: 'failed', state: 'FAILED' });
    const m = await t.show('bad');
    expect(m['Model State']).toBe('FAILED');
    expect(m['Failure Reason']).toMatch(/ACTIVATION/);
    const e = await t.error('SELECT bad_fn(x1, x2) FROM pts');
    expect(e).toMatchObject({ code: 'MODEL_NOT_READY' });
    expect(e.message).toMatch(/failed to train: .*ACTIVATION/);
    await t.s.execute('DROP MODEL bad');
  }, 60_000);

  it('DROP MODEL during training cancels it and commits nothing of it', async () => {
    const progress = eventsUntil(t.db, 'slow', ['progress']);
    await t.s.execute(`CREATE MODEL slow FROM (SELECT x1, x2, label FROM pts) TARGET label FUNCTION slow_fn ${SLOW}`);
    await progress;
    const files = readdirSync(join(t.dir, 'models')).length;
    const dropped = eventsUntil(t.db, 'slow', ['dropped', 'ready', 'failed']);
    await t.s.execute('DROP MODEL slow');
    expect((await dropped).at(-1)).toMatchObject({ kind: 'dropped', message: expect.stringMatching(/canceled/) });
    expect(await t.error('SHOW MODEL slow')).toMatchObject({ code: 'UNDEFINED_OBJECT' });
    expect((await t.error('SELECT slow_fn(x1, x2) FROM pts')).code).toBe('UNDEFINED_FUNCTION');
    await new Promise((r) => setTimeout(r, 300));
    expect(readdirSync(join(t.dir, 'models'))).toHaveLength(files);
    // the name is free again
    await t.s.execute('SET ml_wait_for_training = on');
    await t.s.execute(`CREATE MODEL slow FROM (SELECT x1, x2, label FROM pts) TARGET label FUNCTION slow_fn MODEL_TYPE XGBOOST AUTO OFF`);
    expect((await t.show('slow'))['Model State']).toBe('READY');
    await t.s.execute('RESET ml_wait_for_training; DROP MODEL slow; DROP MODEL IF EXISTS slow');
  }, 60_000);

  it('a model still training when the server stops is FAILED after restart, with no file left', async () => {
    const t2 = await openDb();
    await makePoints(t2, 'p', 200);
    const progress = eventsUntil(t2.db, 'cut', ['progress']);
    await t2.s.execute(`CREATE MODEL cut FROM (SELECT x1, x2, label FROM p) TARGET label FUNCTION cut_fn ${SLOW}`);
    await progress;
    await t2.close(false);
    const t3 = await openDb({ dir: t2.dir });
    try {
      const m = await t3.show('cut');
      expect(m['Model State']).toBe('FAILED');
      expect(m['Failure Reason']).toMatch(/interrupted/);
      expect((await t3.error('SELECT cut_fn(x1, x2) FROM p')).code).toBe('MODEL_NOT_READY');
      expect(existsSync(join(t2.dir, 'models')) ? readdirSync(join(t2.dir, 'models')) : []).toEqual([]);
    } finally {
      await t3.close();
    }
  }, 60_000);
});
