// Exact path-dependent TreeSHAP (Lundberg et al. 2018) over an ONNX tree ensemble.
//
// Seen from one leaf with value v, the path-dependent expectation E[f | x_S] is
//   v · Π_{j ∈ S} o_j · Π_{j ∉ S} z_j
// over the leaf's distinct path features j: o_j = 1 when x takes every split on j the way the path
// does, z_j = the product of the cover fractions of those splits. Its Shapley values are
//   φ_i = v · (o_i − z_i) · Σ_k k!(d−1−k)!/d! · [t^k] Π_{j≠i} (z_j + o_j t),
// which is what the original algorithm's EXTEND/UNWIND computes, summed over leaves. Only the
// o-pattern depends on the row, so the weights for every pattern are tabulated once per model, as
// "Fast TreeSHAP v2" (Yang 2021) does, up to a memory budget; leaves past it compute theirs per row.
//
// A small subtree whose leaves all score one target (at most UNIT_HEIGHT splits deep) is one unit:
// its table is indexed by the pattern above it and the decisions of its own splits, leaf values
// summed in, so a row reads one entry per feature for the whole subtree instead of one per leaf.
//
// Rows go through the ensemble a block at a time, tree by tree, so a tree's tables stay in cache
// for the whole block. A unit's table row holds its d weights and then the reached leaf's value
// (the margin, zero unless the row follows the path to the unit), side by side: a row reads one
// stretch of d + 1 numbers per unit. Within a tree a node's pattern (which of its path's features the row
// disagrees with) follows from its parent's in one step, top-down in preorder: a row costs one
// comparison per split, one bit operation per node above the units, and d additions per unit.
import { type Ensemble, type EnsembleTree, goesTrue } from './ensemble.ts';

/** Leaves with more distinct path features than this compute their weights per row. */
const MAX_TABLE_DEPTH = 8;
/** Doubles the pattern tables may take in all (32 MB). */
const TABLE_BUDGET = 4_000_000;
/** Splits below a unit's root, at most (2: up to 3 splits and 4 leaves per unit). */
const UNIT_HEIGHT = 2;
/** Table rows (patterns × decisions) one subtree unit may take. */
const UNIT_ROWS = 1 << 10;
/** Rows explained together, tree by tree. */
export const SHAP_BLOCK = 128;

const MODE_CODE: Record<string, number> = { BRANCH_LEQ: 0, BRANCH_LT: 1, BRANCH_GTE: 2, BRANCH_GT: 3, BRANCH_EQ: 4, BRANCH_NEQ: 5 };

/** How a unit's table entries become contributions. */
const FOLDED = 0; // one target, leaf values summed into the table
const WEIGHTED = 1; // one leaf with values for several targets: the table holds unit weights
const PER_ROW = 2; // one leaf past the table budget: weights computed per row

/** A leaf inside a unit: its value and its path below the unit's root (split k of the unit, direction). */
interface UnitLeaf { target: number; value: number; steps: { k: number; dir: number; bit: number; frac: number }[] }

interface Unit {
  kind: number; node: number; splits: number[]; at: number; f0: number; dp: number; d: number;
  /** the unit's features: those on the path above it (bits 0..dp-1), then the ones its own splits add */
  features: number[];
  /** per unit feature: z above the unit (1 for the unit's new features) */
  zs: number[];
  leaves: UnitLeaf[];
  values: [number, number][];
}

export class TreeShap {
  /** expected margin per target: the base value the contributions add to */
  readonly expected: Float64Array;
  readonly targets: number;
  /** the features the ensemble reads (its input's width at least) */
  readonly width: number;
  /** the ensemble's base values (margins before any tree) */
  private readonly base: Float64Array;

