// Where a correlated subquery's outer keys come from: the smallest part of the outer plan that
// holds the key columns, with the filters on that part alone. Its distinct keys include every
// key the outer rows have, so a semi join with them limits what the subquery aggregates (the
// semi-join reduction) without computing the outer rows first: TPC-H Q17 then groups only the
// lineitem rows of the filtered parts, and the outer join no longer waits at the leader for it.
import type { LNode } from './logical.ts';
import { type BExpr, BOOL, usedColumns, mapCols, walk } from './bound.ts';
import { isVolatileFunction } from '../functions/registry.ts';

/** A plan cut down from another: `at(i)` is where the original's field i is, or -1 when gone. */
export interface KeySource { node: LNode; at: (i: number) => number }

const whole = (node: LNode): KeySource => ({ node, at: (i) => i });
const conj = (e: BExpr): BExpr[] => (e.k === 'and' ? e.args.flatMap(conj) : [e]);
const andAll = (xs: BExpr[]): BExpr => (xs.length === 1 ? xs[0] : { k: 'and', args: xs, type: BOOL });

/** A condition that may be tested on the part alone: the same answer each time, nothing run. */
function repeatable(e: BExpr): boolean {
  let ok = true;
  walk(e, (x) => { if (x.k === 'subquery' || x.k === 'model' || (x.k === 'call' && isVolatileFunction(x.name))) ok = false; });
  return ok;
}

/** The expression over the cut-down plan, or null when it reads a column the cut removed. */
export function remap(e: BExpr, src: KeySource): BExpr | null {
  for (const i of usedColumns(e)) if (src.at(i) < 0) return null;
  return mapCols(e, (i, c) => ({ ...c, index: src.at(i) }));
}

/**
 * The part of plan `n` that holds columns `cols`: through filters (keeping the conditions on the
 * part), projections, inner and cross joins (into the side holding every column) and semi/anti
 * joins (kept, over their left side cut down). Returns `n` itself when nothing can be cut.
 */
export function keySource(n: LNode, cols: Set<number>): KeySource {
  switch (n.k) {
    case 'filter': {
      const src = keySource(n.input, cols);
      if (src.node === n.input) return whole(n);
      const kept = conj(n.pred).filter(repeatable).map((t) => remap(t, src)).filter((t): t is BExpr => t !== null);
      return kept.length ? { node: { k: 'filter', input: src.node, pred: andAll(kept), fields: src.node.fields }, at: src.at } : src;
    }
    case 'project': {
      const need = new Set<number>();
      for (const i of cols) usedColumns(n.exprs[i], need);
      const src = keySource(n.input, need);
      if (src.node === n.input) return whole(n);
      const keep: number[] = [], exprs: BExpr[] = [];
      n.exprs.forEach((e, i) => { const x = remap(e, src); if (x) { keep.push(i); exprs.push(x); } });
      const node: LNode = { k: 'project', input: src.node, exprs, fields: keep.map((i) => n.fields[i]) };
      return { node, at: (i) => keep.indexOf(i) };
    }
    case 'join': {
      const nl = n.left.fields.length;
      const all = [...cols];
      if ((n.joinType === 'INNER' || n.joinType === 'CROSS') && !n.nullEq) {
        if (all.every((i) => i < nl)) {
          const src = keySource(n.left, cols);
          return { node: src.node, at: (i) => (i < nl ? src.at(i) : -1) };
        }
        if (all.every((i) => i >= nl)) {
          const src = keySource(n.right, new Set(all.map((i) => i - nl)));
          return { node: src.node, at: (i) => (i >= nl ? src.at(i - nl) : -1) };
        }
        return whole(n);
      }
      if (n.joinType === 'SEMI' || n.joinType === 'ANTI') {
        // the join stays: it may drop left rows, and reads left columns for its keys and residual
        const need = new Set(cols);
        for (const k of n.leftKeys) usedColumns(k, need);
        if (n.residual) for (const i of usedColumns(n.residual)) if (i < nl) need.add(i);
        const src = keySource(n.left, need);
        if (src.node === n.left) return whole(n);
        const nl2 = src.node.fields.length;
        const side = { node: src.node, at: (i: number) => (i < nl ? src.at(i) : nl2 + i - nl) };
        const node: LNode = {
          ...n, left: src.node, fields: src.node.fields,
          leftKeys: n.leftKeys.map((k) => remap(k, src)!),
          residual: n.residual && remap(n.residual, side),
        };
        return { node, at: src.at };
      }
      return whole(n);
    }
    default: return whole(n);
  }
}
