// PERCENTILE_CONT(f) and PERCENTILE_DISC(f) WITHIN GROUP (ORDER BY x), and MEDIAN(x), which is
// PERCENTILE_CONT(0.5). The group keeps its values; finish sorts a copy. CONT interpolates
// linearly between the two nearest values (a DOUBLE for integers and floats, rounded to the
// input scale for DECIMAL); DISC returns the first value whose cumulative share reaches f.
import { T, isBigint, isDecimal, isNullType, isNumeric, isTemporal, isWide } from '../../types/types.ts';
import type { BAgg } from '../../plan/bound.ts';
import type { Aggregate, AggCallInfo } from './contract.ts';
import type { SqlType } from '../../types/types.ts';

function sorted(agg: BAgg, xs: number[]): number[] {
  const out = xs.slice().sort((a, b) => a - b);
  return agg.desc ? out.reverse() : out;
}

/** Rounds half away from zero (DECIMAL results keep the input's scale). */
const roundHalfAway = (x: number) => Math.sign(x) * Math.round(Math.abs(x));

function percentileAggregate(name: 'percentile_cont' | 'percentile_disc' | 'median'): Aggregate {
  const discrete = name === 'percentile_disc';
  return {
    name,
    resultType(arg: SqlType | null, call: AggCallInfo) {
      if (arg === null) return `${name}(*) is not valid`;
      if (name !== 'median' && !call.withinGroup) return `${name} needs WITHIN GROUP (ORDER BY ...)`;
      if (isNullType(arg)) return T.double;
      if (discrete) return isNumeric(arg) || isTemporal(arg) ? arg : `function ${name}(${arg.id.toLowerCase()}) does not exist`;
      if (!isNumeric(arg)) return `function ${name}(${arg.id.toLowerCase()}) does not exist`;
      return isDecimal(arg) ? arg : T.double;
    },
    slotInit: () => [],
    newObject: () => [],
    // values are sorted and interpolated as doubles: wide DECIMALs past 2^53 are an overflow here
    update: (agg, v, r) => `${r.objs}[${r.g}].push(${isWide(agg.arg!.type) ? `rt.${isBigint(agg.arg!.type) ? 'narrowI64' : 'narrow'}(${v})` : v});`,
    merge(_agg, dst, g, src, pg) {
      const out = dst.objs![g] as number[];
      for (const x of src.objs![pg] as number[]) out.push(x);
    },
    finish(agg, st, g) {
      const xs = st.objs![g] as number[];
      if (xs.length === 0) return null;
      const f = name === 'median' ? 0.5 : agg.fraction!;
      const s = sorted(agg, xs);
      if (discrete) return s[Math.max(0, Math.ceil(f * s.length) - 1)];
      const pos = f * (s.length - 1);
      const lo = Math.floor(pos), hi = Math.ceil(pos);
      const v = s[lo] + (pos - lo) * (s[hi] - s[lo]);
      return isDecimal(agg.type) ? roundHalfAway(v) : v;
    },
  };
}

export const percentileCont = percentileAggregate('percentile_cont');
export const percentileDisc = percentileAggregate('percentile_disc');
export const median = percentileAggregate('median');
