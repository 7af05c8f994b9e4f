// AVG: the exact sum divided by the count. Redshift truncates the average of an integer column to
// an integer; DECIMAL and float averages are DOUBLE PRECISION here (see docs/sql-functions.md).
import { isInteger, scaleOf, T } from '../../types/types.ts';
import type { Aggregate } from './contract.ts';
import { notNumeric } from './numeric-input.ts';
import { sumMerge, sumTotal, sumUpdate } from './sum.ts';

export const avg: Aggregate = {
  name: 'avg',
  resultType(arg) {
    const bad = notNumeric('avg', arg);
    if (bad) return bad;
    return arg!.id === 'NULL' || isInteger(arg!) ? T.bigint : T.double;
  },
  slotInit: () => [0],
  newObject: () => undefined,
  update: (agg, v, r) => sumUpdate(agg, v, r.slots[0], r.objs, r.g),
  merge: sumMerge,
  finish(agg, st, g) {
    const c = st.count[g];
    if (c === 0) return null;
    const total = sumTotal(agg, st, g);
    if (agg.type.id === 'BIGINT') {
      // exact truncating division, also for totals beyond 2^53
      return typeof total === 'bigint' ? Number(total / BigInt(c)) : Math.trunc(total / c);
    }
    return Number(total) / c / 10 ** scaleOf(agg.arg!.type);
  },
};
