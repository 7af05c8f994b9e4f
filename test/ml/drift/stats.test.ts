// PSI and KS against numpy/scipy on the fixtures of models/build_drift_fixtures.py, plus the
// profile -> comparison path a monitor takes (training profile, new rows, verdicts).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { T } from '../../../engine/types/types.ts';
import { stringVector, type Vector } from '../../../engine/types/vector.ts';
import { DEFAULT_THRESHOLDS, compareColumn, overallState } from '../../../ml/drift/compare.ts';
import { profileColumn } from '../../../ml/drift/profile.ts';
import { kolmogorovSf, ks2samp, psi, quantile } from '../../../ml/drift/stats.ts';

interface NumericCase { name: string; train: (number | null)[]; new: (number | null)[]; edges: number[]; psi: number; ks: number; ks_pvalue: number; ks_pvalue_scipy_asymp?: number }
interface TextCase { name: string; train: (string | null)[]; new: (string | null)[]; psi: number }
const fx = JSON.parse(readFileSync(new URL('../../../models/drift_fixtures.json', import.meta.url), 'utf8')) as { numeric: NumericCase[]; text: TextCase[] };

function doubles(xs: (number | null)[]): Vector {
  const values = Float64Array.from(xs, (x) => x ?? 0);
  const valid = xs.some((x) => x === null) ? Uint8Array.from(xs, (x) => (x === null ? 0 : 1)) : null;
  return { type: T.double, length: xs.length, values, valid };
}
const sorted = (xs: (number | null)[]) => Float64Array.from(xs.filter((x): x is number => x !== null)).sort();

describe('drift statistics agree with scipy', () => {
  for (const c of fx.numeric) {
    it(`numbers: ${c.name}`, () => {
      const r = ks2samp(sorted(c.train), sorted(c.new));
      expect(r.statistic).toBeCloseTo(c.ks, 12);
      if (r.method === 'exact') expect(Math.abs(r.pValue - c.ks_pvalue)).toBeLessThanOrEqual(Math.max(1e-12, 1e-6 * c.ks_pvalue));
      else {
        expect(r.pValue).toBeCloseTo(c.ks_pvalue, 10);
        // scipy's asymptotic method uses the finite-n distribution: close to the limit at this size
        expect(Math.abs(r.pValue - c.ks_pvalue_scipy_asymp!)).toBeLessThan(0.1 * c.ks_pvalue_scipy_asymp!);
      }
      const p = profileColumn(doubles(c.train));
      if (p.kind !== 'number') throw new Error('expected a numeric profile');
      expect(p.edges).toEqual(c.edges.map((e) => expect.closeTo(e, 12)));
      const d = compareColumn('x', p, doubles(c.new), DEFAULT_THRESHOLDS);
      expect(d.psi).toBeCloseTo(c.psi, 10);
      // the training profile keeps every value below SAMPLE_SIZE, so the monitor's KS is scipy's
      expect(d.ks).toBeCloseTo(c.ks, 12);
      expect(d.ksPValue).toBeCloseTo(r.pValue, 14);
    });
  }
  for (const c of fx.text) {
    it(`categories: ${c.name}`, () => {
      const d = compareColumn('c', profileColumn(stringVector(T.varchar, c.train)), stringVector(T.varchar, c.new), DEFAULT_THRESHOLDS);
      expect(d.psi).toBeCloseTo(c.psi, 10);
      expect(d.ks).toBeUndefined();
    });
  }
});

describe('drift statistics by hand', () => {
  it('PSI of equal shares is 0, of swapped shares is symmetric', () => {
    expect(psi([10, 20, 30], [1, 2, 3])).toBe(0);
    // (0.25 - 0.75) ln(1/3) + (0.75 - 0.25) ln 3 = ln 3
    expect(psi([3, 1], [1, 3])).toBeCloseTo(Math.log(3), 12);
  });
  it('KS of disjoint samples is 1 with p = 2 / C(n1+n2, n1)', () => {
    const r = ks2samp([1, 2, 3], [4, 5, 6]);
    expect(r.statistic).toBe(1);
    expect(r.pValue).toBeCloseTo(2 / 20, 12);
  });
  it('linear quantiles interpolate like numpy', () => {
    expect(quantile([1, 2, 3, 4], 0.5)).toBe(2.5);
    expect(quantile([0, 10], 0.1)).toBeCloseTo(1, 12);
  });
  it('the Kolmogorov tail matches known values', () => {
    // K(x) tables: P(K > 1.36) ~ 0.049, P(K > 1.63) ~ 0.0098
    expect(kolmogorovSf(1.36)).toBeCloseTo(0.0494, 3);
    expect(kolmogorovSf(1.63)).toBeCloseTo(0.0098, 3);
    expect(kolmogorovSf(0.2)).toBeCloseTo(1, 6);
    // both series agree where they meet
    expect(Math.abs(kolmogorovSf(0.2999999) - kolmogorovSf(0.3))).toBeLessThan(1e-6);
  });
  it('a model drifts when its prediction drifts or at least SHARE of its features do', () => {
    const f = (state: 'OK' | 'DRIFTED') => ({ column: 'x', kind: 'number' as const, rows: 1, psi: 0, state });
    expect(overallState([f('OK'), f('DRIFTED')], f('OK'), DEFAULT_THRESHOLDS)).toBe('DRIFTED');
    expect(overallState([f('OK'), f('OK'), f('DRIFTED')], f('OK'), DEFAULT_THRESHOLDS)).toBe('OK');
    expect(overallState([f('OK')], f('DRIFTED'), DEFAULT_THRESHOLDS)).toBe('DRIFTED');
  });
});
