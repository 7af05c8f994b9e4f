// Cardinality estimates for the optimizer: rows out of each plan node, from the table
// statistics (live row counts, per-column distinct values and min/max; catalog/table-stats.ts).
// Classic System R rules: an equality keeps 1/NDV of the rows, a range the covered part of
// [min, max], an equi-join |L|·|R| / max(NDV(l), NDV(r)); without statistics, fixed guesses.
import type { LNode } from './logical.ts';
import type { BAgg, BExpr } from './bound.ts';
import type { TableState } from '../catalog/catalog.ts';
import { columnStats, distinctValues, liveRows } from '../catalog/table-stats.ts';
import { datePart } from '../functions/datetime.ts';
import { civilFromDays } from '../types/calendar.ts';
import { isDate, isNumeric, scaleOf } from '../types/types.ts';

/** Fallback selectivities when statistics cannot say (PostgreSQL's defaults). */
const EQ_GUESS = 0.005;
const RANGE_GUESS = 1 / 3;
const LIKE_GUESS = 0.05;
export const OTHER_GUESS = 0.25;

/** Where a plan field comes from: a stored column, when it is one passed through unchanged. */
export interface ColumnOrigin { table: TableState; column: number }

export function originOf(n: LNode, index: number): ColumnOrigin | null {
  switch (n.k) {
    case 'scan': return { table: n.table, column: index };
    case 'filter': case 'sort': case 'limit': case 'distinct': case 'shared': return originOf(n.input, index);
    case 'project': {
      const e = n.exprs[index];
      return e?.k === 'col' ? originOf(n.input, e.index) : e?.k === 'cast' && e.arg.k === 'col' ? originOf(n.input, e.arg.index) : null;
    }
    case 'window': return index < n.input.fields.length ? originOf(n.input, index) : null;
    case 'aggregate': {
      const e = n.keys[index];
      return e?.k === 'col' ? originOf(n.input, e.index) : null;
    }
    case 'join': {
      const nl = n.left.fields.length;
      if (index < nl) return originOf(n.left, index);
      return n.joinType === 'SEMI' || n.joinType === 'ANTI' ? null : originOf(n.right, index - nl);
    }
    default: return null;
  }
}

/** Distinct values of a field of `n` (at most the node's rows); null when unknown. */
export function fieldDistinct(n: LNode, index: number, rows = estimateRows(n)): number | null {
  const o = originOf(n, index);
  // a field a projection computes: its expression's distinct values over the projection's input
  if (!o) return n.k === 'project' && n.exprs[index] ? exprDistinct(n.input, n.exprs[index], rows) : null;
  const d = distinctValues(o.table, o.column);
  if (d === null || d === 0) return null;
  return Math.max(1, Math.min(d, rows));
}

/** The numeric min and max of the stored column behind a field of `n`, with its table's rows; null without them. */
export function numericRange(n: LNode, index: number): { min: number; max: number; rows: number } | null {
  const o = originOf(n, index);
  const cs = o ? columnStats(o.table, o.column) : undefined;
  if (typeof cs?.min !== 'number' || typeof cs.max !== 'number') return null;
  return { min: cs.min, max: cs.max, rows: o!.table.stats!.rows };
}

/** Distinct values of an expression over `n`: a column's, the years of a DATE column's, or null for other computed values. */
export function exprDistinct(n: LNode, e: BExpr, rows = estimateRows(n)): number | null {
  if (e.k === 'col') return fieldDistinct(n, e.index, rows);
  if (e.k === 'cast') return exprDistinct(n, e.arg, rows);
  if (e.k === 'extract' && datePart(e.field) === 'year') return yearsOf(n, e.arg, rows);
  return null;
}

/**
 * The years a DATE column's values span, from its min/max (at most its distinct values): TPC-H
 * Q9 groups by nation and year, 25 × 7 groups, which counted as a tenth of its rows (120,000)
 * made the slices finish them, moving their partial states between them.
 */
function yearsOf(n: LNode, arg: BExpr, rows: number): number | null {
  if (arg.k !== 'col' || !isDate(arg.type)) return null;
  const r = numericRange(n, arg.index);
  if (!r) return null;
  const years = civilFromDays(r.max).year - civilFromDays(r.min).year + 1;
  return Math.max(1, Math.min(years, fieldDistinct(n, arg.index, rows) ?? rows));
}

const memo = new WeakMap<LNode, number>();

/** Estimated rows out of a plan node (at least 1). */
export function estimateRows(n: LNode): number {
  let r = memo.get(n);
  if (r === undefined) { r = Math.max(1, Math.round(rowsOf(n))); memo.set(n, r); }
  return r;
}