  // per tree: its nodes [treeNode[t], treeNode[t+1]) in preorder, its units [treeUnit[t], treeUnit[t+1])
  private readonly treeNode: Int32Array;
  private readonly treeUnit: Int32Array;
  // the ensemble's distinct splits: each is decided once per row, however many trees share it
  private readonly sFeature: Int32Array;
  private readonly sThreshold: Float32Array;
  private readonly sMode: Uint8Array;
  private readonly sMissingTrue: Uint8Array;
  // per node above the units and unit root (by preorder position within its tree)
  /** position of the parent within the tree; -1 at the root */
  private readonly nParent: Int32Array;
  /** the parent's split */
  private readonly nSplit: Int32Array;
  /** 1 when the node is its parent's true child */
  private readonly nDir: Uint8Array;
  /** the bit of the parent's split feature in the node's pattern */
  private readonly nBit: Uint8Array;
  // per unit
  private readonly uKind: Uint8Array;
  private readonly uNode: Int32Array;
  private readonly uSplit: Int32Array; // [s0, s1) into split: the unit's own splits (node positions)
  private readonly uAt: Int32Array; // offset into table
  private readonly uFeat: Int32Array; // [f0, f0+d) into feat
  private readonly uVal: Int32Array; // [v0, v1) into valTarget / valWeight; folded units: their target alone
  /** the units' own splits (split ids) */
  private readonly split: Int32Array;
  private readonly feat: Int32Array;
  private readonly z: Float64Array;
  private readonly valTarget: Int32Array;
  private readonly valWeight: Float64Array;
  private readonly table: Float64Array;
  // block scratch
  /** the block's rows feature-major: xt[f·SHAP_BLOCK + r] */
  private readonly xt: Float32Array;
  /** per split: the block's decisions (1: the true branch) */
  private readonly decision: Uint8Array;
  private readonly pattern: Int32Array;
  /** per row of the block: where its weights start in the table */
  private readonly index: Int32Array;
  /**
   * the block's contributions, feature-major, and its margins from folded units as one more
   * feature: acc[(target·(width + 1) + f)·SHAP_BLOCK + r], f = width for the margin
   */
  private readonly acc: Float64Array;
  /** a unit's accumulator offsets (its features', then the margin's) */
  private readonly lanes: Int32Array;
  /** per feature: whether the block holds a NaN there (else splits skip the missing-value test) */
  private readonly blockNaN: Uint8Array;
  private readonly scratch: Float64Array;
  private readonly rowWeights: Float64Array;
  private readonly o: Uint8Array;

