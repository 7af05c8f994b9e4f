// LINEAR_LEARNER's exact solver (HYPERPARAMETERS SOLVER 'exact'): ridge regression in closed form
// and L2-regularized logistic/softmax regression by L-BFGS, each choosing its own penalty on the
// training rows it is given (ridge by exact leave-one-out error, logistic by 3-fold log-loss). On
// small data an optimizer run to convergence with a tuned penalty is what scikit-learn's Ridge and
// LogisticRegression are, and it beats SGD with early stopping there.
import { Rng, range } from '../util/rng.ts';
import type { FitData, Fitted, Task } from './backend.ts';
import type { NetModel } from './net.ts';

/** Ridge penalties tried, on standardized features: ||y − Xw − b||² + α||w||². */
export const RIDGE_ALPHAS = [1e-3, 1e-2, 0.1, 1, 10, 100, 1000];
/** Inverse penalties tried for logistic regression, as scikit-learn's C: C·Σ loss + ½||W||². */
export const LOGISTIC_CS = [0.01, 0.1, 1, 10, 100];
/** Above this many features × features × rows, ridge skips leave-one-out and takes α = 1. */
const LOO_MAX_WORK = 4e8;
const MAX_ITER = 300;

/** `wd` (the SGD solver's penalty: mean loss + wd/2·||w||²) fixes the penalty instead of tuning it. */
export function fitExact(data: FitData, task: Task, seed: number, wd?: number): Fitted<NetModel> {
  const n = Math.max(1, data.rows);
  if (task.classes === 0) return { model: ridge(data, wd === undefined ? undefined : (wd * n) / 2), iterations: 1 };
  return { model: logistic(data, task.classes, seed, wd === undefined ? undefined : 1 / (wd * n)), iterations: 1 };
}

// ---- ridge ----

function ridge(data: FitData, fixed?: number): NetModel {
  const { rows: n, cols: d } = data;
  let yMean = 0;
  for (let i = 0; i < n; i++) yMean += data.y[i];
  yMean /= n;
  let ss = 0;
  for (let i = 0; i < n; i++) ss += (data.y[i] - yMean) ** 2;
  const yStd = Math.sqrt(ss / n) || 1;
  // centered features and standardized target: the intercept is not penalized
  const mean = columnMeans(data);
  const xc = new Float64Array(n * d), y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    y[i] = (data.y[i] - yMean) / yStd;
    for (let j = 0; j < d; j++) xc[i * d + j] = data.x[i * d + j] - mean[j];
  }
  const gram = new Float64Array(d * d), xty = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    for (let a = 0; a < d; a++) {
      const v = xc[i * d + a];
      if (v === 0) continue;
      xty[a] += v * y[i];
      for (let b = a; b < d; b++) gram[a * d + b] += v * xc[i * d + b];
    }
  }
  for (let a = 0; a < d; a++) for (let b = 0; b < a; b++) gram[a * d + b] = gram[b * d + a];
  let alpha = fixed ?? 1;
  if (fixed === undefined && n > d + 1 && d * d * n <= LOO_MAX_WORK) {
    let best = Infinity;
    for (const a of RIDGE_ALPHAS) {
      const err = looError(xc, y, gram, xty, n, d, a);
      if (err < best - 1e-12) { best = err; alpha = a; }
    }
  }
  const w = solveRidge(gram, xty, d, alpha).w;
  let b = 0;
  for (let j = 0; j < d; j++) b -= mean[j] * w[j];
  return { kind: 'net', layers: [{ w: Float32Array.from(w), b: Float32Array.of(b), inDim: d, outDim: 1, act: 'none' }], head: 'identity', yMean, yStd };
}

/** Mean squared leave-one-out error of ridge α: residual / (1 − leverage), leverage including the intercept's 1/n. */
function looError(xc: Float64Array, y: Float64Array, gram: Float64Array, xty: Float64Array, n: number, d: number, alpha: number): number {
  const { w, inv } = solveRidge(gram, xty, d, alpha, true);
  let sum = 0;
  for (let i = 0; i < n; i++) {
    let fit = 0, h = 1 / n;
    const row = i * d;
    for (let a = 0; a < d; a++) {
      const v = xc[row + a];
      if (v === 0) continue;
      fit += v * w[a];
      let s = 0;
      for (let b = 0; b < d; b++) s += inv![a * d + b] * xc[row + b];
      h += v * s;
    }
    const e = (y[i] - fit) / Math.max(1e-9, 1 - h);
    sum += e * e;
  }
  return sum / n;
}

