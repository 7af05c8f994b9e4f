// Eager aggregation: a GROUP BY over an inner or left join whose aggregates read only one side
// (the "aggregated" side) and whose group keys only the other can aggregate that side first, by
// its join keys, and join the much smaller result. TPC-H Q13 counts orders per customer over
// customer LEFT JOIN orders: counting 1.5M orders per o_custkey in the slices first leaves 100k
// rows to move and join instead of 1.5M. An inner join tree is regrouped first, so TPC-H Q10's
// lineitem JOIN orders is summed per o_custkey before customer and nation join it. The GROUP BY
// above stays and combines the partial results (a count becomes a sum of counts), so duplicate
// keys on the other side stay correct.
import type { Field, LNode } from './logical.ts';
import { type BAgg, type BExpr, BOOL, aggInputs, mapAggInputs, mapCols, usedColumns } from './bound.ts';
import { estimateRows, exprDistinct } from './cardinality.ts';
import { flatten, inputMasks, leafFinder, type Leaf } from './join-order.ts';

type Aggregate = Extract<LNode, { k: 'aggregate' }>;
type Join = Extract<LNode, { k: 'join' }>;

/**
 * Pre-aggregating pays when it shrinks the aggregated side at least 1 + REHASH × (its keys) /
 * (the GROUP BY's keys) times: every row is hashed once more, by the join keys, and what that
 * saves grows with the keys the GROUP BY above no longer hashes for every joined row (one key
 * against one: 3×; TPC-H Q10's seven customer columns against o_custkey: 1.3×).
 */
const REHASH = 2;
/** ... and when at least this share of its groups find a partner (else the join filters it cheaper). */
const MIN_MATCHED = 0.5;

/**
 * ... and when the other side has at least this many rows: joining a smaller one costs a probe
 * per row, while aggregating first adds a phase (the partial results gathered or exchanged).
 */
const MIN_OTHER_ROWS = 1000;

/** Aggregates that combine from partial results of the same function (count by summing counts). */
const DECOMPOSABLE = new Set(['count', 'count_star', 'sum', 'min', 'max']);

/** Places filter terms into a plan (the optimizer's pushdown, which makes equalities join keys). */
export type Place = (n: LNode, terms: BExpr[]) => LNode;

/** The aggregate with its GROUP BY pushed below its join when that pays, or the aggregate as it was. */
export function aggregateBelowJoin(n: Aggregate, place: Place): LNode {
  // a global aggregate over no rows yields one row (count 0), which a sum of counts would not
  if (!n.keys.length) return n;
  const unwrapped = throughColumnPicks(n);
  if (!unwrapped) return n;
  const { keys, aggs } = unwrapped;
  if (!aggs.every((a) => DECOMPOSABLE.has(a.fn) && !a.order && (!a.distinct || a.fn === 'min' || a.fn === 'max'))) return n;
  const join = withSideConditionsBelow(unwrapped.join);
  const direct = join && !join.nullEq?.some(Boolean) && join.leftKeys.length ? belowTopJoin(n, join, keys, aggs) : null;
  if (direct) return direct.plan;
  // an inner join tree: the inputs the aggregates read, and some others, may form the aggregated side
  return (unwrapped.join.joinType === 'INNER' && !unwrapped.join.nullEq ? belowJoinTree(n, unwrapped.join, keys, aggs, place) : null) ?? n;
}

/** The rewrite over the join's own two inputs, when the aggregates read one and the keys the other. */
function belowTopJoin(n: Aggregate, join: Join, keys: BExpr[], aggs: BAgg[]): Rewritten | null {
  const nl = join.left.fields.length;
  const keyCols = new Set<number>();
  for (const k of keys) usedColumns(k, keyCols);
  const aggCols = new Set<number>();
  for (const a of aggs) for (const e of aggInputs(a)) usedColumns(e, aggCols);
  const onLeft = (s: Set<number>) => [...s].every((i) => i < nl);
  const onRight = (s: Set<number>) => [...s].every((i) => i >= nl);
  // a LEFT join's right side may be aggregated first: its unmatched left rows carry no right values
  if (onRight(aggCols) && onLeft(keyCols) && (join.joinType === 'INNER' || join.joinType === 'LEFT')) return rewrite(n, join, keys, aggs, 'right');
  if (onLeft(aggCols) && onRight(keyCols) && join.joinType === 'INNER') return rewrite(n, join, keys, aggs, 'left');
  return null;
}

