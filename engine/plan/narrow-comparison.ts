// `CAST(x AS DECIMAL(p, s2)) op c`, x an integer or a DECIMAL of a smaller scale s1, compares
// x with c scaled down to x's scale instead (rounded the way op needs), so each row compares
// its own value rather than one scaled up, which past 2^53 is a BigInt per row. An uncorrelated
// subquery's value compared with a column (TPC-H Q11's HAVING threshold, DECIMAL(38,12) against
// its sums' DECIMAL(38,2)) takes this shape once the value is known.
import { type BExpr, type CmpOp, BOOL } from './bound.ts';
import { isDecimal, isInteger, scaleOf } from '../types/types.ts';

const FLIP: Record<CmpOp, CmpOp> = { '=': '=', '<>': '<>', '<': '>', '<=': '>=', '>': '<', '>=': '<=' };

/** The comparison over x and the narrowed constant, or `e` itself when it has another shape. */
export function narrowComparison(e: BExpr): BExpr {
  if (e.k !== 'cmp') return e;
  if (e.left.k === 'cast' && e.right.k !== 'col') return narrowed(e.op, e.left, e.right) ?? e;
  if (e.right.k === 'cast' && e.left.k !== 'col') return narrowed(FLIP[e.op], e.right, e.left) ?? e;
  return e;
}

/**
 * A constant's exact value scaled by 10^scale: a number, or the text of one past 2^53 cast to
 * the DECIMAL (as large values are written); null for anything else.
 */
function scaled(c: BExpr, scale: number): bigint | null {
  if (c.k === 'const') return typeof c.value === 'number' && Number.isInteger(c.value) ? BigInt(c.value) : null;
  if (c.k !== 'cast' || c.arg.k !== 'const' || typeof c.arg.value !== 'string' || !isDecimal(c.type) || scaleOf(c.type) !== scale) return null;
  const m = /^(-?)(\d+)(?:\.(\d*))?$/.exec(c.arg.value.trim());
  if (!m || (m[3] ?? '').length > scale) return null;
  return BigInt(m[1] + m[2] + (m[3] ?? '').padEnd(scale, '0'));
}

/** `x op c'` for `cast op c`, or null when it does not apply or c' is not a plain number. */
function narrowed(op: CmpOp, cast: Extract<BExpr, { k: 'cast' }>, c: BExpr): BExpr | null {
  const x = cast.arg, from = x.type, to = cast.type;
  if (!isDecimal(to) || !isDecimal(c.type) || scaleOf(c.type) !== scaleOf(to)) return null;
  if (!(isInteger(from) || isDecimal(from))) return null;
  const d = scaleOf(to) - scaleOf(from);
  const v = d > 0 ? scaled(c, scaleOf(to)) : null;
  if (v === null) return null;
  const unit = 10n ** BigInt(d);
  const floor = v >= 0n ? v / unit : -((-v + unit - 1n) / unit);
  const exact = floor * unit === v;
  // x's values are whole multiples of `unit` at scale s2: x > c/unit iff x > floor(c/unit), ...
  let bound: bigint;
  switch (op) {
    case '>': case '<=': bound = floor; break;
    case '<': case '>=': bound = exact ? floor : floor + 1n; break;
    case '=': case '<>':
      // (a c between two of x's values: left as it is)
      if (!exact) return null;
      bound = floor;
  }
  if (bound > BigInt(Number.MAX_SAFE_INTEGER) || bound < -BigInt(Number.MAX_SAFE_INTEGER)) return null;
  return { k: 'cmp', op, left: x, right: { k: 'const', value: Number(bound), type: from }, type: BOOL };
}
