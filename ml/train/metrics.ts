// Objectives: scoring predictions the way OBJECTIVE names them (MSE, Accuracy, F1, F1_Macro, AUC).
import { SqlError } from '../../engine/errors.ts';
import type { ProblemType } from '../types.ts';

export type Objective = 'MSE' | 'Accuracy' | 'F1' | 'F1_Macro' | 'AUC';

/** Resolves OBJECTIVE (case-insensitive; F1Macro accepted) or the Redshift default for the problem. */
export function resolveObjective(problem: ProblemType, requested?: string): Objective {
  if (!requested) return problem === 'REGRESSION' ? 'MSE' : problem === 'BINARY_CLASSIFICATION' ? 'F1' : 'Accuracy';
  const key = requested.toLowerCase().replace(/_/g, '');
  const o = ({ mse: 'MSE', accuracy: 'Accuracy', f1: 'F1', f1macro: 'F1_Macro', auc: 'AUC' } as Record<string, Objective>)[key];
  if (!o) throw new SqlError('INVALID_PARAMETER', `unknown OBJECTIVE '${requested}' (expected MSE, Accuracy, F1, F1_Macro or AUC)`);
  const ok = problem === 'REGRESSION' ? o === 'MSE' : o !== 'MSE' && (problem === 'BINARY_CLASSIFICATION' || (o !== 'F1' && o !== 'AUC'));
  if (!ok) throw new SqlError('INVALID_PARAMETER', `OBJECTIVE '${o}' does not apply to ${problem}`);
  return o;
}

/** True when a larger score is better. */
export const higherIsBetter = (o: Objective) => o !== 'MSE';

/**
 * Scores model output against truth. `out` is n values (regression) or n×k probabilities;
 * `y` holds values or class indices.
 */
export function score(o: Objective, out: Float64Array, y: Float64Array, k: number): number {
  const n = y.length;
  if (o === 'MSE') {
    let s = 0;
    for (let i = 0; i < n; i++) { const d = out[i] - y[i]; s += d * d; }
    return s / n;
  }
  if (o === 'AUC') return auc(out, y, k);
  const pred = argmaxRows(out, n, k);
  if (o === 'Accuracy') {
    let c = 0;
    for (let i = 0; i < n; i++) if (pred[i] === y[i]) c++;
    return c / n;
  }
  const f1 = (cls: number) => {
    let tp = 0, fp = 0, fn = 0;
    for (let i = 0; i < n; i++) {
      if (pred[i] === cls && y[i] === cls) tp++;
      else if (pred[i] === cls) fp++;
      else if (y[i] === cls) fn++;
    }
    return tp === 0 ? 0 : (2 * tp) / (2 * tp + fp + fn);
  };
  if (o === 'F1') return f1(1);
  let s = 0;
  for (let c = 0; c < k; c++) s += f1(c);
  return s / k;
}

/** R² of regression predictions (for reports and tests). */
export function r2(pred: ArrayLike<number>, y: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < y.length; i++) m += y[i];
  m /= y.length;
  let ss = 0, st = 0;
  for (let i = 0; i < y.length; i++) { ss += (y[i] - pred[i]) ** 2; st += (y[i] - m) ** 2; }
  return 1 - ss / st;
}

/** The mean negative log-likelihood (classification) or MSE (regression); a smooth tie-breaker. */
export function loss(out: Float64Array, y: Float64Array, k: number): number {
  const n = y.length;
  if (k === 0) return score('MSE', out, y, 0);
  let s = 0;
  for (let i = 0; i < n; i++) s -= Math.log(Math.max(out[i * k + y[i]], 1e-15));
  return s / n;
}

export function argmaxRows(out: Float64Array, n: number, k: number): Int32Array {
  const pred = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let c = 1; c < k; c++) if (out[i * k + c] > out[i * k + best]) best = c;
    pred[i] = best;
  }
  return pred;
}

/** Binary AUC on the positive-class probability; macro one-vs-rest for more classes. */
function auc(out: Float64Array, y: Float64Array, k: number): number {
  const n = y.length;
  const one = (cls: number) => {
    const idx = Array.from({ length: n }, (_, i) => i).sort((a, b) => out[a * k + cls] - out[b * k + cls]);
    let pos = 0, sumPos = 0;
    for (let i = 0; i < n; ) {
      let j = i;
      while (j + 1 < n && out[idx[j + 1] * k + cls] === out[idx[i] * k + cls]) j++;
      const avg = (i + j) / 2 + 1;
      for (let t = i; t <= j; t++) if (y[idx[t]] === cls) { pos++; sumPos += avg; }
      i = j + 1;
    }
    const neg = n - pos;
    return pos === 0 || neg === 0 ? 0.5 : (sumPos - (pos * (pos + 1)) / 2) / (pos * neg);
  };
  if (k === 2) return one(1);
  let s = 0;
  for (let c = 0; c < k; c++) s += one(c);
  return s / k;
}
