// Whether a recursive query's step is linear in its working table: step(A ∪ B) = step(A) ∪ step(B),
// so the executor may run it over the table a piece at a time (operators/set-op.ts). It is when
// the step reads the table once, only through operators that treat each of its rows on their
// own: filters, projections, inner and cross joins, and the kept side of a LEFT, SEMI, ANTI or
// SINGLE join. Not under an aggregate, DISTINCT, window, sort or LIMIT (they see the rows
// together), a set operation (UNION ALL's other input would come once a piece), a join's
// null-padded or matched side (a row's match may be in another piece), a subquery in an
// expression, a shared plan (read by two parents: a correlated subquery's domain) or another
// recursive query.
import { walk, type BExpr } from './bound.ts';
import { inputsOf, ownExprs, type LNode } from './logical.ts';
import type { Batch } from '../types/vector.ts';

export function isLinearIn(step: LNode, work: Batch): boolean {
  const inExpr = (e: BExpr): boolean => {
    let found = false;
    walk(e, (x) => { if (x.k === 'subquery' && reads(x.plan)) found = true; });
    return found;
  };
  const reads = (n: LNode): boolean => (n.k === 'batch' && n.batch === work) || ownExprs(n).some(inExpr) || inputsOf(n).some(reads);
  const linear = (n: LNode): boolean => {
    if (n.k === 'batch') return n.batch === work;
    if (ownExprs(n).some(inExpr)) return false;
    const inputs = inputsOf(n);
    const reading = inputs.filter(reads);
    if (reading.length !== 1) return false;
    const kept = n.k === 'join' && (n.joinType === 'INNER' || n.joinType === 'CROSS' || (reading[0] === n.left && n.joinType !== 'FULL'));
    return (n.k === 'filter' || n.k === 'project' || kept) && linear(reading[0]);
  };
  return linear(step);
}