/** Inputs of an inner join tree beyond which the split is not searched (2^free splits are tried). */
const MAX_LEAVES = 12;
const MAX_FREE = 4;

/**
 * An inner join tree regrouped as (other inputs) JOIN (aggregated inputs): the inputs the
 * aggregates read go to the aggregated side, those the keys read to the other, and each
 * remaining input to whichever side pays best (TPC-H Q10: lineitem and orders are summed per
 * o_custkey before customer and nation join them). Each side must be connected by its own
 * conditions and the conditions between the sides must be equalities (the new join's keys).
 */
function belowJoinTree(n: Aggregate, root: Join, keys: BExpr[], aggs: BAgg[], place: Place): LNode | null {
  const leaves: Leaf[] = [], conds: BExpr[] = [];
  flatten(root, 0, leaves, conds);
  if (leaves.length < 3 || leaves.length > MAX_LEAVES) return null;
  const maskOfOne = inputMasks(leafFinder(leaves));
  const maskOf = (es: BExpr[]) => { let m = 0; for (const e of es) m |= maskOfOne(e); return m; };
  const keyMask = maskOf(keys), aggMask = maskOf(aggs.flatMap(aggInputs));
  if (keyMask & aggMask) return null;
  const free = leaves.map((_, j) => j).filter((j) => !((keyMask | aggMask) & (1 << j)));
  if (free.length > MAX_FREE) return null;
  const all = (1 << leaves.length) - 1;
  let best: Rewritten | null = null;
  for (let pick = 0; pick < 1 << free.length; pick++) {
    let agged = aggMask;
    free.forEach((j, b) => { if (pick & (1 << b)) agged |= 1 << j; });
    if (agged === 0 || agged === all) continue;
    const split = splitTree(leaves, conds, all & ~agged, agged, maskOfOne, place);
    // most splits do not shrink their aggregated side enough: the other side is then never placed
    if (!split || !shrinks(split.agged, split.aggedKeys, keys.length)) continue;
    const r = rewrite(n, split.join(), keys.map(split.at), aggs.map((a) => mapAggInputs(a, split.at)), 'right');
    if (r && (!best || r.reduction > best.reduction)) best = r;
  }
  return best?.plan ?? null;
}

/**
 * The join of two sets of inputs (bit masks) of a flattened tree, and where each old field sits
 * in it; null if a side is not connected or a condition between them is no equality. The
 * aggregated side (the join's right) is placed at once, the other side when the join is asked for.
 */
function splitTree(leaves: Leaf[], conds: BExpr[], otherMask: number, aggedMask: number, maskOf: (e: BExpr) => number, place: Place): { agged: LNode; aggedKeys: BExpr[]; join: () => Join; at: (e: BExpr) => BExpr } | null {
  const sides = [otherMask, aggedMask].map((mask) => ({ mask, members: leaves.map((_, j) => j).filter((j) => mask & (1 << j)), conds: [] as BExpr[] }));
  const otherKeys: BExpr[] = [], aggedKeys: BExpr[] = [];
  const within = (m: number, mask: number) => (m & ~mask) === 0;
  for (const c of conds) {
    const m = maskOf(c);
    const side = sides.find((x) => within(m, x.mask));
    if (side) { side.conds.push(c); continue; }
    if (c.k !== 'cmp' || c.op !== '=') return null;
    const l = maskOf(c.left), r = maskOf(c.right);
    if (l && r && within(l, otherMask) && within(r, aggedMask)) { otherKeys.push(c.left); aggedKeys.push(c.right); }
    else if (l && r && within(l, aggedMask) && within(r, otherMask)) { otherKeys.push(c.right); aggedKeys.push(c.left); }
    else return null;
  }
  if (!otherKeys.length || !sides.every((x) => connected(x.members, x.conds, maskOf))) return null;
  // each side: its inputs in their old order, cross joined, then its conditions placed (and ordered)
  const pos: number[] = [];
  const trees = sides.map((side, k) => {
    let at = k === 0 ? 0 : sides[0].members.reduce((w, j) => w + leaves[j].width, 0);
    let tree: LNode | null = null;
    for (const j of side.members) {
      for (let c = 0; c < leaves[j].width; c++) pos[leaves[j].offset + c] = at + c;
      at += leaves[j].width;
      const leaf = leaves[j].node;
      tree = tree ? { k: 'join', joinType: 'CROSS', left: tree, right: leaf, leftKeys: [], rightKeys: [], residual: null, fields: [...tree.fields, ...leaf.fields] } : leaf;
    }
    return tree!;
  });
  const base = trees[0].fields.length;
  const localTo = (k: number) => (e: BExpr) => mapCols(e, (i, c) => ({ ...c, index: pos[i] - (k === 0 ? 0 : base) }));
  const placeSide = (k: number) => {
    const terms = sides[k].conds.map(localTo(k));
    return terms.length ? place(trees[k], terms) : trees[k];
  };
  const agged = placeSide(1);
  const rightKeys = aggedKeys.map(localTo(1));
  let join: Join | undefined;
  const joined = (): Join => {
    if (join) return join;
    const other = placeSide(0);
    join = {
      k: 'join', joinType: 'INNER', left: other, right: agged,
      leftKeys: otherKeys.map(localTo(0)), rightKeys, residual: null,
      fields: [...other.fields, ...agged.fields],
    };
    return join;
  };
  return { agged, aggedKeys: rightKeys, join: joined, at: (e) => mapCols(e, (i, c) => ({ ...c, index: pos[i] })) };
}

