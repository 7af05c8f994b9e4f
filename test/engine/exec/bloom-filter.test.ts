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
});
