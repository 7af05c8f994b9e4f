// LINEAR_LEARNER's exact solver against scikit-learn (models/build_glm_fixtures.py) on the quality
// suite's splits: Ridge coefficients and predictions, RidgeCV's leave-one-out penalty, and
// LogisticRegression's probabilities (softmax and sigmoid) at the same C.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fitExact } from '../../../ml/train/glm.ts';
import { forward } from '../../../ml/train/net.ts';
import type { FitData } from '../../../ml/train/backend.ts';

const ROOT = new URL('../../../', import.meta.url);
const fixtures = JSON.parse(readFileSync(new URL('models/glm_fixtures.json', ROOT), 'utf8'));

/** A split standardized by the train rows' mean and population deviation (the default preprocessing). */
function load(name: string): { train: FitData; test: Float32Array; testRows: number } {
  const read = (part: string) => readFileSync(new URL(`bench/ml-quality/${name}_${part}.csv`, ROOT), 'utf8').trim().split('\n').slice(1).map((l) => l.split(',').map(Number));
  const tr = read('train'), te = read('test'), d = tr[0].length - 1;
  const mean = Array.from({ length: d }, (_, j) => tr.reduce((s, r) => s + r[j], 0) / tr.length);
  const sd = Array.from({ length: d }, (_, j) => Math.sqrt(tr.reduce((s, r) => s + (r[j] - mean[j]) ** 2, 0) / tr.length));
  const x = (rows: number[][]) => Float32Array.from(rows.flatMap((r) => r.slice(0, d).map((v, j) => (v - mean[j]) / sd[j])));
  return { train: { x: x(tr), rows: tr.length, cols: d, y: Float64Array.from(tr, (r) => r[d]) }, test: x(te), testRows: te.length };
}

describe('exact linear solver vs scikit-learn', () => {
  it('ridge: the same coefficients and predictions at a given α, and leave-one-out picks RidgeCV\'s α', () => {
    const { train, test, testRows } = load('diabetes');
    const n = train.rows;
    for (const alpha of [0.1, 1, 10]) {
      const want = fixtures.ridge[String(alpha)];
      // wd is the SGD solver's scale (mean loss + wd/2·||w||²): α = wd·n/2
      const m = fitExact(train, { problem: 'REGRESSION', classes: 0 }, 1, (2 * alpha) / n).model;
      const got = forward(m, test, testRows);
      for (let i = 0; i < testRows; i++) expect(got[i]).toBeCloseTo(want.test[i], 3);
      const w = m.layers[0].w;
      want.coef.forEach((c: number, j: number) => expect(w[j] * m.yStd).toBeCloseTo(c, 3));
    }
    // tuned: leave-one-out chooses α = fixtures.ridge.loo_alpha, so predictions match that fit
    const tuned = forward(fitExact(train, { problem: 'REGRESSION', classes: 0 }, 1).model, test, testRows);
    const want = fixtures.ridge[String(fixtures.ridge.loo_alpha)].test as number[];
    for (let i = 0; i < testRows; i++) expect(tuned[i]).toBeCloseTo(want[i], 3);
  });

  for (const name of ['iris', 'breast_cancer']) {
    it(`logistic (${name}): the same probabilities at scikit-learn's C`, () => {
      const f = fixtures.logistic[name];
      const { train, test, testRows } = load(name);
      const m = fitExact(train, { problem: f.classes > 2 ? 'MULTICLASS_CLASSIFICATION' : 'BINARY_CLASSIFICATION', classes: f.classes }, 1, 1 / (f.C * train.rows)).model;
      const p = forward(m, test, testRows);
      let worst = 0;
      for (let i = 0; i < testRows; i++) for (let k = 0; k < f.classes; k++) worst = Math.max(worst, Math.abs(p[i * f.classes + k] - f.test_proba[i][k]));
      expect(worst).toBeLessThan(1e-4);
    });
  }
});
