// Optimizer rules over the logical plan: first, a correlated aggregate subquery over tables the
// outer query already joins becomes a window over the outer rows (subquery-windows.ts); then push
// filters below joins (turning comma joins with an
// equality into hash joins), make LEFT joins whose padded rows a filter drops INNER
// (outer-join-to-inner.ts), merge stacked filters and aggregate one side of a join before it
// when that pays (eager-aggregate.ts) and cut a UNION ALL to the columns read above it
// (prune-union-all.ts). Each rule is small; they run in order.
// Last, a total over a grouped aggregate's input reads its groups (totals-from-groups.ts) and
// aggregates the plan computes twice become one shared plan (common-subplans.ts).
import { type LNode, type SharedSlot, mapPlanExprs, inputsOf, ownExprs } from './logical.ts';
import { type BExpr, BOOL, usedColumns, mapCols, mapChildren, walk } from './bound.ts';
import { splitJoin } from './bind-query.ts';
import { annotateJoins, connectJoins, type JoinDistribution } from './join-order.ts';
import { shareCommonSubplans } from './common-subplans.ts';
import { totalsFromGroups } from './totals-from-groups.ts';
import { aggregateBelowJoin } from './eager-aggregate.ts';
import { innerWhenPaddingRejected } from './outer-join-to-inner.ts';
import { subqueriesAsWindows } from './subquery-windows.ts';
import { pruneUnionAll } from './prune-union-all.ts';

const conj = (e: BExpr): BExpr[] => (e.k === 'and' ? e.args.flatMap(conj) : [e]);
const disj = (e: BExpr): BExpr[] => (e.k === 'or' ? e.args.flatMap(disj) : [e]);
const andAll = (xs: BExpr[]): BExpr | null => (xs.length === 0 ? null : xs.length === 1 ? xs[0] : { k: 'and', args: xs, type: BOOL });

/**
 * Optimizes a plan and the plans of the uncorrelated subqueries in its expressions. `slices`
 * (how many the database runs) and `memoryLimitBytes` (the statement's query_memory_limit)
 * decide broadcast versus redistribution of join inputs, unless `joinDistribution` (SET
 * join_distribution) forces one.
 */
export function optimize(n: LNode, opts: OptimizeOptions = {}): LNode {
  // a total over a grouped aggregate's input is computed from its groups; an aggregate
  // computed twice (a view read again in a subquery) runs once
  return shareCommonSubplans(totalsFromGroups(optimizeWith(n, opts, new Map())));
}

type OptimizeOptions = { slices?: number; joinDistribution?: JoinDistribution; memoryLimitBytes?: number };

function optimizeWith(n: LNode, opts: OptimizeOptions, done: Map<LNode, LNode>): LNode {
  // a subquery reached through several copies of a plan (a decorrelated subquery's domain
  // repeats its outer plan) stays one plan object, so the executor runs it once
  const planOf = (p: LNode): LNode => { let o = done.get(p); if (!o) { o = optimizeWith(p, opts, done); done.set(p, o); } return o; };
  const inExprs = (e: BExpr): BExpr => (e.k === 'subquery' ? { ...mapChildren(e, inExprs), plan: planOf(e.plan) } as BExpr : mapChildren(e, inExprs));
  const ruled = rules(subqueriesAsWindows(n), new Map());
  // a plan without subqueries in its expressions is not copied to find none
  return annotateJoins(hasSubquery(ruled) ? mapPlanExprs(ruled, inExprs) : ruled, opts.slices ?? 2, opts.joinDistribution, opts.memoryLimitBytes);
}

/** Whether an expression of the plan holds a subquery. */
function hasSubquery(n: LNode): boolean {
  let found = false;
  for (const e of ownExprs(n)) walk(e, (x) => { if (x.k === 'subquery') found = true; });
  return found || inputsOf(n).some(hasSubquery);
}