/** Solves (G + αI) w = r by Cholesky; optionally also returns (G + αI)⁻¹. */
function solveRidge(gram: Float64Array, r: Float64Array, d: number, alpha: number, withInverse = false): { w: Float64Array; inv: Float64Array | null } {
  const L = new Float64Array(d * d);
  for (let a = 0; a < d; a++) {
    for (let b = 0; b <= a; b++) {
      let s = gram[a * d + b] + (a === b ? alpha : 0);
      for (let k = 0; k < b; k++) s -= L[a * d + k] * L[b * d + k];
      L[a * d + b] = a === b ? Math.sqrt(Math.max(s, 1e-300)) : s / L[b * d + b];
    }
  }
  const solve = (rhs: Float64Array) => {
    const z = new Float64Array(d);
    for (let a = 0; a < d; a++) { let s = rhs[a]; for (let k = 0; k < a; k++) s -= L[a * d + k] * z[k]; z[a] = s / L[a * d + a]; }
    for (let a = d - 1; a >= 0; a--) { let s = z[a]; for (let k = a + 1; k < d; k++) s -= L[k * d + a] * z[k]; z[a] = s / L[a * d + a]; }
    return z;
  };
  const w = solve(r);
  if (!withInverse) return { w, inv: null };
  const inv = new Float64Array(d * d), e = new Float64Array(d);
  for (let c = 0; c < d; c++) { e.fill(0); e[c] = 1; inv.set(solve(e), c * d); }
  return { w, inv };
}

function columnMeans(data: FitData): Float64Array {
  const m = new Float64Array(data.cols);
  for (let i = 0; i < data.rows; i++) for (let j = 0; j < data.cols; j++) m[j] += data.x[i * data.cols + j];
  for (let j = 0; j < data.cols; j++) m[j] /= Math.max(1, data.rows);
  return m;
}

// ---- logistic ----

/** Softmax (k > 2) or sigmoid (k = 2) regression; C chosen by 3-fold log-loss on these rows, then refit on all of them. */
function logistic(data: FitData, classes: number, seed: number, fixed?: number): NetModel {
  const k = classes > 2 ? classes : 1;
  const folds = 3;
  let C = fixed ?? 1;
  if (fixed === undefined && data.rows >= 30) {
    const order = new Rng(seed ^ 0x10915).shuffle(range(data.rows));
    const loss = new Float64Array(LOGISTIC_CS.length);
    for (let f = 0; f < folds; f++) {
      const valid = order.filter((_, i) => i % folds === f), train = order.filter((_, i) => i % folds !== f);
      const tr = rowsOf(data, train), va = rowsOf(data, valid);
      // from strong to weak penalty, each fit starting from the previous one's weights
      let theta: Float64Array = new Float64Array((data.cols + 1) * k);
      LOGISTIC_CS.forEach((c, ci) => {
        theta = lbfgs(tr, k, 1 / c, theta);
        loss[ci] += logLoss(va, k, theta);
      });
    }
    let best = 0;
    for (let ci = 1; ci < LOGISTIC_CS.length; ci++) if (loss[ci] < loss[best] - 1e-12) best = ci;
    C = LOGISTIC_CS[best];
  }
  const theta = lbfgs(data, k, 1 / C, new Float64Array((data.cols + 1) * k));
  const d = data.cols;
  const w = new Float32Array(d * k), b = new Float32Array(k);
  for (let j = 0; j < k; j++) { b[j] = theta[j * (d + 1) + d]; for (let a = 0; a < d; a++) w[a * k + j] = theta[j * (d + 1) + a]; }
  return { kind: 'net', layers: [{ w, b, inDim: d, outDim: k, act: 'none' }], head: k === 1 ? 'sigmoid' : 'softmax', yMean: 0, yStd: 1 };
}

function rowsOf(d: FitData, idx: Int32Array): FitData {
  const x = new Float32Array(idx.length * d.cols);
  for (let i = 0; i < idx.length; i++) x.set(d.x.subarray(idx[i] * d.cols, (idx[i] + 1) * d.cols), i * d.cols);
  return { x, rows: idx.length, cols: d.cols, y: Float64Array.from(idx, (r) => d.y[r]) };
}

/** Mean log-loss of the rows under θ (per class: d weights then the bias). */
function logLoss(data: FitData, k: number, theta: Float64Array): number {
  const z = new Float64Array(k);
  let sum = 0;
  for (let i = 0; i < data.rows; i++) sum += rowLoss(data, i, k, theta, z, null, 0);
  return sum / Math.max(1, data.rows);
}

