// Column pruning through UNION ALL: a projection or an aggregate over a UNION ALL that reads only
// some of its columns has each input project those first, so the union and its inputs carry only
// them: a union at the leader (with an input through a LIMIT, or an aggregate the leader
// finishes) gets only those columns from its other inputs' slices, and holds and spills only
// them (a UNION ALL in the slices already loads only the columns read above it). UNION,
// INTERSECT and EXCEPT compare whole rows, and a recursive UNION's step reads its working
// table's every column: they keep all of theirs.
import type { LNode } from './logical.ts';
import { aggInputs, mapAggInputs, mapCols, usedColumns, type BExpr } from './bound.ts';

type Reader = Extract<LNode, { k: 'project' } | { k: 'aggregate' }>;
type Pick = Extract<LNode, { k: 'project' }> & { exprs: Extract<BExpr, { k: 'col' }>[] };

/** A projection that only picks columns (a `SELECT *` derived table's). */
const picks = (n: LNode): n is Pick => n.k === 'project' && !n.barrier && n.exprs.every((e) => e.k === 'col');

/** `n` reading the UNION ALL below it (through projections that only pick columns) cut to the columns it reads. */
export function pruneUnionAll<N extends Reader>(n: N): N {
  const through: Pick[] = [];
  let below = n.input;
  for (; picks(below); below = below.input) through.push(below);
  if (below.k !== 'setop' || below.op !== 'UNION' || !below.all || below.recursive) return n;
  // the union's column that n's column i is
  const unionColumn = (i: number) => through.reduce((j, p) => p.exprs[j].index, i);
  const read = new Set<number>();
  const exprs = n.k === 'project' ? n.exprs : [...n.keys, ...n.aggs.flatMap(aggInputs)];
  for (const e of exprs) for (const i of usedColumns(e)) read.add(unionColumn(i));
  if (read.size === below.fields.length) return n;
  const keep = [...read].sort((x, y) => x - y);
  // count(*) over the union still needs each input's rows: one column at least
  if (!keep.length) keep.push(0);
  const at = new Map(keep.map((c, j) => [c, j]));
  const union: LNode = { ...below, left: narrowed(below.left, keep), right: narrowed(below.right, keep), fields: keep.map((i) => below.fields[i]) };
  const remap = (e: BExpr) => mapCols(e, (i, c) => ({ ...c, index: at.get(unionColumn(i))! }));
  if (n.k === 'project') return { ...n, input: union, exprs: n.exprs.map(remap) };
  return { ...n, input: union, keys: n.keys.map(remap), aggs: n.aggs.map((a) => mapAggInputs(a, remap)) };
}

/** An input of the union cut to the columns `keep` (cut further when it is a UNION ALL itself). */
function narrowed(x: LNode, keep: number[]): LNode {
  return pruneUnionAll({ k: 'project', input: x, exprs: keep.map((i): BExpr => ({ k: 'col', index: i, type: x.fields[i].type })), fields: keep.map((i) => x.fields[i]) });
}