function rowsOf(n: LNode): number {
  switch (n.k) {
    case 'scan': return liveRows(n.table);
    case 'batch': return n.batch.length;
    case 'values': return n.rows.length;
    case 'filter': return estimateRows(n.input) * selectivity(n.input, n.pred);
    case 'project': case 'sort': case 'window': case 'shared': return estimateRows(n.input);
    case 'limit': return Math.min(estimateRows(n.input), n.limit ?? Infinity);
    case 'distinct': {
      const rows = estimateRows(n.input);
      return Math.min(rows, groupsOf(n.input, n.fields.map((_, i) => ({ k: 'col', index: i, type: n.fields[i].type }) as BExpr), rows));
    }
    case 'aggregate': {
      if (!n.keys.length) return 1;
      const rows = estimateRows(n.input);
      return Math.min(rows, groupsOf(n.input, n.keys, rows));
    }
    case 'setop': {
      const l = estimateRows(n.left), r = estimateRows(n.right);
      return n.op === 'UNION' ? l + r : n.op === 'INTERSECT' ? Math.min(l, r) : l;
    }
    case 'join': {
      const l = estimateRows(n.left), r = estimateRows(n.right);
      const inner = l * r * joinSelectivity(n.left, n.right, n.leftKeys, n.rightKeys) * (n.residual ? OTHER_GUESS : 1);
      switch (n.joinType) {
        case 'CROSS': return l * r * (n.residual ? OTHER_GUESS : 1);
        case 'INNER': return inner;
        case 'LEFT': case 'SINGLE': return Math.max(l, inner);
        case 'FULL': return Math.max(l, r, inner);
        case 'SEMI': return Math.min(l, inner);
        case 'ANTI': return Math.max(1, l - Math.min(l, inner));
      }
    }
  }
}

/**
 * The most rows a plan can give, whatever its filters and join keys keep (Infinity for a
 * recursive query): a bound that holds where the estimate misjudges a filter or a join.
 */
export function mostRows(n: LNode): number {
  switch (n.k) {
    case 'scan': return liveRows(n.table);
    case 'batch': return n.batch.length;
    case 'values': return n.rows.length;
    case 'filter': case 'project': case 'sort': case 'window': case 'shared': case 'distinct': return mostRows(n.input);
    case 'limit': return Math.min(mostRows(n.input), n.limit ?? Infinity);
    case 'aggregate': return n.keys.length ? mostRows(n.input) : 1;
    case 'setop': {
      if (n.recursive) return Infinity;
      const l = mostRows(n.left), r = mostRows(n.right);
      return n.op === 'UNION' ? l + r : n.op === 'INTERSECT' ? Math.min(l, r) : l;
    }
    case 'join': {
      const l = mostRows(n.left), r = mostRows(n.right);
      switch (n.joinType) {
        case 'SEMI': case 'ANTI': case 'SINGLE': return l;
        case 'LEFT': return l * Math.max(1, r);
        case 'FULL': return l * r + l + r;
        default: return l * r;
      }
    }
  }
}

/** Groups of `keys` over `n`: the product of the keys' distinct values (unknown ones: a tenth of the rows). */
function groupsOf(n: LNode, keys: BExpr[], rows: number): number {
  let g = 1;
  for (const k of keys) g *= exprDistinct(n, k, rows) ?? Math.max(1, rows / 10);
  return g;
}

/** The fraction of |L|·|R| an equi-join on these keys keeps: 1/max(NDV) per key, keys assumed independent. */
export function joinSelectivity(left: LNode, right: LNode, leftKeys: BExpr[], rightKeys: BExpr[]): number {
  if (!leftKeys.length) return 1;
  const lr = estimateRows(left), rr = estimateRows(right);
  if (leftKeys.length === 1) return keySelectivity(left, leftKeys[0], lr, right, rightKeys[0], rr);
  const ndv = (n: LNode, keys: BExpr[], rows: number) => keys.map((k) => exprDistinct(n, k, rows) ?? rows);
  return compositeSelectivity(ndv(left, leftKeys, lr), lr, ndv(right, rightKeys, rr), rr);
}

/**
 * The fraction of |L|·|R| an equi-join on several keys keeps, from each side's distinct values
 * per key and rows: each side's distinct combinations are at most the product of its keys'
 * distinct values and at most its rows. The product overstates a side whose columns go together
 * (lineitem's (l_partkey, l_suppkey) pairs are partsupp's 800,000, not 200,000 × 10,000), so the
 * side with fewer combinations bounds both (a foreign key's rows hold the combinations of the
 * table they reference): 1 / that, never above the most selective key's 1 / max(NDV).
 */
export function compositeSelectivity(leftNdv: number[], leftRows: number, rightNdv: number[], rightRows: number): number {
  const combos = (ndv: number[], rows: number) => Math.min(rows, ndv.reduce((p, d) => p * Math.max(1, d), 1));
  const single = Math.max(1, ...leftNdv, ...rightNdv);
  return 1 / Math.max(single, Math.min(combos(leftNdv, leftRows), combos(rightNdv, rightRows)));
}

