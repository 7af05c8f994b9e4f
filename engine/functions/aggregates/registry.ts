// The aggregate registry: every aggregate function by name, and the names that alias them.
import type { Aggregate } from './contract.ts';
import { count, countStar } from './count.ts';
import { sum } from './sum.ts';
import { avg } from './avg.ts';
import { min, max } from './extremum.ts';
import { varSamp, varPop, stddevSamp, stddevPop } from './variance.ts';
import { boolAnd, boolOr } from './bool.ts';
import { listagg } from './listagg.ts';
import { percentileCont, percentileDisc, median } from './percentile.ts';
import { approxCountDistinct } from './approx-count-distinct.ts';
import type { AggFn } from '../../plan/bound.ts';

export type { Aggregate, AggValue, GroupStates, StateRefs, AggCallInfo } from './contract.ts';

const ALL: Aggregate[] = [
  count, countStar, sum, avg, min, max, varSamp, varPop, stddevSamp, stddevPop, boolAnd, boolOr,
  listagg, percentileCont, percentileDisc, median, approxCountDistinct,
];

const BY_NAME = new Map<string, Aggregate>(ALL.map((a) => [a.name, a]));

/** Other spellings SQL accepts for the same aggregate. */
const ALIASES: Record<string, AggFn> = {
  stddev: 'stddev_samp', variance: 'var_samp', every: 'bool_and', any_value: 'min',
};

/** The canonical function name for a name written in SQL, or null when it is not an aggregate. */
export function aggregateName(name: string): AggFn | null {
  const n = name.toLowerCase();
  if (Object.hasOwn(ALIASES, n)) return ALIASES[n];
  return BY_NAME.has(n) && n !== 'count_star' ? (n as AggFn) : null;
}

/** The aggregate implementing a canonical name (from aggregateName or a bound call). */
export function aggregateFor(fn: AggFn): Aggregate {
  const a = BY_NAME.get(fn);
  if (!a) throw new Error(`no aggregate ${fn}`);
  return a;
}
