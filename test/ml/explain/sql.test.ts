// fn_explain(...) through SQL: exact TreeSHAP for boosted trees (additive to the margin, in the
// arguments' space), KernelSHAP for the other models (additive by construction, exact Shapley
// values of the background game for a handful of arguments), in the slices and at the leader.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestDb, makePoints, openDb } from '../sql/helpers.ts';

interface Explanation { method: string; output: string; label?: unknown; base: number; prediction: number; contributions: Record<string, number> }

let t: TestDb;
beforeAll(async () => {
  t = await openDb();
  await makePoints(t, 'pts', 400);
  await t.s.execute('SET ml_wait_for_training TO on');
  await t.s.execute(`CREATE MODEL cls FROM (SELECT x1, x2, cat, label FROM pts) TARGET label FUNCTION cls_fn AUTO OFF MODEL_TYPE XGBOOST SETTINGS (SEED 3)`);
  await t.s.execute(`CREATE MODEL reg FROM (SELECT x1, x2, cat, y FROM pts) TARGET y FUNCTION reg_fn AUTO OFF MODEL_TYPE XGBOOST SETTINGS (SEED 3)`);
  await t.s.execute(`CREATE MODEL lin FROM (SELECT x1, x2, cat, y FROM pts) TARGET y FUNCTION lin_fn AUTO OFF MODEL_TYPE LINEAR_LEARNER SETTINGS (SEED 3)`);
}, 180_000);
afterAll(async () => { await t.close(); });

const parse = (rows: unknown[][]) => rows.map((r) => JSON.parse(r[0] as string) as Explanation);
const sum = (e: Explanation) => Object.values(e.contributions).reduce((a, b) => a + b, 0);

