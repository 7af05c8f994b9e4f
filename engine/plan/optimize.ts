// Optimizer rules over the logical plan: push filters below joins (turning comma joins with an
// equality into hash joins) and merge stacked filters. Each rule is small; they run in order.
import { type LNode, mapPlanExprs } from './logical.ts';
import { type BExpr, BOOL, usedColumns, mapCols, mapChildren } from './bound.ts';
import { splitJoin } from './bind-query.ts';

const conj = (e: BExpr): BExpr[] => (e.k === 'and' ? e.args.flatMap(conj) : [e]);
const andAll = (xs: BExpr[]): BExpr | null => (xs.length === 0 ? null : xs.length === 1 ? xs[0] : { k: 'and', args: xs, type: BOOL });

/** Optimizes a plan and the plans of the uncorrelated subqueries in its expressions. */
export function optimize(n: LNode): LNode {
  const inExprs = (e: BExpr): BExpr => (e.k === 'subquery' ? { ...mapChildren(e, inExprs), plan: optimize(e.plan) } as BExpr : mapChildren(e, inExprs));
  return mapPlanExprs(rules(n), inExprs);
}

/** Applies the rules bottom-up. */
function rules(n: LNode): LNode {
  switch (n.k) {
    case 'scan': case 'batch': case 'values': return n;
    case 'join': return { ...n, left: rules(n.left), right: rules(n.right) };
    case 'setop': return { ...n, left: rules(n.left), right: rules(n.right) };
    case 'filter': return pushFilter(rules(n.input), conj(n.pred));
    default: return { ...n, input: rules(n.input) } as LNode;
  }
}

/** Places filter terms as low as they can go. */
function pushFilter(input: LNode, terms: BExpr[]): LNode {
  if (input.k === 'filter') return pushFilter(input.input, [...conj(input.pred), ...terms]);
  // a semi/anti join outputs its left rows: every filter on them can run before it
  if (input.k === 'join' && (input.joinType === 'SEMI' || input.joinType === 'ANTI')) return { ...input, left: pushFilter(input.left, terms) };
  if (input.k === 'join' && (input.joinType === 'INNER' || input.joinType === 'CROSS' || input.joinType === 'LEFT' || input.joinType === 'SINGLE')) {
    const nl = input.left.fields.length;
    const left: BExpr[] = [], right: BExpr[] = [], stay: BExpr[] = [];
    for (const t of terms) {
      const cols = [...usedColumns(t)];
      if (cols.length && cols.every((i) => i < nl)) left.push(t);
      else if (cols.length && cols.every((i) => i >= nl) && (input.joinType === 'INNER' || input.joinType === 'CROSS')) right.push(mapCols(t, (i, c) => ({ k: 'col', index: i - nl, type: c.type })));
      else stay.push(t);
    }
    const l = left.length ? pushFilter(input.left, left) : input.left;
    const r = right.length ? pushFilter(input.right, right) : input.right;
    if (input.joinType === 'LEFT' || input.joinType === 'SINGLE') {
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
