// Imports an XGBoost model (JSON, UBJSON or the legacy binary format that `save_model` writes) and
// converts it to the local boosted-tree structure, so it compiles to ONNX TreeEnsemble through the same
// path as local models.
import { SqlError } from '../../engine/errors.ts';
import type { Tree, TreeModel } from '../train/gbt.ts';
import { decodeUbjson } from './ubjson.ts';
import { readXgboostBinary } from './xgboost_binary.ts';

/** One XGBoost tree as stored: node i splits on feature[i] (x < cond[i] goes left, NaN goes defaultLeft) or is a leaf of value cond[i]. */
export interface XgbTree {
  left: Int32Array; right: Int32Array; feature: Int32Array;
  /** Split threshold (float32), or the leaf value for leaves. */
  cond: Float32Array;
  defaultLeft: Uint8Array;
  /** loss_changes: the split's gain (0 for leaves or when the dump has none). */
  gain: Float64Array;
}

/** A parsed XGBoost model: margin[k] = base[k] + Σ trees of output k (times their dart weight); then the head. */
export interface XgbModel {
  objective: string;
  /** Classes for multi:* objectives, else 0. */
  numClass: number;
  numFeature: number;
  outputs: number;
  /** Base margins per output (base_score mapped through the objective's link). */
  base: number[];
  trees: XgbTree[];
  treeOutput: number[];
  /** Dart drop weights per tree (1 for gbtree). */
  weights: number[];
  head: TreeModel['head'];
}

const bad = (msg: string) => new SqlError('INVALID_PARAMETER', `XGBoost model: ${msg}`);

/** Objectives whose raw margin is the prediction (identity link). */
const IDENTITY = new Set(['reg:squarederror', 'reg:linear', 'reg:absoluteerror', 'reg:pseudohubererror', 'reg:quantileerror']);
/** Objectives with a logistic link (base_score is a probability). */
const LOGISTIC = new Set(['binary:logistic', 'binary:logitraw', 'binary:hinge', 'reg:logistic']);
const SOFTMAX = new Set(['multi:softprob', 'multi:softmax']);

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The format of a saved model file, from its first bytes. */
export function xgboostFormat(bytes: Uint8Array): 'json' | 'ubjson' | 'binary' | 'pickle' {
  if (bytes[0] === 0x80 && bytes[1] >= 2 && bytes[1] <= 5) return 'pickle';
  if (bytes[0] !== 0x7b /* { */) return 'binary';
  let i = 1;
  while (i < bytes.length && (bytes[i] === 0x20 || bytes[i] === 0x0a || bytes[i] === 0x0d || bytes[i] === 0x09)) i++;
  // JSON text continues with a quoted key (or ends); UBJSON with a length marker for its first key.
  return bytes[i] === 0x22 /* " */ || bytes[i] === 0x7d /* } */ ? 'json' : 'ubjson';
}

/** Parses a model file in any of XGBoost's formats (JSON, UBJSON, legacy binary); `what` names it in errors. */
export function parseXgboostModel(bytes: Uint8Array, what = 'model'): XgbModel {
  const format = xgboostFormat(bytes);
  if (format === 'pickle') throw new SqlError('FEATURE_NOT_SUPPORTED', `XGBoost model: ${what} is a pickled Python object; save the booster with Booster.save_model instead`);
  if (format === 'json') return parseXgboostJson(new TextDecoder().decode(bytes));
  let root: unknown;
  try { root = format === 'ubjson' ? decodeUbjson(bytes) : readXgboostBinary(bytes); } catch (e) {
    throw bad(`${what} is not a valid ${format === 'ubjson' ? 'UBJSON' : 'binary'} XGBoost model (${(e as Error).message})`);
  }
  return parseXgboostJson(root);
}

