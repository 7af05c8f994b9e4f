// Importing XGBoost JSON: the compiled ONNX graph (through the local GBT's ONNX path) and the converted
// in-memory trees must equal a direct evaluation of the XGBoost trees: `x < cond`, NaN by default_left.
import { describe, expect, it } from 'vitest';
import { T } from '../../../engine/types/types.ts';
import type { Vector } from '../../../engine/types/vector.ts';
import { Predictor } from '../../../ml/index.ts';
import { compileModel } from '../../../ml/onnx/compile.ts';
import type { FittedPrep } from '../../../ml/prep/plan.ts';
import { nextDown32, parseXgboostJson, splitImportance, toTreeModel, xgbMargins, type XgbModel } from '../../../ml/sagemaker/xgboost.ts';
import { applyHead, gbt } from '../../../ml/train/gbt.ts';
import { Rng } from '../../../ml/util/rng.ts';

interface FixtureTree { left: number[]; right: number[]; feature: number[]; cond: number[]; defaultLeft: number[]; gain?: number[] }

/** A model file as xgboost writes it (only the fields the importer reads, plus a few it ignores). */
function fixture(objective: string, trees: FixtureTree[], o: { base?: string; numClass?: number; treeInfo?: number[]; numFeature?: number; dart?: number[] } = {}) {
  const model = {
    gbtree_model_param: { num_parallel_tree: '1', num_trees: String(trees.length) },
    tree_info: o.treeInfo ?? trees.map(() => 0),
    trees: trees.map((t, id) => ({
      base_weights: t.cond.map(() => 0), categories: [], categories_nodes: [], categories_segments: [], categories_sizes: [],
      default_left: t.defaultLeft, id, left_children: t.left, right_children: t.right, loss_changes: t.gain ?? t.cond.map(() => 0),
      parents: t.left.map(() => 2147483647), split_conditions: t.cond, split_indices: t.feature, split_type: t.cond.map(() => 0),
      sum_hessian: t.cond.map(() => 1), tree_param: { num_deleted: '0', num_feature: String(o.numFeature ?? 3), num_nodes: String(t.cond.length), size_leaf_vector: '1' },
    })),
  };
  return {
    learner: {
      attributes: {}, feature_names: [], feature_types: [],
      gradient_booster: o.dart ? { name: 'dart', gbtree: { model, name: 'gbtree' }, weight_drop: o.dart } : { name: 'gbtree', model },
      learner_model_param: { base_score: o.base ?? '5E-1', boost_from_average: '1', num_class: String(o.numClass ?? 0), num_feature: String(o.numFeature ?? 3), num_target: '1' },
      objective: { name: objective },
    },
    version: [2, 0, 3],
  };
}

// Depth-2 trees over features 0..2; thresholds are values the test data hits exactly.
const T1: FixtureTree = {
  left: [1, 3, 5, -1, -1, -1, -1], right: [2, 4, 6, -1, -1, -1, -1], feature: [0, 1, 2, 0, 0, 0, 0],
  cond: [0.5, -1.25, 2, 0.1, -0.2, 0.3, 0.45], defaultLeft: [1, 0, 1, 0, 0, 0, 0], gain: [10, 3, 2, 0, 0, 0, 0],
};
const T2: FixtureTree = {
  left: [1, -1, 3, -1, -1], right: [2, -1, 4, -1, -1], feature: [1, 0, 0, 0, 0],
  cond: [0.75, -0.05, 1.5, 0.07, -0.11], defaultLeft: [0, 0, 1, 0, 0], gain: [4, 0, 1, 0, 0],
};
const T3: FixtureTree = { left: [-1], right: [-1], feature: [0], cond: [0.02], defaultLeft: [0] }; // a single leaf
// A pruned tree: node 3..4 are deleted (unreachable) and must be ignored.
const T4: FixtureTree = {
  left: [1, -1, -1, -1, -1], right: [2, -1, -1, -1, -1], feature: [2, 0, 0, 0, 0],
  cond: [-0.5, 0.2, -0.3, 9, 9], defaultLeft: [1, 0, 0, 0, 0], gain: [5, 0, 0, 0, 0],
};

