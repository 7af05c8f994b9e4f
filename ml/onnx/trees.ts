// Compiles a boosted ensemble to one ai.onnx.ml TreeEnsembleRegressor producing raw margins.
import type { TreeModel } from '../train/gbt.ts';
import type { GraphBuilder } from './graph.ts';

/** Emits the ensemble; returns margins [N, outputs] (base values included). */
export function emitTrees(g: GraphBuilder, m: TreeModel, features: string): string {
  const a = {
    nodes_treeids: [] as number[], nodes_nodeids: [] as number[], nodes_featureids: [] as number[], nodes_values: [] as number[],
    nodes_modes: [] as string[], nodes_truenodeids: [] as number[], nodes_falsenodeids: [] as number[],
    target_treeids: [] as number[], target_nodeids: [] as number[], target_ids: [] as number[], target_weights: [] as number[],
    nodes_hitrates: [] as number[],
  };
  // covers ride along as nodes_hitrates (onnxruntime ignores them; TreeSHAP weighs paths by them)
  const covers = m.trees.length > 0 && m.trees.every((t) => t.cover && t.cover.length === t.feature.length);
  m.trees.forEach((t, ti) => {
    for (let n = 0; n < t.feature.length; n++) {
      const leaf = t.left[n] < 0;
      a.nodes_treeids.push(ti); a.nodes_nodeids.push(n);
      a.nodes_featureids.push(leaf ? 0 : t.feature[n]); a.nodes_values.push(leaf ? 0 : t.threshold[n]);
      a.nodes_modes.push(leaf ? 'LEAF' : 'BRANCH_LEQ');
      if (covers) a.nodes_hitrates.push(t.cover![n]);
      a.nodes_truenodeids.push(leaf ? 0 : t.left[n]); a.nodes_falsenodeids.push(leaf ? 0 : t.right[n]);
      if (leaf) { a.target_treeids.push(ti); a.target_nodeids.push(n); a.target_ids.push(m.treeOutput[ti]); a.target_weights.push(t.value[n]); }
    }
  });
  if (m.trees.length === 0) {
    // An ensemble with no trees: a single leaf of weight 0, so the output is just the base values.
    Object.assign(a, { nodes_treeids: [0], nodes_nodeids: [0], nodes_featureids: [0], nodes_values: [0], nodes_modes: ['LEAF'],
      nodes_truenodeids: [0], nodes_falsenodeids: [0], target_treeids: [0], target_nodeids: [0], target_ids: [0], target_weights: [0] });
  }
  const ints = (v: number[]) => ({ ints: v });
  const floats = (v: number[]) => ({ floats: v });
  return g.node('TreeEnsembleRegressor', [features], {
    nodes_treeids: ints(a.nodes_treeids), nodes_nodeids: ints(a.nodes_nodeids), nodes_featureids: ints(a.nodes_featureids),
    nodes_values: floats(a.nodes_values), nodes_modes: { strings: a.nodes_modes },
    nodes_truenodeids: ints(a.nodes_truenodeids), nodes_falsenodeids: ints(a.nodes_falsenodeids),
    target_treeids: ints(a.target_treeids), target_nodeids: ints(a.target_nodeids), target_ids: ints(a.target_ids), target_weights: floats(a.target_weights),
    n_targets: { i: m.outputs }, base_values: floats(m.base), aggregate_function: { s: 'SUM' }, post_transform: { s: 'NONE' },
    ...(covers ? { nodes_hitrates: floats(a.nodes_hitrates) } : {}),
  }, { ml: true });
}
