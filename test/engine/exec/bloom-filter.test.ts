// The register-blocked Bloom filter of join filter pushdown: never a false negative, a false
// positive rate near what its 10–20 bits a key promise, merging as the union of two key sets,
// folding to a smaller size, and the generated probe loop agreeing with rawKeyHash + mayContain.
import { describe, expect, it } from 'vitest';
import { BloomFilter, rawKeyHash } from '../../../engine/exec/bloom-filter.ts';
import { hashNumber } from '../../../engine/exec/hash-table.ts';
import { bloomProbe } from '../../../engine/exec/bloom-probe.ts';

const hashes = (from: number, n: number) => Array.from({ length: n }, (_, i) => hashNumber(from + i));
const rate = (f: BloomFilter, hs: number[]) => hs.filter((h) => f.mayContain(h)).length / hs.length;

describe('BloomFilter', () => {
  it('holds every key added and rejects most others, for join key hashes and raw integer keys', () => {
    const f = BloomFilter.forKeys(50_000);
    // 50,000 keys at 10 bits: 15,625 words, rounded up to a power of two
    expect(f.wordCount).toBe(16_384);
    const keys = hashes(0, 50_000);
    for (const h of keys) f.add(h);
    expect(keys.every((h) => f.mayContain(h))).toBe(true);
    // about 1 % (0 would mean it rejects keys blindly)
    const fp = rate(f, hashes(1_000_000, 200_000));
    expect(fp).toBeGreaterThan(0.001);
    expect(fp).toBeLessThan(0.03);
    // raw keys as TPC-H's order keys run (dense runs with gaps): 150,000 of them, then others
    const raw = BloomFilter.forKeys(150_000);
    const ks = Array.from({ length: 150_000 }, (_, i) => 32 * (i >> 3) + (i & 7));
    for (const k of ks) raw.add(rawKeyHash(k));
    expect(ks.every((k) => raw.mayContain(rawKeyHash(k)))).toBe(true);
    const others = Array.from({ length: 100_000 }, (_, i) => 32 * (i >> 3) + 8 + (i & 7));
    const fpRaw = rate(raw, others.map(rawKeyHash));
    expect(fpRaw).toBeGreaterThan(0.001);
    expect(fpRaw).toBeLessThan(0.03);
  });

  it('hashes equal numbers alike whatever their form: -0 and 0, ints and their doubles, NaN', () => {
    expect(rawKeyHash(-0)).toBe(rawKeyHash(0));
    expect(rawKeyHash(7)).toBe(rawKeyHash(7.0));
    expect(rawKeyHash(NaN)).toBe(rawKeyHash(Number.NaN));
    expect(rawKeyHash(2 ** 31)).not.toBe(rawKeyHash(0));
    expect(rawKeyHash(0.5)).not.toBe(rawKeyHash(0));
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
    const big = BloomFilter.forKeys(40_000), small = BloomFilter.forKeys(5000);
    expect(big.wordCount).toBe(16_384); // 40,000 keys at 10 bits: 12,500 words, rounded up to a power of two
    expect(small.wordCount).toBe(2048);
    const kb = hashes(0, 3000), ks = hashes(10_000, 3000);
    kb.forEach((h) => big.add(h));
    ks.forEach((h) => small.add(h));
    const folded = big.fold(small.wordCount);
    expect(folded.wordCount).toBe(2048);
    folded.merge(small);
    expect([...kb, ...ks].every((h) => folded.mayContain(h))).toBe(true);
    // 6000 keys in a filter sized for 5000 still rejects most others
    expect(rate(folded, hashes(1_000_000, 50_000))).toBeLessThan(0.06);
    expect(() => small.fold(big.wordCount)).toThrow(/power of two/);
    expect(() => new BloomFilter(new Int32Array(12))).toThrow(/power of two/);
  });
});

describe('bloomProbe', () => {
  it('keeps exactly the rows mayContain(rawKeyHash) keeps, for every array kind, with a selection and NULLs', () => {
    const f = BloomFilter.forKeys(300);
    for (let k = 0; k < 300; k++) f.add(rawKeyHash(k * 3));
    const xs = Array.from({ length: 2000 }, (_, i) => i - 300);
    const odd = [-0, 0.5, -7.25, NaN, 2 ** 40, 2 ** 53 + 2, -1e300, 2 ** 31, -(2 ** 31)];
    f.add(rawKeyHash(2 ** 40)); f.add(rawKeyHash(0.5));
    const sel = Uint32Array.from({ length: 700 }, (_, i) => (i * 7) % 2000);
    const valid = Uint8Array.from(xs, (_, i) => (i % 13 === 0 ? 0 : 1));
    const kinds = [Int8Array, Uint8Array, Int16Array, Uint16Array, Int32Array, Float32Array, Float64Array];
    for (const Kind of kinds) {
      const vals = Kind.from([...xs, ...odd]);
      const n = vals.length;
      const want = (rows: number[], v: Uint8Array | null) => rows.filter((r) => (v === null || v[r] === 1) && f.mayContain(rawKeyHash(vals[r])));
      const out = new Uint32Array(n);
      const all = Array.from({ length: n }, (_, i) => i);
      const kept = bloomProbe(vals, null, null, n, f.words, f.shift, out);
      expect(Array.from(out.subarray(0, kept))).toEqual(want(all, null));
      // every key added that the array kind can hold is kept
      const keptRows = new Set(out.subarray(0, kept));
      const stored = all.filter((r) => Number.isInteger(vals[r]) && vals[r] % 3 === 0 && vals[r] >= 0 && vals[r] < 900);
      expect(stored.length).toBeGreaterThan(0);
      expect(stored.every((r) => keptRows.has(r))).toBe(true);
      const v = Uint8Array.from({ length: n }, (_, i) => (i < 2000 ? valid[i] : 1));
      const keptSel = bloomProbe(vals, v, sel, sel.length, f.words, f.shift, out);
      expect(Array.from(out.subarray(0, keptSel))).toEqual(want(Array.from(sel), v));
      // it keeps some rows and drops others (never blind)
      expect(kept).toBeGreaterThan(50);
      expect(kept).toBeLessThan(n / 2);
    }
  });
});
