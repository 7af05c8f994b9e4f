// TreeSHAP against the definition: brute-force Shapley values of the path-dependent game
// E[f | x_S] (Lundberg et al.'s Algorithm 1: follow x on S, else average the children by cover),
// on the converted scikit-learn forest and XGBoost regressor in models/.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type Ensemble, type EnsembleTree, coverFromSample, decodeModel, findEnsemble, goesTrue } from '../../../ml/explain/ensemble.ts';
import { TreeShap, leafWeights, reachableLeaf } from '../../../ml/explain/treeshap.ts';

const MODELS = join(import.meta.dirname, '../../../models');
const fixtures = JSON.parse(readFileSync(join(MODELS, 'converted_fixtures.json'), 'utf8')) as Record<string, { file: string; rows: number[][] }>;

function load(name: string): { e: Ensemble; rows: number[][] } {
  const f = fixtures[name];
  const e = findEnsemble(decodeModel(new Uint8Array(readFileSync(join(MODELS, f.file)))))!;
  expect(e).not.toBeNull();
  return { e, rows: f.rows };
}

/** E[tree | x_S] for target k, children weighted by cover. */
function expectation(t: EnsembleTree, x: number[], S: Set<number>, k: number, j = 0): number {
  if (t.mode[j] === null) {
    let v = 0;
    for (let i = 0; i < t.leafValues[j].length; i += 2) if (t.leafValues[j][i] === k) v += t.leafValues[j][i + 1];
    return v;
  }
  if (S.has(t.feature[j])) return expectation(t, x, S, k, goesTrue(t, j, x[t.feature[j]]) ? t.trueChild[j] : t.falseChild[j]);
  const a = t.trueChild[j], b = t.falseChild[j];
  // an unreached node (no cover) splits evenly, as TreeShap does
  const [fa, fb] = t.cover[j] > 0 ? [t.cover[a] / t.cover[j], t.cover[b] / t.cover[j]] : [0.5, 0.5];
  return fa * expectation(t, x, S, k, a) + fb * expectation(t, x, S, k, b);
}

function bruteForce(e: Ensemble, x: number[], k: number, features: number): number[] {
  const value = (S: Set<number>) => e.base[k] + e.trees.reduce((s, t) => s + expectation(t, x, S, k), 0);
  const fact = (n: number): number => (n <= 1 ? 1 : n * fact(n - 1));
  const phi = new Array(features).fill(0);
  for (let i = 0; i < features; i++) {
    const others = [...Array(features).keys()].filter((j) => j !== i);
    for (let m = 0; m < 1 << others.length; m++) {
      const S = new Set(others.filter((_, b) => (m >> b) & 1));
      const w = (fact(S.size) * fact(features - S.size - 1)) / fact(features);
      const without = value(S);
      S.add(i);
      phi[i] += w * (value(S) - without);
    }
  }
  return phi;
}

