// XGBOOST: gradient-boosted trees written here: histogram splits, second-order gradients,
// squared / logistic / softmax loss, L2 leaf penalty, early stopping on the validation split.
import { Rng, range } from '../util/rng.ts';
import { checkAbort, yieldAndCheck } from '../util/cancel.ts';
import { type Backend, type FitContext, type FitData, type Fitted, num } from './backend.ts';
import { type Binned, binFeatures } from './bins.ts';

/**
 * One tree: node i splits on feature[i] (x <= threshold[i] goes left) or is a leaf (left[i] < 0) with value[i].
 * cover[i]: the training rows that reached node i (TreeSHAP's path weights), when known.
 */
export interface Tree { feature: Int32Array; threshold: Float32Array; left: Int32Array; right: Int32Array; value: Float32Array; cover?: Float32Array }

/** A boosted ensemble: margin[k] = base[k] + Σ trees of output k; then the head. */
export interface TreeModel { kind: 'trees'; outputs: number; base: number[]; trees: Tree[]; treeOutput: number[]; head: 'identity' | 'sigmoid' | 'softmax' }

interface Params { rounds: number; depth: number; eta: number; minChild: number; lambda: number; gamma: number; subsample: number; colsample: number; patience: number; maxBin: number }

function params(p: Record<string, string>): Params {
  return {
    rounds: Math.max(1, Math.round(num(p, 'num_round', 100))),
    depth: Math.max(1, Math.min(16, Math.round(num(p, 'max_depth', 6)))),
    eta: num(p, 'eta', 0.3),
    minChild: num(p, 'min_child_weight', 1),
    lambda: num(p, 'lambda', 1),
    gamma: num(p, 'gamma', 0),
    subsample: Math.min(1, Math.max(0.05, num(p, 'subsample', 1))),
    colsample: Math.min(1, Math.max(0.05, num(p, 'colsample_bytree', 1))),
    patience: Math.max(1, Math.round(num(p, 'early_stopping_rounds', 10))),
    maxBin: Math.max(2, Math.min(256, Math.round(num(p, 'max_bin', 256)))),
  };
}

export const gbt: Backend<TreeModel> = {
  modelType: 'XGBOOST',
  defaults: () => ({ num_round: '100', max_depth: '6', eta: '0.3', min_child_weight: '1', lambda: '1', gamma: '0', subsample: '1', colsample_bytree: '1', early_stopping_rounds: '10' }),
  fit: (data, p, ctx, iterations) => boost(data, params(p), ctx, iterations),
  predict: (m, x, rows) => applyHead(m.head, margins(m, x, rows, x.length / rows), rows, m.outputs),
};

/** Raw margins (rows × outputs) of the ensemble on a float32 matrix. */
export function margins(m: TreeModel, x: Float32Array, rows: number, cols: number): Float64Array {
  const out = new Float64Array(rows * m.outputs);
  for (let r = 0; r < rows; r++) for (let k = 0; k < m.outputs; k++) out[r * m.outputs + k] = m.base[k];
  m.trees.forEach((t, i) => addTree(t, x, rows, cols, out, m.outputs, m.treeOutput[i]));
  return out;
}

function addTree(t: Tree, x: Float32Array, rows: number, cols: number, out: Float64Array, k: number, o: number): void {
  for (let r = 0; r < rows; r++) {
    let n = 0;
    while (t.left[n] >= 0) n = x[r * cols + t.feature[n]] <= t.threshold[n] ? t.left[n] : t.right[n];
    out[r * k + o] += t.value[n];
  }
}

/** Turns margins into predictions: values, [1-p, p], or softmax probabilities. */
export function applyHead(head: TreeModel['head'], m: Float64Array, rows: number, k: number): Float64Array {
  if (head === 'identity') return m;
  if (head === 'sigmoid') {
    const out = new Float64Array(rows * 2);
    for (let r = 0; r < rows; r++) { const p = 1 / (1 + Math.exp(-m[r])); out[2 * r] = 1 - p; out[2 * r + 1] = p; }
    return out;
  }
  const out = new Float64Array(rows * k);
  for (let r = 0; r < rows; r++) {
    let mx = -Infinity;
    for (let j = 0; j < k; j++) mx = Math.max(mx, m[r * k + j]);
    let s = 0;
    for (let j = 0; j < k; j++) { out[r * k + j] = Math.exp(m[r * k + j] - mx); s += out[r * k + j]; }
    for (let j = 0; j < k; j++) out[r * k + j] /= s;
  }
  return out;
}

