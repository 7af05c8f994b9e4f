// A join filter on a key of several columns also tests each bare numeric key column alone
// (ColumnBloom in runtime-filter.ts) before hashing the whole key. These tests give the whole
// key's Bloom filter every bit set, so whatever a filter removes, its column's own filter
// removed: it keeps every row whose column value is a build value, drops nearly all others,
// and once it has seen enough rows that mostly pass, it stops testing.
import { describe, expect, it } from 'vitest';
import { RuntimeFilter, type FilterParts } from '../../../engine/exec/runtime-filter.ts';
import { BloomFilter, keyBits, rawKeyHash } from '../../../engine/exec/bloom-filter.ts';
import type { JoinFilterSpec, JoinStep } from '../../../engine/exec/fragment.ts';
import type { Batch } from '../../../engine/types/vector.ts';
import type { SqlType } from '../../../engine/types/types.ts';

const INTEGER: SqlType = { id: 'INTEGER' };

/** A join filter on (column 0, column 1) of the batch, both bare INTEGER columns. */
const spec: JoinFilterSpec = {
  join: {} as JoinStep,
  keys: [{ k: 'col', index: 0, type: INTEGER }, { k: 'col', index: 1, type: INTEGER }],
  zoneCols: [0, 1],
};

/** A Bloom filter of `values` hashed from their numbers, as the build side makes a column's. */
function columnWords(values: number[]): Int32Array {
  const bloom = BloomFilter.forKeys(values.length);
  for (const v of values) { const h = rawKeyHash(v); bloom.words[h >>> bloom.shift] |= keyBits(h); }
  return bloom.words;
}

/** Parts whose whole-key filter passes everything and whose first column's filter holds `firstColumn`. */
function parts(firstColumn: number[]): FilterParts {
  const all = BloomFilter.forKeys(firstColumn.length).words.fill(-1);
  return { keys: firstColumn.length, ranges: [null, null], words: all, columns: [columnWords(firstColumn), null] };
}

function batch(first: number[]): Batch {
  const n = first.length;
  const col = (f: (i: number) => number) => ({ type: INTEGER, length: n, values: Int32Array.from({ length: n }, (_, i) => f(i)), valid: null });
  return { length: n, columns: [col((i) => first[i]), col((i) => i % 7)] };
}

/** The first-column values of the rows a filter keeps. */
function kept(filter: RuntimeFilter, b: Batch): number[] {
  const { sel, count } = filter.filter(b, null, b.length);
  const values = b.columns[0].values;
  return Array.from({ length: count }, (_, i) => values[sel ? sel[i] : i]);
}

const range = (from: number, n: number): number[] => Array.from({ length: n }, (_, i) => from + i);

describe('a key column\'s own Bloom filter', () => {
  it('keeps every row whose column value is a build value and drops nearly all the others', () => {
    const build = range(0, 200).map((i) => i * 50); // 0, 50, ..., 9950
    const filter = new RuntimeFilter(spec, parts(build), 0, 1_000_000);
    const probe = range(0, 20_000);
    const got = kept(filter, batch(probe));
    const builds = new Set(build);
    // no false negative
    expect(got.filter((v) => builds.has(v))).toEqual(build);
    // the others are false positives only: a Bloom filter sized for 200 keys passes well under 5%
    expect(got.length - build.length).toBeLessThan(0.05 * (probe.length - build.length));
    expect(filter.counters.bloomRows).toBe(probe.length - got.length);
  });

  it('tests the rows the scan selected, and only those', () => {
    const filter = new RuntimeFilter(spec, parts([3, 5]), 0, 1_000_000);
    const b = batch(range(0, 10));
    const { sel, count } = filter.filter(b, Uint32Array.from([1, 3, 5, 7]), 4);
    expect(Array.from(sel!.subarray(0, count))).toEqual([3, 5]);
  });

  it('stops testing once it has seen enough rows and kept most of them', () => {
    const build = range(0, 1_000);
    const outside = batch(range(100_000, 10_000));
    // a control that never saw passing rows removes nearly every row outside the build values
    const control = new RuntimeFilter(spec, parts(build), 0, 1_000_000);
    expect(kept(control, outside).length).toBeLessThan(500);
    // 70,000 rows whose values all pass: past the 65,536-row sample and the 80% pass rate
    const filter = new RuntimeFilter(spec, parts(build), 0, 1_000_000);
    expect(kept(filter, batch(range(0, 70_000).map((i) => i % 1_000))).length).toBe(70_000);
    // switched off, it keeps them all (the whole key's filter passes everything here)
    expect(kept(filter, outside).length).toBe(10_000);
    expect(filter.counters.bloomOff).toBe('pass rate');
  });
});
