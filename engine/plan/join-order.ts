// Join order for inner joins and comma-separated FROM lists, by estimated cost. The rule
// flattens a tree of inner/cross joins into its inputs and conditions, estimates each input's
// rows after its own filters (plan/cardinality.ts), and picks the join tree with the fewest
// intermediate rows (C_out): dynamic programming over connected subsets up to DP_MAX inputs
// (bushy trees included: both sides of a join may be joins), greedy (linear) beyond. Only
// inputs with a join condition between them are joined, so no cross product appears where a
// connected order exists; the smaller side of each join is its build (right) side. A join graph that is not connected keeps a greedy connected-first order.
import { type LNode, type JoinExchange, inputsOf } from './logical.ts';
import { type BExpr, BOOL, usedColumns, mapCols } from './bound.ts';
import { compositeSelectivity, estimateRows, exprDistinct, keySelectivity, selectivity, OTHER_GUESS } from './cardinality.ts';
import { classEqualities, keyClasses } from './key-classes.ts';

/** Inputs up to which every connected order is considered (3^10 subset pairs). */
const DP_MAX = 10;

export interface Leaf { node: LNode; offset: number; width: number }

/** Leaves and conditions of a maximal inner/cross join tree, over the tree's own fields. */
export function flatten(n: LNode, offset: number, leaves: Leaf[], conds: BExpr[]): void {
  if (n.k === 'join' && (n.joinType === 'INNER' || n.joinType === 'CROSS') && !n.nullEq) {
    const nl = n.left.fields.length;
    flatten(n.left, offset, leaves, conds);
    flatten(n.right, offset + nl, leaves, conds);
    const at = (e: BExpr, by: number) => mapCols(e, (i, c) => ({ k: 'col', index: i + by, type: c.type }));
    n.leftKeys.forEach((k, i) => conds.push({ k: 'cmp', op: '=', left: at(k, offset), right: at(n.rightKeys[i], offset + nl), type: BOOL }));
    if (n.residual) conds.push(at(n.residual, offset));
    return;
  }
  leaves.push({ node: n, offset, width: n.fields.length });
}

/** The input a column position of the flattened tree belongs to (-1 past its fields). */
export function leafFinder(leaves: Leaf[]): (col: number) => number {
  const at: number[] = [];
  leaves.forEach((l, j) => { for (let c = 0; c < l.width; c++) at[l.offset + c] = j; });
  return (col) => at[col] ?? -1;
}

/** The inputs (bit mask) an expression reads, remembered per expression: the search asks for each many times. */
export function inputMasks(leafOf: (col: number) => number): (e: BExpr) => number {
  const memo = new Map<BExpr, number>();
  return (e) => {
    let m = memo.get(e);
    if (m === undefined) { m = 0; for (const c of usedColumns(e)) m |= bit(leafOf(c)); memo.set(e, m); }
    return m;
  };
}

/** One join condition over the flattened tree: which inputs it reads and how selective it is. */
interface Term { expr: BExpr; leaves: number; sel: number }

const bit = (j: number) => 1 << j;
const popcount = (m: number) => { let c = 0; for (; m; m &= m - 1) c++; return c; };

/**
 * Reorders the inner join tree under a filter by estimated cost. Returns null when the tree
 * has fewer than two inputs or the written order is kept. `place` pushes filter terms into a
 * tree (the optimizer's pushdown).
 */