/** Gradient and hessian of the loss at the current margins, per row and output. */
function gradients(head: TreeModel['head'], m: Float64Array, y: Float64Array, k: number, g: Float64Array, h: Float64Array): void {
  const n = y.length;
  if (head === 'identity') { for (let i = 0; i < n; i++) { g[i] = m[i] - y[i]; h[i] = 1; } return; }
  if (head === 'sigmoid') {
    for (let i = 0; i < n; i++) { const p = 1 / (1 + Math.exp(-m[i])); g[i] = p - y[i]; h[i] = Math.max(p * (1 - p), 1e-16); }
    return;
  }
  const p = applyHead('softmax', m, n, k);
  for (let i = 0; i < n; i++) for (let c = 0; c < k; c++) {
    const q = p[i * k + c];
    g[i * k + c] = q - (y[i] === c ? 1 : 0);
    h[i * k + c] = Math.max(2 * q * (1 - q), 1e-16);
  }
}

/** Validation loss: MSE or mean negative log-likelihood. */
function validLoss(head: TreeModel['head'], m: Float64Array, y: Float64Array, k: number): number {
  const n = y.length;
  let s = 0;
  if (head === 'identity') { for (let i = 0; i < n; i++) s += (m[i] - y[i]) ** 2; return s / n; }
  const p = applyHead(head, m, n, k);
  const w = head === 'sigmoid' ? 2 : k;
  for (let i = 0; i < n; i++) s -= Math.log(Math.max(p[i * w + y[i]], 1e-15));
  return s / n;
}

async function boost(data: FitData, p: Params, ctx: FitContext, fixedRounds?: number): Promise<Fitted<TreeModel>> {
  const { rows, cols, y } = data;
  const classes = ctx.task.classes;
  const k = classes > 2 ? classes : 1;
  const head: TreeModel['head'] = classes === 0 ? 'identity' : k === 1 ? 'sigmoid' : 'softmax';
  const base: number[] = [];
  if (head === 'identity') base.push(y.reduce((a, b) => a + b, 0) / rows);
  else if (head === 'sigmoid') { const q = Math.min(Math.max(y.reduce((a, b) => a + b, 0) / rows, 1e-6), 1 - 1e-6); base.push(Math.log(q / (1 - q))); }
  else for (let c = 0; c < k; c++) { let n = 0; for (const v of y) if (v === c) n++; base.push(Math.log(Math.max(n / rows, 1e-6))); }
  const model: TreeModel = { kind: 'trees', outputs: k, base: base.map(Math.fround), trees: [], treeOutput: [], head };
  const binned = binFeatures(data.x, rows, cols, p.maxBin);
  const rng = new Rng(ctx.seed);
  const m = new Float64Array(rows * k);
  for (let r = 0; r < rows; r++) for (let c = 0; c < k; c++) m[r * k + c] = model.base[c];
  const valid = fixedRounds === undefined ? ctx.valid : undefined;
  const vm = valid ? new Float64Array(valid.rows * k) : null;
  if (vm) for (let r = 0; r < valid!.rows; r++) for (let c = 0; c < k; c++) vm[r * k + c] = model.base[c];
  const g = new Float64Array(rows * k), h = new Float64Array(rows * k);
  const gk = new Float64Array(rows), hk = new Float64Array(rows);
  const rounds = fixedRounds ?? p.rounds;
  let best = Infinity, bestRound = 0, last = Date.now();
  for (let round = 0; round < rounds; round++) {
    gradients(head, m, y, k, g, h);
    const sample = p.subsample < 1 ? sampleRows(rng, rows, p.subsample) : range(rows);
    const features = p.colsample < 1 ? sampleFeatures(rng, cols, p.colsample) : range(cols);
    for (let c = 0; c < k; c++) {
      for (let r = 0; r < rows; r++) { gk[r] = g[r * k + c]; hk[r] = h[r * k + c]; }
      const tree = growTree(binned, gk, hk, sample, features, p);
      model.trees.push(tree); model.treeOutput.push(c);
      applyBinned(tree, binned, m, k, c);
      if (vm) addTree(tree, valid!.x, valid!.rows, cols, vm, k, c);
    }
    if (Date.now() - last > 50) { await yieldAndCheck(ctx.signal); last = Date.now(); } else checkAbort(ctx.signal);
    if (vm) {
      const l = validLoss(head, vm, valid!.y, k);
      if (round % 10 === 0) ctx.progress({ epoch: round + 1, loss: l });
      if (l < best - 1e-9) { best = l; bestRound = round + 1; }
      else if (round + 1 - bestRound >= p.patience) break;
    } else bestRound = round + 1;
    if (Date.now() > ctx.deadline) break;
  }
  model.trees.length = bestRound * k;
  model.treeOutput.length = bestRound * k;
  return { model, iterations: bestRound };
}

