// Eager aggregation: a GROUP BY over an inner or left join whose aggregates read only one side
// (the "aggregated" side) and whose group keys only the other can aggregate that side first, by
// its join keys, and join the much smaller result. TPC-H Q13 counts orders per customer over
// customer LEFT JOIN orders: counting 1.5M orders per o_custkey in the slices first leaves 100k
// rows to move and join instead of 1.5M. The GROUP BY above stays and combines the partial
// results (a count becomes a sum of counts), so duplicate keys on the other side stay correct.
import type { Field, LNode } from './logical.ts';
import { type BAgg, type BExpr, BOOL, aggInputs, mapAggInputs, mapCols, usedColumns } from './bound.ts';
import { estimateRows, exprDistinct } from './cardinality.ts';

type Aggregate = Extract<LNode, { k: 'aggregate' }>;
type Join = Extract<LNode, { k: 'join' }>;

/** Pre-aggregating pays when it shrinks the aggregated side at least this many times. */
const MIN_REDUCTION = 3;
/** ... and when at least this share of its groups find a partner (else the join filters it cheaper). */
const MIN_MATCHED = 0.5;

/**
 * ... and when the other side has at least this many rows: joining a smaller one costs a probe
 * per row, while aggregating first adds a phase (the partial results gathered or exchanged).
 */
const MIN_OTHER_ROWS = 1000;

/** Aggregates that combine from partial results of the same function (count by summing counts). */
const DECOMPOSABLE = new Set(['count', 'count_star', 'sum', 'min', 'max']);

/** The aggregate with its GROUP BY pushed below its join when that pays, or the aggregate as it was. */
export function aggregateBelowJoin(n: Aggregate): LNode {
  // a global aggregate over no rows yields one row (count 0), which a sum of counts would not
  if (!n.keys.length) return n;
  const unwrapped = throughColumnPicks(n);
  if (!unwrapped) return n;
  const { keys, aggs } = unwrapped;
  const join = withSideConditionsBelow(unwrapped.join);
  if (!join || join.nullEq?.some(Boolean) || !join.leftKeys.length) return n;
  if (!aggs.every((a) => DECOMPOSABLE.has(a.fn) && !a.order && (!a.distinct || a.fn === 'min' || a.fn === 'max'))) return n;
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
  return n;
}

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

function rewrite(n: Aggregate, join: Join, keys: BExpr[], aggs: BAgg[], side: 'left' | 'right'): LNode {
  const nl = join.left.fields.length;
  const agged = side === 'right' ? join.right : join.left, other = side === 'right' ? join.left : join.right;
  const aggedKeys = side === 'right' ? join.rightKeys : join.leftKeys, otherKeys = side === 'right' ? join.leftKeys : join.rightKeys;
  if (!pays(agged, aggedKeys, other, otherKeys)) return n;
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
  return { ...n, input: joined, keys: keys.map((k) => mapCols(k, (i, c) => ({ ...c, index: otherAt(i) }))), aggs: combine };
}

/**
 * Whether aggregating `agged` by its join keys first pays, from the statistics: it must shrink
 * that side MIN_REDUCTION times, the other side must not be a small table, and most of its groups must find a partner on the other side
 * (when the other side is filtered down to a few keys, joining first drops most rows cheaper,
 * and the join filter pushed into the scan drops them earlier still). Unknown distinct counts
 * decide nothing: the plan stays.
 */
function pays(agged: LNode, aggedKeys: BExpr[], other: LNode, otherKeys: BExpr[]): boolean {
  const rows = estimateRows(agged), otherRows = estimateRows(other);
  let groups = 1, partners = 1;
  for (let i = 0; i < aggedKeys.length; i++) {
    const d = exprDistinct(agged, aggedKeys[i], rows), o = exprDistinct(other, otherKeys[i], otherRows);
    if (d === null || o === null) return false;
    groups *= d;
    partners *= o;
  }
  groups = Math.min(groups, rows);
  return otherRows >= MIN_OTHER_ROWS && rows >= MIN_REDUCTION * groups && Math.min(partners, otherRows) >= MIN_MATCHED * groups;
}