export function connectJoins(root: LNode, terms: BExpr[], place: (n: LNode, terms: BExpr[]) => LNode): LNode | null {
  const leaves: Leaf[] = [];
  const conds: BExpr[] = [];
  flatten(root, 0, leaves, conds);
  if (leaves.length < 2 || leaves.length > 30) return null;
  const all = [...conds, ...terms];
  const leafOf = leafFinder(leaves);
  const maskOf = inputMasks(leafOf);
  const local = (e: BExpr, j: number) => mapCols(e, (i, c) => ({ k: 'col', index: i - leaves[j].offset, type: c.type }));
  // each input's rows after the filters that touch only it
  const rows = leaves.map((l, j) => {
    const own = all.filter((t) => maskOf(t) === bit(j)).map((t) => local(t, j));
    return Math.max(1, estimateRows(l.node) * (own.length ? selectivity(l.node, { k: 'and', args: own, type: BOOL }) : 1));
  });
  // equalities of key columns fold into classes: each pair of inputs a class spans is an edge
  const classes = keyClasses(all, leafOf);
  const joins: Term[] = [];
  for (const t of all) {
    const m = maskOf(t);
    if (popcount(m) < 2 || classes.folded(t)) continue;
    joins.push({ expr: t, leaves: m, sel: termSelectivity(t, m, leaves, rows, maskOf, local) });
  }
  // per class, each input's distinct values of its columns there (the fewest when it has several)
  const classNdv = classes.members.map((cols) => {
    const d = new Map<number, number>();
    for (const c of cols) {
      const j = leafOf(c.index);
      const v = exprDistinct(leaves[j].node, local(c, j), rows[j]) ?? rows[j];
      d.set(j, Math.min(d.get(j) ?? Infinity, v));
    }
    return d;
  });
  const classEdges: Term[] = [];
  classes.members.forEach((cols, k) => {
    const js = [...classNdv[k].keys()];
    for (const a of js) for (const b of js) if (a < b) classEdges.push({ expr: cols[0], leaves: bit(a) | bit(b), sel: 1 / Math.max(classNdv[k].get(a)!, classNdv[k].get(b)!, 1) });
  });
  const edges = [...joins.filter((t) => isEquiEdge(t.expr, maskOf)), ...classEdges];
  const n = leaves.length;
  const full = (1 << n) - 1;
  const connected = connectivity(n, edges);
  if (!connected(full)) return greedyConnect(root, leaves, all, place, maskOf);
  const card = cardinalities(n, rows, joins, classNdv);
  const shape = n <= DP_MAX ? dpOrder(n, card, connected, edges) : greedyOrder(n, card, edges);
  // conditions over three or more inputs can leave no split into two joined parts
  if (!shape?.has(full)) return greedyConnect(root, leaves, all, place, maskOf);
  // the tree of inputs in the chosen shape, the smaller side of each join on the right (build)
  const order: number[] = [];
  // the class equalities each join of the tree needs
  const keys: BExpr[] = [];
  // whether every join's right (build) side is a single input, as in the written left-deep tree
  let leftDeep = true;
  const build = (m: number): LNode => {
    const split = shape.get(m);
    if (split === undefined) { const j = Math.log2(m); order.push(j); return leaves[j].node; }
    let [a, b] = [split, m & ~split];
    if (card(a) < card(b)) [a, b] = [b, a];
    if (popcount(b) > 1) leftDeep = false;
    const left = build(a), right = build(b);
    const inside = (part: number) => (col: number) => (bit(leafOf(col)) & part) !== 0;
    keys.push(...classEqualities(classes, all, inside(a), inside(b)));
    return { k: 'join', joinType: 'CROSS', left, right, leftKeys: [], rightKeys: [], residual: null, fields: [...left.fields, ...right.fields] };
  };
  const tree = build(full);
  if (leftDeep && order.every((j, i) => j === i) && isWrittenShape(root, n)) return null;
  // new column positions, and the tree with every condition placed by the pushdown
  const newPos: number[] = [];
  let at = 0;
  for (const j of order) { for (let c = 0; c < leaves[j].width; c++) newPos[leaves[j].offset + c] = at + c; at += leaves[j].width; }
  const moved = [...all.filter((t) => !classes.folded(t)), ...keys].map((t) => mapCols(t, (i, c) => ({ k: 'col', index: newPos[i], type: c.type })));
  const placed = place(tree, moved);
  // back to the written column order
  return { k: 'project', input: placed, exprs: root.fields.map((f, i) => ({ k: 'col', index: newPos[i], type: f.type })), fields: root.fields };
}

/** The written tree is left-deep in leaf order: keeping it needs no rebuild. */
function isWrittenShape(root: LNode, n: number): boolean {
  let depth = 0;
  for (let x = root; x.k === 'join' && (x.joinType === 'INNER' || x.joinType === 'CROSS'); x = x.left) {
    if (x.right.k === 'join' && (x.right.joinType === 'INNER' || x.right.joinType === 'CROSS') && !x.right.nullEq) return false;
    depth++;
  }
  return depth === n - 1;
}