function sampleRows(rng: Rng, rows: number, frac: number): Int32Array {
  const out: number[] = [];
  for (let r = 0; r < rows; r++) if (rng.next() < frac) out.push(r);
  return Int32Array.from(out.length ? out : [0]);
}

function sampleFeatures(rng: Rng, cols: number, frac: number): Int32Array {
  const n = Math.max(1, Math.round(cols * frac));
  return rng.shuffle(range(cols)).slice(0, n).sort();
}

/** Adds a tree's leaf values to the training margins, routing rows by their bin codes. */
function applyBinned(t: Tree, b: Binned, m: Float64Array, k: number, c: number): void {
  const splitBin = new Int32Array(t.feature.length);
  for (let n = 0; n < t.feature.length; n++) if (t.left[n] >= 0) splitBin[n] = binIndexOf(b.edges[t.feature[n]], t.threshold[n]);
  for (let r = 0; r < b.rows; r++) {
    let n = 0;
    while (t.left[n] >= 0) n = b.codes[t.feature[n]][r] <= splitBin[n] ? t.left[n] : t.right[n];
    m[r * k + c] += t.value[n];
  }
}

function binIndexOf(edge: Float32Array, thr: number): number {
  for (let i = 0; i < edge.length; i++) if (edge[i] === thr) return i;
  return edge.length;
}

/** Grows one tree depth-first with per-node gradient histograms (the larger child by subtraction). */
function growTree(b: Binned, g: Float64Array, h: Float64Array, rows: Int32Array, features: Int32Array, p: Params): Tree {
  const B = 256;
  const feature: number[] = [], threshold: number[] = [], left: number[] = [], right: number[] = [], value: number[] = [], cover: number[] = [];
  const node = (rows: number) => { feature.push(-1); threshold.push(0); left.push(-1); right.push(-1); value.push(0); cover.push(rows); return feature.length - 1; };
  const histOf = (idx: Int32Array) => {
    const hist = new Float64Array(b.cols * B * 2);
    for (const f of features) {
      const code = b.codes[f], o = f * B * 2;
      for (let i = 0; i < idx.length; i++) { const r = idx[i], j = o + code[r] * 2; hist[j] += g[r]; hist[j + 1] += h[r]; }
    }
    return hist;
  };
  const build = (idx: Int32Array, hist: Float64Array, depth: number): number => {
    const id = node(idx.length);
    let G = 0, H = 0;
    for (let i = 0; i < idx.length; i++) { G += g[idx[i]]; H += h[idx[i]]; }
    const leaf = () => { value[id] = Math.fround((-G / (H + p.lambda)) * p.eta); return id; };
    if (depth >= p.depth || H < 2 * p.minChild) return leaf();
    const parentScore = (G * G) / (H + p.lambda);
    let bestGain = 0, bf = -1, bb = -1;
    for (const f of features) {
      const nb = b.edges[f].length; // split after bin 0..nb-1
      let GL = 0, HL = 0;
      const o = f * B * 2;
      for (let k = 0; k < nb; k++) {
        GL += hist[o + k * 2]; HL += hist[o + k * 2 + 1];
        const GR = G - GL, HR = H - HL;
        if (HL < p.minChild || HR < p.minChild) continue;
        const gain = (GL * GL) / (HL + p.lambda) + (GR * GR) / (HR + p.lambda) - parentScore;
        if (gain > bestGain) { bestGain = gain; bf = f; bb = k; }
      }
    }
    if (bf < 0 || bestGain / 2 <= p.gamma || bestGain < 1e-12) return leaf();
    const code = b.codes[bf];
    let nl = 0;
    for (let i = 0; i < idx.length; i++) if (code[idx[i]] <= bb) nl++;
    const L = new Int32Array(nl), R = new Int32Array(idx.length - nl);
    for (let i = 0, a = 0, c = 0; i < idx.length; i++) { const r = idx[i]; if (code[r] <= bb) L[a++] = r; else R[c++] = r; }
    const small = L.length <= R.length ? L : R;
    const hs = histOf(small);
    const hb = hist; // reuse the parent's buffer for the larger child: parent - small
    for (let j = 0; j < hb.length; j++) hb[j] -= hs[j];
    feature[id] = bf; threshold[id] = b.edges[bf][bb];
    const l = build(L, small === L ? hs : hb, depth + 1);
    const r = build(R, small === R ? hs : hb, depth + 1);
    left[id] = l; right[id] = r;
    return id;
  };
  build(rows, histOf(rows), 0);
  return {
    feature: Int32Array.from(feature), threshold: Float32Array.from(threshold),
    left: Int32Array.from(left), right: Int32Array.from(right), value: Float32Array.from(value), cover: Float32Array.from(cover),
  };
}
