// The two drift statistics: the population stability index (PSI) over bins or categories, and
// the two-sample Kolmogorov-Smirnov test (statistic and two-sided p-value) for numbers. Pure
// functions over plain arrays, checked against scipy on fixtures (models/build_drift_fixtures.py).

/** A bin's share below this counts as this much, so an empty bin gives a large but finite PSI. */
export const PSI_FLOOR = 1e-4;

/**
 * PSI = sum over bins of (a - e) * ln(a / e), where e and a are the bins' shares of the expected
 * (training) and actual (new) counts, each floored at PSI_FLOOR. 0 when the shares are equal.
 */
export function psi(expected: ArrayLike<number>, actual: ArrayLike<number>): number {
  if (expected.length !== actual.length) throw new Error('psi: bin counts differ in length');
  const te = sum(expected), ta = sum(actual);
  if (te === 0 || ta === 0) return 0;
  let s = 0;
  for (let i = 0; i < expected.length; i++) {
    const e = Math.max(expected[i] / te, PSI_FLOOR);
    const a = Math.max(actual[i] / ta, PSI_FLOOR);
    s += (a - e) * Math.log(a / e);
  }
  return s;
}

function sum(x: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i];
  return s;
}

/**
 * Quantiles of sorted values by linear interpolation between order statistics (numpy's default
 * 'linear' method): the value at position q * (n - 1).
 */
export function quantile(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  const h = q * (n - 1);
  const lo = Math.floor(h), hi = Math.min(lo + 1, n - 1);
  return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
}

/** Which bin a value falls in: the number of edges <= x (numpy searchsorted side='right'). */
export function binOf(edges: ArrayLike<number>, x: number): number {
  let lo = 0, hi = edges.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (edges[mid] <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export interface KsResult { statistic: number; pValue: number; method: 'exact' | 'asymptotic' }

/** Above this many lattice cells (n1 * n2) the p-value comes from the limiting distribution. */
export const KS_EXACT_CELLS = 4_000_000;

/**
 * Two-sample KS test of sorted samples `a` and `b` (NaN-free): D = max |F_a(x) - F_b(x)|, and the
 * two-sided p-value P(D' >= D) under the null. Exact (counting lattice paths, as scipy's
 * method='exact') when n1 * n2 <= KS_EXACT_CELLS, else Kolmogorov's limit with n = n1 n2 / (n1 + n2).
 */
export function ks2samp(a: ArrayLike<number>, b: ArrayLike<number>): KsResult {
  const n1 = a.length, n2 = b.length;
  if (n1 === 0 || n2 === 0) return { statistic: 0, pValue: 1, method: 'exact' };
  // walk both samples in order; ties advance together so D is measured between distinct values
  let i = 0, j = 0, d = 0;
  while (i < n1 && j < n2) {
    const x = Math.min(a[i], b[j]);
    if (Number.isNaN(x)) throw new Error('ks2samp: the samples must not hold NaN');
    while (i < n1 && a[i] === x) i++;
    while (j < n2 && b[j] === x) j++;
    d = Math.max(d, Math.abs(i * n2 - j * n1));
  }
  const statistic = d / (n1 * n2);
  if (n1 * n2 <= KS_EXACT_CELLS) return { statistic, pValue: exactPValue(n1, n2, d), method: 'exact' };
  const en = (n1 * n2) / (n1 + n2);
  return { statistic, pValue: kolmogorovSf(Math.sqrt(en) * statistic), method: 'asymptotic' };
}

/**
 * P(max |i n2 - j n1| >= h) over the C(n1+n2, n1) equally likely merge orders of two samples
 * (no ties), by dynamic programming over the lattice: the probability of staying strictly inside
 * the band, with each step weighted by the chance of taking it, so nothing overflows.
 */
function exactPValue(n1: number, n2: number, h: number): number {
  if (h === 0) return 1;
  // prob[j] = probability of reaching (i, j) without leaving the band
  let prob = new Float64Array(n2 + 1);
  let next = new Float64Array(n2 + 1);
  prob[0] = 1;
  for (let j = 1; j <= n2; j++) prob[j] = Math.abs(-j * n1) < h ? prob[j - 1] * ((n2 - j + 1) / (n1 + n2 - j + 1)) : 0;
  for (let i = 1; i <= n1; i++) {
    for (let j = 0; j <= n2; j++) {
      if (Math.abs(i * n2 - j * n1) >= h) { next[j] = 0; continue; }
      // from (i-1, j) taking an `a` (n1 - i + 1 left of n1 + n2 - i - j + 1), or from (i, j-1) taking a `b`
      const left = n1 + n2 - (i - 1) - j;
      let p = prob[j] * ((n1 - i + 1) / left);
      if (j > 0) p += next[j - 1] * ((n2 - j + 1) / (n1 + n2 - i - (j - 1)));
      next[j] = p;
    }
    [prob, next] = [next, prob];
  }
  return Math.min(1, Math.max(0, 1 - prob[n2]));
}

/** Survival function of the Kolmogorov distribution: 2 sum_{k>=1} (-1)^(k-1) exp(-2 k^2 x^2). */
export function kolmogorovSf(x: number): number {
  if (x <= 0) return 1;
  if (x < 0.3) {
    // the alternating series converges slowly here; use the theta-function form of the CDF
    const t = Math.PI ** 2 / (8 * x * x);
    let cdf = 0;
    for (let k = 1; k < 50; k += 2) cdf += Math.exp(-k * k * t);
    return Math.min(1, Math.max(0, 1 - (Math.sqrt(2 * Math.PI) / x) * cdf));
  }
  let s = 0;
  for (let k = 1; k < 100; k++) {
    const term = Math.exp(-2 * k * k * x * x);
    s += (k % 2 ? 1 : -1) * term;
    if (term < 1e-18) break;
  }
  return Math.min(1, Math.max(0, 2 * s));
}
