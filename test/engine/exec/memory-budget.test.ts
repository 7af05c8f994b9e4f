import { describe, it, expect } from 'vitest';
import { MemoryBudget, parseMemorySize, rowsBytes, vectorBytes, defaultQueryMemoryLimit } from '../../../engine/exec/memory-budget.ts';
import { totalmem } from 'node:os';

describe('memory budget', () => {
  it('parses sizes and refuses nonsense', () => {
    expect(parseMemorySize('2GB')).toBe(2 * 1024 ** 3);
    expect(parseMemorySize('512 mb')).toBe(512 * 1024 ** 2);
    expect(parseMemorySize('1.5GB')).toBe(1.5 * 1024 ** 3);
    expect(parseMemorySize(String(64 * 1024 ** 2))).toBe(64 * 1024 ** 2);
    expect(() => parseMemorySize('lots')).toThrow(/invalid memory size "lots"/);
    expect(() => parseMemorySize('10KB')).toThrow(/too small/);
  });

  it('defaults to a quarter of RAM', () => {
    expect(defaultQueryMemoryLimit()).toBe(Math.floor(totalmem() / 4));
  });

  it('reserves, refuses past the limit, releases', () => {
    const b = new MemoryBudget(4 * 1024 * 1024);
    b.reserve(3 * 1024 * 1024, 'a');
    expect(() => b.reserve(2 * 1024 * 1024, 'hash join build')).toThrow(/exceeded its memory limit of 4\.0 MB \(hash join build/);
    b.release(3 * 1024 * 1024);
    b.reserve(4 * 1024 * 1024, 'b');
    expect(b.peakBytes).toBe(5 * 1024 * 1024); // the refused attempt reached 5 MB
  });

  it('many small reservations given back as one sum leave nothing counted (the counter is in KB)', () => {
    const b = new MemoryBudget(4 * 1024 * 1024);
    for (let i = 0; i < 1000; i++) b.reserve(100, 'rows of a slice');
    expect(b.usedBytes).toBe(98 * 1024); // 100,000 bytes, counted in whole KB
    b.release(60_000);
    expect(b.usedBytes).toBe(40 * 1024);
    b.release(40_000);
    expect(b.usedBytes).toBe(0);
    // a share reserved in pieces and given back whole, and more given back than was reserved
    for (let i = 0; i < 10; i++) b.reserve(1500, 'a');
    b.release(1_000_000);
    expect(b.usedBytes).toBe(0);
  });

  it('estimates vectors and rows', () => {
    expect(vectorBytes({ type: { id: 'INTEGER' }, length: 1000, values: new Int32Array(1000), valid: new Uint8Array(1000) })).toBe(5000);
    const dict = Array.from({ length: 10 }, (_, i) => 'x'.repeat(100) + i);
    expect(vectorBytes({ type: { id: 'VARCHAR' }, length: 10, values: new Int32Array(10), valid: null, dict })).toBeGreaterThan(10 * 200);
    const rows = Array.from({ length: 10_000 }, (_, i) => [i, 'abcdefghij']);
    const est = rowsBytes(rows);
    expect(est).toBeGreaterThan(10_000 * 50);
    expect(est).toBeLessThan(10_000 * 200);
  });
});
