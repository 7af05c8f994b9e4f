// Reads an ONNX TreeEnsembleRegressor / TreeEnsembleClassifier node into plain arrays that TreeSHAP
// walks: per tree, nodes with their split, children, missing-value branch and cover (the training
// rows or hessian weight that reached the node, from the optional `nodes_hitrates` attribute).
import onnxProto from 'onnx-proto';
import type { onnx as O } from 'onnx-proto';

const { onnx } = onnxProto;

/** ONNX branch modes; true means "go to the true child". */
export type SplitMode = 'BRANCH_LEQ' | 'BRANCH_LT' | 'BRANCH_GTE' | 'BRANCH_GT' | 'BRANCH_EQ' | 'BRANCH_NEQ';

/** One tree: node arrays indexed by the node's position (children are positions too); leaves have mode null. */
export interface EnsembleTree {
  feature: Int32Array;
  threshold: Float32Array;
  mode: (SplitMode | null)[];
  trueChild: Int32Array;
  falseChild: Int32Array;
  missingTrue: Uint8Array;
  /** training weight per node; NaN when the model does not carry it */
  cover: Float64Array;
  /** per leaf: [target, weight] pairs, flattened */
  leafValues: number[][];
}

export interface Ensemble {
  /** the tensor the ensemble reads (its input) and the node's outputs */
  input: string;
  outputs: string[];
  kind: 'regressor' | 'classifier';
  targets: number;
  base: number[];
  trees: EnsembleTree[];
  /** AVERAGE divides the tree sum by the number of trees */
  average: boolean;
  /** NONE | LOGISTIC | SOFTMAX | ...: applied after the margins; explanations are of the margins */
  postTransform: string;
  /** classifiers: the class labels in target order */
  classLabels?: (string | number)[];
  /** the largest feature index used, plus one */
  width: number;
}

const num = (v: unknown): number => (typeof v === 'number' ? v : Number(String(v)));
const text = (b: Uint8Array | null | undefined) => new TextDecoder().decode(b ?? new Uint8Array());

/** The graph's single tree-ensemble node, or null (no tree ensemble, or more than one, or not linear). */
export function findEnsemble(model: O.IModelProto): Ensemble | null {
  const nodes = (model.graph?.node ?? []).filter((n) => n.domain === 'ai.onnx.ml' && (n.opType === 'TreeEnsembleRegressor' || n.opType === 'TreeEnsembleClassifier'));
  if (nodes.length !== 1) return null;
  return readEnsemble(nodes[0]);
}

export function decodeModel(bytes: Uint8Array): O.IModelProto {
  return onnx.ModelProto.decode(bytes);
}

