// The split-block Bloom filter of join filter pushdown: never a false negative, a false positive
// rate near what 10 bits per key promise, and merging as the union of two key sets.
import { describe, expect, it } from 'vitest';
import { BloomFilter } from '../../../engine/exec/bloom-filter.ts';
import { hashNumber, oneNumberKeyHash } from '../../../engine/exec/hash-table.ts';
import { bloomProbe } from '../../../engine/exec/bloom-probe.ts';

const hashes = (from: number, n: number) => Array.from({ length: n }, (_, i) => hashNumber(from + i));

describe('BloomFilter', () => {
  it('holds every key added and rejects most others', () => {
    const f = BloomFilter.forKeys(50_000);
    const keys = hashes(0, 50_000);
    for (const h of keys) f.add(h);
    expect(keys.every((h) => f.mayContain(h))).toBe(true);
    const others = hashes(1_000_000, 200_000);
    const rate = others.filter((h) => f.mayContain(h)).length / others.length;
    // a split-block filter at 10 bits a key: about 1.5 % (0 would mean it rejects keys blindly)
    expect(rate).toBeGreaterThan(0.001);
    expect(rate).toBeLessThan(0.04);
    expect(f.bytes).toBe(Math.ceil((50_000 * 10) / 256) * 32);
  });

  it('merges two filters of one size into the union of their keys', () => {
    const a = BloomFilter.forKeys(1000), b = BloomFilter.forKeys(1000);
    const ka = hashes(0, 1000), kb = hashes(5000, 1000);
    ka.forEach((h) => a.add(h));
    kb.forEach((h) => b.add(h));
    expect(kb.filter((h) => a.mayContain(h)).length).toBeLessThan(100);
    a.merge(b);
    expect([...ka, ...kb].every((h) => a.mayContain(h))).toBe(true);
    expect(() => a.merge(BloomFilter.forKeys(100_000))).toThrow(/different sizes/);
  });

  it('folds a filter sized for more keys into a smaller one that still holds them all', () => {
    const big = BloomFilter.foldableForKeys(40_000), small = BloomFilter.foldableForKeys(5000);
    expect(big.blockCount).toBe(2048); // 40,000 keys at 10 bits: 1563 blocks, rounded up to a power of two
    expect(small.blockCount).toBe(256);
    const kb = hashes(0, 3000), ks = hashes(10_000, 3000);
    kb.forEach((h) => big.add(h));
    ks.forEach((h) => small.add(h));
    const folded = big.fold(small.blockCount);
    expect(folded.blockCount).toBe(256);
    folded.merge(small);
    expect([...kb, ...ks].every((h) => folded.mayContain(h))).toBe(true);
    // 6000 keys in a filter sized for 5000 still rejects most others
    const others = hashes(1_000_000, 50_000);
    expect(others.filter((h) => folded.mayContain(h)).length / others.length).toBeLessThan(0.06);
    expect(() => small.fold(big.blockCount)).toThrow(/power of two/);
  });
});

describe('bloomProbe', () => {
  it('keeps exactly the rows mayContain(oneNumberKeyHash) keeps, for every array kind, with a selection and NULLs', () => {
    const f = BloomFilter.forKeys(300);
    for (let k = 0; k < 300; k++) f.add(oneNumberKeyHash(k * 3));
    const xs = Array.from({ length: 2000 }, (_, i) => i - 300);
    const odd = [-0, 0.5, -7.25, NaN, 2 ** 40, 2 ** 53 + 2, -1e300, 2 ** 31, -(2 ** 31)];
    f.add(oneNumberKeyHash(2 ** 40)); f.add(oneNumberKeyHash(0.5));
    const sel = Uint32Array.from({ length: 700 }, (_, i) => (i * 7) % 2000);
    const valid = Uint8Array.from(xs, (_, i) => (i % 13 === 0 ? 0 : 1));
    const kinds = [Int8Array, Uint8Array, Int16Array, Uint16Array, Int32Array, Float32Array, Float64Array];
    for (const Kind of kinds) {
      const vals = Kind.from([...xs, ...odd]);
      const n = vals.length;
      const want = (rows: number[], v: Uint8Array | null) => rows.filter((r) => (v === null || v[r] === 1) && f.mayContain(oneNumberKeyHash(vals[r])));
      const out = new Uint32Array(n);
      const all = Array.from({ length: n }, (_, i) => i);
      const kept = bloomProbe(vals, null, null, n, f.words, out);
      expect(Array.from(out.subarray(0, kept))).toEqual(want(all, null));
      const v = Uint8Array.from({ length: n }, (_, i) => (i < 2000 ? valid[i] : 1));
      const keptSel = bloomProbe(vals, v, sel, sel.length, f.words, out);
      expect(Array.from(out.subarray(0, keptSel))).toEqual(want(Array.from(sel), v));
      // it keeps some rows and drops others (never blind)
      expect(kept).toBeGreaterThan(50);
      expect(kept).toBeLessThan(n / 2);
    }
  });
});
