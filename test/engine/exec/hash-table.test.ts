import { describe, expect, it } from 'vitest';
import { KeyBatch, KeyTable, groupIds, hashString, oneNumberKeyHash } from '../../../engine/exec/hash-table.ts';
import { T } from '../../../engine/types/types.ts';
import type { Vector } from '../../../engine/types/vector.ts';

const ints = (xs: (number | null)[]): Vector => ({
  type: T.int, length: xs.length, values: Int32Array.from(xs, (x) => x ?? 0),
  valid: xs.includes(null) ? Uint8Array.from(xs, (x) => (x === null ? 0 : 1)) : null,
});
const doubles = (xs: (number | null)[]): Vector => ({
  type: T.double, length: xs.length, values: Float64Array.from(xs, (x) => x ?? 0),
  valid: xs.includes(null) ? Uint8Array.from(xs, (x) => (x === null ? 0 : 1)) : null,
});
/** A string vector over an explicit dictionary (codes index `dict`; null is NULL). */
const strs = (dict: string[], codes: (number | null)[]): Vector => ({
  type: T.varchar, length: codes.length, values: Int32Array.from(codes, (c) => c ?? 0), dict,
  valid: codes.includes(null) ? Uint8Array.from(codes, (c) => (c === null ? 0 : 1)) : null,
});

const insert = (t: KeyTable, cols: Vector[], nullsEqual: boolean | boolean[] = true) => Array.from(t.insert(new KeyBatch(cols, cols[0].length, nullsEqual)));
const find = (t: KeyTable, cols: Vector[], nullsEqual: boolean | boolean[] = true) => Array.from(t.find(new KeyBatch(cols, cols[0].length, nullsEqual)));

