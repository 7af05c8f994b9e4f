// VAR_SAMP, VAR_POP, STDDEV_SAMP, STDDEV_POP (VARIANCE and STDDEV are the _SAMP forms). The state
// is Welford's running mean and sum of squared deviations, which stays accurate where
// sum-of-squares cancels; partial states combine with Chan et al.'s pairwise formula.
import { T } from '../../types/types.ts';
import type { Aggregate } from './contract.ts';
import { asDoubleCode, notNumeric } from './numeric-input.ts';

type Kind = 'var_samp' | 'var_pop' | 'stddev_samp' | 'stddev_pop';

function variance(name: Kind): Aggregate {
  const sample = name.endsWith('samp');
  const root = name.startsWith('stddev');
  return {
    name,
    resultType: (arg) => notNumeric(name, arg) ?? T.double,
    slotInit: () => [0, 0], // mean, M2
    update(agg, v, r) {
      const [mean, m2] = r.slots;
      const x = asDoubleCode(agg.arg!.type, v);
      // the framework increments the count after update: this input is number count + 1
      return `{ const x = ${x}, n = ${r.count} + 1, d = x - ${mean}; ${mean} += d / n; ${m2} += d * (x - ${mean}); }`;
    },
    merge(_agg, dst, g, src, pg) {
      const nb = src.count[pg];
      if (nb === 0) return;
      const na = dst.count[g];
      const [mean, m2] = dst.slots;
      if (na === 0) { mean[g] = src.slots[0][pg]; m2[g] = src.slots[1][pg]; return; }
      const n = na + nb, d = src.slots[0][pg] - mean[g];
      mean[g] += (d * nb) / n;
      m2[g] += src.slots[1][pg] + (d * d * na * nb) / n;
    },
    finish(_agg, st, g) {
      const n = st.count[g];
      const denom = sample ? n - 1 : n;
      if (denom <= 0) return null;
      const v = Math.max(0, st.slots[1][g]) / denom;
      return root ? Math.sqrt(v) : v;
    },
  };
}

export const varSamp = variance('var_samp');
export const varPop = variance('var_pop');
export const stddevSamp = variance('stddev_samp');
export const stddevPop = variance('stddev_pop');