/** An equality between expressions over two disjoint sets of inputs: a hash join key. */
function isEquiEdge(e: BExpr, maskOf: (e: BExpr) => number): boolean {
  if (e.k !== 'cmp' || e.op !== '=') return false;
  const l = maskOf(e.left), r = maskOf(e.right);
  return l !== 0 && r !== 0 && (l & r) === 0;
}

/** How selective a multi-input condition is: an equi-join key by its distinct values, others a guess. */
function termSelectivity(e: BExpr, _m: number, leaves: Leaf[], rows: number[], maskOf: (e: BExpr) => number, local: (e: BExpr, j: number) => BExpr): number {
  if (e.k === 'cmp' && e.op === '=') {
    const l = maskOf(e.left), r = maskOf(e.right);
    if (popcount(l) === 1 && popcount(r) === 1 && l !== r) {
      const a = Math.log2(l), b = Math.log2(r);
      return keySelectivity(leaves[a].node, local(e.left, a), rows[a], leaves[b].node, local(e.right, b), rows[b]);
    }
  }
  return OTHER_GUESS;
}

/** Whether a set of inputs is connected by join keys (memoized per set). */
function connectivity(n: number, edges: Term[]): (m: number) => boolean {
  const memo = new Map<number, boolean>();
  return (m) => {
    let r = memo.get(m);
    if (r !== undefined) return r;
    let seen = m & -m;
    for (let grew = true; grew;) {
      grew = false;
      for (const e of edges) if ((e.leaves & m) === e.leaves && (e.leaves & seen) && (e.leaves & ~seen)) { seen |= e.leaves; grew = true; }
    }
    r = seen === m;
    memo.set(m, r);
    return r;
  };
}

/**
 * Estimated rows of the join of a set of inputs: the product of their rows and of the
 * selectivity of every condition within the set. A key class over k of the inputs counts as
 * k - 1 joins, each by the larger distinct count (the inputs in ascending order of distinct
 * values, each joined to the one before). Several key conditions between the same two inputs
 * (a composite key) count by the most selective one, or by the side with fewer key combinations
 * when classes link the two on several keys (compositeSelectivity).
 */
function cardinalities(n: number, rows: number[], joins: Term[], classNdv: Map<number, number>[]): (m: number) => number {
  const memo = new Map<number, number>();
  // each class's inputs in ascending order of distinct values (a set's members keep that order)
  const ascending = classNdv.map((d) => [...d].sort((x, y) => x[1] - y[1]));
  return (m) => {
    let r = memo.get(m);
    if (r !== undefined) return r;
    r = 1;
    for (let j = 0; j < n; j++) if (m & bit(j)) r *= rows[j];
    const pairs = new Map<number, number>();
    for (const t of joins) {
      if ((t.leaves & m) !== t.leaves) continue;
      if (popcount(t.leaves) === 2) pairs.set(t.leaves, Math.min(pairs.get(t.leaves) ?? 1, t.sel));
      else r *= t.sel;
    }
    // per pair of inputs the classes link: each side's distinct values, one per class
    const linked = new Map<number, { lo: number[]; hi: number[] }>();
    for (const members of ascending) {
      let prev = -1, prevNdv = 0;
      for (const [j, ndv] of members) {
        if (!(m & bit(j))) continue;
        if (prev >= 0) {
          const pair = bit(prev) | bit(j);
          pairs.set(pair, Math.min(pairs.get(pair) ?? 1, 1 / Math.max(1, ndv)));
          const l = linked.get(pair) ?? { lo: [], hi: [] };
          l.lo.push(prev < j ? prevNdv : ndv);
          l.hi.push(prev < j ? ndv : prevNdv);
          linked.set(pair, l);
        }
        prev = j;
        prevNdv = ndv;
      }
    }
    for (const [pair, l] of linked) {
      if (l.lo.length < 2) continue;
      const lo = Math.log2(pair & -pair), hi = Math.log2(pair & ~(pair & -pair));
      pairs.set(pair, Math.min(pairs.get(pair)!, compositeSelectivity(l.lo, rows[lo], l.hi, rows[hi])));
    }
    for (const s of pairs.values()) r *= s;
    r = Math.max(1, r);
    memo.set(m, r);
    return r;
  };
}