/** Applies the rules bottom-up. A shared plan is optimized once, for all its parents. */
function rules(n: LNode, shared: Map<SharedSlot, LNode>): LNode {
  const r = (x: LNode) => rules(x, shared);
  switch (n.k) {
    case 'scan': case 'batch': case 'values': return n;
    case 'join': {
      const down = semiJoinDown(n);
      return down ? r(down) : { ...n, left: r(n.left), right: r(n.right) };
    }
    case 'setop': return { ...n, left: r(n.left), right: r(n.right) };
    case 'filter': {
      const terms = conj(n.pred).flatMap(factorOr);
      // a LEFT join whose padded rows the filter drops is an INNER one, which joins reorder with
      const input = innerWhenPaddingRejected(r(n.input), terms);
      return connectJoins(input, terms, pushFilter) ?? pushFilter(input, terms);
    }
    case 'aggregate': return aggregateBelowJoin(pruneUnionAll({ ...n, input: r(n.input) }), (x, terms) => connectJoins(x, terms, pushFilter) ?? pushFilter(x, terms));
    case 'project': return pruneUnionAll({ ...n, input: r(n.input) });
    case 'shared': {
      let done = shared.get(n.slot);
      if (!done) { done = { ...n, input: r(n.input) }; shared.set(n.slot, done); }
      return done;
    }
    default: return { ...n, input: r(n.input) } as LNode;
  }
}

/**
 * A semi or anti join without a residual keeps or drops each left row by that row's own keys,
 * so it runs as well below a filter, and on the side of an inner join its keys come from (an
 * uncorrelated IN on one table of a join tree): there the join order sees that side's fewer
 * rows. Returns the plan with the join one step down, or null when it cannot go down.
 */
function semiJoinDown(n: Extract<LNode, { k: 'join' }>): LNode | null {
  if ((n.joinType !== 'SEMI' && n.joinType !== 'ANTI') || n.residual || n.outerKeys) return null;
  const x = n.left;
  if (x.k === 'filter') return { ...x, input: { ...n, left: x.input, fields: x.input.fields } };
  if (x.k !== 'join' || (x.joinType !== 'INNER' && x.joinType !== 'CROSS')) return null;
  const nl = x.left.fields.length;
  const cols = n.leftKeys.flatMap((k) => [...usedColumns(k)]);
  if (!cols.length) return null;
  if (cols.every((i) => i < nl)) return { ...x, left: { ...n, left: x.left, fields: x.left.fields } };
  if (!cols.every((i) => i >= nl)) return null;
  const leftKeys = n.leftKeys.map((k) => mapCols(k, (i, c) => ({ k: 'col', index: i - nl, type: c.type })));
  return { ...x, right: { ...n, left: x.right, leftKeys, fields: x.right.fields } };
}

/** A text key for comparing conditions; `a = b` and `b = a` get the same one. */
const key = (e: BExpr): string => {
  if (e.k === 'cmp' && (e.op === '=' || e.op === '<>')) return JSON.stringify([e.op, ...[JSON.stringify(e.left), JSON.stringify(e.right)].sort()]);
  return JSON.stringify(e);
};

/**
 * (a AND b) OR (a AND c) is a AND (b OR c): conditions common to every branch of an OR come out,
 * so a join key repeated in each branch (TPC-H Q19) is a join key.
 */
function factorOr(t: BExpr): BExpr[] {
  if (t.k !== 'or') return [t];
  const branches = disj(t).map(conj);
  const common = branches[0].filter((c) => branches.every((b) => b.some((x) => key(x) === key(c))));
  if (!common.length) return [t];
  const keys = new Set(common.map(key));
  const rest = branches.map((b) => b.filter((c) => !keys.has(key(c))));
  // a branch left empty was only the common part: the OR adds nothing
  if (rest.some((r) => r.length === 0)) return common;
  return [...common, { k: 'or', args: rest.map((r) => andAll(r)!), type: BOOL }];
}

/**
 * An OR over both sides of a join implies, for one side, the OR of each branch's conditions on
 * that side alone (when every branch has some): that weaker filter can run below the join.
 */
function impliedBySide(t: BExpr, inSide: (cols: number[]) => boolean): BExpr | null {
  if (t.k !== 'or') return null;
  const parts: BExpr[] = [];
  for (const b of disj(t)) {
    const mine = conj(b).filter((c) => { const u = [...usedColumns(c)]; return u.length > 0 && inSide(u); });
    if (!mine.length) return null;
    parts.push(andAll(mine)!);
  }
  return { k: 'or', args: parts, type: BOOL };
}