/** 1 / max(NDV) of one equi-join key pair; a side without statistics counts as a key (all distinct). */
export function keySelectivity(left: LNode, lk: BExpr, lr: number, right: LNode, rk: BExpr, rr: number): number {
  const dl = exprDistinct(left, lk, lr) ?? lr;
  const dr = exprDistinct(right, rk, rr) ?? rr;
  return 1 / Math.max(dl, dr, 1);
}

/** The fraction of `n`'s rows a predicate keeps. */
export function selectivity(n: LNode, e: BExpr): number {
  switch (e.k) {
    case 'and': return andSelectivity(n, e.args);
    case 'or': return Math.min(1, e.args.reduce((s, a) => s + selectivity(n, a), 0));
    case 'not': return 1 - selectivity(n, e.arg);
    case 'const': return e.value === true ? 1 : 0;
    case 'isnull': {
      const o = e.arg.k === 'col' ? originOf(n, e.arg.index) : null;
      const cs = o ? columnStats(o.table, o.column) : undefined;
      const f = cs && o!.table.stats!.rows > 0 ? cs.nulls / o!.table.stats!.rows : 0.01;
      return e.negated ? 1 - f : f;
    }
    case 'in': {
      const d = exprDistinct(n, e.arg);
      const s = Math.min(1, e.list.length * (d ? 1 / d : EQ_GUESS));
      return e.negated ? 1 - s : s;
    }
    case 'like': {
      const p = e.pattern.k === 'const' && typeof e.pattern.value === 'string' ? e.pattern.value : null;
      // a pattern without wildcards is an equality
      const s = p !== null && !/[%_]/.test(p) ? 1 / (exprDistinct(n, e.arg) ?? 1 / EQ_GUESS) : LIKE_GUESS;
      return e.negated ? 1 - s : s;
    }
    case 'cmp': return compareSelectivity(n, e);
    default: return OTHER_GUESS;
  }
}

function constValue(e: BExpr): number | string | null {
  if (e.k === 'const' && (typeof e.value === 'number' || typeof e.value === 'string')) return e.value;
  if (e.k === 'cast') return constValue(e.arg);
  return null;
}

/**
 * Conditions that all hold: each keeps its share, except that range conditions on one column
 * together keep the part of [min, max] between their bounds (`d >= x AND d < y` is one
 * interval, not two independent halves).
 */
function andSelectivity(n: LNode, args: BExpr[]): number {
  const ranges = new Map<string, { lo: number; hi: number; min: number; max: number; rows: number }>();
  let s = 1;
  for (const a of args) {
    const b = rangeBound(n, a);
    if (!b) { s *= selectivity(n, a); continue; }
    const r = ranges.get(b.key) ?? { lo: b.min, hi: b.max, min: b.min, max: b.max, rows: b.rows };
    if (b.lo !== undefined) r.lo = Math.max(r.lo, b.lo);
    if (b.hi !== undefined) r.hi = Math.min(r.hi, b.hi);
    ranges.set(b.key, r);
  }
  for (const r of ranges.values()) {
    const covered = Math.min(1, Math.max(0, (r.hi - r.lo) / (r.max - r.min)));
    // never quite zero: statistics may be stale
    s *= Math.max(covered, 1 / Math.max(1, r.rows));
  }
  return s;
}

/** A comparison as the operand order `column op constant`. */
function normalizeCompare(e: Extract<BExpr, { k: 'cmp' }>): { col: BExpr; lit: BExpr; op: string } {
  let col = e.left, lit = e.right, op: string = e.op;
  if (constValue(col) !== null && constValue(lit) === null) {
    [col, lit] = [lit, col];
    op = op === '<' ? '>' : op === '>' ? '<' : op === '<=' ? '>=' : op === '>=' ? '<=' : op;
  }
  return { col, lit, op };
}

/** A range condition on a stored numeric column with statistics: its column and bound. */
function rangeBound(n: LNode, e: BExpr): { key: string; lo?: number; hi?: number; min: number; max: number; rows: number } | null {
  if (e.k !== 'cmp' || !['<', '<=', '>', '>='].includes(e.op)) return null;
  const { col, lit, op } = normalizeCompare(e);
  const v = constValue(lit);
  if (typeof v !== 'number') return null;
  const base = col.k === 'cast' ? col.arg : col;
  if (base.k !== 'col') return null;
  const r = numericRange(n, base.index);
  if (!r || r.max <= r.min) return null;
  // by the plan's column: a self join's two copies of a column are different columns
  const bound = { key: String(base.index), ...r };
  return op === '<' || op === '<=' ? { ...bound, hi: v } : { ...bound, lo: v };
}