function readEnsemble(n: O.INodeProto): Ensemble | null {
  const attrs = new Map((n.attribute ?? []).map((a) => [a.name ?? '', a]));
  const ints = (k: string) => (attrs.get(k)?.ints ?? []).map(num);
  const floats = (k: string) => (attrs.get(k)?.floats ?? []).map(num);
  const str = (k: string, d: string) => (attrs.has(k) ? text(attrs.get(k)!.s) : d);
  const classifier = n.opType === 'TreeEnsembleClassifier';
  const aggregate = str('aggregate_function', 'SUM');
  // MIN / MAX are not additive over trees: no exact per-tree decomposition
  if (aggregate !== 'SUM' && aggregate !== 'AVERAGE') return null;
  if (attrs.has('nodes_values_as_tensor') || attrs.has('target_weights_as_tensor') || attrs.has('class_weights_as_tensor')) return null;
  const treeIds = ints('nodes_treeids'), nodeIds = ints('nodes_nodeids'), featureIds = ints('nodes_featureids');
  const values = floats('nodes_values'), modes = (attrs.get('nodes_modes')?.strings ?? []).map(text);
  const trueIds = ints('nodes_truenodeids'), falseIds = ints('nodes_falsenodeids');
  const missing = ints('nodes_missing_value_tracks_true'), hitrates = floats('nodes_hitrates');
  const p = classifier ? 'class' : 'target';
  const tTree = ints(`${p}_treeids`), tNode = ints(`${p}_nodeids`), tId = ints(`${p}_ids`), tWeight = floats(`${p}_weights`);
  const count = treeIds.length;
  if (!count || [nodeIds, featureIds, modes, trueIds, falseIds].some((a) => a.length !== count)) return null;
  // positions of each (tree, node id)
  const byTree = new Map<number, Map<number, number>>();
  const order = new Map<number, number[]>();
  for (let i = 0; i < count; i++) {
    if (!byTree.has(treeIds[i])) { byTree.set(treeIds[i], new Map()); order.set(treeIds[i], []); }
    const list = order.get(treeIds[i])!;
    byTree.get(treeIds[i])!.set(nodeIds[i], list.length);
    list.push(i);
  }
  let width = 0;
  const trees: EnsembleTree[] = [];
  for (const [tid, idx] of [...order.entries()].sort((a, b) => a[0] - b[0])) {
    const pos = byTree.get(tid)!;
    const m = idx.length;
    const t: EnsembleTree = {
      feature: new Int32Array(m), threshold: new Float32Array(m), mode: new Array(m).fill(null),
      trueChild: new Int32Array(m).fill(-1), falseChild: new Int32Array(m).fill(-1), missingTrue: new Uint8Array(m),
      cover: new Float64Array(m).fill(NaN), leafValues: Array.from({ length: m }, () => []),
    };
    for (let j = 0; j < m; j++) {
      const i = idx[j];
      if (hitrates.length === count) t.cover[j] = hitrates[i];
      if (modes[i] === 'LEAF') continue;
      if (!isSplit(modes[i])) return null;
      t.mode[j] = modes[i] as SplitMode;
      t.feature[j] = featureIds[i];
      t.threshold[j] = values[i];
      t.missingTrue[j] = missing.length === count ? missing[i] : 0;
      const tc = pos.get(trueIds[i]), fc = pos.get(falseIds[i]);
      if (tc === undefined || fc === undefined) return null;
      t.trueChild[j] = tc; t.falseChild[j] = fc;
      width = Math.max(width, featureIds[i] + 1);
    }
    trees.push(t);
  }
  const treeIndex = new Map([...order.keys()].sort((a, b) => a - b).map((tid, k) => [tid, k]));
  let targets = classifier ? 0 : num(attrs.get('n_targets')?.i ?? 1);
  for (let i = 0; i < tTree.length; i++) {
    const k = treeIndex.get(tTree[i]);
    const at = k === undefined ? undefined : byTree.get(tTree[i])!.get(tNode[i]);
    if (k === undefined || at === undefined || trees[k].mode[at] !== null) return null;
    trees[k].leafValues[at].push(tId[i], tWeight[i]);
    if (classifier) targets = Math.max(targets, tId[i] + 1);
  }
  let classLabels: (string | number)[] | undefined;
  if (classifier) {
    const s = (attrs.get('classlabels_strings')?.strings ?? []).map(text);
    classLabels = s.length ? s : ints('classlabels_int64s');
    targets = Math.max(targets, 1);
  }
  const base = floats('base_values');
  return {
    input: n.input?.[0] ?? '', outputs: [...(n.output ?? [])], kind: classifier ? 'classifier' : 'regressor', targets,
    base: Array.from({ length: targets }, (_, k) => base[k] ?? 0), trees, average: aggregate === 'AVERAGE',
    postTransform: str('post_transform', 'NONE'), classLabels, width,
  };
}

function isSplit(m: string): boolean {
  return m === 'BRANCH_LEQ' || m === 'BRANCH_LT' || m === 'BRANCH_GTE' || m === 'BRANCH_GT' || m === 'BRANCH_EQ' || m === 'BRANCH_NEQ';
}

/** Whether value x takes node j's true branch (NaN: the node's missing-value branch), as onnxruntime decides. */
export function goesTrue(t: EnsembleTree, j: number, x: number): boolean {
  if (Number.isNaN(x)) return t.missingTrue[j] === 1;
  const v = t.threshold[j];
  switch (t.mode[j]) {
    case 'BRANCH_LEQ': return x <= v;
    case 'BRANCH_LT': return x < v;
    case 'BRANCH_GTE': return x >= v;
    case 'BRANCH_GT': return x > v;
    case 'BRANCH_EQ': return x === v;
    default: return x !== v;
  }
}

/**
 * Fills in covers the model does not carry by routing sample rows (the training background) through
 * each tree; an unreached node splits its parent's weight evenly so the expectation stays defined.
 */
export function coverFromSample(e: Ensemble, rows: Float32Array, count: number, width: number): void {
  for (const t of e.trees) {
    if (!t.cover.some(Number.isNaN)) continue;
    t.cover.fill(0);
    for (let r = 0; r < count; r++) {
      let j = 0;
      for (;;) {
        t.cover[j]++;
        if (t.mode[j] === null) break;
        j = goesTrue(t, j, rows[r * width + t.feature[j]]) ? t.trueChild[j] : t.falseChild[j];
      }
    }
  }
}