/** Rows hitting every threshold exactly, just below and above, plus NaN and infinities. */
function testMatrix(rows: number, cols = 3): Float32Array {
  const special = [0.5, -1.25, 2, 0.75, 1.5, -0.5, nextDown32(0.5), 0.50000006, NaN, Infinity, -Infinity, 0, -0];
  const rng = new Rng(5);
  const x = new Float32Array(rows * cols);
  for (let i = 0; i < x.length; i++) x[i] = rng.next() < 0.5 ? special[rng.int(special.length)] : rng.normal() * 2;
  return x;
}

/** An identity "preprocessing" (no imputation: NaN passes through to the trees) over float inputs f0..f{n-1}. */
function identityPrep(cols: number): FittedPrep {
  const idx = Array.from({ length: cols }, (_, i) => i);
  return {
    inputs: idx.map((i) => ({ name: `f${i}`, type: T.double })),
    affine: { cols: idx, impute: idx.map(() => NaN), offset: idx.map(() => 0), scale: idx.map(() => 1) },
    normalized: [], categorical: [], dropped: [], features: idx.map((i) => `f${i}`),
  };
}

function columns(x: Float32Array, rows: number, cols: number): Vector[] {
  return Array.from({ length: cols }, (_, j) => {
    const values = Float64Array.from({ length: rows }, (_, r) => x[r * cols + j]);
    const valid = Uint8Array.from(values, (v) => (Number.isNaN(v) ? 0 : 1));
    return { type: T.double, length: rows, values, valid };
  });
}

/** Compiles the imported model (with NaN guards) and checks ONNX and in-memory outputs against the direct evaluation. */
async function checkAgainstDirect(m: XgbModel, labels?: (string | number | boolean)[]) {
  const rows = 400, cols = 3;
  const x = testMatrix(rows, cols);
  const direct = applyHead(m.head, xgbMargins(m, x, rows, cols), rows, m.outputs);
  const tm = toTreeModel(m);
  const mem = gbt.predict(tm, x, rows);
  for (let i = 0; i < direct.length; i++) expect(Math.abs(mem[i] - direct[i])).toBeLessThan(1e-5);
  const onnx = compileModel({ prep: identityPrep(cols), model: tm, labels, outputType: labels ? T.varchar : T.double, problemType: labels ? 'CLASSIFICATION' : 'REGRESSION', modelType: 'XGBOOST' });
  const p = await Predictor.create(onnx);
  const args = columns(x, rows, cols);
  if (!labels) {
    const out = await p.predict(args, rows);
    for (let i = 0; i < rows; i++) expect(Math.abs(out.values[i] - direct[i]) / Math.max(1, Math.abs(direct[i]))).toBeLessThan(1e-5);
  } else {
    const { probs } = await p.predictProba(args, rows);
    for (let i = 0; i < direct.length; i++) expect(Math.abs(probs[i] - direct[i])).toBeLessThan(1e-5);
  }
  await p.release();
}

