// Concatenating string vectors: parts gathered from one segment share its whole dictionary, and
// the result keeps only the strings the parts use, each once.
import { describe, expect, it } from 'vitest';
import { concatVectors, stringVector, type Vector } from '../../../engine/types/vector.ts';
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
});
