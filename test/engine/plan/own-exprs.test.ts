// ownExprs (a node's own expressions, read without copying it) must list exactly what
// mapPlanExprs hands its callback for that node, in the same order: the optimizer's checks read
// expressions through the one and rewrite them through the other (common-subplans.ts).
import { describe, expect, it } from 'vitest';
import { type LNode, mapPlanExprs, ownExprs, newSlot } from '../../../engine/plan/logical.ts';
import type { BAgg, BExpr } from '../../../engine/plan/bound.ts';
import { T } from '../../../engine/types/types.ts';

let next = 0;
/** A distinct constant per call, so the lists compare by which expression sits where. */
const e = (): BExpr => ({ k: 'const', value: next++, type: T.int });
const agg = (arg: BExpr | null): BAgg => ({ fn: arg ? 'sum' : 'count_star', arg, distinct: false, type: T.bigint });
/** LISTAGG with WITHIN GROUP keys: expressions of the call beside its argument. */
const ordered = (): BAgg => ({ fn: 'listagg', arg: e(), distinct: false, type: T.varchar, order: [{ expr: e(), desc: false, nullsFirst: false }, { expr: e(), desc: true, nullsFirst: true }] });
/** An input with no expressions of its own. */
const leaf = (): LNode => ({ k: 'values', rows: [], fields: [] });

/** One node of every kind, each with several expressions where the kind has any. */
function nodes(): LNode[] {
  return [
    { k: 'values', rows: [[e(), e()], [e(), e()]], fields: [] },
    { k: 'filter', input: leaf(), pred: e(), fields: [] },
    { k: 'project', input: leaf(), exprs: [e(), e(), e()], fields: [] },
    { k: 'aggregate', input: leaf(), keys: [e(), e()], aggs: [agg(e()), agg(null), ordered(), agg(e())], fields: [] },
    { k: 'join', joinType: 'INNER', left: leaf(), right: leaf(), leftKeys: [e(), e()], rightKeys: [e(), e()], residual: e(), fields: [] },
    { k: 'join', joinType: 'LEFT', left: leaf(), right: leaf(), leftKeys: [e()], rightKeys: [e()], residual: null, fields: [] },
    { k: 'sort', input: leaf(), keys: [{ expr: e(), desc: false, nullsFirst: false }, { expr: e(), desc: true, nullsFirst: true }], fields: [] },
    { k: 'limit', input: leaf(), limit: 3, offset: 0, fields: [] },
    { k: 'distinct', input: leaf(), fields: [] },
    { k: 'setop', op: 'UNION', all: true, left: leaf(), right: leaf(), fields: [] },
    { k: 'shared', input: leaf(), slot: newSlot(), fields: [] },
    {
      k: 'window', input: leaf(), fields: [], calls: [
        { fn: 'agg', agg: agg(e()), args: [e()], partitionBy: [e(), e()], orderBy: [{ expr: e(), desc: false, nullsFirst: false }], type: T.bigint },
        { fn: 'row_number', args: [], partitionBy: [e()], orderBy: [], type: T.bigint },
        { fn: 'agg', agg: ordered(), args: [], partitionBy: [], orderBy: [], type: T.varchar },
      ],
    },
  ];
}

describe('ownExprs', () => {
  it('lists what mapPlanExprs visits for every kind of node, in its order', () => {
    for (const n of nodes()) {
      const visited: BExpr[] = [];
      mapPlanExprs(n, (x) => { visited.push(x); return x; });
      expect(ownExprs(n), n.k).toEqual(visited);
      // the same objects, not copies: checks on them hold for the node
      ownExprs(n).forEach((x, i) => expect(x).toBe(visited[i]));
    }
  });

  it('includes an aggregate\'s WITHIN GROUP keys (a subquery there is run and substituted like any other)', () => {
    for (const n of nodes()) {
      const keys = n.k === 'aggregate' ? n.aggs.flatMap((a) => a.order ?? []) : n.k === 'window' ? n.calls.flatMap((c) => c.agg?.order ?? []) : [];
      for (const o of keys) expect(ownExprs(n)).toContain(o.expr);
    }
    expect(nodes().filter((n) => n.k === 'aggregate' || n.k === 'window').length).toBe(2);
  });
});