/** Places filter terms as low as they can go. */
function pushFilter(input: LNode, terms: BExpr[]): LNode {
  if (input.k === 'filter') return pushFilter(input.input, [...conj(input.pred), ...terms]);
  // a projection that only picks columns (a reordered join's) commutes with a filter
  if (input.k === 'project' && input.exprs.every((e) => e.k === 'col')) {
    const picked = input.exprs as Extract<BExpr, { k: 'col' }>[];
    // below a view that reads with its owner's rights, a filter that can fail would see (and its
    // error could tell) rows the view's own filter hides: only leakproof ones go down
    const down = input.barrier ? terms.filter(leakproof) : terms;
    const stay = input.barrier ? terms.filter((t) => !leakproof(t)) : [];
    const moved: LNode = down.length ? { ...input, input: pushFilter(input.input, down.map((t) => mapCols(t, (i, c) => ({ k: 'col', index: picked[i].index, type: c.type })))) } : input;
    return stay.length ? { k: 'filter', input: moved, pred: andAll(stay)!, fields: input.fields } : moved;
  }
  // a semi/anti join outputs its left rows: every filter on them can run before it
  if (input.k === 'join' && (input.joinType === 'SEMI' || input.joinType === 'ANTI')) return { ...input, left: pushFilter(input.left, terms) };
  if (input.k === 'join' && (input.joinType === 'INNER' || input.joinType === 'CROSS' || input.joinType === 'LEFT' || input.joinType === 'SINGLE')) {
    const nl = input.left.fields.length;
    const left: BExpr[] = [], right: BExpr[] = [], stay: BExpr[] = [];
    for (const t of terms) {
      const cols = [...usedColumns(t)];
      if (cols.length && cols.every((i) => i < nl)) left.push(t);
      else if (cols.length && cols.every((i) => i >= nl) && (input.joinType === 'INNER' || input.joinType === 'CROSS')) right.push(mapCols(t, (i, c) => ({ k: 'col', index: i - nl, type: c.type })));
      else {
        stay.push(t);
        const inner = input.joinType === 'INNER' || input.joinType === 'CROSS';
        const l = impliedBySide(t, (u) => u.every((i) => i < nl));
        if (l) left.push(l);
        const r = inner ? impliedBySide(t, (u) => u.every((i) => i >= nl)) : null;
        if (r) right.push(mapCols(r, (i, c) => ({ k: 'col', index: i - nl, type: c.type })));
      }
    }
    const l = left.length ? pushFilter(input.left, left) : input.left;
    const r = right.length ? pushFilter(input.right, right) : input.right;
    // joins matching NULL with NULL keep their keys as they are
    if (input.joinType === 'LEFT' || input.joinType === 'SINGLE' || input.nullEq) {
      const j: LNode = { ...input, left: l, right: r };
      return stay.length ? { k: 'filter', input: j, pred: andAll(stay)!, fields: j.fields } : j;
    }
    // equalities between the sides become join keys
    const shiftRight = (e: BExpr) => mapCols(e, (i, c) => ({ k: 'col', index: i + nl, type: c.type }));
    const existing: BExpr[] = [
      ...input.leftKeys.map((k, i) => ({ k: 'cmp', op: '=', left: k, right: shiftRight(input.rightKeys[i]), type: BOOL }) as BExpr),
      ...(input.residual ? conj(input.residual) : []),
    ];
    const cond = andAll([...existing, ...stay]);
    return splitJoin(input.joinType === 'CROSS' && !cond ? 'CROSS' : input.joinType === 'CROSS' ? 'INNER' : input.joinType, l, r, cond, input.fields);
  }
  return { k: 'filter', input, pred: andAll(terms)!, fields: input.fields };
}

/**
 * Whether a filter term cannot fail whatever row it sees (PostgreSQL's LEAKPROOF): comparisons,
 * AND/OR/NOT, IS [NOT] NULL, IN lists and LIKE with a constant pattern over columns and constants,
 * and uncorrelated subqueries (run once, not per row). Casts, arithmetic and function calls can
 * raise an error that names the value.
 */
function leakproof(e: BExpr): boolean {
  switch (e.k) {
    case 'col': case 'const': case 'param': case 'interval': return true;
    case 'cmp': return leakproof(e.left) && leakproof(e.right);
    case 'and': case 'or': return e.args.every(leakproof);
    case 'not': case 'isnull': case 'isbool': return leakproof(e.arg);
    case 'in': return leakproof(e.arg) && e.list.every(leakproof);
    case 'like': return leakproof(e.arg) && (e.pattern.k === 'const' || e.pattern.k === 'param');
    case 'subquery': return e.arg === null || leakproof(e.arg);
    default: return false;
  }
}