describe('KeyTable', () => {
  it('gives equal keys one id, in order of first appearance, and finds them again', () => {
    const t = new KeyTable(['num']);
    expect(insert(t, [ints([7, 3, 7, 9, 3])])).toEqual([0, 1, 0, 2, 1]);
    expect(t.size).toBe(3);
    expect(find(t, [ints([9, 4, 7])])).toEqual([2, -1, 0]);
    expect([0, 1, 2].map((id) => t.value(0, id))).toEqual([7, 3, 9]);
  });

  it('keeps keys apart when their hashes collide', () => {
    // find two different strings with the same 32-bit hash (birthday bound: ~2^16 tries)
    const seen = new Map<number, string>();
    let pair: [string, string] | null = null;
    for (let i = 0; !pair; i++) {
      const s = `k${i}`, h = hashString(s), other = seen.get(h);
      if (other !== undefined) pair = [other, s];
      else seen.set(h, s);
    }
    expect(hashString(pair[0])).toBe(hashString(pair[1]));
    const t = new KeyTable(['str']);
    expect(insert(t, [strs(pair, [0, 1, 1, 0])])).toEqual([0, 1, 1, 0]);
    expect(find(t, [strs([pair[1], 'zz'], [0, 1])])).toEqual([1, -1]);
  });

  it('agrees with a Map over many keys in a table that starts small and grows', () => {
    let seed = 42;
    const rand = () => { seed = (Math.imul(seed, 1103515245) + 12345) >>> 0; return seed; };
    const t = new KeyTable(['num', 'num'], 1);
    const ref = new Map<string, number>();
    for (let batch = 0; batch < 20; batch++) {
      const a = Array.from({ length: 5000 }, () => rand() % 3000);
      const b = Array.from({ length: 5000 }, () => (rand() % 50) / 4);
      const ids = insert(t, [ints(a), doubles(b)]);
      const want = a.map((x, i) => {
        const k = `${x}|${b[i]}`;
        if (!ref.has(k)) ref.set(k, ref.size);
        return ref.get(k);
      });
      expect(ids).toEqual(want);
    }
    expect(t.size).toBe(ref.size);
    expect(t.size).toBeGreaterThan(50_000);
  });

  it('one numeric key column (the fast path) agrees with a Map as it grows, past 2^53 by exact value, and after a NULL key arrives', () => {
    let seed = 7;
    const rand = () => { seed = (Math.imul(seed, 1103515245) + 12345) >>> 0; return seed; };
    const t = new KeyTable(['num'], 1);
    const ref = new Map<string, number>();
    const idOf = (k: string) => { if (!ref.has(k)) ref.set(k, ref.size); return ref.get(k)!; };
    for (let batch = 0; batch < 6; batch++) {
      const xs = Array.from({ length: 20_000 }, () => (rand() % 30_000) - 15_000);
      expect(insert(t, [doubles(xs)])).toEqual(xs.map((x) => idOf(String(x))));
      expect(find(t, [doubles([xs[3], 0.5])])).toEqual([ref.get(String(xs[3])), -1]);
    }
    // 2^53 + 2 and 2^53 + 3 share a double: BIGINT keys past 2^53 compare by their exact value
    const exact = [2n ** 53n + 2n, 2n ** 53n + 3n, 2n ** 53n + 2n];
    const wide: Vector = { type: T.bigint, length: 3, values: Float64Array.from(exact, Number), valid: null, big: exact };
    expect(insert(t, [wide])).toEqual(exact.map((x) => idOf(String(x))));
    // a NULL key: the table then compares through the general path, and NULLs group together
    expect(insert(t, [doubles([null, 5, null])])).toEqual([idOf('null'), idOf('5'), idOf('null')]);
    expect(find(t, [doubles([5, null])])).toEqual([ref.get('5'), ref.get('null')]);
    expect(t.size).toBe(ref.size);
  });

  it('tells (a, b) from (b, a) in multi-column keys', () => {
    const t = new KeyTable(['num', 'str']);
    const ids = insert(t, [ints([1, 2, 1, 2]), strs(['1', '2'], [1, 0, 1, 0])]);
    expect(ids).toEqual([0, 1, 0, 1]);
    const t2 = new KeyTable(['num', 'num']);
    expect(insert(t2, [ints([1, 2]), ints([2, 1])])).toEqual([0, 1]);
  });

  it('groups NULLs together, or skips rows with NULL keys for joins', () => {
    const t = new KeyTable(['num']);
    expect(insert(t, [ints([null, 1, null, 0])], true)).toEqual([0, 1, 0, 2]);
    expect(t.value(0, 0)).toBeNull();
    const j = new KeyTable(['num', 'num']);
    expect(insert(j, [ints([1, null, 1]), ints([5, 5, null])], false)).toEqual([0, -1, -1]);
    expect(find(j, [ints([1, null]), ints([5, 5])], false)).toEqual([0, -1]);
    // NULL matches NULL only in the parts marked (IS NOT DISTINCT FROM)
    const m = new KeyTable(['num', 'num']);
    expect(insert(m, [ints([1, null, 1]), ints([null, 5, null])], [false, true])).toEqual([0, -1, 0]);
    expect(find(m, [ints([1, 1]), ints([null, 5])], [false, true])).toEqual([0, -1]);
  });

  it('treats -0 as 0 and every NaN as one value', () => {
    const otherNaN = new Float64Array(new Uint32Array([1, 0x7ff00000]).buffer)[0];
    expect(Number.isNaN(otherNaN)).toBe(true);
    const t = new KeyTable(['num']);
    expect(insert(t, [doubles([0, -0, NaN, otherNaN, 1.5, -1.5])])).toEqual([0, 0, 1, 1, 2, 3]);
    expect(find(t, [doubles([-0, 0 / 0])])).toEqual([0, 1]);
  });

  it('matches integers against equal doubles (INTEGER joined with DOUBLE)', () => {
    const t = new KeyTable(['num']);
    insert(t, [ints([3, -4, 2 ** 31 - 1])]);
    expect(find(t, [doubles([3, -4, 2 ** 31 - 1, 3.5, 2 ** 31])])).toEqual([0, 1, 2, -1, -1]);
  });

  it('matches strings across different dictionaries by their text', () => {
    const t = new KeyTable(['str']);
    expect(insert(t, [strs(['x', 'y'], [0, 1, 0])])).toEqual([0, 1, 0]);
    // another segment's dictionary: different codes for the same strings
    expect(insert(t, [strs(['y', 'z', 'x'], [0, 1, 2, null])])).toEqual([1, 2, 0, 3]);
    expect(find(t, [strs(['z', 'x', 'w'], [0, 1, 2])])).toEqual([2, 0, -1]);
    expect(t.value(0, 3)).toBeNull();
  });

  it('reads only the selected rows', () => {
    const t = new KeyTable(['num']);
    const ids = t.insert(new KeyBatch([ints([5, 6, 7, 6])], 2, true, Uint32Array.from([3, 2])));
    expect(Array.from(ids)).toEqual([0, 1]);
    expect([t.value(0, 0), t.value(0, 1)]).toEqual([6, 7]);
  });

  it('groupIds numbers the groups of a batch', () => {
    expect(groupIds([strs(['a', 'b'], [1, 0, 1, null, null])], 5)).toEqual({ ids: Int32Array.from([0, 1, 0, 2, 2]), groups: 3 });
  });

  it('oneNumberKeyHash is the hash KeyBatch gives a one-column numeric key (join filters rely on it)', () => {
    const xs = [0, -0, 1, -5, 2147483647, -2147483648, 2 ** 40, 2 ** 53 + 2, 1.5, -1e300, NaN];
    const kb = new KeyBatch([doubles(xs)], xs.length);
    expect(xs.map(oneNumberKeyHash)).toEqual(Array.from(kb.hashes));
    // INTEGER and DOUBLE columns holding the same values hash alike
    expect(Array.from(new KeyBatch([ints([3, -7])], 2).hashes)).toEqual([3, -7].map(oneNumberKeyHash));
    expect(new Set(xs.map(oneNumberKeyHash)).size).toBe(xs.length - 1); // only 0 and -0 meet
  });
});