/** Best split per connected set by C_out (the sum of every intermediate result's rows), bushy trees included. */
function dpOrder(n: number, card: (m: number) => number, connected: (m: number) => boolean, edges: Term[]): Map<number, number> {
  const cost = new Map<number, number>();
  const split = new Map<number, number>();
  const joined = (a: number, b: number) => edges.some((e) => (e.leaves & a) && (e.leaves & b) && (e.leaves & ~(a | b)) === 0);
  for (let j = 0; j < n; j++) cost.set(bit(j), 0);
  const full = (1 << n) - 1;
  for (let m = 1; m <= full; m++) {
    if (popcount(m) < 2 || !connected(m)) continue;
    let best = Infinity, bestSub = 0;
    // each unordered split once: the part holding the lowest input
    const low = m & -m;
    for (let sub = (m - 1) & m; sub > 0; sub = (sub - 1) & m) {
      if (!(sub & low)) continue;
      const rest = m & ~sub;
      // bushy trees too: a build side is a pipeline of its own (broadcast, co-located or
      // redistributed), so joining two joined parts (supplier ⋈ nation beside lineitem ⋈ part)
      // runs as well as adding one input at a time
      const cs = cost.get(sub), cr = cost.get(rest);
      if (cs === undefined || cr === undefined || !joined(sub, rest)) continue;
      const c = cs + cr + card(m);
      if (c < best) { best = c; bestSub = sub; }
    }
    if (bestSub) { cost.set(m, best); split.set(m, bestSub); }
  }
  return split;
}

/** Beyond DP_MAX inputs: start from the smallest join of two, then add the input that keeps the result smallest. */
function greedyOrder(n: number, card: (m: number) => number, edges: Term[]): Map<number, number> | null {
  const split = new Map<number, number>();
  let cur = 0, best = Infinity;
  for (const e of edges) if (popcount(e.leaves) === 2 && card(e.leaves) < best) { best = card(e.leaves); cur = e.leaves; }
  if (cur === 0) return null;
  split.set(cur, cur & -cur);
  const full = (1 << n) - 1;
  while (cur !== full) {
    let next = 0, nb = Infinity;
    for (let j = 0; j < n; j++) {
      if (cur & bit(j)) continue;
      if (!edges.some((e) => (e.leaves & bit(j)) && (e.leaves & cur) && (e.leaves & ~(cur | bit(j))) === 0)) continue;
      const c = card(cur | bit(j));
      if (c < nb) { nb = c; next = bit(j); }
    }
    if (next === 0) return null;
    split.set(cur | next, cur);
    cur |= next;
  }
  return split;
}

/**
 * A join graph that is not connected: from the first table, add the first remaining table
 * linked to the ones joined so far (a cross product only where nothing links).
 */
function greedyConnect(root: LNode, leaves: Leaf[], all: BExpr[], place: (n: LNode, terms: BExpr[]) => LNode, maskOf: (e: BExpr) => number): LNode | null {
  if (leaves.length < 3) return null;
  const touches = all.map(maskOf);
  const linked = (set: number, j: number) => touches.some((t) => (t & bit(j)) && popcount(t) > 1 && (t & ~(set | bit(j))) === 0);
  const connectedInOrder = leaves.every((_, j) => j === 0 || linked(bit(j) - 1, j));
  if (connectedInOrder) return null;
  const order = [0];
  let joined = 1;
  while (order.length < leaves.length) {
    const rest = leaves.map((_, j) => j).filter((j) => !(joined & bit(j)));
    const next = rest.find((j) => linked(joined, j)) ?? rest[0];
    order.push(next);
    joined |= bit(next);
  }
  const newPos: number[] = [];
  let at = 0;
  for (const j of order) { for (let c = 0; c < leaves[j].width; c++) newPos[leaves[j].offset + c] = at + c; at += leaves[j].width; }
  let tree = leaves[order[0]].node;
  for (const j of order.slice(1)) {
    const right = leaves[j].node;
    tree = { k: 'join', joinType: 'CROSS', left: tree, right, leftKeys: [], rightKeys: [], residual: null, fields: [...tree.fields, ...right.fields] };
  }
  const moved = all.map((t) => mapCols(t, (i, c) => ({ k: 'col', index: newPos[i], type: c.type })));
  const placed = place(tree, moved);
  return { k: 'project', input: placed, exprs: root.fields.map((f, i) => ({ k: 'col', index: newPos[i], type: f.type })), fields: root.fields };
}

