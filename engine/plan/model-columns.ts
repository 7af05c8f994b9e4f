// Model calls computed by a projection below the operator that reads them (a window's calls, a
// join's condition on one input's columns), a batch at a time where that input's rows are (in the
// slices, or over the leader's pieces), so the operator reads only values and takes its usual
// paths. Computed inside it, they needed every row, or every pair, and their work at once.
import { type BExpr, hasModelCall, mapChildren, mapCols, usedColumns } from './bound.ts';
import type { Field, LNode } from './logical.ts';

export const col = (index: number, type: BExpr['type']): BExpr => ({ k: 'col', index, type });

/** Distinct model calls, each once, to be computed as columns of a projection. */
export class ModelColumns {
  readonly calls: BExpr[] = [];
  private readonly at = new Map<string, number>();

  /** The position of `call` among the calls (added when new). */
  add(call: BExpr): number {
    const key = JSON.stringify(call);
    let i = this.at.get(key);
    if (i === undefined) { i = this.calls.length; this.at.set(key, i); this.calls.push(call); }
    return i;
  }

  /** The calls as hidden fields. */
  get fields(): Field[] {
    return this.calls.map((m, i) => ({ name: `model${i}`, type: m.type, hidden: true }));
  }

  /** `input`'s columns, then each call's value (`over` rewrites a call onto the input's columns). */
  below(input: LNode, over: (call: BExpr) => BExpr = (c) => c): LNode {
    if (!this.calls.length) return input;
    return { k: 'project', input, exprs: [...input.fields.map((f, i) => col(i, f.type)), ...this.calls.map(over)], fields: [...input.fields, ...this.fields] };
  }
}

/**
 * `e` with each outermost model call `take` accepts replaced by `lifted(call)` (a call it refuses
 * is searched for calls to lift in its arguments) and every other column reference by `column(c)`.
 */
export function liftModelCalls(e: BExpr, take: (call: BExpr) => boolean, lifted: (call: BExpr) => BExpr, column = (c: Extract<BExpr, { k: 'col' }>): BExpr => c): BExpr {
  if (e.k === 'col') return column(e);
  if (e.k === 'model' && take(e)) return lifted(e);
  return mapChildren(e, (x) => liftModelCalls(x, take, lifted, column));
}

type Join = Extract<LNode, { k: 'join' }>;

/**
 * A join whose condition calls a model over one input's columns only: that input computes the
 * call in a projection below the join and the condition reads its value, so the join runs as one
 * without model calls (in the slices, or over pieces at the leader). Calls reading both inputs stay
 * in the condition (the nested loop computes them a block of pairs at a time). A projection above
 * leaves the new columns out, so the join's fields are the same. Null when no call reads one input only.
 */
export function modelsBelowJoin(n: Join): LNode | null {
  if (!n.residual || !hasModelCall(n.residual)) return null;
  const nl = n.left.fields.length, nr = n.right.fields.length;
  const onLeft = (call: BExpr) => [...usedColumns(call)].every((i) => i < nl);
  const oneSide = (call: BExpr) => onLeft(call) || [...usedColumns(call)].every((i) => i >= nl);
  const left = new ModelColumns(), right = new ModelColumns();
  // first the calls each side computes (the right's come after the left's new columns)
  liftModelCalls(n.residual, oneSide, (call) => { (onLeft(call) ? left : right).add(call); return call; });
  if (!left.calls.length && !right.calls.length) return null;
  const lm = left.calls.length;
  const residual = liftModelCalls(n.residual, oneSide,
    (call) => (onLeft(call) ? col(nl + left.add(call), call.type) : col(nl + lm + nr + right.add(call), call.type)),
    (c) => (c.index < nl ? c : { ...c, index: c.index + lm }));
  const semi = n.joinType === 'SEMI' || n.joinType === 'ANTI';
  const fields = semi ? [...n.fields, ...left.fields] : [...n.fields.slice(0, nl), ...left.fields, ...n.fields.slice(nl), ...right.fields];
  const joined: LNode = {
    ...n, residual, fields,
    left: left.below(n.left),
    right: right.below(n.right, (call) => mapCols(call, (i, c) => ({ ...c, index: i - nl }))),
  };
  return { k: 'project', input: joined, exprs: n.fields.map((f, i) => col(i < nl ? i : i + lm, f.type)), fields: n.fields };
}
