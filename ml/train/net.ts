// Feed-forward networks (linear models are the zero-hidden-layer case): the model, its forward pass,
// and the TensorFlow.js training loop shared by LINEAR_LEARNER and MLP.
import type * as TF from '@tensorflow/tfjs';
import { Rng, range } from '../util/rng.ts';
import { checkAbort, yieldAndCheck } from '../util/cancel.ts';
import type { FitContext, FitData, Fitted } from './backend.ts';
import { tfReady } from './tf.ts';

export type Activation = 'relu' | 'tanh' | 'none';

/** A dense layer: out = act(x · w + b), w row-major [inDim][outDim]. */
export interface Layer { w: Float32Array; b: Float32Array; inDim: number; outDim: number; act: Activation }

/** A trained network; `head` maps the last layer to the prediction; regression un-standardizes with yMean/yStd. */
export interface NetModel { kind: 'net'; layers: Layer[]; head: 'identity' | 'sigmoid' | 'softmax'; yMean: number; yStd: number }

export interface NetConfig {
  hidden: number[];
  activation: Activation;
  learningRate: number;
  epochs: number;
  batch: number;
  /** L2 penalty on weights: loss + wd/2 · Σw². */
  wd: number;
  /** Evaluations without validation improvement before stopping. */
  patience: number;
}

/** Runs the network in plain JS (float64 math on float32 weights): the in-memory prediction. */
export function forward(m: NetModel, x: Float32Array, rows: number): Float64Array {
  let cur: Float64Array | Float32Array = x;
  let dim = m.layers[0].inDim;
  for (const L of m.layers) {
    const next = new Float64Array(rows * L.outDim);
    for (let r = 0; r < rows; r++) {
      const o = r * L.outDim;
      for (let j = 0; j < L.outDim; j++) next[o + j] = L.b[j];
      for (let i = 0; i < dim; i++) {
        const v = cur[r * dim + i];
        if (v === 0) continue;
        const wi = i * L.outDim;
        for (let j = 0; j < L.outDim; j++) next[o + j] += v * L.w[wi + j];
      }
      if (L.act === 'relu') for (let j = 0; j < L.outDim; j++) next[o + j] = Math.max(0, next[o + j]);
      else if (L.act === 'tanh') for (let j = 0; j < L.outDim; j++) next[o + j] = Math.tanh(next[o + j]);
    }
    cur = next; dim = L.outDim;
  }
  return head(m, cur as Float64Array, rows, dim);
}

function head(m: NetModel, z: Float64Array, rows: number, k: number): Float64Array {
  if (m.head === 'identity') return z.map((v) => v * m.yStd + m.yMean);
  if (m.head === 'sigmoid') {
    const out = new Float64Array(rows * 2);
    for (let r = 0; r < rows; r++) { const p = 1 / (1 + Math.exp(-z[r])); out[2 * r] = 1 - p; out[2 * r + 1] = p; }
    return out;
  }
  const out = new Float64Array(rows * k);
  for (let r = 0; r < rows; r++) {
    let mx = -Infinity;
    for (let j = 0; j < k; j++) mx = Math.max(mx, z[r * k + j]);
    let s = 0;
    for (let j = 0; j < k; j++) { out[r * k + j] = Math.exp(z[r * k + j] - mx); s += out[r * k + j]; }
    for (let j = 0; j < k; j++) out[r * k + j] /= s;
  }
  return out;
}