/** Whether conditions connect these inputs (one input always is). */
function connected(members: number[], conds: BExpr[], maskOf: (e: BExpr) => number): boolean {
  if (members.length < 2) return true;
  let reached = 1 << members[0], grew = true;
  while (grew) {
    grew = false;
    for (const c of conds) {
      const m = maskOf(c);
      if (m & reached && m & ~reached) { reached |= m; grew = true; }
    }
  }
  return members.every((j) => reached & (1 << j));
}

interface Rewritten { plan: LNode; reduction: number }

/** The join under the aggregate (seen through projections that only pick columns), with the keys and aggregates over its fields. */
function throughColumnPicks(n: Aggregate): { join: Join; keys: BExpr[]; aggs: BAgg[] } | null {
  let input = n.input, keys = n.keys, aggs = n.aggs;
  while (input.k === 'project' && input.exprs.every((e) => e.k === 'col')) {
    const picked = input.exprs as Extract<BExpr, { k: 'col' }>[];
    const at = (e: BExpr) => mapCols(e, (i, c) => ({ ...c, index: picked[i].index }));
    keys = keys.map(at);
    aggs = aggs.map((a) => mapAggInputs(a, at));
    input = input.input;
  }
  return input.k === 'join' ? { join: input, keys, aggs } : null;
}

/**
 * The join with its residual conditions that read one input only applied to that input below it
 * (as a LEFT join's ON conditions on the right side are), or null when some condition reads both.
 */
function withSideConditionsBelow(join: Join): Join | null {
  if (!join.residual) return join;
  if (join.joinType !== 'INNER' && join.joinType !== 'LEFT') return null;
  const nl = join.left.fields.length;
  const left: BExpr[] = [], right: BExpr[] = [];
  for (const t of conjuncts(join.residual)) {
    const cols = [...usedColumns(t)];
    if (cols.length && cols.every((i) => i >= nl)) right.push(mapCols(t, (i, c) => ({ ...c, index: i - nl })));
    // a LEFT join keeps every left row, whatever its ON conditions on them say
    else if (cols.length && cols.every((i) => i < nl) && join.joinType === 'INNER') left.push(t);
    else return null;
  }
  const filtered = (n: LNode, terms: BExpr[]): LNode => (terms.length ? { k: 'filter', input: n, pred: andAll(terms), fields: n.fields } : n);
  return { ...join, left: filtered(join.left, left), right: filtered(join.right, right), residual: null };
}

const conjuncts = (e: BExpr): BExpr[] => (e.k === 'and' ? e.args.flatMap(conjuncts) : [e]);
const andAll = (xs: BExpr[]): BExpr => (xs.length === 1 ? xs[0] : { k: 'and', args: xs, type: BOOL });

