// packedMap is Array.prototype.map for the slices' hot code (see packed-map.ts): same elements,
// same order, the index passed, a new array every time, and the input left as it was.
import { describe, expect, it } from 'vitest';
import { packedMap, taggedArray } from '../../../engine/types/packed-map.ts';

describe('packedMap', () => {
  it('gives what map gives, element by element with its index', () => {
    const xs = [{ v: 3 }, { v: 1 }, { v: 2 }];
    const f = (x: { v: number }, i: number) => x.v * 10 + i;
    expect(packedMap(xs, f)).toEqual([30, 11, 22]);
    expect(packedMap(xs, f)).toEqual(xs.map(f));
  });

  it('returns a new array and leaves the input alone, empty or holey', () => {
    const empty: number[] = [];
    const out = packedMap(empty, (x) => x);
    expect(out).toEqual([]);
    expect(out).not.toBe(empty);
    const holey = new Array<number>(3);
    holey[0] = 1; holey[2] = 3;
    // a hole reads as undefined (map would skip it and keep the hole)
    expect(packedMap(holey, (x) => x ?? 0)).toEqual([1, 0, 3]);
    expect(1 in holey).toBe(false);
  });

  it('taggedArray is a new empty array each time that takes any value', () => {
    const a = taggedArray<unknown>(), b = taggedArray<unknown>();
    expect(a).toEqual([]);
    expect(a).not.toBe(b);
    a.push(1, 'x', null, { k: 2 }, 2.5);
    expect(a).toEqual([1, 'x', null, { k: 2 }, 2.5]);
    expect(b).toEqual([]);
  });
});
