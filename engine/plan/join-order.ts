// Join order for inner joins and comma-separated FROM lists: tables joined in the written order
// may have no condition between neighbours (FROM part, supplier, lineitem WHERE p = l AND s = l),
// which would be a cross product. This rule flattens a tree of inner/cross joins into its tables
// and conditions and rebuilds it so that each table joins one it has a condition with, when any.
import type { LNode } from './logical.ts';
import { type BExpr, BOOL, usedColumns, mapCols } from './bound.ts';

interface Leaf { node: LNode; offset: number; width: number }

/** Leaves and conditions of a maximal inner/cross join tree, over the tree's own fields. */
function flatten(n: LNode, offset: number, leaves: Leaf[], conds: BExpr[]): void {
  if (n.k === 'join' && (n.joinType === 'INNER' || n.joinType === 'CROSS') && !n.nullEq) {
    const nl = n.left.fields.length;
    flatten(n.left, offset, leaves, conds);
    flatten(n.right, offset + nl, leaves, conds);
    const at = (e: BExpr, by: number) => mapCols(e, (i, c) => ({ k: 'col', index: i + by, type: c.type }));
    n.leftKeys.forEach((k, i) => conds.push({ k: 'cmp', op: '=', left: at(k, offset), right: at(n.rightKeys[i], offset + nl), type: BOOL }));
    if (n.residual) conds.push(at(n.residual, offset));
    return;
  }
  leaves.push({ node: n, offset, width: n.fields.length });
}

/**
 * Reorders the join tree under a filter when the written order would join two tables with no
 * condition between them although a connected order exists. Returns null when the written
 * order is fine. `place` pushes filter terms into a tree (the optimizer's pushdown).
 */
export function connectJoins(root: LNode, terms: BExpr[], place: (n: LNode, terms: BExpr[]) => LNode): LNode | null {
  const leaves: Leaf[] = [];
  const conds: BExpr[] = [];
  flatten(root, 0, leaves, conds);
  if (leaves.length < 3) return null;
  const all = [...conds, ...terms];
  const leafOf = (col: number) => leaves.findIndex((l) => col >= l.offset && col < l.offset + l.width);
  const touches = all.map((t) => new Set([...usedColumns(t)].map(leafOf)));
  const linked = (set: Set<number>, j: number) => touches.some((t) => t.has(j) && t.size > 1 && [...t].every((x) => x === j || set.has(x)));
  const connectedInOrder = leaves.every((_, j) => j === 0 || linked(new Set(leaves.slice(0, j).map((__, i) => i)), j));
  if (connectedInOrder) return null;
  // greedy: from the first table, add the first remaining table linked to the ones joined so far
  const order = [0];
  const joined = new Set([0]);
  while (order.length < leaves.length) {
    const rest = leaves.map((_, j) => j).filter((j) => !joined.has(j));
    const next = rest.find((j) => linked(joined, j)) ?? rest[0];
    order.push(next);
    joined.add(next);
  }
  // new column positions, and the tree with every condition placed by the pushdown
  const newPos: number[] = [];
  let at = 0;
  for (const j of order) { for (let c = 0; c < leaves[j].width; c++) newPos[leaves[j].offset + c] = at + c; at += leaves[j].width; }
  let tree = leaves[order[0]].node;
  for (const j of order.slice(1)) {
    const right = leaves[j].node;
    tree = { k: 'join', joinType: 'CROSS', left: tree, right, leftKeys: [], rightKeys: [], residual: null, fields: [...tree.fields, ...right.fields] };
  }
  const moved = all.map((t) => mapCols(t, (i, c) => ({ k: 'col', index: newPos[i], type: c.type })));
  const placed = place(tree, moved);
  // back to the written column order
  return { k: 'project', input: placed, exprs: root.fields.map((f, i) => ({ k: 'col', index: newPos[i], type: f.type })), fields: root.fields };
}
