// Problem-type inference and target encoding.
import { describe, expect, it } from 'vitest';
import { T } from '../../../engine/types/types.ts';
import { stringVector } from '../../../engine/types/vector.ts';
import { encodeTarget } from '../../../ml/prep/target.ts';

const dbl = (xs: number[]) => ({ type: T.double, length: xs.length, values: Float64Array.from(xs), valid: null });
const n = 200;

describe('encodeTarget', () => {
  it('numeric with many distinct values is REGRESSION (returns DOUBLE)', () => {
    const t = encodeTarget('y', dbl(Array.from({ length: n }, (_, i) => i * 1.5)));
    expect(t.problem).toBe('REGRESSION');
    expect(t.outputType.id).toBe('DOUBLE PRECISION');
    expect(t.labels).toBeUndefined();
  });
  it('non-integral values are REGRESSION even when few', () => {
    expect(encodeTarget('y', dbl(Array.from({ length: n }, (_, i) => [0.5, 1.5, 2.25][i % 3]))).problem).toBe('REGRESSION');
  });
  it('two classes are BINARY, in sorted order', () => {
    const t = encodeTarget('y', stringVector(T.varchar, Array.from({ length: n }, (_, i) => (i % 3 ? 'yes' : 'no'))));
    expect(t.problem).toBe('BINARY_CLASSIFICATION');
    expect(t.labels).toEqual(['no', 'yes']);
    expect(t.y[0]).toBe(0);
    expect(t.y[1]).toBe(1);
    const b = encodeTarget('y', { type: T.bool, length: 4, values: Uint8Array.from([1, 0, 1, 1]), valid: null });
    expect(b.labels).toEqual([false, true]);
    expect(b.outputType.id).toBe('BOOLEAN');
  });
  it('a few whole numbers are MULTICLASS; text with many values is MULTICLASS', () => {
    const t = encodeTarget('y', dbl(Array.from({ length: n }, (_, i) => i % 4)));
    expect(t.problem).toBe('MULTICLASS_CLASSIFICATION');
    expect(t.labels).toEqual([0, 1, 2, 3]);
    expect(encodeTarget('y', stringVector(T.varchar, Array.from({ length: n }, (_, i) => `c${i % 7}`))).problem).toBe('MULTICLASS_CLASSIFICATION');
  });
  it('respects and checks an explicit PROBLEM_TYPE', () => {
    expect(encodeTarget('y', dbl(Array.from({ length: n }, (_, i) => i % 4)), 'REGRESSION').problem).toBe('REGRESSION');
    expect(() => encodeTarget('y', stringVector(T.varchar, ['a', 'b']), 'REGRESSION')).toThrow(/numeric target/);
    expect(() => encodeTarget('y', dbl([1, 2, 3]), 'BINARY_CLASSIFICATION')).toThrow(/exactly 2 classes/);
    expect(() => encodeTarget('y', dbl([1, 1, 1]), 'MULTICLASS_CLASSIFICATION')).toThrow(/at least 2/);
  });
});
