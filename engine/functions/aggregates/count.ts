// COUNT(x) and COUNT(*): the framework already counts non-NULL inputs per group.
import { T } from '../../types/types.ts';
import type { Aggregate } from './contract.ts';

export const count: Aggregate = {
  name: 'count',
  resultType: () => T.bigint,
  slotInit: () => [],
  update: () => '',
  merge: () => {},
  finish: (_agg, st, g) => st.count[g],
  finishNumbers(_agg, st, n, values) {
    values.set(st.count.subarray(0, n));
    return true;
  },
};

/** count(*): every row is an input (the kernel passes 1). */
export const countStar: Aggregate = { ...count, name: 'count_star' };