  /** `tableBudget`: doubles the pattern tables may take (tests set 0 to compute every weight per row). */
  constructor(e: Ensemble, width = e.width, { tableBudget = TABLE_BUDGET }: { tableBudget?: number } = {}) {
    this.targets = e.targets;
    this.width = Math.max(width, e.width);
    const scale = e.average && e.trees.length ? 1 / e.trees.length : 1;
    this.base = Float64Array.from(e.base);
    const n = { parent: [] as number[], split: [] as number[], dir: [] as number[], bit: [] as number[] };
    const sp = { feature: [] as number[], threshold: [] as number[], mode: [] as number[], missing: [] as number[], ids: new Map<string, number>() };
    const treeNode = [0], treeUnit = [0];
    const units: Unit[] = [];
    let tableSize = 0, maxNodes = 1, maxD = 0;
    for (const t of e.trees) {
      const first = n.parent.length;
      const fraction = coverFractions(t);
      const splitId = (j: number) => {
        const key = `${t.feature[j]}|${t.threshold[j]}|${t.mode[j]}|${t.missingTrue[j]}`;
        let id = sp.ids.get(key);
        if (id === undefined) {
          id = sp.feature.length;
          sp.ids.set(key, id);
          sp.feature.push(t.feature[j]); sp.threshold.push(t.threshold[j]); sp.mode.push(MODE_CODE[t.mode[j]!]); sp.missing.push(t.missingTrue[j]);
        }
        return id;
      };
      const push = (parent: number, split: number, dir: number, bit: number) => {
        n.parent.push(parent); n.split.push(split); n.dir.push(dir); n.bit.push(bit);
        return n.parent.length - 1 - first;
      };
      // preorder, each node with its path's distinct features (first appearance order) and their z
      const walk = (j: number, parent: number, parentSplit: number, dir: number, bit: number, distinct: number[], zs: number[]) => {
        const at = push(parent, parentSplit, dir, bit);
        const unit = t.mode[j] === null ? null : subtreeUnit(t, j, fraction, distinct, zs, scale);
        if (unit && tableSize + unit.size <= tableBudget) {
          const splits = unit.nodes.map(splitId);
          units.push({ kind: FOLDED, node: at, splits, at: tableSize, f0: 0, dp: distinct.length, d: unit.features.length, features: unit.features, zs: unit.zs, leaves: unit.leaves, values: [[unit.target, 0]] });
          tableSize += unit.size;
          maxD = Math.max(maxD, unit.features.length);
          return;
        }
        if (t.mode[j] === null) {
          const d = distinct.length, size = d <= MAX_TABLE_DEPTH ? (1 << d) * (d + 1) : Infinity;
          const values: [number, number][] = [];
          for (let k = 0; k < t.leafValues[j].length; k += 2) values.push([t.leafValues[j][k], t.leafValues[j][k + 1] * scale]);
          const fits = tableSize + size <= tableBudget;
          const kind = !fits ? PER_ROW : values.length === 1 ? FOLDED : WEIGHTED;
          const leaves = values.length === 1 ? [{ target: values[0][0], value: values[0][1], steps: [] }] : [];
          units.push({ kind, node: at, splits: [], at: fits ? tableSize : -1, f0: 0, dp: d, d, features: distinct, zs, leaves, values });
          if (fits) tableSize += size;
          maxD = Math.max(maxD, d);
          return;
        }
        const f = t.feature[j];
        let fBit = distinct.indexOf(f);
        const next = fBit < 0 ? [...distinct, f] : distinct;
        if (fBit < 0) fBit = distinct.length;
        const zOf = (frac: number) => next.map((g, i) => (i < zs.length ? zs[i] : 1) * (g === f ? frac : 1));
        const id = splitId(j);
        walk(t.trueChild[j], at, id, 1, fBit, next, zOf(fraction[t.trueChild[j]]));
        walk(t.falseChild[j], at, id, 0, fBit, next, zOf(fraction[t.falseChild[j]]));
      };
      walk(0, -1, 0, 0, 0, [], []);
      treeNode.push(n.parent.length); treeUnit.push(units.length);
      maxNodes = Math.max(maxNodes, n.parent.length - first);
    }
    if (maxD > 30) throw new RangeError(`a tree path reads ${maxD} distinct features; TreeSHAP handles up to 30`);
    this.treeNode = Int32Array.from(treeNode); this.treeUnit = Int32Array.from(treeUnit);
    this.sFeature = Int32Array.from(sp.feature); this.sThreshold = Float32Array.from(sp.threshold);
    this.sMode = Uint8Array.from(sp.mode); this.sMissingTrue = Uint8Array.from(sp.missing);
    this.nParent = Int32Array.from(n.parent); this.nSplit = Int32Array.from(n.split); this.nDir = Uint8Array.from(n.dir); this.nBit = Uint8Array.from(n.bit);
    const U = units.length;
    this.uKind = Uint8Array.from(units, (u) => u.kind); this.uNode = Int32Array.from(units, (u) => u.node);
    this.uAt = Int32Array.from(units, (u) => u.at);
    this.uSplit = new Int32Array(U + 1); this.uFeat = new Int32Array(U + 1); this.uVal = new Int32Array(U + 1);
    const split: number[] = [], feat: number[] = [], z: number[] = [], valTarget: number[] = [], valWeight: number[] = [];
    const expected = Float64Array.from(e.base);
    units.forEach((u, i) => {
      this.uSplit[i] = split.length; split.push(...u.splits); this.uSplit[i + 1] = split.length;
      u.f0 = feat.length;
      this.uFeat[i] = feat.length; feat.push(...u.features); z.push(...u.zs); this.uFeat[i + 1] = feat.length;
      this.uVal[i] = valTarget.length;
      if (u.kind === FOLDED) {
        // its target (the table holds the reached leaf's value, for the margin)
        valTarget.push(u.values[0][0]); valWeight.push(0);
        for (const l of u.leaves) expected[l.target] += l.value * leafZ(u, l).reduce((p, x) => p * x, 1);
      } else {
        for (const [k, v] of u.values) { valTarget.push(k); valWeight.push(v); expected[k] += v * u.zs.reduce((p, x) => p * x, 1); }
      }
      this.uVal[i + 1] = valTarget.length;
    });
    this.expected = expected;
    this.split = Int32Array.from(split); this.feat = Int32Array.from(feat); this.z = Float64Array.from(z);
    this.valTarget = Int32Array.from(valTarget); this.valWeight = Float64Array.from(valWeight);
    this.xt = new Float32Array(this.width * SHAP_BLOCK);
    this.decision = new Uint8Array(Math.max(1, sp.feature.length) * SHAP_BLOCK);
    this.pattern = new Int32Array(maxNodes * SHAP_BLOCK);
    this.index = new Int32Array(SHAP_BLOCK);
    this.acc = new Float64Array(this.targets * (this.width + 1) * SHAP_BLOCK);
    this.lanes = new Int32Array(Math.max(6, maxD + 1));
    this.blockNaN = new Uint8Array(this.width);
    this.scratch = new Float64Array(2 * maxD + 2);
    this.rowWeights = new Float64Array(Math.max(1, maxD));
    this.o = new Uint8Array(Math.max(1, maxD));
    this.table = new Float64Array(tableSize);
    for (const u of units) this.tabulate(u, maxD);
  }

