// Outer-join simplification: a LEFT join under a filter that no NULL-padded row can pass is an
// INNER join (its padded rows are all dropped, its matched rows are the same). A decorrelated
// scalar subquery compared in WHERE (TPC-H Q2's `= (SELECT min ...)`, Q17's and Q20's `<`/`>`
// over an AVG or SUM) is such a LEFT join; as an INNER join its aggregate becomes one more
// input of the join tree, so join ordering may place it, it may be a build side anywhere in the
// tree, and its comparison may be a join key.
import type { LNode } from './logical.ts';
import { type BExpr, mapCols } from './bound.ts';

/**
 * Whether `e` is NULL whenever every column `padded` says is padded is NULL (and it reads one):
 * columns, casts, arithmetic, comparisons and the tests that are NULL over a NULL operand.
 */
function nullOverPadded(e: BExpr, padded: (i: number) => boolean): boolean {
  const strict = (x: BExpr) => nullOverPadded(x, padded);
  switch (e.k) {
    case 'col': return padded(e.index);
    case 'cast': case 'neg': case 'not': case 'extract': return strict(e.arg);
    case 'arith': case 'cmp': case 'dateArith': return strict(e.left) || strict(e.right);
    case 'in': case 'like': return strict(e.arg);
    default: return false;
  }
}

/** Whether filter term `t` is never TRUE on a row whose padded columns are all NULL. */
export function rejectsPadded(t: BExpr, padded: (i: number) => boolean): boolean {
  switch (t.k) {
    case 'and': return t.args.some((a) => rejectsPadded(a, padded));
    case 'or': return t.args.every((a) => rejectsPadded(a, padded));
    // IS NOT NULL, IS TRUE and IS FALSE are FALSE over NULL; IS NULL, IS NOT TRUE and IS NOT FALSE are TRUE
    case 'isnull': return t.negated && nullOverPadded(t.arg, padded);
    case 'isbool': return !t.negated && nullOverPadded(t.arg, padded);
    default: return nullOverPadded(t, padded);
  }
}

/**
 * `input` with a LEFT join at its top (under projections that pick columns) made INNER when
 * one of the filter `terms` above it rejects the rows the join pads; else `input` itself.
 */
export function innerWhenPaddingRejected(input: LNode, terms: BExpr[]): LNode {
  if (input.k === 'project' && input.exprs.every((e) => e.k === 'col') && !input.barrier) {
    const picked = input.exprs as Extract<BExpr, { k: 'col' }>[];
    const below = innerWhenPaddingRejected(input.input, terms.map((t) => mapCols(t, (i, c) => ({ ...c, index: picked[i].index }))));
    return below === input.input ? input : { ...input, input: below };
  }
  if (input.k !== 'join' || input.joinType !== 'LEFT') return input;
  const nl = input.left.fields.length;
  return terms.some((t) => rejectsPadded(t, (i) => i >= nl)) ? { ...input, joinType: 'INNER' } : input;
}
