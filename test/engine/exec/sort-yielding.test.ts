import { describe, it, expect } from 'vitest';
import { sortBatch, sortBatchYielding } from '../../../engine/exec/batch-sort.ts';
import type { Batch } from '../../../engine/types/vector.ts';

describe('sortBatchYielding', () => {
  it('orders a batch larger than a chunk exactly as sortBatch does, while other callbacks run', async () => {
    let seed = 7;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
    const n = 200_000;
    const k = new Int32Array(n), v = new Float64Array(n), valid = new Uint8Array(n).fill(1);
    for (let i = 0; i < n; i++) { k[i] = Math.floor(rnd() * 1000); v[i] = rnd(); if (rnd() < 0.01) valid[i] = 0; }
    const b: Batch = { length: n, columns: [
      { type: { id: 'INTEGER' }, length: n, values: k, valid },
      { type: { id: 'DOUBLE PRECISION' }, length: n, values: v, valid: null },
    ] };
    const keys = [
      { expr: { k: 'col', index: 0, type: { id: 'INTEGER' } }, desc: true, nullsFirst: false },
      { expr: { k: 'col', index: 1, type: { id: 'DOUBLE PRECISION' } }, desc: false, nullsFirst: false },
    ] as Parameters<typeof sortBatch>[1];
    let ran = 0;
    const timer = setInterval(() => ran++, 0);
    const got = await sortBatchYielding(b, keys, () => {});
    clearInterval(timer);
    const want = sortBatch(b, keys);
    expect(Array.from(got.columns[0].values)).toEqual(Array.from(want.columns[0].values));
    expect(Array.from(got.columns[1].values)).toEqual(Array.from(want.columns[1].values));
    expect(Array.from(got.columns[0].valid!)).toEqual(Array.from(want.columns[0].valid!));
    expect(ran).toBeGreaterThan(0); // the event loop ran during the sort
  });
});
