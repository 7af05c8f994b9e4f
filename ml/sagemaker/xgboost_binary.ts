// Reads XGBoost's legacy binary model format (what 1.x writes for `save_model('xgboost-model')`, the
// SageMaker built-in container's file) into the same object shape as the JSON model, so one parser
// checks and converts every format. Layout (little-endian, from xgboost 1.x learner.cc / gbtree_model.cc
// / tree_model.cc): optional "binf", LearnerModelParam (136 bytes), objective and booster names, then
// GBTreeModelParam (160 bytes), each tree (TreeParam 148 bytes, nodes 20 bytes, stats 16 bytes, optional
// leaf vector), tree_info (int32 per tree) and, for dart, the drop weights.

const LEARNER_PARAM = 136, GBTREE_PARAM = 160, TREE_PARAM = 148, NODE = 20, STAT = 16;

/** The JSON-shaped model ({ learner: ... }) of a legacy binary model; throws Error naming the byte offset. */
export function readXgboostBinary(bytes: Uint8Array): unknown {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = 0;
  const fail = (msg: string): never => { throw new Error(`binary model: ${msg} at byte ${at}`); };
  const need = (n: number) => { if (at + n > bytes.length) fail(`truncated (need ${n} more bytes)`); const p = at; at += n; return p; };
  const i32 = (p: number) => v.getInt32(p, true);
  const u64 = () => { const n = Number(v.getBigUint64(need(8), true)); if (n > bytes.length - at) fail(`length ${n} exceeds the file`); return n; };
  const str = () => { const n = u64(); return new TextDecoder().decode(bytes.subarray(need(n), at)); };
  const floats = (n: number) => { const p = need(4 * n); return Array.from({ length: n }, (_, i) => v.getFloat32(p + 4 * i, true)); };

  if (new TextDecoder().decode(bytes.subarray(0, 4)) === 'binf') at = 4;
  const lp = need(LEARNER_PARAM);
  const baseScore = v.getFloat32(lp, true), numFeature = v.getUint32(lp + 4, true), numClass = i32(lp + 8);
  const objective = str(), booster = str();
  if (booster !== 'gbtree' && booster !== 'dart') return { learner: { objective: { name: objective }, gradient_booster: { name: booster } } };

  const gp = need(GBTREE_PARAM);
  const numTrees = i32(gp);
  if (numTrees < 0 || numTrees * (TREE_PARAM + NODE + STAT) > bytes.length) fail(`implausible tree count ${numTrees}`);
  const trees = [];
  for (let t = 0; t < numTrees; t++) {
    const tp = need(TREE_PARAM);
    const n = i32(tp + 4), sizeLeafVector = i32(tp + 20);
    if (n < 1 || n * (NODE + STAT) > bytes.length - at) fail(`tree ${t} has an implausible node count ${n}`);
    const np = need(NODE * n), sp = need(STAT * n);
    const left: number[] = [], right: number[] = [], feature: number[] = [], cond: number[] = [], defaultLeft: number[] = [], gain: number[] = [];
    for (let j = 0; j < n; j++) {
      const p = np + NODE * j, sindex = v.getUint32(p + 12, true);
      left.push(i32(p + 4)); right.push(i32(p + 8));
      feature.push(sindex & 0x7fffffff); defaultLeft.push(sindex >>> 31);
      cond.push(v.getFloat32(p + 16, true));
      gain.push(v.getFloat32(sp + STAT * j, true));
    }
    if (sizeLeafVector !== 0) floats(u64());
    trees.push({
      left_children: left, right_children: right, split_indices: feature, split_conditions: cond, default_left: defaultLeft, loss_changes: gain,
      tree_param: { num_nodes: String(n), num_deleted: String(i32(tp + 8)), num_feature: String(i32(tp + 16)), size_leaf_vector: String(sizeLeafVector) },
    });
  }
  const ip = need(4 * numTrees);
  const model = { trees, tree_info: Array.from({ length: numTrees }, (_, i) => i32(ip + 4 * i)) };
  const learner_model_param = { base_score: shortestFloat32(baseScore), num_class: String(numClass), num_feature: String(numFeature) };
  const gradient_booster = booster === 'gbtree'
    ? { name: 'gbtree', model }
    : { name: 'dart', gbtree: { name: 'gbtree', model }, weight_drop: numTrees ? floats(u64()) : [] };
  return { learner: { objective: { name: objective }, learner_model_param, gradient_booster } };
}

/** The shortest decimal that reads back as the same float32 (how XGBoost's JSON writes base_score). */
function shortestFloat32(x: number): string {
  for (let p = 1; p < 9; p++) { const s = x.toPrecision(p); if (Math.fround(Number(s)) === x) return s; }
  return x.toPrecision(9);
}