/** Trains with Adam on seeded minibatches; keeps the weights of the best validation epoch. */
export async function trainNet(data: FitData, cfg: NetConfig, ctx: FitContext, fixedEpochs?: number): Promise<Fitted<NetModel>> {
  const tf = await tfReady();
  const { task } = ctx;
  const rng = new Rng(ctx.seed);
  const regression = task.classes === 0;
  const outDim = task.classes > 2 ? task.classes : 1;
  let yMean = 0, yStd = 1;
  if (regression) {
    for (const v of data.y) yMean += v;
    yMean /= data.rows;
    let s = 0;
    for (const v of data.y) s += (v - yMean) ** 2;
    yStd = Math.sqrt(s / data.rows) || 1;
  }
  const dims = [data.cols, ...cfg.hidden, outDim];
  const layers: Layer[] = [];
  for (let l = 0; l + 1 < dims.length; l++) {
    const [i, o] = [dims[l], dims[l + 1]];
    const lim = Math.sqrt(6 / (i + o));
    const w = new Float32Array(i * o);
    for (let k = 0; k < w.length; k++) w[k] = (rng.next() * 2 - 1) * lim;
    layers.push({ w, b: new Float32Array(o), inDim: i, outDim: o, act: l + 2 < dims.length ? cfg.activation : 'none' });
  }
  const model: NetModel = { kind: 'net', layers, head: regression ? 'identity' : outDim === 1 ? 'sigmoid' : 'softmax', yMean, yStd };
  const targets = (d: FitData) => {
    if (regression) return tf.tensor2d(Float32Array.from(d.y, (v) => (v - yMean) / yStd), [d.rows, 1]);
    if (outDim === 1) return tf.tensor2d(Float32Array.from(d.y), [d.rows, 1]);
    return tf.oneHot(tf.tensor1d(Int32Array.from(d.y), 'int32'), outDim).toFloat();
  };
  const X = tf.tensor2d(data.x, [data.rows, data.cols]);
  const Y = targets(data);
  const VX = ctx.valid ? tf.tensor2d(ctx.valid.x, [ctx.valid.rows, ctx.valid.cols]) : null;
  const VY = ctx.valid ? targets(ctx.valid) : null;
  const W = layers.map((L) => tf.variable(tf.tensor2d(L.w, [L.inDim, L.outDim])));
  const B = layers.map((L) => tf.variable(tf.tensor1d(L.b)));
  const opt = tf.train.adam(cfg.learningRate);
  const net = (x: TF.Tensor) => {
    let h = x as TF.Tensor2D;
    layers.forEach((L, l) => {
      h = tf.add(tf.matMul(h, W[l]), B[l]) as TF.Tensor2D;
      if (L.act === 'relu') h = tf.relu(h);
      else if (L.act === 'tanh') h = tf.tanh(h);
    });
    return h;
  };
  const dataLoss = (x: TF.Tensor, y: TF.Tensor) => {
    const z = net(x);
    if (regression) return tf.losses.meanSquaredError(y, z);
    return outDim === 1 ? tf.losses.sigmoidCrossEntropy(y, z) : tf.losses.softmaxCrossEntropy(y, z);
  };
  const snapshot = () => layers.forEach((L, l) => { L.w = W[l].dataSync().slice() as Float32Array; L.b = B[l].dataSync().slice() as Float32Array; });
  const epochs = fixedEpochs ?? cfg.epochs;
  const batch = Math.min(cfg.batch, data.rows);
  const evalEvery = Math.max(1, Math.floor(epochs / 100));
  let best = Infinity, bestEpoch = epochs, stale = 0, last = Date.now(), ran = 0;
  try {
    for (let e = 0; e < epochs; e++) {
      const perm = batch < data.rows ? rng.shuffle(range(data.rows)) : null;
      for (let s = 0; s < data.rows; s += batch) {
        tf.tidy(() => {
          let xb: TF.Tensor = X, yb: TF.Tensor = Y;
          if (perm) {
            const idx = tf.tensor1d(perm.subarray(s, Math.min(s + batch, data.rows)), 'int32');
            xb = tf.gather(X, idx); yb = tf.gather(Y, idx);
          }
          opt.minimize(() => {
            let l = dataLoss(xb, yb) as TF.Scalar;
            if (cfg.wd > 0) for (const w of W) l = tf.add(l, tf.mul(cfg.wd / 2, tf.sum(tf.square(w))));
            return l;
          });
        });
      }
      ran = e + 1;
      if (Date.now() - last > 50) { await yieldAndCheck(ctx.signal); last = Date.now(); } else checkAbort(ctx.signal);
      if (VX && fixedEpochs === undefined && (e % evalEvery === evalEvery - 1 || e === epochs - 1)) {
        const vl = tf.tidy(() => dataLoss(VX, VY!).dataSync()[0]);
        ctx.progress({ epoch: e + 1, loss: vl });
        if (vl < best - 1e-6) { best = vl; bestEpoch = e + 1; stale = 0; snapshot(); }
        else if (++stale >= cfg.patience) break;
      }
      if (Date.now() > ctx.deadline) break;
    }
    if (!VX || fixedEpochs !== undefined || best === Infinity) { snapshot(); bestEpoch = ran; }
  } finally {
    for (const t of [X, Y, VX, VY, ...W, ...B]) t?.dispose();
    opt.dispose();
  }
  return { model, iterations: bestEpoch };
}

/** Epochs so that training takes about `steps` optimizer steps, clamped to [min, max]. */
export function epochsFor(rows: number, batch: number, steps: number, min = 5, max = 1000): number {
  const perEpoch = Math.ceil(rows / Math.min(batch, rows));
  return Math.max(min, Math.min(max, Math.ceil(steps / perEpoch)));
}