describe('fn_explain', () => {
  it('binary GBT: exact TreeSHAP on the log-odds, one contribution per argument, in every slice', async () => {
    const rows = await t.rows('SELECT cls_fn_explain(x1, x2, cat), cls_fn(x1, x2, cat), cls_fn_prob(x1, x2, cat) FROM pts ORDER BY id');
    expect(rows).toHaveLength(400);
    for (const [json, label, prob] of rows) {
      const e = JSON.parse(json as string) as Explanation;
      expect(e).toMatchObject({ method: 'tree', output: 'margin', label: 1 });
      expect(Object.keys(e.contributions)).toEqual(['x1', 'x2', 'cat']);
      expect(Math.abs(e.base + sum(e) - e.prediction)).toBeLessThan(1e-6);
      // the margin is the model's own: its sigmoid is the probability onnxruntime computes
      const p = (JSON.parse(prob as string) as { probabilities: number[] }).probabilities[1];
      expect(1 / (1 + Math.exp(-e.prediction))).toBeCloseTo(p, 5);
      expect(label).toBe(e.prediction > 0 ? 1 : 0);
    }
    // usable in SQL: pull one argument's contribution out, pinned to a version like fn@1
    const top = await t.rows(`SELECT id, JSON_EXTRACT_PATH_TEXT(cls_fn_explain@1(x1, x2, cat), 'contributions', 'x1')::FLOAT AS c FROM pts ORDER BY c DESC LIMIT 1`);
    const best = rows.map((r, id) => ({ id, c: (JSON.parse(r[0] as string) as Explanation).contributions.x1 })).sort((a, b) => b.c - a.c)[0];
    expect(top[0][1]).toBeCloseTo(best.c, 9);
    // the noise category matters far less than the two signals
    const mean = (k: string) => rows.reduce((s, r) => s + Math.abs((JSON.parse(r[0] as string) as Explanation).contributions[k]), 0) / rows.length;
    expect(mean('cat')).toBeLessThan(0.2 * Math.min(mean('x1'), mean('x2')));
  });

  it('regression GBT: base + contributions = the prediction; the leader path agrees with the slices', async () => {
    const rows = await t.rows('SELECT reg_fn_explain(x1, x2, cat), reg_fn(x1, x2, cat) FROM pts ORDER BY id LIMIT 50');
    for (const [json, pred] of rows) {
      const e = JSON.parse(json as string) as Explanation;
      expect(e).toMatchObject({ method: 'tree', output: 'value' });
      expect(Math.abs(e.base + sum(e) - e.prediction)).toBeLessThan(1e-6);
      expect(e.prediction).toBeCloseTo(pred as number, 4);
    }
    const [[leader]] = await t.rows(`SELECT reg_fn_explain(0.5, -1.25, 'b')`);
    const [[slice]] = await t.rows(`SELECT reg_fn_explain(x1, x2, cat) FROM (SELECT 0.5::REAL AS x1, -1.25::REAL AS x2, 'b' AS cat) s`);
    expect(JSON.parse(leader as string)).toEqual(JSON.parse(slice as string));
  });

  it('linear model: KernelSHAP gives the exact Shapley values of the background game', async () => {
    // for an additive model, moving one argument changes only its own contribution, by the change in f
    const rows = await t.rows(`SELECT lin_fn_explain(x1, x2, cat), lin_fn(x1, x2, cat) FROM (SELECT 1.0::REAL AS x1, 0.5::REAL AS x2, 'a' AS cat UNION ALL SELECT 2.0, 0.5, 'a') s ORDER BY x1`);
    const [a, b] = parse(rows);
    expect(a).toMatchObject({ method: 'kernel', output: 'value' });
    for (const e of [a, b]) expect(Math.abs(e.base + sum(e) - e.prediction)).toBeLessThan(1e-6);
    expect(a.prediction).toBeCloseTo(rows[0][1] as number, 4);
    expect(b.contributions.x1 - a.contributions.x1).toBeCloseTo(b.prediction - a.prediction, 5);
    expect(b.contributions.x2).toBeCloseTo(a.contributions.x2, 6);
    expect(b.contributions.cat).toBeCloseTo(a.contributions.cat, 6);
    expect(b.base).toBe(a.base);
  });

  it('EXPLAIN_MODEL adds mean |SHAP| per argument over the training sample', async () => {
    const rows = await t.rows('SELECT EXPLAIN_MODEL(cls)');
    expect(rows.map((r) => r[0]).sort()).toEqual(['cat', 'x1', 'x2']);
    const shap = Object.fromEntries(rows.map((r) => [r[0], r[3] as number]));
    expect(shap.x1).toBeGreaterThan(0.3);
    expect(shap.cat).toBeLessThan(0.2 * shap.x1);
    const lin = Object.fromEntries((await t.rows('SELECT EXPLAIN_MODEL(lin)')).map((r) => [r[0], r[3] as number]));
    // y = 3 x1 - 2 x2 (x uniform on [-2, 2]): mean |SHAP| of a linear term is |w| E|x - E x| = |w|
    expect(lin.x1).toBeGreaterThan(2.4); expect(lin.x1).toBeLessThan(3.6);
    expect(lin.x2).toBeGreaterThan(1.6); expect(lin.x2).toBeLessThan(2.4);
  });

  it('type-checks like the prediction function and needs EXECUTE on the model', async () => {
    expect(await t.error('SELECT cls_fn_explain(x1, x2) FROM pts')).toMatchObject({ code: 'UNDEFINED_FUNCTION' });
    await t.s.execute("CREATE USER eve PASSWORD 'Secret123'; GRANT SELECT ON pts TO eve");
    const eve = t.db.connect({ user: 'eve' });
    await expect(eve.execute('SELECT cls_fn_explain(x1, x2, cat) FROM pts')).rejects.toMatchObject({ code: 'PERMISSION_DENIED' });
    await t.s.execute('GRANT EXECUTE ON MODEL cls TO eve');
    const r = await eve.execute('SELECT cls_fn_explain(x1, x2, cat) FROM pts LIMIT 1');
    expect(JSON.parse(r.at(-1)!.rows[0][0] as string).method).toBe('tree');
  });
});
