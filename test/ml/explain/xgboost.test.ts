// TreeSHAP against XGBoost's own (pred_contribs=True) on models converted to ONNX tree ensembles
// with their covers (models/build_shap_fixtures.py): a binary classifier with missing values and
// a regressor, brought in with CREATE MODEL ... FROM 'file.onnx' and explained through SQL.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestDb, openDb } from '../sql/helpers.ts';

interface Fixture { file: string; args: string[]; returns: string; rows: (number | null)[][]; margin: number[]; probability?: number[]; contributions: number[][] }
interface Explanation { method: string; output: string; label?: unknown; base: number; prediction: number; contributions: Record<string, number> }

const MODELS = fileURLToPath(new URL('../../../models/', import.meta.url));
const fixtures = JSON.parse(readFileSync(`${MODELS}shap_fixtures.json`, 'utf8')) as Record<string, Fixture>;

let t: TestDb;
beforeAll(async () => { t = await openDb(); });
afterAll(async () => { await t.close(); });

describe('TreeSHAP vs XGBoost pred_contribs', () => {
  for (const [name, f] of Object.entries(fixtures)) {
    it(`${name}: same contributions and bias, additive to the margin`, async () => {
      await t.s.execute(`CREATE MODEL ${name} FUNCTION ${name}_fn(${f.args.map(() => 'REAL').join(', ')}) RETURNS ${f.returns} FROM '${MODELS}${f.file}'`);
      const values = f.rows.map((r, i) => `(${i}, ${r.map((v) => (v === null ? 'NULL' : String(v))).join(', ')})`);
      await t.s.execute(`CREATE TABLE ${name}_rows (id INTEGER, ${f.args.map((a) => `${a} REAL`).join(', ')}); INSERT INTO ${name}_rows VALUES ${values.join(', ')}`);
      const cols = f.args.join(', ');
      const rows = await t.rows(`SELECT ${name}_fn_explain(${cols})${f.probability ? `, ${name}_fn_prob(${cols})` : ''} FROM ${name}_rows ORDER BY id`);
      expect(rows).toHaveLength(f.rows.length);
      let worst = 0;
      rows.forEach((r, i) => {
        const e = JSON.parse(r[0] as string) as Explanation;
        expect(e.method).toBe('tree');
        const want = f.contributions[i];
        const scale = Math.max(1, Math.abs(f.margin[i]));
        // a brought-your-own model's arguments are arg1, arg2, ...
        f.args.forEach((_, j) => { worst = Math.max(worst, Math.abs(e.contributions[`arg${j + 1}`] - want[j]) / scale); });
        // XGBoost's bias column is the expected margin (its base score included)
        expect(Math.abs(e.base - want[f.args.length]) / scale).toBeLessThan(1e-5);
        expect(Math.abs(e.prediction - f.margin[i]) / scale).toBeLessThan(1e-5);
        const total = e.base + Object.values(e.contributions).reduce((s, v) => s + v, 0);
        expect(Math.abs(total - e.prediction)).toBeLessThan(1e-6 * scale);
        if (f.probability) {
          expect(e).toMatchObject({ output: 'margin', label: 1 });
          const p = (JSON.parse(r[1] as string) as { probabilities: number[] }).probabilities[1];
          expect(p).toBeCloseTo(f.probability[i], 5);
        }
      });
      // XGBoost accumulates its SHAP values in float32: agreement to ~1e-6 of the margin
      expect(worst).toBeLessThan(1e-5);
    }, 60_000);
  }

  it('a brought-your-own model without trees: KernelSHAP against a baseline of zeros', async () => {
    await t.s.execute(`CREATE MODEL byo_lin FUNCTION byo_lin_fn(REAL, REAL) RETURNS REAL FROM '${MODELS}linear_regressor.onnx'`);
    const [[json, f, f0, f1]] = await t.rows('SELECT byo_lin_fn_explain(1.5, -2), byo_lin_fn(1.5, -2), byo_lin_fn(0, 0), byo_lin_fn(1.5, 0)');
    const e = JSON.parse(json as string) as Explanation;
    expect(e).toMatchObject({ method: 'kernel', output: 'value' });
    expect(e.base).toBeCloseTo(f0 as number, 5);
    expect(e.prediction).toBeCloseTo(f as number, 5);
    // linear: each argument's share is its own term
    expect(e.contributions.arg1).toBeCloseTo((f1 as number) - (f0 as number), 5);
    expect(Math.abs(e.base + e.contributions.arg1 + e.contributions.arg2 - e.prediction)).toBeLessThan(1e-6);
  });
});
