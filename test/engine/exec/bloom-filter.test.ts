// The split-block Bloom filter of join filter pushdown: never a false negative, a false positive
// rate near what 10 bits per key promise, and merging as the union of two key sets.
import { describe, expect, it } from 'vitest';
import { BloomFilter } from '../../../engine/exec/bloom-filter.ts';
import { hashNumber } from '../../../engine/exec/hash-table.ts';

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
