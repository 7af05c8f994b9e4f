// Exact path-dependent TreeSHAP (Lundberg et al. 2018) over an ONNX tree ensemble.
//
// Seen from one leaf with value v, the path-dependent expectation E[f | x_S] is
//   v · Π_{j ∈ S} o_j · Π_{j ∉ S} z_j
// over the leaf's distinct path features j: o_j = 1 when x takes every split on j the way the path
// does, z_j = the product of the cover fractions of those splits. Its Shapley values are
//   φ_i = v · (o_i − z_i) · Σ_k k!(d−1−k)!/d! · [t^k] Π_{j≠i} (z_j + o_j t),
// which is what the original algorithm's EXTEND/UNWIND computes, summed over leaves. Only the
// o-pattern depends on the row, so each leaf's weights for every pattern are tabulated once (up to
// a memory budget; other leaves compute theirs per row): a row then costs one pass over the
// split decisions plus, per leaf, its path and d table entries.
import { type Ensemble, type EnsembleTree, goesTrue } from './ensemble.ts';

/** Leaves with more distinct path features than this compute their weights per row. */
const MAX_TABLE_DEPTH = 8;
/** Doubles the pattern tables may take in all (32 MB). */
const TABLE_BUDGET = 4_000_000;

const MODE_CODE: Record<string, number> = { BRANCH_LEQ: 0, BRANCH_LT: 1, BRANCH_GTE: 2, BRANCH_GT: 3, BRANCH_EQ: 4, BRANCH_NEQ: 5 };

export class TreeShap {
  /** expected margin per target: the base value the contributions add to */
  readonly expected: Float64Array;
  readonly targets: number;
  /** the features the ensemble reads (its input's width at least) */
  readonly width: number;

  // every internal node of every tree, flattened
  private readonly nFeature: Int32Array;
  private readonly nThreshold: Float32Array;
  private readonly nMode: Uint8Array;
  private readonly nMissingTrue: Uint8Array;
  private readonly decision: Uint8Array;
  // per leaf: its path (flattened node, direction, bit), distinct features with z, values, table
  private readonly leafPath: Int32Array;
  private readonly path: { node: Int32Array; dir: Uint8Array; bit: Uint16Array };
  private readonly leafFeat: Int32Array;
  private readonly feat: Int32Array;
  private readonly z: Float64Array;
  private readonly leafVal: Int32Array;
  private readonly valTarget: Int32Array;
  private readonly valWeight: Float64Array;
  private readonly leafTable: Int32Array; // offset into table, or -1
  private readonly table: Float64Array;
  private readonly scratch: Float64Array;
  private readonly rowWeights: Float64Array;
  private readonly o: Uint8Array;
  /** the ensemble's base values (margins before any tree) */
  private readonly base: Float64Array;
  // sibling leaf pairs folded into one table indexed by (prefix pattern, parent's decision), values included
  private readonly pairPath: Int32Array;
  private readonly pairSteps: { node: Int32Array; dir: Uint8Array; bit: Uint16Array; features: Int32Array };
  private readonly pairFeat: Int32Array;
  private readonly pairNode: Int32Array;
  private readonly pairTarget: Int32Array;
  private readonly pairValues: Float64Array;
  private readonly pairTable: Int32Array;