  /**
   * A unit's weights for every disagreement pattern above it (bit i set: the row disagrees with
   * the path on the unit's feature i) and every combination of its own decisions.
   */
  private tabulate(u: Unit, maxD: number): void {
    if (u.at < 0) return;
    const d = u.d, m = u.splits.length;
    if (u.kind === WEIGHTED) {
      for (let dis = 0; dis < 1 << d; dis++) {
        for (let i = 0; i < d; i++) this.o[i] = 1 - ((dis >> i) & 1);
        leafWeights(u.zs, this.o, d, this.table.subarray(u.at + dis * d, u.at + (dis + 1) * d), this.scratch);
      }
      return;
    }
    const o = new Uint8Array(Math.max(1, maxD)), w = new Float64Array(Math.max(1, maxD));
    // per leaf: its own features (those above the unit plus the ones its splits inside add), their z
    const games = u.leaves.map((l) => {
      const own = featuresOf(u, l), z = leafZ(u, l);
      return { l, own, zs: own.map((b) => z[b]), steps: l.steps.map((st) => ({ k: st.k, dir: st.dir, i: own.indexOf(st.bit) })) };
    });
    for (let dis = 0; dis < 1 << u.dp; dis++) {
      for (let bits = 0; bits < 1 << m; bits++) {
        const row = u.at + ((dis << m) | bits) * (d + 1);
        // the margin: the leaf the row reaches, when it follows the path to the unit
        if (dis === 0) this.table[row + d] = u.leaves.find((l) => l.steps.every((st) => ((bits >> st.k) & 1) === st.dir))!.value;
        for (const g of games) {
          g.own.forEach((b, i) => { o[i] = b < u.dp ? 1 - ((dis >> b) & 1) : 1; });
          for (const st of g.steps) if (((bits >> st.k) & 1) !== st.dir) o[st.i] = 0;
          leafWeights(g.zs, o, g.own.length, w, this.scratch);
          g.own.forEach((b, i) => { this.table[row + b] += g.l.value * w[i]; });
        }
      }
    }
  }

  /**
   * Adds the contributions of row x (features x[offset .. offset+width)) to phi[target * width + f]
   * and the ensemble's margins (base values included) to margin[target].
   */
  explainRow(x: ArrayLike<number>, offset: number, phi: Float64Array, margin: Float64Array): void {
    this.explainBlock(x, offset, 1, 0, phi, margin);
  }

  /**
   * Explains `rows` rows, row r's features at x[offset + r·stride ..]: adds its contributions to
   * phi[r·targets·width + target·width + f] and its margins (base included) to margin[r·targets + target].
   */
  explainBlock(x: ArrayLike<number>, offset: number, rows: number, stride: number, phi: Float64Array, margin: Float64Array): void {
    const T = this.targets, W = this.width, RW = T * W, W1 = W + 1, B = SHAP_BLOCK;
    for (let r = 0; r < rows; r++) for (let k = 0; k < T && k < this.base.length; k++) margin[r * T + k] += this.base[k];
    for (let start = 0; start < rows; start += SHAP_BLOCK) {
      const n = Math.min(SHAP_BLOCK, rows - start);
      const acc = this.acc;
      acc.fill(0);
      this.decide(x, offset + start * stride, n, stride);
      for (let t = 0; t < this.treeUnit.length - 1; t++) {
        this.patterns(t, n);
        this.addUnits(t, n, margin, start * T);
      }
      for (let k = 0; k < T; k++) {
        for (let f = 0; f < W; f++) { const a = (k * W1 + f) * B, o = start * RW + k * W + f; for (let r = 0; r < n; r++) phi[o + r * RW] += acc[a + r]; }
        const a = (k * W1 + W) * B;
        for (let r = 0; r < n; r++) margin[(start + r) * T + k] += acc[a + r];
      }
    }
  }