/** One row's log-loss; with `grad`, adds its gradient (times `scale`). */
function rowLoss(data: FitData, i: number, k: number, theta: Float64Array, z: Float64Array, grad: Float64Array | null, scale: number): number {
  const d = data.cols, x = data.x, at = i * d, y = data.y[i];
  for (let j = 0; j < k; j++) {
    let s = theta[j * (d + 1) + d];
    for (let a = 0; a < d; a++) s += theta[j * (d + 1) + a] * x[at + a];
    z[j] = s;
  }
  let loss: number;
  if (k === 1) {
    const s = z[0];
    // log(1 + e^s) − y·s, stably
    loss = (s > 0 ? s + Math.log1p(Math.exp(-s)) : Math.log1p(Math.exp(s))) - y * s;
    z[0] = 1 / (1 + Math.exp(-s)) - y;
  } else {
    let mx = -Infinity;
    for (let j = 0; j < k; j++) mx = Math.max(mx, z[j]);
    let sum = 0;
    for (let j = 0; j < k; j++) sum += Math.exp(z[j] - mx);
    loss = mx + Math.log(sum) - z[y];
    for (let j = 0; j < k; j++) z[j] = Math.exp(z[j] - mx) / sum - (j === y ? 1 : 0);
  }
  if (grad) {
    for (let j = 0; j < k; j++) {
      const g = z[j] * scale, o = j * (d + 1);
      if (g === 0) continue;
      for (let a = 0; a < d; a++) grad[o + a] += g * x[at + a];
      grad[o + d] += g;
    }
  }
  return loss;
}

/** Mean log-loss + λ/(2n)·||W||² (biases free) and its gradient: scikit-learn's objective divided by C·n. */
function objective(data: FitData, k: number, lambda: number, theta: Float64Array, grad: Float64Array): number {
  const n = Math.max(1, data.rows), d = data.cols;
  grad.fill(0);
  const z = new Float64Array(k);
  let f = 0;
  for (let i = 0; i < data.rows; i++) f += rowLoss(data, i, k, theta, z, grad, 1 / n);
  f /= n;
  const reg = lambda / n;
  for (let j = 0; j < k; j++) {
    for (let a = 0; a < d; a++) { const t = theta[j * (d + 1) + a]; f += 0.5 * reg * t * t; grad[j * (d + 1) + a] += reg * t; }
  }
  return f;
}

/** L-BFGS (memory 10) with a backtracking Armijo line search, from `start`. */
function lbfgs(data: FitData, k: number, lambda: number, start: Float64Array): Float64Array {
  const m = 10, dim = start.length;
  let x = Float64Array.from(start);
  let g = new Float64Array(dim);
  let f = objective(data, k, lambda, x, g);
  const S: Float64Array[] = [], Y: Float64Array[] = [], rho: number[] = [];
  const dir = new Float64Array(dim), alpha = new Float64Array(m);
  const g0 = Math.sqrt(dot(g, g));
  for (let it = 0; it < MAX_ITER; it++) {
    if (Math.sqrt(dot(g, g)) <= 1e-7 * Math.max(1, g0)) break;
    // two-loop recursion: dir = −H·g
    dir.set(g);
    for (let i = S.length - 1; i >= 0; i--) { alpha[i] = rho[i] * dot(S[i], dir); axpy(-alpha[i], Y[i], dir); }
    if (S.length) { const last = S.length - 1, gamma = dot(S[last], Y[last]) / dot(Y[last], Y[last]); for (let i = 0; i < dim; i++) dir[i] *= gamma; }
    for (let i = 0; i < S.length; i++) { const beta = rho[i] * dot(Y[i], dir); axpy(alpha[i] - beta, S[i], dir); }
    for (let i = 0; i < dim; i++) dir[i] = -dir[i];
    let slope = dot(g, dir);
    if (slope >= 0) { for (let i = 0; i < dim; i++) dir[i] = -g[i]; slope = -dot(g, g); S.length = 0; Y.length = 0; rho.length = 0; }
    let step = it === 0 && S.length === 0 ? 1 / Math.max(1, Math.sqrt(dot(g, g))) : 1;
    const xn = new Float64Array(dim), gn = new Float64Array(dim);
    let fn = Infinity;
    for (let tries = 0; tries < 40; tries++) {
      for (let i = 0; i < dim; i++) xn[i] = x[i] + step * dir[i];
      fn = objective(data, k, lambda, xn, gn);
      if (fn <= f + 1e-4 * step * slope) break;
      step *= 0.5;
    }
    if (!(fn < f)) break;
    const s = new Float64Array(dim), y = new Float64Array(dim);
    for (let i = 0; i < dim; i++) { s[i] = xn[i] - x[i]; y[i] = gn[i] - g[i]; }
    const sy = dot(s, y);
    if (sy > 1e-12) { S.push(s); Y.push(y); rho.push(1 / sy); if (S.length > m) { S.shift(); Y.shift(); rho.shift(); } }
    const improved = f - fn;
    x = xn; g = gn; f = fn;
    if (improved <= 1e-12 * Math.max(1, Math.abs(f))) break;
  }
  return x;
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

function axpy(a: number, x: Float64Array, y: Float64Array): void {
  for (let i = 0; i < x.length; i++) y[i] += a * x[i];
}
