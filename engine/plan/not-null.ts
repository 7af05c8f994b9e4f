// Which columns of a plan can never be NULL, so a test for NULL there can be left out (an
// uncorrelated NOT IN's test for a NULL in its subquery, plan/subqueries.ts `membership`).
// Only what the plan proves: a NOT NULL table column, or a column a filter's conjunct drops the
// NULLs of, carried through projections, sorts and the kept sides of joins.
import type { LNode } from './logical.ts';
import type { BExpr } from './bound.ts';

/** Whether expression `e` over the rows of `n` is never NULL (a column that never is). */
export function neverNull(n: LNode, e: BExpr): boolean {
  return e.k === 'col' && columnNeverNull(n, e.index);
}

function columnNeverNull(n: LNode, i: number): boolean {
  switch (n.k) {
    case 'scan': return n.table.columns[i]?.notNull === true;
    case 'filter': return conjuncts(n.pred).some((t) => dropsNull(t, i)) || columnNeverNull(n.input, i);
    case 'project': return neverNull(n.input, n.exprs[i]);
    case 'sort': case 'limit': case 'distinct': case 'shared': return columnNeverNull(n.input, i);
    case 'window': return i < n.input.fields.length && columnNeverNull(n.input, i);
    case 'join': {
      if (n.joinType === 'FULL') return false;
      const nl = n.left.fields.length;
      // an inner join's equality keys matched a value, so they are not NULL
      const keyed = !n.nullEq?.some(Boolean) && (n.joinType === 'INNER' || n.joinType === 'SEMI');
      if (i < nl) return (keyed && n.leftKeys.some((k) => k.k === 'col' && k.index === i)) || columnNeverNull(n.left, i);
      if (n.joinType !== 'INNER' && n.joinType !== 'CROSS') return false;
      return (keyed && n.rightKeys.some((k) => k.k === 'col' && k.index === i - nl)) || columnNeverNull(n.right, i - nl);
    }
    default: return false;
  }
}

const conjuncts = (e: BExpr): BExpr[] => (e.k === 'and' ? e.args.flatMap(conjuncts) : [e]);

/** Whether a filter conjunct is false or NULL (so drops the row) when column i is NULL. */
function dropsNull(t: BExpr, i: number): boolean {
  const isCol = (x: BExpr) => x.k === 'col' && x.index === i;
  if (t.k === 'isnull') return t.negated && isCol(t.arg);
  if (t.k === 'cmp') return isCol(t.left) || isCol(t.right);
  if (t.k === 'in' || t.k === 'like') return isCol(t.arg);
  return false;
}