describe('KeyTable.findColumn', () => {
  it('finds the ids find() finds over a KeyBatch, for every array kind, through a selection, with NULLs and odd doubles', () => {
    const keys = [0, 1, -1, 7, 1000, 65535, -70000, 2 ** 31 - 1, -(2 ** 31), 2 ** 31, 2 ** 40, 0.5, -7.25, NaN, 2 ** 53, 2 ** 53 + 2, -1e300];
    const t = new KeyTable(['num']);
    insert(t, [doubles(keys)], false);
    const probe = [...keys, -0, 3, 2 ** 53 + 4, 1e300, -0.5, 12, 1001];
    const kinds = [Int8Array, Uint8Array, Int16Array, Uint16Array, Int32Array, Float32Array, Float64Array];
    for (const Kind of kinds) {
      const values = Kind.from(probe);
      const valid = Uint8Array.from(probe, (_, i) => (i % 5 === 3 ? 0 : 1));
      for (const v of [null, valid]) {
        const vec: Vector = { type: Kind === Float64Array || Kind === Float32Array ? T.double : T.int, length: probe.length, values, valid: v };
        const sel = Uint32Array.from({ length: probe.length }, (_, i) => (i * 7) % probe.length);
        for (const s of [null, sel]) {
          const out = new Int32Array(probe.length);
          expect(t.findColumn(vec, s, probe.length, out)).toBe(true);
          const want = Array.from(t.find(new KeyBatch([vec], probe.length, false, s)));
          expect(Array.from(out), Kind.name).toEqual(want);
          // it finds keys, and not every row (never blind)
          expect(want.filter((id) => id >= 0).length).toBeGreaterThan(3);
          expect(want.filter((id) => id < 0).length).toBeGreaterThan(0);
        }
      }
    }
  });

  it('leaves strings, several columns, stored NULL keys and exact bigints to find()', () => {
    const out = new Int32Array(3);
    const s = new KeyTable(['str']);
    insert(s, [strs(['a'], [0])]);
    expect(s.findColumn(strs(['a'], [0, 0, 0]), null, 3, out)).toBe(false);
    const n = new KeyTable(['num']);
    insert(n, [ints([1, null])]);
    expect(n.findColumn(ints([1, 2, 3]), null, 3, out)).toBe(false);
    const ok = new KeyTable(['num']);
    insert(ok, [ints([1, 2])]);
    const big: Vector = { ...doubles([2 ** 53, 1, 2]), big: [2n ** 53n + 1n, null, null] };
    expect(ok.findColumn(big, null, 3, out)).toBe(false);
  });
});

