// PERCENTILE_CONT(f) and PERCENTILE_DISC(f) WITHIN GROUP (ORDER BY x), and MEDIAN(x), which is
// PERCENTILE_CONT(0.5). The group keeps its values; finish sorts a copy. DISC returns the first
// value whose cumulative share reaches f. CONT interpolates linearly between the two nearest
// values: in doubles for floats (a DOUBLE), exactly for DECIMAL (rounded once, half away from
// zero, to the input's scale) and integers (as Redshift, a DECIMAL: DECIMAL(38,k) holds the exact
// interpolation, k the fraction's decimal digits, so MEDIAN of an integer is DECIMAL(38,1)).
import { T, isDecimal, isInteger, isNullType, isNumeric, isTemporal, isWide, scaleOf } from '../../types/types.ts';
import type { BAgg } from '../../plan/bound.ts';
import type { Aggregate, AggCallInfo } from './contract.ts';
import type { SqlType } from '../../types/types.ts';
import { decNorm, type Dec } from '../numeric.ts';

/** Ascending order of exact values (a bigint past 2^53 and a number compare exactly in JS). */
const byValue = (a: Dec, b: Dec) => (a < b ? -1 : a > b ? 1 : 0);

function sorted(agg: BAgg, xs: Dec[]): Dec[] {
  const out = isWide(agg.arg!.type) ? xs.slice().sort(byValue) : (xs as number[]).slice().sort((a, b) => a - b);
  return agg.desc ? out.reverse() : out;
}

/** Rounds half away from zero (DECIMAL results keep the input's scale). */
const roundHalfAway = (x: number) => Math.sign(x) * Math.round(Math.abs(x));

/** Most fraction digits an exact interpolation keeps (f = 0.123456789012345678 at most). */
const MAX_FRACTION_DIGITS = 18;

/** The decimal digits of the fraction f as written (0.5 -> 1, 0.25 -> 2). */
export function fractionDigits(f: number): number {
  for (let k = 0; k < MAX_FRACTION_DIGITS; k++) if (Math.round(f * 10 ** k) / 10 ** k === f) return k;
  return MAX_FRACTION_DIGITS;
}

/**
 * s[lo] + (pos - lo) * (s[hi] - s[lo]) for pos = f * (n - 1), exactly, as a scaled integer of
 * `k` more fraction digits than the values (f = num / 10^k).
 */
function interpolateExact(s: Dec[], f: number, k: number): bigint {
  const pow = 10n ** BigInt(k);
  const num = BigInt(Math.round(f * 10 ** k));
  const p = num * BigInt(s.length - 1);
  const lo = Number(p / pow), rem = p % pow;
  const a = BigInt(s[lo]);
  if (rem === 0n) return a * pow;
  return a * pow + (BigInt(s[lo + 1]) - a) * rem;
}

/** Divides a scaled bigint by 10^k, half away from zero. */
function roundScaled(x: bigint, k: number): bigint {
  if (k === 0) return x;
  const d = 10n ** BigInt(k);
  const q = x / d, r = x % d;
  return 2n * (r < 0n ? -r : r) >= d ? q + (x < 0n ? -1n : 1n) : q;
}

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
      // integers: as Redshift, a DECIMAL (scale: the fraction's digits, so MEDIAN is DECIMAL(38,1))
      if (isInteger(arg)) return T.decimal(38, fractionDigits(name === 'median' ? 0.5 : call.fraction ?? 0));
      return isDecimal(arg) ? arg : T.double;
    },
    slotInit: () => [],
    newObject: () => [],
    update: (_agg, v, r) => `${r.objs}[${r.g}].push(${v});`,
    merge(_agg, dst, g, src, pg) {
      const out = dst.objs![g] as Dec[];
      for (const x of src.objs![pg] as Dec[]) out.push(x);
    },
    finish(agg, st, g) {
      const xs = st.objs![g] as Dec[];
      if (xs.length === 0) return null;
      const f = name === 'median' ? 0.5 : agg.fraction!;
      const s = sorted(agg, xs);
      if (discrete) return s[Math.max(0, Math.ceil(f * s.length) - 1)];
      if (isDecimal(agg.type)) {
        // exact, at the input's scale plus the fraction's digits, then rounded once to the result's scale
        const k = fractionDigits(f);
        const x = interpolateExact(s, f, k);
        return decNorm(roundScaled(x, scaleOf(agg.arg!.type) + k - scaleOf(agg.type)));
      }
      const v = s as number[];
      const pos = f * (v.length - 1);
      const lo = Math.floor(pos), hi = Math.ceil(pos);
      const r = v[lo] + (pos - lo) * (v[hi] - v[lo]);
      return isDecimal(agg.type) ? roundHalfAway(r) : r;
    },
  };
}

export const percentileCont = percentileAggregate('percentile_cont');
export const percentileDisc = percentileAggregate('percentile_disc');
export const median = percentileAggregate('median');
