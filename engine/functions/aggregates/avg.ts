// AVG: the exact sum divided by the count. As in Redshift, the average of integers is a BIGINT
// (truncated), of DECIMAL(p,s) a DECIMAL(38,s) (rounded half away from zero, exact past 2^53),
// and of floats a DOUBLE PRECISION.
import { MAX_EXACT, T, isBigint, isDecimal, isInteger, isNullType, scaleOf } from '../../types/types.ts';
import { decDiv } from '../numeric.ts';
import type { Aggregate } from './contract.ts';
import { notNumeric } from './numeric-input.ts';
import { sumMerge, sumTotal, sumUpdate } from './sum.ts';

const MAX_EXACT_BIG = BigInt(MAX_EXACT);

export const avg: Aggregate = {
  name: 'avg',
  resultType(arg) {
    const bad = notNumeric('avg', arg);
    if (bad) return bad;
    if (isNullType(arg!) || isInteger(arg!)) return T.bigint;
    return isDecimal(arg!) ? T.decimal(38, scaleOf(arg!)) : T.double;
  },
  slotInit: () => [0],
  newObject: () => undefined,
  update: (agg, v, r) => sumUpdate(agg, v, r.slots[0], r.objs, r.g),
  merge: sumMerge,
  finish(agg, st, g) {
    const c = st.count[g];
    if (c === 0) return null;
    const total = sumTotal(agg, st, g);
    if (isBigint(agg.type)) {
      // exact truncating division, also for totals beyond 2^53
      if (typeof total === 'number') return Math.trunc(total / c);
      const q = total / BigInt(c);
      return q <= MAX_EXACT_BIG && q >= -MAX_EXACT_BIG ? Number(q) : q;
    }
    if (isDecimal(agg.type)) return decDiv(total, c, 0);
    return Number(total) / c;
  },
};
