// Concatenating string vectors: parts gathered from one segment share its whole dictionary, and
// the result keeps only the strings the parts use, each once.
import { describe, expect, it } from 'vitest';
import { concatVectors, gather, stringVector, usedEntries, valueAt, vectorFromValues, type Vector } from '../../../engine/types/vector.ts';
import { T } from '../../../engine/types/types.ts';

const strings = (v: Vector) => Array.from({ length: v.length }, (_, i) => (v.valid && v.valid[i] === 0 ? null : v.dict![v.values[i]]));

describe('concatVectors over string parts', () => {
  it('keeps each part\'s strings and NULLs, with a dictionary of the strings used', () => {
    const whole = stringVector(T.varchar, Array.from({ length: 1000 }, (_, i) => `s${i}`));
    // two parts reading a few codes of the same large dictionary, one with a NULL
    const a: Vector = { type: whole.type, length: 3, values: Int32Array.from([7, 999, 7]), valid: null, dict: whole.dict };
    const b: Vector = { type: whole.type, length: 2, values: Int32Array.from([999, 0]), valid: Uint8Array.from([1, 0]), dict: whole.dict };
    const c = stringVector(T.varchar, ['s7', 'other']);
    const out = concatVectors(whole.type, [a, b, c]);
    expect(strings(out)).toEqual(['s7', 's999', 's7', 's999', null, 's7', 'other']);
    expect([...out.dict!].sort()).toEqual(['other', 's7', 's999']);
  });

  it('keeps a dictionary all parts share when it is no larger than the rows (no strings looked up)', () => {
    // a broadcast build side's dictionary, shared by the rows every probe batch took from it
    const build = stringVector(T.varchar, ['x', 'y', 'z']);
    const a: Vector = { type: build.type, length: 2, values: Int32Array.from([2, 0]), valid: null, dict: build.dict };
    const b: Vector = { type: build.type, length: 2, values: Int32Array.from([1, 1]), valid: Uint8Array.from([0, 1]), dict: build.dict };
    const out = concatVectors(build.type, [a, b]);
    expect(out.dict).toBe(build.dict);
    expect(strings(out)).toEqual(['z', 'x', null, 'y']);
  });
});

describe('vectorFromValues (system listings to vectors)', () => {
  const rows = (v: Vector) => Array.from({ length: v.length }, (_, i) => valueAt(v, i));

  it('reads each kind of type from its JS form, NULL from null', () => {
    expect(rows(vectorFromValues(T.varchar, ['a', null, 'a', 7]))).toEqual(['a', null, 'a', '7']);
    expect(rows(vectorFromValues(T.int, [3, null, -2]))).toEqual([3, null, -2]);
    expect(rows(vectorFromValues(T.bool, [true, false, null]))).toEqual([true, false, null]);
    expect(rows(vectorFromValues(T.double, [0.5, null]))).toEqual([0.5, null]);
    // 2026-12-06T09:30:00.250Z: 20793 days after 1970-01-01, 09:30:00.25 in microseconds
    expect(rows(vectorFromValues(T.timestamp, ['2026-12-06T09:30:00.250Z']))).toEqual([20793 * 86_400_000_000 + (9.5 * 3600 + 0.25) * 1e6]);
    // DECIMAL and DATE are SQL text: the scaled integer, the day number
    expect(rows(vectorFromValues(T.decimal(10, 2), ['12.34', 5, null]))).toEqual([1234, 500, null]);
    expect(rows(vectorFromValues(T.date, ['1970-01-11']))).toEqual([10]);
    expect(rows(vectorFromValues(T.null, [null, null]))).toEqual([null, null]);
  });
});

describe('gather', () => {
  it('takes the selected rows of every array kind, NULLs and exact bigints with them', () => {
    const sel = Uint32Array.from([4, 0, 3, 3]);
    const kinds: [Vector['type'], Vector['values']][] = [
      [T.smallint, Int16Array.from([1, -2, 3, -4, 5])], [T.int, Int32Array.from([10, 20, 30, 40, 50])],
      [T.double, Float64Array.from([0.5, 1.5, 2.5, 3.5, 4.5])], [T.real, Float32Array.from([1, 2, 3, 4, 5])],
    ];
    for (const [type, values] of kinds) {
      const v: Vector = { type, length: 5, values, valid: Uint8Array.from([1, 1, 1, 0, 1]) };
      const g = gather(v, sel, 4);
      expect(Array.from({ length: 4 }, (_, i) => valueAt(g, i))).toEqual([values[4], values[0], null, null]);
    }
    const big: Vector = { type: T.bigint, length: 3, values: Float64Array.from([1, 2 ** 60, 3]), valid: null, big: [1n, 2n ** 60n + 1n, 3n] };
    expect(Array.from({ length: 2 }, (_, i) => valueAt(gather(big, Uint32Array.from([1, 2]), 2), i))).toEqual([2n ** 60n + 1n, 3n]);
  });
});

describe('usedEntries', () => {
  it('renumbers the first n rows over the entries they use, in order of first use, through a Map or an array alike', () => {
    const whole = stringVector(T.varchar, Array.from({ length: 1000 }, (_, i) => `s${i}`));
    const values = Int32Array.from([999, 7, 999, 3, 500]);
    const valid = Uint8Array.from([1, 1, 1, 0, 1]);
    // 4 rows of a 1,000-entry dictionary (a Map), and the same rows of a 40-entry one (an array)
    const big: Vector = { type: whole.type, length: 5, values, valid, dict: whole.dict };
    const small: Vector = { ...big, values: values.map((c) => c % 40), dict: whole.dict!.slice(0, 40) };
    expect(usedEntries(big, 4)).toEqual({ codes: Int32Array.from([0, 1, 0, 0]), dict: ['s999', 's7'] });
    expect(usedEntries(small)).toEqual({ codes: Int32Array.from([0, 1, 0, 0, 2]), dict: ['s39', 's7', 's20'] });
  });
});
