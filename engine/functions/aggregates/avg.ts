// AVG: the exact sum divided by the count. Redshift truncates the average of an integer column to
// an integer; DECIMAL and float averages are DOUBLE PRECISION here (see docs/sql-functions.md).
import { MAX_EXACT, T, isBigint, isInteger, isNullType, scaleOf } from '../../types/types.ts';
import type { Aggregate } from './contract.ts';
import { notNumeric } from './numeric-input.ts';
import { sumMerge, sumTotal, sumUpdate } from './sum.ts';

const MAX_EXACT_BIG = BigInt(MAX_EXACT);

export const avg: Aggregate = {
  name: 'avg',
  resultType(arg) {
    const bad = notNumeric('avg', arg);
    if (bad) return bad;
    return isNullType(arg!) || isInteger(arg!) ? T.bigint : T.double;
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
    return Number(total) / c / 10 ** scaleOf(agg.arg!.type);
  },
};
