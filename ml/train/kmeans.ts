// KMEANS: k-means++ seeding and Lloyd iterations, the assignment step on TensorFlow.js.
import { SqlError } from '../../engine/errors.ts';
import { Rng } from '../util/rng.ts';
import { yieldAndCheck } from '../util/cancel.ts';
import { type Backend, lookup, num } from './backend.ts';
import { tfReady } from './tf.ts';

/** k centroids, row-major k × dim. */
export interface KMeansModel { kind: 'kmeans'; k: number; dim: number; centroids: Float32Array }

export const kmeans: Backend<KMeansModel> = {
  modelType: 'KMEANS',
  defaults: () => ({ max_iter: '100', tol: '0.0001' }),
  async fit(data, params, ctx, iterations) {
    if (lookup(params, 'k') === undefined) throw new SqlError('INVALID_PARAMETER', 'KMEANS needs the number of clusters: HYPERPARAMETERS DEFAULT EXCEPT (K \'n\')');
    const k = Math.round(num(params, 'k', 0));
    if (k < 1 || k > data.rows) throw new SqlError('INVALID_PARAMETER', `K must be between 1 and the number of rows (${data.rows}), got ${k}`);
    const tf = await tfReady();
    const { x, rows, cols } = data;
    const c = seedCentroids(x, rows, cols, k, new Rng(ctx.seed));
    const maxIter = iterations ?? Math.max(1, Math.round(num(params, 'max_iter', 100)));
    const tol = num(params, 'tol', 1e-4);
    const X = tf.tensor2d(x, [rows, cols]);
    const x2 = tf.sum(tf.square(X), 1, true);
    let it = 0;
    try {
      for (; it < maxIter; it++) {
        const assign = tf.tidy(() => {
          const C = tf.tensor2d(c, [k, cols]);
          const d = tf.add(tf.sub(x2, tf.mul(2, tf.matMul(X, C, false, true))), tf.sum(tf.square(C), 1).reshape([1, k]));
          return tf.argMin(d, 1);
        });
        const a = (await assign.data()) as Int32Array;
        assign.dispose();
        const sum = new Float64Array(k * cols), cnt = new Float64Array(k);
        for (let r = 0; r < rows; r++) { cnt[a[r]]++; for (let j = 0; j < cols; j++) sum[a[r] * cols + j] += x[r * cols + j]; }
        let shift = 0;
        for (let q = 0; q < k; q++) {
          if (cnt[q] === 0) continue; // an empty cluster keeps its centroid
          for (let j = 0; j < cols; j++) {
            const v = Math.fround(sum[q * cols + j] / cnt[q]);
            shift += (v - c[q * cols + j]) ** 2;
            c[q * cols + j] = v;
          }
        }
        ctx.progress({ epoch: it + 1, loss: shift });
        await yieldAndCheck(ctx.signal);
        if (iterations === undefined && (shift <= tol * tol || Date.now() > ctx.deadline)) { it++; break; }
      }
    } finally {
      X.dispose(); x2.dispose();
    }
    return { model: { kind: 'kmeans', k, dim: cols, centroids: c }, iterations: it };
  },
  predict(m, x, rows) {
    const out = new Float64Array(rows);
    for (let r = 0; r < rows; r++) out[r] = nearest(m, x, r).index;
    return out;
  },
};

/** The closest centroid to row r and its squared distance. */
export function nearest(m: KMeansModel, x: Float32Array, r: number): { index: number; dist: number } {
  let best = 0, bd = Infinity;
  for (let q = 0; q < m.k; q++) {
    let d = 0;
    for (let j = 0; j < m.dim; j++) { const t = x[r * m.dim + j] - m.centroids[q * m.dim + j]; d += t * t; }
    if (d < bd) { bd = d; best = q; }
  }
  return { index: best, dist: bd };
}

/** k-means++: each next centroid drawn with probability proportional to squared distance (on ≤ 20K rows). */
function seedCentroids(x: Float32Array, rows: number, cols: number, k: number, rng: Rng): Float32Array {
  const step = Math.max(1, Math.floor(rows / 20000));
  const cand: number[] = [];
  for (let r = 0; r < rows; r += step) cand.push(r);
  const c = new Float32Array(k * cols);
  const d = new Float64Array(cand.length).fill(Infinity);
  let pick = cand[rng.int(cand.length)];
  for (let q = 0; q < k; q++) {
    for (let j = 0; j < cols; j++) c[q * cols + j] = x[pick * cols + j];
    let total = 0;
    cand.forEach((r, i) => {
      let s = 0;
      for (let j = 0; j < cols; j++) { const t = x[r * cols + j] - c[q * cols + j]; s += t * t; }
      if (s < d[i]) d[i] = s;
      total += d[i];
    });
    let u = rng.next() * total;
    pick = cand[cand.length - 1];
    for (let i = 0; i < cand.length; i++) { u -= d[i]; if (u <= 0) { pick = cand[i]; break; } }
  }
  return c;
}