  constructor(e: Ensemble, width = e.width) {
    this.targets = e.targets;
    this.width = Math.max(width, e.width);
    const scale = e.average && e.trees.length ? 1 / e.trees.length : 1;
    const expected = Float64Array.from(e.base);
    const nodes = { feature: [] as number[], threshold: [] as number[], mode: [] as number[], missing: [] as number[] };
    const leafPath = [0], pNode: number[] = [], pDir: number[] = [], pBit: number[] = [];
    this.base = Float64Array.from(e.base);
    const leafFeat = [0], feat: number[] = [], z: number[] = [];
    const leafVal = [0], valTarget: number[] = [], valWeight: number[] = [];
    const leafTableAt: number[] = [];
    let tableSize = 0;
    const leafD: number[] = [];
    const pairs = { pNode: [] as number[], pDir: [] as number[], pBit: [] as number[], features: [] as number[], path: [] as number[], feat: [] as number[], node: [] as number[], target: [] as number[], values: [] as number[], table: [] as number[], z: [] as number[][], fbit: [] as number[] };
    const pairPathEnd: number[] = [];
    for (const t of e.trees) {
      const global = new Int32Array(t.feature.length).fill(-1);
      for (let j = 0; j < t.feature.length; j++) {
        if (t.mode[j] === null) continue;
        global[j] = nodes.feature.length;
        nodes.feature.push(t.feature[j]); nodes.threshold.push(t.threshold[j]);
        nodes.mode.push(MODE_CODE[t.mode[j]!]); nodes.missing.push(t.missingTrue[j]);
      }
      const fraction = coverFractions(t);
      const single = (leaf: number) => t.mode[leaf] === null && t.leafValues[leaf].length === 2;
      // depth-first over root-to-leaf paths
      const walk = (j: number, steps: { node: number; dir: number; feature: number; frac: number }[]) => {
        const a = t.trueChild[j], b = t.falseChild[j];
        if (t.mode[j] !== null && single(a) && single(b) && t.leafValues[a][0] === t.leafValues[b][0]) {
          // two sibling leaves of one target: one table for both (half the per-row visits)
          const f = t.feature[j];
          const distinct = [...new Set([...steps.map((s) => s.feature), f])];
          const d = distinct.length, size = d <= MAX_TABLE_DEPTH ? (2 << d) * d : Infinity;
          if (tableSize + size <= TABLE_BUDGET) {
            pairs.path.push(pairs.pNode.length);
            for (const s of steps) { pairs.pNode.push(global[s.node]); pairs.pDir.push(s.dir); pairs.pBit.push(distinct.indexOf(s.feature)); }
            pairPathEnd.push(pairs.pNode.length);
            const zOf = (frac: number) => distinct.map((g) => steps.reduce((p, s) => (s.feature === g ? p * s.frac : p), 1) * (g === f ? frac : 1));
            const zT = zOf(fraction[a]), zF = zOf(fraction[b]);
            const vT = t.leafValues[a][1] * scale, vF = t.leafValues[b][1] * scale, target = t.leafValues[a][0];
            pairs.feat.push(pairs.features.length);
            for (const g of distinct) pairs.features.push(g);
            pairs.feat.push(pairs.features.length);
            pairs.node.push(global[j]); pairs.target.push(target); pairs.values.push(vT, vF);
            pairs.table.push(tableSize); tableSize += size;
            pairs.z.push([...zT, ...zF]); pairs.fbit.push(distinct.indexOf(f));
            expected[target] += vT * zT.reduce((p, x) => p * x, 1) + vF * zF.reduce((p, x) => p * x, 1);
            return;
          }
        }
        if (t.mode[j] === null) {
          const distinct = [...new Set(steps.map((s) => s.feature))];
          for (const s of steps) { pNode.push(global[s.node]); pDir.push(s.dir); pBit.push(distinct.indexOf(s.feature)); }
          leafPath.push(pNode.length);
          let prior = 1;
          for (const f of distinct) {
            let zf = 1;
            for (const s of steps) if (s.feature === f) zf *= s.frac;
            feat.push(f); z.push(zf); prior *= zf;
          }
          leafFeat.push(feat.length);
          const lv = t.leafValues[j];
          for (let k = 0; k < lv.length; k += 2) {
            valTarget.push(lv[k]); valWeight.push(lv[k + 1] * scale);
            expected[lv[k]] += lv[k + 1] * scale * prior;
          }
          leafVal.push(valTarget.length);
          const d = distinct.length;
          leafD.push(d);
          const size = d <= MAX_TABLE_DEPTH ? Math.max(1, (1 << d) * d) : Infinity;
          if (tableSize + size <= TABLE_BUDGET) { leafTableAt.push(tableSize); tableSize += size; } else leafTableAt.push(-1);
          return;
        }
        walk(t.trueChild[j], [...steps, { node: j, dir: 1, feature: t.feature[j], frac: fraction[t.trueChild[j]] }]);
        walk(t.falseChild[j], [...steps, { node: j, dir: 0, feature: t.feature[j], frac: fraction[t.falseChild[j]] }]);
      };
      walk(0, []);
    }
    this.expected = expected;
    this.nFeature = Int32Array.from(nodes.feature); this.nThreshold = Float32Array.from(nodes.threshold);
    this.nMode = Uint8Array.from(nodes.mode); this.nMissingTrue = Uint8Array.from(nodes.missing);
    this.decision = new Uint8Array(nodes.feature.length);
    this.leafPath = Int32Array.from(leafPath);
    this.path = { node: Int32Array.from(pNode), dir: Uint8Array.from(pDir), bit: Uint16Array.from(pBit) };
    this.leafFeat = Int32Array.from(leafFeat); this.feat = Int32Array.from(feat); this.z = Float64Array.from(z);
    this.leafVal = Int32Array.from(leafVal); this.valTarget = Int32Array.from(valTarget); this.valWeight = Float64Array.from(valWeight);
    this.leafTable = Int32Array.from(leafTableAt);
    this.table = new Float64Array(tableSize);
    this.pairPath = Int32Array.from(pairs.path.flatMap((start, q) => [start, pairPathEnd[q]]));
    this.pairSteps = { node: Int32Array.from(pairs.pNode), dir: Uint8Array.from(pairs.pDir), bit: Uint16Array.from(pairs.pBit), features: Int32Array.from(pairs.features) };
    this.pairFeat = Int32Array.from(pairs.feat); this.pairNode = Int32Array.from(pairs.node);
    this.pairTarget = Int32Array.from(pairs.target); this.pairValues = Float64Array.from(pairs.values);
    this.pairTable = Int32Array.from(pairs.table);
    const pairD = pairs.node.map((_, q) => pairs.feat[2 * q + 1] - pairs.feat[2 * q]);
    const maxD = [...leafD, ...pairD].reduce((a, b) => Math.max(a, b), 0);
    this.scratch = new Float64Array(2 * maxD + 2);
    this.rowWeights = new Float64Array(maxD);
    this.o = new Uint8Array(maxD);
    const o = this.o;
    for (let l = 0; l < leafTableAt.length; l++) {
      const at = leafTableAt[l];
      if (at < 0) continue;
      const d = leafD[l];
      const zs = this.z.subarray(this.leafFeat[l], this.leafFeat[l + 1]);
      for (let mask = 0; mask < 1 << d; mask++) {
        for (let i = 0; i < d; i++) o[i] = (mask >> i) & 1;
        leafWeights(zs, o, d, this.table.subarray(at + mask * d, at + (mask + 1) * d), this.scratch);
      }
    }
    const wT = new Float64Array(maxD), wF = new Float64Array(maxD), oT = new Uint8Array(maxD), oF = new Uint8Array(maxD);
    for (let q = 0; q < pairD.length; q++) {
      const d = pairD[q], at = pairs.table[q], zT = pairs.z[q].slice(0, d), zF = pairs.z[q].slice(d);
      const fBit = pairs.fbit[q];
      const vT = pairs.values[2 * q], vF = pairs.values[2 * q + 1];
      for (let mask = 0; mask < 1 << d; mask++) {
        for (let dp = 0; dp < 2; dp++) {
          for (let i = 0; i < d; i++) { oT[i] = (mask >> i) & 1; oF[i] = oT[i]; }
          // the true leaf needs the parent's decision to be true on f, the false leaf false
          if (dp !== 1) oT[fBit] = 0;
          if (dp !== 0) oF[fBit] = 0;
          leafWeights(zT, oT, d, wT, this.scratch);
          leafWeights(zF, oF, d, wF, this.scratch);
          const from = at + (mask * 2 + dp) * d;
          for (let i = 0; i < d; i++) this.table[from + i] = vT * wT[i] + vF * wF[i];
        }
      }
    }
  }