/** Parses the JSON model (text or already-parsed object), checking what the conversion relies on. */
export function parseXgboostJson(json: string | unknown): XgbModel {
  let root: unknown = json;
  if (typeof json === 'string') {
    try { root = JSON.parse(json); } catch (e) { throw bad(`not valid JSON (${(e as Error).message})`); }
  }
  const learner = isObj(root) ? root.learner : undefined;
  if (!isObj(learner)) throw bad('missing "learner" (expected the JSON written by Booster.save_model("model.json"))');
  const objective = isObj(learner.objective) ? String(learner.objective.name ?? '') : '';
  if (!IDENTITY.has(objective) && !LOGISTIC.has(objective) && !SOFTMAX.has(objective)) {
    throw new SqlError('FEATURE_NOT_SUPPORTED', `XGBoost model: objective '${objective || '(none)'}' is not supported (use reg:squarederror, binary:logistic or multi:softprob)`);
  }
  const mp = isObj(learner.learner_model_param) ? learner.learner_model_param : {};
  const numClass = Math.max(0, Math.trunc(Number(mp.num_class ?? 0)) || 0);
  const numFeature = Math.trunc(Number(mp.num_feature ?? 0)) || 0;
  const head: TreeModel['head'] = SOFTMAX.has(objective) ? 'softmax' : LOGISTIC.has(objective) ? 'sigmoid' : 'identity';
  if (head === 'softmax' && numClass < 2) throw bad(`objective ${objective} needs num_class >= 2, got ${numClass}`);
  const outputs = head === 'softmax' ? numClass : 1;

  const gb = learner.gradient_booster;
  if (!isObj(gb)) throw bad('missing learner.gradient_booster');
  let model: unknown, weights: number[] | null = null;
  if (gb.name === 'gbtree') model = gb.model;
  else if (gb.name === 'dart') {
    model = isObj(gb.gbtree) ? gb.gbtree.model : undefined;
    weights = Array.isArray(gb.weight_drop) ? gb.weight_drop.map(Number) : null;
  } else throw new SqlError('FEATURE_NOT_SUPPORTED', `XGBoost model: booster '${String(gb.name)}' is not supported (only gbtree and dart)`);
  if (!isObj(model) || !Array.isArray(model.trees)) throw bad('missing gradient_booster.model.trees');
  const trees = model.trees.map((t, i) => parseTree(t, i, numFeature));
  const info = Array.isArray(model.tree_info) ? model.tree_info.map(Number) : trees.map(() => 0);
  if (info.length !== trees.length) throw bad(`tree_info has ${info.length} entries for ${trees.length} trees`);
  info.forEach((o, i) => { if (!(Number.isInteger(o) && o >= 0 && o < outputs)) throw bad(`tree ${i} belongs to output ${o}, but the model has ${outputs}`); });

  const base = parseBase(mp.base_score, outputs).map((p) => (head === 'sigmoid' ? logit(p) : p));
  return { objective, numClass, numFeature, outputs, base, trees, treeOutput: info, weights: weights ?? trees.map(() => 1), head };
}

function parseTree(t: unknown, i: number, numFeature: number): XgbTree {
  if (!isObj(t)) throw bad(`tree ${i} is not an object`);
  const ints = (k: string) => {
    const a = t[k];
    if (!Array.isArray(a)) throw bad(`tree ${i} has no ${k}`);
    return a.map(Number);
  };
  const left = ints('left_children'), right = ints('right_children'), feature = ints('split_indices'), cond = ints('split_conditions');
  const n = left.length;
  const defaultLeft = Array.isArray(t.default_left) ? ints('default_left') : new Array(n).fill(0);
  const gain = Array.isArray(t.loss_changes) ? ints('loss_changes') : new Array(n).fill(0);
  for (const [k, a] of [['right_children', right], ['split_indices', feature], ['split_conditions', cond], ['default_left', defaultLeft], ['loss_changes', gain]] as const) {
    if (a.length !== n) throw bad(`tree ${i}: ${k} has ${a.length} entries, left_children ${n}`);
  }
  if (n === 0) throw bad(`tree ${i} has no nodes`);
  const param = isObj(t.tree_param) ? t.tree_param : {};
  if (Number(param.size_leaf_vector ?? 1) > 1) throw new SqlError('FEATURE_NOT_SUPPORTED', `XGBoost model: tree ${i} has vector leaves (multi_strategy) which are not supported`);
  if (Array.isArray(t.split_type) && t.split_type.some((s) => Number(s) !== 0)) throw new SqlError('FEATURE_NOT_SUPPORTED', `XGBoost model: tree ${i} has categorical splits, which are not supported`);
  for (let j = 0; j < n; j++) {
    if (Number.isNaN(cond[j])) throw bad(`tree ${i} node ${j} has a non-numeric split condition or leaf value`);
    if (left[j] === -1) continue;
    for (const c of [left[j], right[j]]) if (!(Number.isInteger(c) && c > 0 && c < n)) throw bad(`tree ${i} node ${j} has child ${c} outside 1..${n - 1}`);
    if (!(Number.isInteger(feature[j]) && feature[j] >= 0 && (numFeature === 0 || feature[j] < numFeature))) throw bad(`tree ${i} node ${j} splits on feature ${feature[j]}, but the model has ${numFeature}`);
  }
  return {
    left: Int32Array.from(left), right: Int32Array.from(right), feature: Int32Array.from(feature),
    cond: Float32Array.from(cond), defaultLeft: Uint8Array.from(defaultLeft, (v) => (v ? 1 : 0)), gain: Float64Array.from(gain, (v) => (Number.isFinite(v) ? v : 0)),
  };
}