  /** Every split's decision for a block of n ≤ SHAP_BLOCK rows. */
  private decide(x: ArrayLike<number>, offset: number, n: number, stride: number): void {
    const B = SHAP_BLOCK, dec = this.decision, xt = this.xt, W = this.width;
    for (let r = 0; r < n; r++) for (let f = 0, at = offset + r * stride; f < W; f++) xt[f * B + r] = x[at + f];
    const nan = this.blockNaN;
    for (let f = 0; f < W; f++) { let any = 0; for (let r = 0, a = f * B; r < n; r++) if (xt[a + r] !== xt[a + r]) any = 1; nan[f] = any; }
    const sf = this.sFeature, st = this.sThreshold, sm = this.sMode, smt = this.sMissingTrue;
    for (let s = 0; s < sf.length; s++) {
      const row = s * B, f = sf[s] * B, v = st[s], miss = smt[s];
      if (nan[sf[s]] === 0 && sm[s] < 4) {
        // no missing values here: one comparison per row
        switch (sm[s]) {
          case 0: for (let r = 0; r < n; r++) dec[row + r] = xt[f + r] <= v ? 1 : 0; break;
          case 1: for (let r = 0; r < n; r++) dec[row + r] = xt[f + r] < v ? 1 : 0; break;
          case 2: for (let r = 0; r < n; r++) dec[row + r] = xt[f + r] >= v ? 1 : 0; break;
          default: for (let r = 0; r < n; r++) dec[row + r] = xt[f + r] > v ? 1 : 0; break;
        }
        continue;
      }
      // NaN fails both comparisons: the split's missing-value branch
      switch (sm[s]) {
        case 0: for (let r = 0; r < n; r++) { const a = xt[f + r]; dec[row + r] = a <= v ? 1 : a > v ? 0 : miss; } break;
        case 1: for (let r = 0; r < n; r++) { const a = xt[f + r]; dec[row + r] = a < v ? 1 : a >= v ? 0 : miss; } break;
        case 2: for (let r = 0; r < n; r++) { const a = xt[f + r]; dec[row + r] = a >= v ? 1 : a < v ? 0 : miss; } break;
        case 3: for (let r = 0; r < n; r++) { const a = xt[f + r]; dec[row + r] = a > v ? 1 : a <= v ? 0 : miss; } break;
        case 4: for (let r = 0; r < n; r++) { const a = xt[f + r]; dec[row + r] = a === v ? 1 : a === a ? 0 : miss; } break;
        default: for (let r = 0; r < n; r++) { const a = xt[f + r]; dec[row + r] = a !== a ? miss : a !== v ? 1 : 0; } break;
      }
    }
  }

  /** Tree t's patterns for the block: each node's from its parent's and the parent's decision (preorder). */
  private patterns(t: number, n: number): void {
    const B = SHAP_BLOCK, dec = this.decision, pat = this.pattern;
    const n0 = this.treeNode[t], n1 = this.treeNode[t + 1];
    const parent = this.nParent, split = this.nSplit, dir = this.nDir, bit = this.nBit;
    for (let i = 0; i < n1 - n0; i++) {
      const g = n0 + i, row = i * B, up = parent[g];
      if (up < 0) { for (let r = 0; r < n; r++) pat[row + r] = 0; continue; }
      const p = up * B, s = split[g] * B, want = dir[g], b = bit[g];
      for (let r = 0; r < n; r++) pat[row + r] = pat[p + r] | ((dec[s + r] ^ want) << b);
    }
  }