  /**
   * Adds the contributions of row x (features x[offset .. offset+width)) to phi[target * width + f]
   * and the ensemble's margins (base values included) to margin[target].
   */
  explainRow(x: ArrayLike<number>, offset: number, phi: Float64Array, margin: Float64Array): void {
    const dec = this.decision, nf = this.nFeature, nt = this.nThreshold, nm = this.nMode, mt = this.nMissingTrue;
    for (let n = 0; n < dec.length; n++) dec[n] = decide(nm[n], x[offset + nf[n]], nt[n], mt[n]);
    // locals: this loop is the whole cost of an explanation
    const pNode = this.path.node, pDir = this.path.dir, pBit = this.path.bit, leafPath = this.leafPath;
    const leafFeat = this.leafFeat, feat = this.feat, leafVal = this.leafVal, valTarget = this.valTarget, valWeight = this.valWeight;
    const leafTable = this.leafTable, table = this.table, o = this.o, rowWeights = this.rowWeights;
    const leaves = leafTable.length, w = this.width;
    for (let k = 0; k < margin.length && k < this.base.length; k++) margin[k] += this.base[k];
    const { node: qNode, dir: qDir, bit: qBit, features: qFeat } = this.pairSteps;
    const pairPath = this.pairPath, pairFeat = this.pairFeat, pairNode = this.pairNode, pairTarget = this.pairTarget, pairValues = this.pairValues, pairTable = this.pairTable;
    for (let q = 0, pairs = pairNode.length; q < pairs; q++) {
      const f0 = pairFeat[2 * q], d = pairFeat[2 * q + 1] - f0, full = (1 << d) - 1;
      let mask = full;
      for (let p = pairPath[2 * q], end = pairPath[2 * q + 1]; p < end; p++) if (dec[qNode[p]] !== qDir[p]) mask &= ~(1 << qBit[p]);
      const dp = dec[pairNode[q]], from = pairTable[q] + (mask * 2 + dp) * d, t = pairTarget[q], row = t * w;
      for (let i = 0; i < d; i++) phi[row + qFeat[f0 + i]] += table[from + i];
      if (mask === full) margin[t] += pairValues[2 * q + 1 - dp];
    }
    for (let l = 0; l < leaves; l++) {
      const f0 = leafFeat[l], d = leafFeat[l + 1] - f0;
      const at = leafTable[l];
      let weights: Float64Array, from: number, reached: boolean;
      if (at >= 0) {
        const full = (1 << d) - 1;
        let mask = full;
        for (let p = leafPath[l], end = leafPath[l + 1]; p < end; p++) if (dec[pNode[p]] !== pDir[p]) mask &= ~(1 << pBit[p]);
        weights = table; from = at + mask * d;
        reached = mask === full;
      } else {
        o.fill(1, 0, d);
        reached = true;
        for (let p = leafPath[l], end = leafPath[l + 1]; p < end; p++) if (dec[pNode[p]] !== pDir[p]) { o[pBit[p]] = 0; reached = false; }
        leafWeights(this.z.subarray(f0, f0 + d), o, d, rowWeights, this.scratch);
        weights = rowWeights; from = 0;
      }
      for (let v = leafVal[l], vend = leafVal[l + 1]; v < vend; v++) {
        const value = valWeight[v], row = valTarget[v] * w;
        for (let i = 0; i < d; i++) phi[row + feat[f0 + i]] += value * weights[from + i];
        if (reached) margin[valTarget[v]] += value;
      }
    }
  }
}

