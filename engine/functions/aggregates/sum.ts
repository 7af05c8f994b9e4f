// SUM: integers and DECIMALs add exactly (a double accumulator that spills into a BigInt per group
// before it can lose a digit); REAL/DOUBLE add in doubles.
import { MAX_EXACT, T, isBigint, isDecimal, isInteger, isNullType, isWide } from '../../types/types.ts';
import { SqlError } from '../../errors.ts';
import type { BAgg } from '../../plan/bound.ts';
import type { Aggregate, AggValue, GroupStates } from './contract.ts';
import { exactSum, notNumeric } from './numeric-input.ts';

/** 2^52: below this, adding one more |v| < 2^52 stays exact. */
export const SPILL = 4503599627370496;

const exact = (agg: BAgg) => agg.arg !== null && exactSum(agg.arg.type);

/** Kernel code adding `v` into `slot` (the group's slot 0), spilling into the group's BigInt when it grows large. */
export function sumUpdate(agg: BAgg, v: string, slot: string, objs: string, g: string): string {
  if (!exact(agg)) return `${slot} += ${v};`;
  // BigInt work stays out of line (rt.sumSpill) so the kernel's hot loop is plain double code
  const add = (x: string) => `{ let s = ${slot} + ${x}; if (s > ${SPILL} || s < -${SPILL}) { rt.sumSpill(${objs}, ${g}, s); s = 0; } ${slot} = s; }`;
  // a BIGINT or wide DECIMAL input past 2^53 arrives as a bigint, and one past 2^52 could make the
  // double sum inexact: both go straight to the exact part
  if (isWide(agg.arg!.type)) return `{ const x = ${v}; if (typeof x === 'bigint' || x > ${SPILL} || x < -${SPILL}) rt.sumSpill(${objs}, ${g}, x); else ${add('x')} }`;
  return add(v);
}

/** Adds an amount too large for the double accumulator to a group's exact BigInt part. */
export function sumSpill(objs: unknown[], g: number, x: number | bigint): void {
  objs[g] = ((objs[g] as bigint | undefined) ?? 0n) + BigInt(x);
}

export function sumMerge(agg: BAgg, dst: GroupStates, g: number, src: GroupStates, pg: number): void {
  dst.slots[0][g] += src.slots[0][pg];
  if (!exact(agg)) return;
  const o = dst.objs!;
  const b = src.objs![pg] as bigint | undefined;
  if (b !== undefined) o[g] = ((o[g] as bigint | undefined) ?? 0n) + b;
  const s = dst.slots[0][g];
  if (s > SPILL || s < -SPILL) { o[g] = ((o[g] as bigint | undefined) ?? 0n) + BigInt(s); dst.slots[0][g] = 0; }
}

/** The exact total of a group: a number when it fits in a double exactly, else a bigint. */
export function sumTotal(agg: BAgg, st: GroupStates, g: number): number | bigint {
  const a = st.slots[0][g];
  const b = exact(agg) ? (st.objs![g] as bigint | undefined) : undefined;
  if (b === undefined) return a;
  const total = b + BigInt(a);
  return total <= BigInt(MAX_EXACT) && total >= -BigInt(MAX_EXACT) ? Number(total) : total;
}

const I64_MAX = 2n ** 63n - 1n;

/** SUM of integers is a BIGINT: past the int64 range it is an overflow error, as in Redshift. */
function checkI64(v: number | bigint): number | bigint {
  if (typeof v === 'bigint' && (v > I64_MAX || v < -I64_MAX - 1n)) throw new SqlError('NUMERIC_OVERFLOW', 'bigint out of range');
  return v;
}

export const sum: Aggregate = {
  name: 'sum',
  resultType(arg) {
    const bad = notNumeric('sum', arg);
    if (bad) return bad;
    if (isNullType(arg!) || isInteger(arg!)) return T.bigint;
    if (isDecimal(arg!)) return T.decimal(38, arg!.scale ?? 0);
    return T.double;
  },
  slotInit: () => [0],
  newObject: () => undefined,
  update: (agg, v, r) => sumUpdate(agg, v, r.slots[0], r.objs, r.g),
  merge: sumMerge,
  finish: (agg, st, g): AggValue => (st.count[g] === 0 ? null : isBigint(agg.type) ? checkI64(sumTotal(agg, st, g)) : sumTotal(agg, st, g)),
  finishNumbers(agg, st, n, values, valid) {
    const objs = exact(agg) ? st.objs! : null;
    // a group with an exact part is a bigint, or may be: group by group (groups past the array's end have none)
    if (objs !== null) for (let g = 0, end = Math.min(n, objs.length); g < end; g++) if (objs[g] !== undefined) return false;
    const sums = st.slots[0], counts = st.count;
    for (let g = 0; g < n; g++) {
      values[g] = sums[g];
      if (counts[g] === 0) valid[g] = 0;
    }
    return true;
  },
};