function rewrite(n: Aggregate, join: Join, keys: BExpr[], aggs: BAgg[], side: 'left' | 'right'): Rewritten | null {
  const nl = join.left.fields.length;
  const agged = side === 'right' ? join.right : join.left, other = side === 'right' ? join.left : join.right;
  const aggedKeys = side === 'right' ? join.rightKeys : join.leftKeys, otherKeys = side === 'right' ? join.leftKeys : join.rightKeys;
  const reduction = pays(agged, aggedKeys, other, otherKeys, keys.length);
  if (!reduction) return null;
  // the aggregated side's fields start at 0 in its own plan
  const local = (e: BExpr) => (side === 'right' ? mapCols(e, (i, c) => ({ ...c, index: i - nl })) : e);
  const m = aggedKeys.length;
  const partial: Aggregate = {
    k: 'aggregate', input: agged, keys: aggedKeys,
    aggs: aggs.map((a) => mapAggInputs(a, local)),
    fields: [
      ...aggedKeys.map((k, i): Field => ({ name: k.k === 'col' ? agged.fields[k.index].name : `key${i}`, type: k.type, hidden: true })),
      ...aggs.map((a, i): Field => ({ name: n.fields[n.keys.length + i]?.name ?? `agg${i}`, type: a.type, hidden: true })),
    ],
  };
  const partialKeys = aggedKeys.map((k, i): BExpr => ({ k: 'col', index: i, type: k.type }));
  const joined: Join = side === 'right'
    ? { k: 'join', joinType: join.joinType, left: other, right: partial, leftKeys: otherKeys, rightKeys: partialKeys, residual: null, fields: [...other.fields, ...partial.fields] }
    : { k: 'join', joinType: join.joinType, left: partial, right: other, leftKeys: partialKeys, rightKeys: otherKeys, residual: null, fields: [...partial.fields, ...other.fields] };
  // where the other side's columns and each partial result sit in the new join
  const otherAt = side === 'right' ? (i: number) => i : (i: number) => i - nl + partial.fields.length;
  const partialAt = (j: number) => (side === 'right' ? other.fields.length : 0) + m + j;
  const outer = join.joinType === 'LEFT';
  const combine = aggs.map((a, j): BAgg => {
    const col: BExpr = { k: 'col', index: partialAt(j), type: a.type };
    // a left row without partners counted 0 values, and 1 row for count(*)
    const orElse = (v: number): BExpr => (outer ? { k: 'call', name: 'coalesce', args: [col, { k: 'const', value: v, type: a.type }], type: a.type } : col);
    if (a.fn === 'count') return { fn: 'sum', arg: orElse(0), distinct: false, type: a.type };
    if (a.fn === 'count_star') return { fn: 'sum', arg: orElse(1), distinct: false, type: a.type };
    return { fn: a.fn, arg: col, distinct: false, type: a.type };
  });
  return { plan: { ...n, input: joined, keys: keys.map((k) => mapCols(k, (i, c) => ({ ...c, index: otherAt(i) }))), aggs: combine }, reduction };
}

/**
 * How many times aggregating `agged` by its join keys first shrinks it, or 0 when that does not
 * pay, from the statistics: it must shrink that side enough (REHASH), the other side must
 * not be a small table, and most of its groups must find a partner on the other side (when the other side is filtered down to a few keys, joining first drops most rows cheaper,
 * and the join filter pushed into the scan drops them earlier still). Unknown distinct counts
 * decide nothing: the plan stays.
 */
function pays(agged: LNode, aggedKeys: BExpr[], other: LNode, otherKeys: BExpr[], groupKeys: number): number {
  const shrunk = shrinks(agged, aggedKeys, groupKeys);
  if (!shrunk) return 0;
  const otherRows = estimateRows(other);
  let partners = 1;
  for (const k of otherKeys) {
    const o = exprDistinct(other, k, otherRows);
    if (o === null) return 0;
    partners *= o;
  }
  const ok = otherRows >= MIN_OTHER_ROWS && Math.min(partners, otherRows) >= MIN_MATCHED * shrunk.groups;
  return ok ? shrunk.reduction : 0;
}

/**
 * The groups aggregating `agged` by its join keys makes and how many times that shrinks it, when
 * it shrinks it enough (REHASH); null otherwise or when a key's distinct count is unknown.
 */
function shrinks(agged: LNode, aggedKeys: BExpr[], groupKeys: number): { groups: number; reduction: number } | null {
  const rows = estimateRows(agged);
  let distinct = 1;
  for (const k of aggedKeys) {
    const d = exprDistinct(agged, k, Infinity);
    if (d === null) return null;
    distinct *= d;
  }
  // the distinct keys among `rows` drawn from `distinct` values (Cardenas): filtered rows keep fewer
  const groups = Math.max(1, distinct * -Math.expm1(-rows / distinct));
  const reduction = rows / groups;
  return reduction >= 1 + REHASH * aggedKeys.length / groupKeys ? { groups, reduction } : null;
}
