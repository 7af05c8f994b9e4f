// Equivalence classes of join key columns over a flattened inner join tree. `a = b AND b = c`
// also joins a with c: TPC-H Q5 writes c_nationkey = s_nationkey and s_nationkey = n_nationkey,
// so customer can join nation before supplier is read. The join order sees every pair of inputs
// a class links as an edge, estimates the class's rows by its distinct values (not by every pair
// at once), and each join of the chosen tree gets one equality per class its two sides share.
import { type BExpr, BOOL } from './bound.ts';

type Col = Extract<BExpr, { k: 'col' }>;

/** Equalities of plain columns of one type over two inputs, grouped by the columns they make equal. */
export interface KeyClasses {
  /** each class's columns (tree positions), at least two inputs apart */
  members: Col[][];
  /** whether a condition was folded into a class (it is then replaced by the classes' equalities) */
  folded: (term: BExpr) => boolean;
}

type TypeParams = { id: string; precision?: number; scale?: number; length?: number };

/** Exactly the same type: id, precision, scale and length (not only the same kind). */
const sameType = (a: Col, b: Col) => {
  const x: TypeParams = a.type, y: TypeParams = b.type;
  return x.id === y.id && x.precision === y.precision && x.scale === y.scale && x.length === y.length;
};

/**
 * Classes of the conditions `col = col` whose two columns are of one type and come from
 * different inputs (`leafOf` maps a column position to its input). Only exact type matches
 * fold: a cast could make equality intransitive (CHAR padding, rounding).
 */
export function keyClasses(terms: BExpr[], leafOf: (col: number) => number): KeyClasses {
  const parent = new Map<number, number>();
  const find = (x: number): number => { let p = parent.get(x) ?? x; if (p !== x) { p = find(p); parent.set(x, p); } return p; };
  const cols = new Map<number, Col>();
  // per class (by its root): each input's one column in it
  const inputs = new Map<number, Map<number, number>>();
  const inputsOf = (root: number, c: number) => inputs.get(root) ?? new Map([[leafOf(c), c]]);
  const folded = new Set<BExpr>();
  for (const t of terms) {
    if (t.k !== 'cmp' || t.op !== '=' || t.left.k !== 'col' || t.right.k !== 'col') continue;
    const [a, b] = [t.left, t.right];
    if (!sameType(a, b) || leafOf(a.index) === leafOf(b.index)) continue;
    // every column of a class has one type
    const ra = find(a.index), rb = find(b.index);
    if (ra === rb) { folded.add(t); continue; }
    const other = cols.get(ra) ?? cols.get(rb);
    if (other && !sameType(other, a)) continue;
    // at most one column of an input in a class: the joins' equalities alone would never make
    // two columns of one input equal (p1 = k AND p2 = k stays two conditions)
    const ia = inputsOf(ra, a.index), ib = inputsOf(rb, b.index);
    if ([...ia.keys()].some((leaf) => ib.has(leaf))) continue;
    cols.set(a.index, a); cols.set(b.index, b);
    parent.set(ra, rb);
    inputs.set(rb, new Map([...ia, ...ib]));
    folded.add(t);
  }
  const byRoot = new Map<number, Col[]>();
  for (const [i, c] of cols) { const r = find(i); byRoot.set(r, [...(byRoot.get(r) ?? []), c]); }
  return { members: [...byRoot.values()].map((m) => m.sort((x, y) => x.index - y.index)), folded: (t) => folded.has(t) };
}

/**
 * The equalities a join of two parts of the tree needs for the classes: one per class with
 * columns on both sides. A written condition between the sides is preferred (it may be the
 * key a table is distributed on); otherwise the first column of each side.
 */
export function classEqualities(classes: KeyClasses, written: BExpr[], inLeft: (col: number) => boolean, inRight: (col: number) => boolean): BExpr[] {
  const out: BExpr[] = [];
  for (const m of classes.members) {
    const l = m.filter((c) => inLeft(c.index)), r = m.filter((c) => inRight(c.index));
    if (!l.length || !r.length) continue;
    const w = written.find((t) => t.k === 'cmp' && classes.folded(t) && t.left.k === 'col' && t.right.k === 'col'
      && m.some((c) => c.index === (t.left as Col).index)
      && ((inLeft(t.left.index) && inRight(t.right.index)) || (inRight(t.left.index) && inLeft(t.right.index))));
    out.push(w ?? { k: 'cmp', op: '=', left: l[0], right: r[0], type: BOOL });
  }
  return out;
}