describe('two numeric key columns', () => {
  it('give equal pairs one id in order of first appearance, and find them again, as a reference map does', () => {
    const odd = [0, -0, 1, NaN, 2 ** 53, 2 ** 53 + 2, 0.5, -3, 2 ** 31];
    const n = 5000;
    const xs = Array.from({ length: n }, (_, i) => (i % 50 === 7 ? odd[i % odd.length] : (i * 7919) % 300));
    const ys = Array.from({ length: n }, (_, i) => (i % 61 === 5 ? odd[(i >> 3) % odd.length] : (i * 104729) % 40));
    const name = (x: number) => (Object.is(x, -0) ? '0' : String(x));
    const ref = new Map<string, number>();
    const want = xs.map((x, i) => { const k = `${name(x)}|${name(ys[i])}`; if (!ref.has(k)) ref.set(k, ref.size); return ref.get(k)!; });
    const t = new KeyTable(['num', 'num'], 4); // grows and rehashes on the way
    const ids = insert(t, [doubles(xs), doubles(ys)], false);
    expect(ids).toEqual(want);
    expect(t.size).toBe(ref.size);
    expect(ref.size).toBeGreaterThan(500);
    // probes: the same pairs swapped round (mostly absent) and the pairs themselves
    const px = [...ys, ...xs], py = [...xs, ...ys];
    const found = find(t, [doubles(px), doubles(py)], false);
    expect(found).toEqual(px.map((x, i) => ref.get(`${name(x)}|${name(py[i])}`) ?? -1));
    expect(found.filter((id) => id < 0).length).toBeGreaterThan(100);
  });
});

describe('keys whose hashes collide', () => {
  it('stay apart: one and two numeric columns compare every column, not just the hash', () => {
    // a pair of keys with one 32-bit hash, found by the birthday bound among 300,000
    const collide = (cols: (i: number) => number[]) => {
      const n = 300_000, width = cols(0).length;
      const vecs = Array.from({ length: width }, (_, c) => doubles(Array.from({ length: n }, (_, i) => cols(i)[c])));
      const hs = new KeyBatch(vecs, n, false).hashes;
      const seen = new Map<number, number>();
      for (let i = 0; i < n; i++) { const j = seen.get(hs[i]); if (j !== undefined) return [cols(j), cols(i)]; seen.set(hs[i], i); }
      throw new Error('no collision');
    };
    // fractions of full mantissas (int32 values hash one to one); one column equal, so both must be compared
    const f = (i: number) => i / 7 + 0.001;
    for (const cols of [(i: number) => [f(i)], (i: number) => [7, f(i)], (i: number) => [f(i), 7]]) {
      const [a, b] = collide(cols);
      const t = new KeyTable(a.map(() => 'num' as const));
      const rows = (k: number[][]) => a.map((_, c) => doubles(k.map((r) => r[c])));
      expect(insert(t, rows([a, b, a, b]), false)).toEqual([0, 1, 0, 1]);
      expect(find(t, rows([b, a]), false)).toEqual([1, 0]);
    }
  });
});