function compareSelectivity(n: LNode, e: Extract<BExpr, { k: 'cmp' }>): number {
  const { col, lit, op } = normalizeCompare(e);
  const v = constValue(lit);
  if (op === '=' || op === '<>') {
    let s: number;
    if (v !== null) { const d = exprDistinct(n, col); s = d ? 1 / d : EQ_GUESS; }
    else {
      // two columns of the same input (a filter after a join): as a join condition
      const dl = exprDistinct(n, col), dr = exprDistinct(n, lit);
      s = dl || dr ? 1 / Math.max(dl ?? 1, dr ?? 1) : EQ_GUESS;
    }
    return op === '=' ? s : 1 - s;
  }
  if (v === null || typeof v !== 'number') return RANGE_GUESS;
  const base = col.k === 'cast' ? col.arg : col;
  const spread = base.k === 'col' ? groupValueSpread(n, base.index) : null;
  if (spread) {
    const above = upperTail((v - spread.mean) / spread.sd);
    // never quite zero: a group or two may still pass
    return Math.max(op === '>' || op === '>=' ? above : 1 - above, 1 / estimateRows(n));
  }
  const r = base.k === 'col' ? numericRange(n, base.index) : null;
  if (!r || r.max <= r.min) return RANGE_GUESS;
  const below = Math.min(1, Math.max(0, (v - r.min) / (r.max - r.min)));
  const s = op === '<' || op === '<=' ? below : 1 - below;
  // never quite zero: statistics may be stale
  return Math.max(s, 1 / Math.max(1, r.rows));
}

/** The aggregate call behind a field of `n` (a GROUP BY's value passed up unchanged), with its GROUP BY. */
function aggregateCallOf(n: LNode, index: number): { agg: Extract<LNode, { k: 'aggregate' }>; call: BAgg } | null {
  switch (n.k) {
    case 'filter': case 'sort': case 'limit': case 'shared': return aggregateCallOf(n.input, index);
    case 'project': { const e = n.exprs[index]; return e?.k === 'col' ? aggregateCallOf(n.input, e.index) : null; }
    case 'aggregate': return index >= n.keys.length ? { agg: n, call: n.aggs[index - n.keys.length] } : null;
    default: return null;
  }
}

/**
 * How an aggregate's value spreads over its groups, for a HAVING's comparison with a constant
 * (TPC-H Q18's sum(l_quantity) > 300 keeps 62 of 1.5M orders, where a range guess keeps a third).
 * A group holds K rows, K = 1 + Poisson(k - 1) with k = rows / groups (every group has one row,
 * the rest fall at random), and the argument's values spread evenly over its column's [min, max]
 * (mean m, variance v): a sum then has mean k·m and variance k·v + (k - 1)·m², a count mean k and
 * variance k - 1, an average mean m and variance v / k. The spread is taken as normal (the
 * central limit), so a threshold several deviations past the mean keeps few groups. Null when
 * statistics cannot say: another aggregate, DISTINCT, an argument that is not a stored column.
 */
function groupValueSpread(n: LNode, index: number): { mean: number; sd: number } | null {
  const found = aggregateCallOf(n, index);
  if (!found || found.call.distinct || !found.agg.keys.length) return null;
  const { agg, call } = found;
  const k = estimateRows(agg.input) / estimateRows(agg);
  if (call.fn === 'count_star' || call.fn === 'count') return k > 1 ? { mean: k, sd: Math.sqrt(k - 1) } : null;
  if (call.fn !== 'sum' && call.fn !== 'avg') return null;
  const arg = call.arg?.k === 'cast' ? call.arg.arg : call.arg;
  if (arg?.k !== 'col' || !isNumeric(agg.input.fields[arg.index].type)) return null;
  const r = numericRange(agg.input, arg.index);
  if (!r) return null;
  // statistics hold the column's stored form, the comparison the aggregate's (a DECIMAL's scale may differ)
  const unit = 10 ** (scaleOf(call.type) - scaleOf(agg.input.fields[arg.index].type));
  const m = ((r.min + r.max) / 2) * unit, v = ((r.max - r.min) * unit) ** 2 / 12;
  const spread = call.fn === 'sum' ? { mean: k * m, sd: Math.sqrt(k * v + (k - 1) * m * m) } : { mean: m, sd: Math.sqrt(v / k) };
  return spread.sd > 0 ? spread : null;
}

/** P(Z > z) for a standard normal Z (Abramowitz and Stegun 7.1.26: within 1.5e-7). */
export function upperTail(z: number): number {
  if (z < 0) return 1 - upperTail(-z);
  const x = z / Math.SQRT2, t = 1 / (1 + 0.3275911 * x);
  const poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  return (poly * Math.exp(-x * x)) / 2;
}