function decide(mode: number, x: number, v: number, missingTrue: number): number {
  if (x !== x) return missingTrue;
  switch (mode) {
    case 0: return x <= v ? 1 : 0;
    case 1: return x < v ? 1 : 0;
    case 2: return x >= v ? 1 : 0;
    case 3: return x > v ? 1 : 0;
    case 4: return x === v ? 1 : 0;
    default: return x !== v ? 1 : 0;
  }
}

/** The fraction of its parent's cover each node has (1 at the root); an empty parent splits evenly. */
function coverFractions(t: EnsembleTree): Float64Array {
  const f = new Float64Array(t.feature.length).fill(1);
  for (let j = 0; j < t.feature.length; j++) {
    if (t.mode[j] === null) continue;
    const c = t.cover[j], a = t.trueChild[j], b = t.falseChild[j];
    if (c > 0 && Number.isFinite(c)) { f[a] = t.cover[a] / c; f[b] = t.cover[b] / c; } else { f[a] = 0.5; f[b] = 0.5; }
  }
  return f;
}

/** k!(d−1−k)!/d! = 1 / (d · C(d−1, k)): the Shapley weight of a coalition of k of the other d−1 players. */
const shapleyCache: Float64Array[] = [];
function shapleyWeights(d: number): Float64Array {
  let w = shapleyCache[d];
  if (w) return w;
  w = new Float64Array(Math.max(d, 1));
  for (let k = 0; k < d; k++) {
    let c = 1;
    for (let i = 1; i <= k; i++) c = (c * (d - i)) / i;
    w[k] = 1 / (d * c);
  }
  return (shapleyCache[d] = w);
}

/**
 * Shapley weights of one leaf's game for a unit leaf value: out[i] = (o_i − z_i) · Σ_k w_k q_k with
 * q = Π_{j≠i} (z_j + o_j t). `scratch` holds ≥ 2(d+1) doubles.
 */
export function leafWeights(z: ArrayLike<number>, o: ArrayLike<number>, d: number, out: Float64Array, scratch: Float64Array): void {
  const p = scratch.subarray(0, d + 1), q = scratch.subarray(d + 1, 2 * d + 2);
  p.fill(0); p[0] = 1;
  let deg = 0;
  for (let j = 0; j < d; j++) {
    // p *= (z_j + o_j t)
    if (o[j]) { deg++; for (let k = deg; k > 0; k--) p[k] = p[k] * z[j] + p[k - 1]; p[0] *= z[j]; } else for (let k = 0; k <= deg; k++) p[k] *= z[j];
  }
  const w = shapleyWeights(d);
  for (let i = 0; i < d; i++) {
    const diff = o[i] - z[i];
    if (diff === 0) { out[i] = 0; continue; }
    let s = 0;
    if (o[i]) {
      // q = p / (t + z_i), from the top coefficient down
      let carry = 0;
      for (let k = deg; k >= 1; k--) { const qk = p[k] - carry; q[k - 1] = qk; carry = z[i] * qk; }
      for (let k = 0; k < deg; k++) s += w[k] * q[k];
    } else {
      for (let k = 0; k <= deg; k++) s += w[k] * (p[k] / z[i]);
    }
    out[i] = diff * s;
  }
}

/** The leaf row x reaches in tree t (position in the tree's arrays). */
export function reachableLeaf(t: EnsembleTree, x: ArrayLike<number>, offset: number): number {
  let j = 0;
  while (t.mode[j] !== null) j = goesTrue(t, j, x[offset + t.feature[j]]) ? t.trueChild[j] : t.falseChild[j];
  return j;
}
