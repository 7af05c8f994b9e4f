// Which slice each row goes to when rows are redistributed by key: the key columns' combined
// hash (hash-table.ts: equal values hash alike whatever their numeric type or dictionary), cut
// into equal ranges by its high bits. The hash tables index buckets by the low bits, so the
// rows a slice receives still spread over all of its table's buckets.
import type { Vector } from '../types/vector.ts';
import { KeyBatch } from './hash-table.ts';

const TWO_32 = 4294967296;

/** The destination slice of each of the first `n` rows; NULL keys hash like any value, so they stay together. */
export function partitionRows(keys: Vector[], n: number, slices: number): Uint16Array {
  const hashes = new KeyBatch(keys, n, true).hashes;
  const dest = new Uint16Array(n);
  for (let i = 0; i < n; i++) dest[i] = Math.floor((hashes[i] * slices) / TWO_32);
  return dest;
}

/** Row numbers per destination, in row order. */
export function rowsByDestination(dest: Uint16Array, slices: number): Uint32Array[] {
  const counts = new Uint32Array(slices);
  for (let i = 0; i < dest.length; i++) counts[dest[i]]++;
  const out = Array.from(counts, (c) => new Uint32Array(c));
  const at = new Uint32Array(slices);
  for (let i = 0; i < dest.length; i++) { const d = dest[i]; out[d][at[d]++] = i; }
  return out;
}
