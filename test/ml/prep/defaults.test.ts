// Default preprocessing: what gets scaled, one-hot encoded, passed through or dropped.
import { describe, expect, it } from 'vitest';
import { T } from '../../../engine/types/types.ts';
import { stringVector } from '../../../engine/types/vector.ts';
import { defaultPlan } from '../../../ml/prep/defaults.ts';
import { fitPrep } from '../../../ml/prep/fit.ts';
import { applyPrep } from '../../../ml/prep/apply.ts';

const n = 100;
const ints = (f: (i: number) => number) => ({ type: T.int, length: n, values: Int32Array.from({ length: n }, (_, i) => f(i)), valid: null });
const text = (f: (i: number) => string | null) => stringVector(T.varchar, Array.from({ length: n }, (_, i) => f(i)));

describe('defaultPlan', () => {
  it('scales numbers, one-hots low-cardinality text, passes booleans', () => {
    expect(defaultPlan('x', T.int, ints((i) => i % 7))).toEqual({ kind: 'numeric', columns: ['x'], steps: ['standard'], normalize: false });
    expect(defaultPlan('t', T.varchar, text((i) => ['a', 'b', null][i % 3]))).toEqual({ kind: 'onehot', column: 't', imputeMode: false });
    const bool = { type: T.bool, length: n, values: Uint8Array.from({ length: n }, (_, i) => i % 2), valid: null };
    expect(defaultPlan('f', T.bool, bool)).toMatchObject({ kind: 'numeric', steps: [] });
  });

  it('drops id-like, high-cardinality, constant and all-NULL columns', () => {
    expect(defaultPlan('id', T.int, ints((i) => 500 + i))).toMatch(/id-like/);
    expect(defaultPlan('key', T.varchar, text((i) => `k${i}`))).toMatch(/id-like/);
    expect(defaultPlan('t', T.varchar, text((i) => `k${i % 40}`))).toMatch(/high cardinality/);
    expect(defaultPlan('k', T.int, ints(() => 3))).toBe('constant');
    expect(defaultPlan('z', T.double, { type: T.double, length: n, values: new Float64Array(n), valid: new Uint8Array(n) })).toMatch(/NULL/);
    // Unique but sparse integers (not a dense range, not named like an id) are kept as a feature.
    expect(defaultPlan('income', T.int, ints((i) => i * 997 + 13))).toMatchObject({ kind: 'numeric' });
  });
});

describe('fitPrep + applyPrep', () => {
  it('imputes the mean, standard-scales, one-hots NULL as its own category', () => {
    const a = { type: T.double, length: 4, values: Float64Array.from([1, 2, 3, 0]), valid: Uint8Array.from([1, 1, 1, 0]) };
    const c = stringVector(T.varchar, ['x', null, 'y', 'x']);
    const prep = fitPrep([{ name: 'a', type: T.double, vector: a }, { name: 'c', type: T.varchar, vector: c }]);
    expect(prep.features).toEqual(['a', 'c=NULL', 'c=x', 'c=y']);
    expect(prep.affine!.impute[0]).toBe(2);
    const m = applyPrep(prep, [a, c], 4);
    const sd = Math.sqrt(0.5);
    expect(Array.from(m.data).map((v) => +v.toFixed(5))).toEqual([
      +(-1 / sd).toFixed(5), 0, 1, 0,
      0, 1, 0, 0,
      +(1 / sd).toFixed(5), 0, 0, 1,
      0, 0, 1, 0,
    ]);
  });

  it('keeps every feature column as an input, even dropped ones', () => {
    const prep = fitPrep([{ name: 'id', type: T.int, vector: ints((i) => i) }, { name: 'x', type: T.int, vector: ints((i) => i % 5) }]);
    expect(prep.inputs.map((i) => i.name)).toEqual(['id', 'x']);
    expect(prep.dropped).toEqual([{ name: 'id', reason: 'id-like (unique integer per row)' }]);
    expect(prep.features).toEqual(['x']);
  });

  it('fails clearly when no usable column is left', () => {
    expect(() => fitPrep([{ name: 'id', type: T.int, vector: ints((i) => i) }])).toThrow(/no usable feature columns \(id: id-like/);
  });
});