  /** Each unit's table entries for the block's rows into the feature-major accumulators: the hot loop. */
  private addUnits(t: number, n: number, margin: Float64Array, marginAt: number): void {
    const B = SHAP_BLOCK, dec = this.decision, pat = this.pattern;
    const T = this.targets, W = this.width, W1 = W + 1;
    const uKind = this.uKind, uNode = this.uNode, uSplit = this.uSplit, uAt = this.uAt, uFeat = this.uFeat, uVal = this.uVal;
    const split = this.split, feat = this.feat, table = this.table, valTarget = this.valTarget, valWeight = this.valWeight;
    const idx = this.index, acc = this.acc, lanes = this.lanes;
    for (let u = this.treeUnit[t], u1 = this.treeUnit[t + 1]; u < u1; u++) {
      const node = uNode[u] * B, at = uAt[u], f0 = uFeat[u], d = uFeat[u + 1] - f0, v0 = uVal[u], kind = uKind[u];
      if (kind === FOLDED) {
        const s0 = uSplit[u], m = uSplit[u + 1] - s0, out = valTarget[v0] * W1 * B, L = d + 1;
        // table row: the pattern above the unit, then the unit's own decisions; at + row·(d + 1)
        switch (m) {
          case 0: for (let r = 0; r < n; r++) idx[r] = at + pat[node + r] * L; break;
          case 1: { const a = split[s0] * B; for (let r = 0; r < n; r++) idx[r] = at + ((pat[node + r] << 1) | dec[a + r]) * L; break; }
          case 2: { const a = split[s0] * B, b = split[s0 + 1] * B; for (let r = 0; r < n; r++) idx[r] = at + ((pat[node + r] << 2) | dec[a + r] | (dec[b + r] << 1)) * L; break; }
          case 3: {
            const a = split[s0] * B, b = split[s0 + 1] * B, c = split[s0 + 2] * B;
            for (let r = 0; r < n; r++) idx[r] = at + ((pat[node + r] << 3) | dec[a + r] | (dec[b + r] << 1) | (dec[c + r] << 2)) * L;
            break;
          }
          default:
            for (let r = 0; r < n; r++) idx[r] = pat[node + r] << m;
            for (let k = 0; k < m; k++) { const sk = split[s0 + k] * B; for (let r = 0; r < n; r++) idx[r] |= dec[sk + r] << k; }
            for (let r = 0; r < n; r++) idx[r] = at + idx[r] * L;
        }
        for (let i = 0; i < d; i++) lanes[i] = out + feat[f0 + i] * B;
        lanes[d] = out + W * B;
        addLanes(acc, table, idx, lanes, L, n);
        continue;
      }
      if (kind === PER_ROW) {
        for (let r = 0; r < n; r++) {
          const p = pat[node + r], weights = this.weightsOf(f0, d, p);
          for (let v = v0, v1 = uVal[u + 1]; v < v1; v++) {
            const value = valWeight[v], o = valTarget[v] * W1 * B + r;
            for (let i = 0; i < d; i++) acc[o + feat[f0 + i] * B] += value * weights[i];
            if (p === 0) margin[marginAt + r * T + valTarget[v]] += value;
          }
        }
        continue;
      }
      for (let r = 0; r < n; r++) idx[r] = at + pat[node + r] * d;
      for (let v = v0, v1 = uVal[u + 1]; v < v1; v++) {
        const value = valWeight[v], out = valTarget[v] * W1 * B;
        for (let r = 0; r < n; r++) if (pat[node + r] === 0) margin[marginAt + r * T + valTarget[v]] += value;
        for (let i = 0; i < d; i++) {
          const o = out + feat[f0 + i] * B;
          for (let r = 0; r < n; r++) acc[o + r] += value * table[idx[r] + i];
        }
      }
    }
  }

  /** An untabulated leaf's weights for pattern p (deep paths past the table budget). */
  private weightsOf(f0: number, d: number, p: number): Float64Array {
    const o = this.o;
    for (let i = 0; i < d; i++) o[i] = 1 - ((p >> i) & 1);
    leafWeights(this.z.subarray(f0, f0 + d), o, d, this.rowWeights, this.scratch);
    return this.rowWeights;
  }
}

/**
 * acc[lanes[i] + r] += table[idx[r] + i] for the L lanes of a unit's table rows: one pass over
 * the block per row stretch, specialized by width so each lane's offset stays in a register.
 */