/**
 * What inserting a row into a hash table costs relative to moving it between threads (measured
 * with 2 slices: a 600k-row probe side against a 150k-row build side took as long either way).
 */
const BUILD_COST = 3;

/**
 * Bytes a build row costs in each slice besides its columns: its hash table entry
 * (exec/hash-join.ts's BuildTable.estimateBytes, less 8 bytes a key column).
 */
const TABLE_ROW_BYTES = 53;

/**
 * Estimated bytes a build side in every slice holds at once: a hash table of all its rows in
 * every slice and, when the slices send it to each other (not computed whole by each), its rows
 * at the leader (8 bytes a column).
 */
export function broadcastBytes(n: Extract<LNode, { k: 'join' }>, slices: number, whole = false): number {
  return estimateRows(n.right) * ((whole ? 0 : 8 * n.right.fields.length) + slices * (TABLE_ROW_BYTES + 8 * n.rightKeys.length));
}

/** How joins move their inputs: chosen by estimate, or forced (SET join_distribution). */
export type JoinDistribution = 'auto' | 'broadcast' | 'redistribute';

/**
 * Records on every join its estimated rows and its exchange, for a build side the slices send
 * each other and for one each computes whole (replicated.ts). Redistributing moves every probe
 * and build row once and each slice builds over its share: about (probe + (1 + BUILD_COST) ×
 * build) / slices per slice. A build side in every slice has each slice build a table of all
 * its rows: sent between them, about (1 + BUILD_COST) × build per slice, so redistribution wins
 * when probe < (1 + BUILD_COST) × build × (slices - 1); computed whole, nothing moves and it
 * costs BUILD_COST × build (the scan of the table's rows past the slice's share, at most
 * SMALL_TABLE_ROWS, is left out), so redistribution wins only when probe < (BUILD_COST ×
 * (slices - 1) - 1) × build (with 2 slices: 2 × build, not 4 ×). Either is only as good as the
 * estimates: TPC-H Q18's semi join keeps 62 orders; estimated at 500,000 (a third of its groups
 * passing the HAVING) it had every slice read the 150,000 customers whole, where moving the 62
 * rows twice costs less (cardinality.ts estimates the HAVING from the sum's spread: 132). A build side in every slice that would hold
 * more than half the statement's memory limit redistributes instead (each slice then builds over
 * its share, and what a slice receives counts into the budget). Joins without keys can only
 * broadcast. Mutates the (freshly optimized) plan in place.
 */
export function annotateJoins(root: LNode, slices: number, force: JoinDistribution = 'auto', memoryLimitBytes = Infinity): LNode {
  const seen = new Set<LNode>();
  const visit = (n: LNode): void => {
    if (seen.has(n)) return;
    seen.add(n);
    if (n.k === 'join') {
      const buildRows = estimateRows(n.right), probeRows = estimateRows(n.left);
      const exchange = (whole: boolean): JoinExchange => {
        if (n.leftKeys.length === 0 || slices < 2 || force === 'broadcast') return 'broadcast';
        if (force === 'redistribute') return 'redistribute';
        const buildCost = whole ? BUILD_COST * (slices - 1) - 1 : (1 + BUILD_COST) * (slices - 1);
        return probeRows >= buildCost * buildRows && broadcastBytes(n, slices, whole) <= memoryLimitBytes / 2 ? 'broadcast' : 'redistribute';
      };
      n.est = { rows: estimateRows(n), buildRows, probeRows, exchange: exchange(false), exchangeIfWhole: exchange(true), forced: force !== 'auto' };
    }
    for (const c of inputsOf(n)) visit(c);
  };
  visit(root);
  return root;
}
