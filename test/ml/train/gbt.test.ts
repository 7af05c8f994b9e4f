// Gradient-boosted trees on their own: fits non-linear structure, honours early stopping.
import { describe, expect, it } from 'vitest';
import { gbt } from '../../../ml/train/gbt.ts';
import type { FitContext } from '../../../ml/train/backend.ts';
import { binFeatures, binOf } from '../../../ml/train/bins.ts';

const ctx = (classes: number, valid?: FitContext['valid']): FitContext => ({
  task: { problem: classes ? 'BINARY_CLASSIFICATION' : 'REGRESSION', classes }, seed: 1, valid, deadline: Infinity, progress: () => {},
});

function data(n: number, offset = 0) {
  const x = new Float32Array(n * 2), y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const a = ((i * 37 + offset) % 101) / 10, b = ((i * 53 + offset) % 97) / 10;
    x[2 * i] = a; x[2 * i + 1] = b;
    y[i] = (a > 5 ? 3 : 0) + (b > 2 && b < 6 ? 2 : 0);
  }
  return { x, rows: n, cols: 2, y };
}

describe('gbt', () => {
  it('learns step functions (regression)', async () => {
    const d = data(500);
    const { model } = await gbt.fit(d, { ...gbt.defaults(ctx(0).task, 500), num_round: '60' }, ctx(0));
    const p = gbt.predict(model, d.x, d.rows);
    let mse = 0;
    for (let i = 0; i < d.rows; i++) mse += (p[i] - d.y[i]) ** 2;
    expect(mse / d.rows).toBeLessThan(0.01);
  });

  it('stops early on the validation split and returns the best round', async () => {
    const d = data(400), v = data(200, 7);
    for (let i = 0; i < d.rows; i++) d.y[i] = d.y[i] > 2 ? 1 : 0;
    for (let i = 0; i < v.rows; i++) v.y[i] = v.y[i] > 2 ? 1 : 0;
    const fitted = await gbt.fit(d, { num_round: '500', eta: '0.5', early_stopping_rounds: '5' }, ctx(2, v));
    expect(fitted.iterations).toBeLessThan(500);
    expect(fitted.model.trees.length).toBe(fitted.iterations);
  });

  it('bins values so x <= edge[k] exactly when bin(x) <= k', () => {
    const x = Float32Array.from({ length: 1000 }, (_, i) => Math.fround(Math.sin(i) * 100));
    const b = binFeatures(x, 1000, 1, 16);
    expect(b.edges[0].length).toBeLessThanOrEqual(15);
    for (let i = 0; i < 1000; i++) {
      const k = b.codes[0][i];
      if (k < b.edges[0].length) expect(x[i] <= b.edges[0][k]).toBe(true);
      if (k > 0) expect(x[i] > b.edges[0][k - 1]).toBe(true);
      expect(binOf(b.edges[0], x[i])).toBe(k);
    }
  });
});