function addLanes(acc: Float64Array, table: Float64Array, idx: Int32Array, lanes: Int32Array, L: number, n: number): void {
  const o0 = lanes[0], o1 = lanes[1], o2 = lanes[2], o3 = lanes[3], o4 = lanes[4], o5 = lanes[5];
  switch (L) {
    case 1: for (let r = 0; r < n; r++) acc[o0 + r] += table[idx[r]]; return;
    case 2: for (let r = 0; r < n; r++) { const b = idx[r]; acc[o0 + r] += table[b]; acc[o1 + r] += table[b + 1]; } return;
    case 3: for (let r = 0; r < n; r++) { const b = idx[r]; acc[o0 + r] += table[b]; acc[o1 + r] += table[b + 1]; acc[o2 + r] += table[b + 2]; } return;
    case 4:
      for (let r = 0; r < n; r++) { const b = idx[r]; acc[o0 + r] += table[b]; acc[o1 + r] += table[b + 1]; acc[o2 + r] += table[b + 2]; acc[o3 + r] += table[b + 3]; }
      return;
    case 5:
      for (let r = 0; r < n; r++) {
        const b = idx[r];
        acc[o0 + r] += table[b]; acc[o1 + r] += table[b + 1]; acc[o2 + r] += table[b + 2]; acc[o3 + r] += table[b + 3]; acc[o4 + r] += table[b + 4];
      }
      return;
    case 6:
      for (let r = 0; r < n; r++) {
        const b = idx[r];
        acc[o0 + r] += table[b]; acc[o1 + r] += table[b + 1]; acc[o2 + r] += table[b + 2]; acc[o3 + r] += table[b + 3]; acc[o4 + r] += table[b + 4]; acc[o5 + r] += table[b + 5];
      }
      return;
    default: {
      // wider rows: six lanes at a time
      for (let r = 0; r < n; r++) {
        const b = idx[r];
        acc[o0 + r] += table[b]; acc[o1 + r] += table[b + 1]; acc[o2 + r] += table[b + 2]; acc[o3 + r] += table[b + 3]; acc[o4 + r] += table[b + 4]; acc[o5 + r] += table[b + 5];
      }
      for (let i = 6; i < L; i++) { const o = lanes[i]; for (let r = 0; r < n; r++) acc[o + r] += table[idx[r] + i]; }
    }
  }
}

/** A unit leaf's z per unit feature: above the unit times the cover fractions of its own splits. */
function leafZ(u: Unit, l: UnitLeaf): number[] {
  const z = u.zs.slice();
  for (const s of l.steps) z[s.bit] *= s.frac;
  return z;
}

/** The unit features a leaf's game has: those above the unit and the ones its own splits read. */
function featuresOf(u: Unit, l: UnitLeaf): number[] {
  const own = Array.from({ length: u.dp }, (_, i) => i);
  for (const s of l.steps) if (s.bit >= u.dp && !own.includes(s.bit)) own.push(s.bit);
  return own;
}

/**
 * The subtree at internal node j as one unit, or null: at most UNIT_HEIGHT splits deep, every
 * leaf one value of one target, a table of at most UNIT_ROWS rows and depth MAX_TABLE_DEPTH.
 */
function subtreeUnit(t: EnsembleTree, j: number, fraction: Float64Array, distinct: number[], zs: number[], scale: number) {
  const nodes: number[] = [], leaves: UnitLeaf[] = [], features = distinct.slice();
  let target = -1, ok = true;
  const visit = (i: number, depth: number, steps: UnitLeaf['steps']) => {
    if (!ok) return;
    if (t.mode[i] === null) {
      const lv = t.leafValues[i];
      if (lv.length !== 2 || (target >= 0 && lv[0] !== target)) { ok = false; return; }
      target = lv[0];
      leaves.push({ target, value: lv[1] * scale, steps });
      return;
    }
    if (depth >= UNIT_HEIGHT + 1) { ok = false; return; }
    const k = nodes.length;
    nodes.push(i);
    if (!features.includes(t.feature[i])) features.push(t.feature[i]);
    const bit = features.indexOf(t.feature[i]);
    visit(t.trueChild[i], depth + 1, [...steps, { k, dir: 1, bit, frac: fraction[t.trueChild[i]] }]);
    visit(t.falseChild[i], depth + 1, [...steps, { k, dir: 0, bit, frac: fraction[t.falseChild[i]] }]);
  };
  visit(j, 1, []);
  const rows = (1 << distinct.length) * (1 << nodes.length);
  if (!ok || features.length > MAX_TABLE_DEPTH || rows > UNIT_ROWS) return null;
  return { nodes, leaves, features, target, zs: features.map((_, i) => (i < zs.length ? zs[i] : 1)), size: rows * (features.length + 1) };
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