describe('TreeSHAP', () => {
  it('matches brute-force Shapley values of the path-dependent expectation (scikit-learn forest, 3 classes)', () => {
    const { e, rows } = load('sklearn_iris_forest');
    const flat = Float32Array.from(rows.flat());
    coverFromSample(e, flat, rows.length, 4);
    const shap = new TreeShap(e, 4);
    for (const x of rows.slice(0, 6)) {
      const phi = new Float64Array(e.targets * 4), margin = new Float64Array(e.targets);
      shap.explainRow(Float32Array.from(x), 0, phi, margin);
      for (let k = 0; k < e.targets; k++) {
        const want = bruteForce(e, Array.from(Float32Array.from(x)), k, 4);
        for (let f = 0; f < 4; f++) expect(phi[k * 4 + f]).toBeCloseTo(want[f], 10);
        // additivity: the contributions take the expected margin to this row's margin
        const direct = e.trees.reduce((s, t) => { const l = reachableLeaf(t, x, 0); let v = 0; for (let i = 0; i < t.leafValues[l].length; i += 2) if (t.leafValues[l][i] === k) v += t.leafValues[l][i + 1]; return s + v; }, e.base[k]);
        expect(margin[k]).toBeCloseTo(direct, 10);
        expect(shap.expected[k] + phi.subarray(k * 4, k * 4 + 4).reduce((a, b) => a + b, 0)).toBeCloseTo(direct, 9);
      }
    }
  });

  it('matches brute force on an XGBoost regressor with 10 features (BRANCH_LT, missing values)', () => {
    const { e, rows } = load('xgboost_diabetes');
    const flat = Float32Array.from(rows.flat());
    coverFromSample(e, flat, rows.length, 10);
    const shap = new TreeShap(e, 10);
    const cases = [rows[0], rows[1], rows[2].map((v, i) => (i % 3 === 0 ? NaN : v))];
    for (const x of cases) {
      const phi = new Float64Array(10), margin = new Float64Array(1);
      shap.explainRow(Float32Array.from(x), 0, phi, margin);
      const want = bruteForce(e, Array.from(Float32Array.from(x)), 0, 10);
      for (let f = 0; f < 10; f++) expect(phi[f]).toBeCloseTo(want[f], 8);
      expect(shap.expected[0] + phi.reduce((a, b) => a + b, 0)).toBeCloseTo(margin[0], 9);
    }
  });

  it('blocks of rows, tabulated or not, give what one row at a time gives', () => {
    for (const name of ['sklearn_iris_forest', 'xgboost_diabetes']) {
      const { e, rows } = load(name);
      const w = rows[0].length;
      coverFromSample(e, Float32Array.from(rows.flat()), rows.length, w);
      // 300 rows: three blocks, the last one partial; every third value missing
      const x = Float32Array.from({ length: 300 * w }, (_, i) => (i % 3 === 0 ? NaN : rows[Math.floor(i / w) % rows.length][i % w]));
      const tabulated = new TreeShap(e, w), perRow = new TreeShap(e, w, { tableBudget: 0 });
      const size = e.targets * w;
      const phi = new Float64Array(300 * size), margin = new Float64Array(300 * e.targets);
      tabulated.explainBlock(x, 0, 300, w, phi, margin);
      const phi2 = new Float64Array(300 * size), margin2 = new Float64Array(300 * e.targets);
      perRow.explainBlock(x, 0, 300, w, phi2, margin2);
      for (const r of [0, 1, 127, 128, 200, 299]) {
        const one = new Float64Array(size), m = new Float64Array(e.targets);
        tabulated.explainRow(x, r * w, one, m);
        for (let i = 0; i < size; i++) {
          expect(phi[r * size + i]).toBeCloseTo(one[i], 12);
          expect(phi2[r * size + i]).toBeCloseTo(one[i], 10);
        }
        for (let k = 0; k < e.targets; k++) {
          expect(margin[r * e.targets + k]).toBeCloseTo(m[k], 12);
          expect(margin2[r * e.targets + k]).toBeCloseTo(m[k], 12);
          expect(perRow.expected[k]).toBeCloseTo(tabulated.expected[k], 12);
        }
      }
    }
  });

  it('leaf weights: one feature gets everything, repeated features are one player', () => {
    const out = new Float64Array(2), scratch = new Float64Array(8);
    leafWeights([0.25], [1], 1, out, scratch);
    expect(out[0]).toBeCloseTo(0.75, 15);
    // two players, o = (1, 0), z = (0.5, 0.4): v(∅)=.2, v({0})=.4, v({1})=0, v({0,1})=0
    leafWeights([0.5, 0.4], [1, 0], 2, out, scratch);
    expect(out[0]).toBeCloseTo(0.5 * (0.4 - 0.2) + 0.5 * (0 - 0), 15);
    expect(out[1]).toBeCloseTo(0.5 * (0 - 0.2) + 0.5 * (0 - 0.4), 15);
  });
});