/** base_score: "5E-1", 0.5, or a vector "[5E-1,...]" (XGBoost 3 multi-target). */
function parseBase(raw: unknown, outputs: number): number[] {
  const text = raw === undefined ? '0.5' : String(raw).trim();
  const vals = text.replace(/^\[|\]$/g, '').split(',').map((s) => Number(s.trim()));
  if (vals.length === 0 || vals.some((v) => !Number.isFinite(v))) throw bad(`base_score '${text}' is not a number`);
  if (vals.length === 1) return new Array(outputs).fill(vals[0]);
  if (vals.length !== outputs) throw bad(`base_score has ${vals.length} values for ${outputs} outputs`);
  return vals;
}

const logit = (p: number) => {
  if (!(p > 0 && p < 1)) throw bad(`base_score ${p} must be a probability strictly between 0 and 1 for a logistic objective`);
  return Math.log(p / (1 - p));
};

/** Direct evaluation of the trees as XGBoost does it (float32 `x < cond`, NaN follows default_left): rows × outputs margins. */
export function xgbMargins(m: XgbModel, x: Float32Array, rows: number, cols: number): Float64Array {
  const out = new Float64Array(rows * m.outputs);
  for (let r = 0; r < rows; r++) for (let k = 0; k < m.outputs; k++) out[r * m.outputs + k] = m.base[k];
  m.trees.forEach((t, i) => {
    for (let r = 0; r < rows; r++) {
      let n = 0;
      while (t.left[n] !== -1) {
        const v = x[r * cols + t.feature[n]];
        n = Number.isNaN(v) ? (t.defaultLeft[n] ? t.left[n] : t.right[n]) : v < t.cond[n] ? t.left[n] : t.right[n];
      }
      out[r * m.outputs + m.treeOutput[i]] += t.cond[n] * m.weights[i];
    }
  });
  return out;
}

/**
 * Converts to the local GBT's trees (x <= threshold goes left): thresholds become the float32 just
 * below XGBoost's `cond`. With `nanGuards`, a default_left split also routes NaN left through an
 * extra `x <= +Inf` node whose false branch repeats the left subtree; without it (inputs that are
 * never NaN, such as Strata's imputed features) NaN would go right. Unreachable (pruned) nodes are dropped.
 */
export function toTreeModel(m: XgbModel, opts: { nanGuards?: boolean } = {}): TreeModel {
  const guards = opts.nanGuards ?? true;
  const trees = m.trees.map((t, i) => convertTree(t, m.weights[i], guards));
  return { kind: 'trees', outputs: m.outputs, base: m.base.map(Math.fround), trees, treeOutput: m.treeOutput.slice(), head: m.head };
}

function convertTree(t: XgbTree, weight: number, guards: boolean): Tree {
  const feature: number[] = [], threshold: number[] = [], left: number[] = [], right: number[] = [], value: number[] = [];
  const node = (f: number, thr: number, v: number) => { feature.push(f); threshold.push(thr); left.push(-1); right.push(-1); value.push(v); return feature.length - 1; };
  const build = (n: number, depth: number): number => {
    if (depth > 64) throw bad('tree deeper than 64 levels (or cyclic)');
    if (t.left[n] === -1) return node(-1, 0, Math.fround(t.cond[n] * weight));
    const id = node(t.feature[n], nextDown32(t.cond[n]), 0);
    left[id] = build(t.left[n], depth + 1);
    if (guards && t.defaultLeft[n]) {
      const g = node(t.feature[n], Infinity, 0);
      right[id] = g;
      left[g] = build(t.right[n], depth + 1);
      right[g] = build(t.left[n], depth + 1);
    } else right[id] = build(t.right[n], depth + 1);
    return id;
  };
  build(0, 0);
  return { feature: Int32Array.from(feature), threshold: Float32Array.from(threshold), left: Int32Array.from(left), right: Int32Array.from(right), value: Float32Array.from(value) };
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** The largest float32 below c (so float32 `x < c` is `x <= nextDown32(c)`). */
export function nextDown32(c: number): number {
  f32[0] = c;
  const v = f32[0];
  if (Number.isNaN(v) || v === -Infinity) return v;
  if (v === 0) { u32[0] = 0x80000001; return f32[0]; }
  if (v > 0) u32[0] -= 1; else u32[0] += 1;
  return f32[0];
}

/** Total split gain per feature (split counts when the dump has no gains), over reachable nodes. */
export function splitImportance(m: XgbModel, features: number): Float64Array {
  const gain = new Float64Array(features), count = new Float64Array(features);
  for (const t of m.trees) {
    const stack = [0];
    while (stack.length) {
      const n = stack.pop()!;
      if (t.left[n] === -1) continue;
      const f = t.feature[n];
      if (f < features) { gain[f] += Math.max(0, t.gain[n]); count[f]++; }
      stack.push(t.left[n], t.right[n]);
    }
  }
  return gain.some((g) => g > 0) ? gain : count;
}
