// Writes a Strata boosted-tree model in XGBoost's JSON model format (what `save_model('model.json')`
// produces), the way the SageMaker test server "saves" what it trained. Split gains, hessian sums and
// node weights are recomputed by replaying the boosting rounds over the training rows.
import type { TreeModel } from '../../ml/train/gbt.ts';

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** The smallest float32 above t (so float32 `x <= t` is XGBoost's `x < nextUp32(t)`). */
export function nextUp32(t: number): number {
  f32[0] = t;
  const v = f32[0];
  if (Number.isNaN(v) || v === Infinity) return v;
  if (v === 0) { u32[0] = 1; return f32[0]; }
  if (v > 0) u32[0] += 1; else u32[0] -= 1;
  return f32[0];
}

export interface DumpInput {
  model: TreeModel;
  objective: 'reg:squarederror' | 'binary:logistic' | 'multi:softprob';
  numClass: number;
  /** The training rows (row-major float32) and labels (values or class indices), for the replayed statistics. */
  x: Float32Array; y: Float64Array; rows: number; cols: number;
  lambda: number;
  bestIteration?: number;
}

export function xgboostJson(d: DumpInput): object {
  const { model: m, x, y, rows, cols } = d;
  const k = m.outputs;
  const margins = new Float64Array(rows * k);
  for (let r = 0; r < rows; r++) for (let c = 0; c < k; c++) margins[r * k + c] = m.base[c];
  const g = new Float64Array(rows * k), h = new Float64Array(rows * k);
  const trees: object[] = [];
  for (let i = 0; i < m.trees.length; i++) {
    if (i % k === 0) gradients(m.head, margins, y, rows, k, g, h);
    const t = m.trees[i], c = m.treeOutput[i], n = t.feature.length;
    const G = new Float64Array(n), H = new Float64Array(n), leafOf = new Int32Array(rows);
    for (let r = 0; r < rows; r++) {
      let v = 0;
      for (;;) {
        G[v] += g[r * k + c]; H[v] += h[r * k + c];
        if (t.left[v] < 0) break;
        v = x[r * cols + t.feature[v]] <= t.threshold[v] ? t.left[v] : t.right[v];
      }
      leafOf[r] = v;
    }
    for (let r = 0; r < rows; r++) margins[r * k + c] += t.value[leafOf[r]];
    // Non-zero base margins per class (softmax priors) are folded into each class's first tree.
    const fold = k > 1 && i < k ? m.base[c] : 0;
    const parents = new Array(n).fill(2147483647);
    const score = (a: number, b: number) => (a * a) / (b + d.lambda);
    const leaf = (v: number) => t.left[v] < 0;
    for (let v = 0; v < n; v++) if (!leaf(v)) { parents[t.left[v]] = v; parents[t.right[v]] = v; }
    trees.push({
      base_weights: Array.from(G, (gv, v) => -gv / (H[v] + d.lambda)),
      categories: [], categories_nodes: [], categories_segments: [], categories_sizes: [],
      default_left: new Array(n).fill(0),
      id: i,
      left_children: Array.from(t.left, (l) => (l < 0 ? -1 : l)),
      loss_changes: Array.from({ length: n }, (_, v) => (leaf(v) ? 0 : score(G[t.left[v]], H[t.left[v]]) + score(G[t.right[v]], H[t.right[v]]) - score(G[v], H[v]))),
      parents,
      right_children: Array.from(t.right, (l) => (l < 0 ? -1 : l)),
      split_conditions: Array.from({ length: n }, (_, v) => (leaf(v) ? Math.fround(t.value[v] + fold) : nextUp32(t.threshold[v]))),
      split_indices: Array.from({ length: n }, (_, v) => (leaf(v) ? 0 : t.feature[v])),
      split_type: new Array(n).fill(0),
      sum_hessian: Array.from(H),
      tree_param: { num_deleted: '0', num_feature: String(cols), num_nodes: String(n), size_leaf_vector: '1' },
    });
  }
  const base = m.head === 'sigmoid' ? 1 / (1 + Math.exp(-m.base[0])) : k > 1 ? 0 : m.base[0];
  const rounds = m.trees.length / k;
  return {
    learner: {
      attributes: d.bestIteration === undefined ? {} : { best_iteration: String(d.bestIteration), best_ntree_limit: String((d.bestIteration + 1) * k) },
      feature_names: [], feature_types: [],
      gradient_booster: {
        model: {
          gbtree_model_param: { num_parallel_tree: '1', num_trees: String(m.trees.length) },
          iteration_indptr: Array.from({ length: rounds + 1 }, (_, r) => r * k),
          tree_info: m.treeOutput.slice(),
          trees,
        },
        name: 'gbtree',
      },
      learner_model_param: { base_score: base.toExponential(16), boost_from_average: '1', num_class: String(d.numClass), num_feature: String(cols), num_target: '1' },
      objective: d.objective === 'multi:softprob'
        ? { name: d.objective, softmax_multiclass_param: { num_class: String(d.numClass) } }
        : { name: d.objective, reg_loss_param: { scale_pos_weight: '1' } },
    },
    version: [1, 7, 6],
  };
}

function gradients(head: TreeModel['head'], m: Float64Array, y: Float64Array, rows: number, k: number, g: Float64Array, h: Float64Array): void {
  for (let r = 0; r < rows; r++) {
    if (head === 'identity') { g[r] = m[r] - y[r]; h[r] = 1; continue; }
    if (head === 'sigmoid') { const p = 1 / (1 + Math.exp(-m[r])); g[r] = p - y[r]; h[r] = Math.max(p * (1 - p), 1e-16); continue; }
    let mx = -Infinity, s = 0;
    for (let c = 0; c < k; c++) mx = Math.max(mx, m[r * k + c]);
    for (let c = 0; c < k; c++) s += Math.exp(m[r * k + c] - mx);
    for (let c = 0; c < k; c++) {
      const q = Math.exp(m[r * k + c] - mx) / s;
      g[r * k + c] = q - (y[r] === c ? 1 : 0); h[r * k + c] = Math.max(2 * q * (1 - q), 1e-16);
    }
  }
}
