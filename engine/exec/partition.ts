// Which slice each row goes to when rows are redistributed by key: the key columns' combined
// hash (hash-table.ts: equal values hash alike whatever their numeric type or dictionary), cut
// into equal ranges by its high bits. The hash tables index buckets by the low bits, so the
// rows a slice receives still spread over all of its table's buckets.
import type { Vector } from '../types/vector.ts';
import { isString } from '../types/types.ts';
import { KeyBatch } from './hash-table.ts';

const TWO_32 = 4294967296;

/** The destination slice of each of the first `n` rows; NULL keys hash like any value, so they stay together. */
export function partitionRows(keys: Vector[], n: number, slices: number): Uint16Array {
  const hashes = new KeyBatch(keys, n, true).hashes;
  const dest = new Uint16Array(n);
  for (let i = 0; i < n; i++) dest[i] = Math.floor((hashes[i] * slices) / TWO_32);
  return dest;
}

/**
 * The slice of each of the first `n` rows by a DISTSTYLE KEY table's placement hash of its key
 * column (how COPY and INSERT place rows; session/write.ts). Rows redistributed to meet a KEY
 * table's rows where they already are use it too. NULLs go to slice 0.
 */
export function placeRows(v: Vector, n: number, slices: number): Uint16Array {
  const dest = new Uint16Array(n);
  for (let r = 0; r < n; r++) dest[r] = placementHash(v, r) % slices;
  return dest;
}

function placementHash(v: Vector, r: number): number {
  if (v.valid && v.valid[r] === 0) return 0;
  if (isString(v.type)) {
    const s = v.dict![v.values[r]];
    let h = 2166136261;
    for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
    return h >>> 0;
  }
  const x = v.values[r];
  const h = Math.imul((x | 0) ^ Math.floor(x / 4294967296), 2654435761) ^ (x * 1000003);
  return (h >>> 0) % 2147483647;
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