describe('parseXgboostJson -> ONNX equals direct evaluation', () => {
  it('regression (reg:squarederror), default_left and exact thresholds', async () => {
    const m = parseXgboostJson(JSON.stringify(fixture('reg:squarederror', [T1, T2, T3, T4], { base: '5E-1' })));
    expect(m.base).toEqual([0.5]);
    expect(m.head).toBe('identity');
    await checkAgainstDirect(m);
  });

  it('binary:logistic: base_score is a probability (margin = logit)', async () => {
    const m = parseXgboostJson(fixture('binary:logistic', [T1, T2], { base: '3E-1' }));
    expect(m.base[0]).toBeCloseTo(Math.log(0.3 / 0.7), 12);
    await checkAgainstDirect(m, ['no', 'yes']);
  });

  it('multi:softprob: trees per class from tree_info', async () => {
    const m = parseXgboostJson(fixture('multi:softprob', [T1, T2, T4, T2, T3, T1], { numClass: 3, treeInfo: [0, 1, 2, 0, 1, 2] }));
    expect(m.outputs).toBe(3);
    await checkAgainstDirect(m, ['a', 'b', 'c']);
  });

  it('dart: leaves scaled by weight_drop; XGBoost 3 vector base_score', async () => {
    const m = parseXgboostJson(fixture('reg:squarederror', [T1, T2], { dart: [0.5, 2], base: '[1.5E0]' }));
    expect(m.weights).toEqual([0.5, 2]);
    expect(m.base).toEqual([1.5]);
    await checkAgainstDirect(m);
  });

  it('NaN follows default_left only with guards; without them, finite inputs still agree', () => {
    const m = parseXgboostJson(fixture('reg:squarederror', [T1]));
    // T1 root: f0 < 0.5 (default left) -> node 1: f1 < -1.25 (default right) -> leaves 0.1 / -0.2
    const x = Float32Array.from([NaN, NaN, 0, 0.5, -1.25, 0, 0.25, -2, 0]);
    expect(Array.from(xgbMargins(m, x, 3, 3))).toEqual([0.5 + Math.fround(-0.2), 0.5 + Math.fround(0.3), 0.5 + Math.fround(0.1)]);
    expect(Array.from(gbt.predict(toTreeModel(m), x, 3))).toEqual(Array.from(xgbMargins(m, x, 3, 3)));
    const plain = toTreeModel(m, { nanGuards: false });
    expect(plain.trees[0].feature.length).toBe(7);
    expect(toTreeModel(m).trees[0].feature.length).toBeGreaterThan(7);
    const finite = Float32Array.from([0.25, -2, 0, 0.5, -1.25, 3]);
    expect(Array.from(gbt.predict(plain, finite, 2))).toEqual(Array.from(xgbMargins(m, finite, 2, 3)));
  });

  it('importance: split gains per feature (counts when the dump has no gains)', () => {
    const m = parseXgboostJson(fixture('reg:squarederror', [T1, T2, T4]));
    expect(Array.from(splitImportance(m, 3))).toEqual([10 + 1, 3 + 4, 2 + 5]);
    const noGain = parseXgboostJson(fixture('reg:squarederror', [{ ...T1, gain: undefined }]));
    expect(Array.from(splitImportance(noGain, 3))).toEqual([1, 1, 1]);
  });
});

describe('parseXgboostJson errors', () => {
  const cases: [string, unknown, RegExp][] = [
    ['not JSON', '{nope', /not valid JSON/],
    ['no learner', { version: [1] }, /missing "learner"/],
    ['unsupported objective', fixture('count:poisson', [T3]), /objective 'count:poisson' is not supported/],
    ['gblinear', { learner: { ...fixture('reg:squarederror', [T3]).learner, gradient_booster: { name: 'gblinear', model: {} } } }, /booster 'gblinear'/],
    ['child out of range', fixture('reg:squarederror', [{ ...T2, left: [9, -1, 3, -1, -1] }]), /child 9/],
    ['feature out of range', fixture('reg:squarederror', [{ ...T2, feature: [7, 0, 0, 0, 0] }]), /feature 7/],
    ['softprob without num_class', fixture('multi:softprob', [T3]), /num_class >= 2/],
    ['tree_info length', fixture('reg:squarederror', [T3], { treeInfo: [0, 0] }), /tree_info has 2 entries/],
  ];
  for (const [name, json, msg] of cases) it(name, () => { expect(() => parseXgboostJson(json)).toThrow(msg); });

  it('categorical splits are refused', () => {
    const f = fixture('reg:squarederror', [T2]) as any;
    f.learner.gradient_booster.model.trees[0].split_type = [1, 0, 0, 0, 0];
    expect(() => parseXgboostJson(f)).toThrow(/categorical splits/);
  });
});
