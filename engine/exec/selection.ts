// Selection passes: the plain comparisons of a filter (kernels.ts splitFilter) select rows
// without a branch, one column (or set of columns) at a time. The first pass reads its column
// for every row and writes the rows that pass into a row array; each later pass reads its
// column only at those rows and keeps them in place. Over TPC-H Q6's unsorted lineitem, a single
// pass over all three columns cost ~4 ns a row; the date range first, then the discount and
// quantity at the ~15 % of rows left, ~2.6 ns. The passes run in the order that keeps the fewest
// rows first, learnt from the batches so far.
import { type BExpr, usedColumns } from '../plan/bound.ts';
import { TYPES } from '../types/types.ts';
import { emitComparison } from '../functions/ops.ts';
import type { ExprEmitter } from './codegen.ts';

/**
 * How many rows each pass tested and kept, and the order the passes run in: the smallest share
 * kept first. One per compiled kernel (shared by the queries that run it); the counts halve now
 * and then, so the order follows the data a kernel sees now.
 */
export class PassOrder {
  readonly order: Int32Array;
  readonly tested: Float64Array;
  readonly kept: Float64Array;

  constructor(passes: number) {
    this.order = Int32Array.from({ length: passes }, (_, i) => i);
    this.tested = new Float64Array(passes);
    this.kept = new Float64Array(passes);
  }

  /** After a batch: reorders the passes by the share of rows each kept (insertion sort: a handful of passes). */
  update(): void {
    const o = this.order, kept = this.kept, tested = this.tested;
    for (let i = 1; i < o.length; i++) {
      const g = o[i], x = (kept[g] + 1) / (tested[g] + 2);
      let j = i - 1;
      while (j >= 0 && (kept[o[j]] + 1) / (tested[o[j]] + 2) > x) { o[j + 1] = o[j]; j--; }
      o[j + 1] = g;
    }
    if (this.tested[o[0]] > 2 ** 24) for (let g = 0; g < o.length; g++) { this.tested[g] /= 2; this.kept[g] /= 2; }
  }
}

/**
 * Code that selects the rows (of the batch, or `sel`) where every plain comparison is TRUE into
 * the row array `into`, leaving their count in `k` (declared by the caller). Comparisons on the
 * same columns share a pass; what follows reads rows `into[0..k)`.
 */
export function emitSelectionPass(em: ExprEmitter, plain: BExpr[], into: string): string {
  const byColumns = new Map<string, BExpr[]>();
  for (const c of plain) {
    const key = [...usedColumns(c)].sort((a, b) => a - b).join(',');
    const list = byColumns.get(key);
    if (list) list.push(c); else byColumns.set(key, [c]);
  }
  const framed = new Set<number>();
  const passes = [...byColumns.values()].map((terms) => {
    const body: string[] = [];
    const tests = terms.map((c) => framedTest(em, c, framed) ?? plainTest(em, c, body));
    em.resetRow(); // values computed in one loop are out of scope in the next
    return { body: body.join('\n'), test: `(${tests.join(' & ')}) & 1` };
  });
  const loop = (p: Pass) => `if (sel === null) { ${unrolledPass(p, into, 'n', (j) => j)} } else { ${unrolledPass(p, into, 'n', (j) => `sel[${j}]`)} }`;
  if (passes.length === 1) return loop(passes[0]);
  const po = em.constant(new PassOrder(passes.length));
  const first = passes.map((p, i) => `case ${i}: ${loop(p)} break;`).join('\n');
  const refine = passes.map((p, i) => `case ${i}: ${unrolledPass(p, into, 'had', (j) => `${into}[${j}]`)} break;`).join('\n');
  return `{ const po = ${po}, ord = po.order;
for (let o = 0; o < ord.length; o++) {
const g = ord[o], had = o === 0 ? n : k;
k = 0;
if (o === 0) switch (g) {\n${first}\n} else switch (g) {\n${refine}\n}
po.tested[g] += had; po.kept[g] += k;
if (k === 0) break;
}
po.update(); }`;
}

/** One pass: statements computing its values at row `r`, and its 0/1 test. */
interface Pass { body: string; test: string }

/**
 * A pass over `count` rows (row `j` is `row(j)`), four at a time: the four rows' tests first,
 * then their four writes to `into`, so no write comes between the reads (a typed array written
 * may share memory with the columns, so V8 orders reads after it); Q6's date range over 3M
 * rows took ~1.9 ns a row one row at a time, ~1.4-1.7 four at a time (micro-benchmark, loaded
 * machine). A pass that refines `into` in place reads row j before any write reaches it (k <= j).
 */
function unrolledPass(p: Pass, into: string, count: string, row: (j: string) => string): string {
  const quad = [0, 1, 2, 3];
  return `{ let j = 0;
for (; j + 4 <= ${count}; j += 4) {
const ${quad.map((u) => `ra${u} = ${row(u ? `j + ${u}` : 'j')}`).join(', ')};
let ${quad.map((u) => `ka${u} = 0`).join(', ')};
${quad.map((u) => `{ const r = ra${u}; ${p.body} ka${u} = ${p.test}; }`).join('\n')}
${quad.map((u) => `${into}[k] = ra${u}; k += ka${u};`).join(' ')}
}
for (; j < ${count}; j++) { const r = ${row('j')}; ${p.body} ${into}[k] = r; k += ${p.test}; } }`;
}

/** A comparison's 0/1 result at row `r`, from the column values (NULL fails). */
function plainTest(em: ExprEmitter, c: BExpr, body: string[]): string {
  const v = em.expr(c, body);
  return v.n === 'false' ? v.v : `(!${v.n} & ${v.v})`;
}

/**
 * A column compared with a literal, read from its frame-of-reference deltas (Vector.frame) when
 * the batch has them: `value OP lit` is `delta OP (lit - base)`. Only for integral values of one
 * representation (the comparison's code is `(A op B)`, no rescaling), so both sides are integers
 * and the subtraction is exact up to 2^53; past that the two sides are too far apart for any
 * delta to compare differently. Null when the comparison is not of that form.
 */
function framedTest(em: ExprEmitter, c: BExpr, framed: Set<number>): string | null {
  if (c.k !== 'cmp' || !em.shape.frames) return null;
  const colLeft = c.left.k === 'col';
  const col = colLeft ? c.left : c.right, lit = colLeft ? c.right : c.left;
  if (col.k !== 'col' || !em.shape.frames[col.index] || (lit.k !== 'param' && lit.k !== 'const')) return null;
  const kind = TYPES[col.type.id];
  if (!kind.integral || TYPES[lit.type.id].kind !== kind.kind) return null;
  const shape = /^\(([AB]) (\S+) ([AB])\)$/.exec(emitComparison(c.op, c.left.type, c.right.type, colLeft ? 'A' : 'B', colLeft ? 'B' : 'A'));
  if (!shape || shape[1] === shape[3]) return null;
  const i = col.index;
  if (!framed.has(i)) { framed.add(i); em.prelude.push(`const f${i} = frames[${i}].deltas, fb${i} = frames[${i}].base;`); }
  const q = em.tmp('q');
  em.prelude.push(`const ${q} = ${em.expr(lit, []).v} - fb${i};`);
  const side = (x: string) => (x === 'A' ? `f${i}[r]` : q);
  const test = `(${side(shape[1])} ${shape[2]} ${side(shape[3])})`;
  const n = em.col(i).n;
  return n === 'false' ? test : `(!${n} & ${test})`;
}
