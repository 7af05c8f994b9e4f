// Zone maps inside a segment: min/max per block of rows, computed once when a column enters the
// slice's cache, so a selective filter on a sorted column touches only the blocks it needs.
import type { Vector } from '../types/vector.ts';
import { isString } from '../types/types.ts';
import { rangeMayMatch, type ZonePred } from './fragments.ts';

const zones = new WeakMap<Vector, Float64Array>();

/** [min0, max0, min1, max1, ...] per block of `block` rows (NaN bounds when a block has no values). */
function blockZones(v: Vector, block: number): Float64Array {
  let z = zones.get(v);
  if (z) return z;
  const n = v.length, blocks = Math.ceil(n / block);
  z = new Float64Array(blocks * 2);
  const vals = v.values, valid = v.valid;
  for (let b = 0; b < blocks; b++) {
    let min = Infinity, max = -Infinity;
    const end = Math.min(n, (b + 1) * block);
    for (let i = b * block; i < end; i++) {
      if (valid !== null && valid[i] === 0) continue;
      const x = vals[i];
      if (x < min) min = x;
      if (x > max) max = x;
      if (x !== x) { min = -Infinity; max = Infinity; } // NaN: never prune
    }
    z[2 * b] = min === Infinity ? NaN : min;
    z[2 * b + 1] = max === -Infinity ? NaN : max;
  }
  zones.set(v, z);
  return z;
}

/** False when the block's min/max prove no row passes every predicate (columns in batch order). */
export function blockMayMatch(cols: Vector[], preds: ZonePred[], blockIndex: number, block: number): boolean {
  for (const p of preds) {
    const v = cols[p.col];
    if (!v || isString(v.type) || typeof p.value !== 'number') continue;
    const z = blockZones(v, block);
    const min = z[2 * blockIndex], max = z[2 * blockIndex + 1];
    if (min !== min) return false; // only NULLs: no comparison can be true
    if (!rangeMayMatch(p, min, max)) return false;
  }
  return true;
}

/**
 * Whether block `blockIndex` of `v` may hold a value in [min, max] (a join filter's build key
 * range). A block of only NULLs cannot: a NULL join key matches nothing.
 */
export function blockOverlaps(v: Vector, blockIndex: number, block: number, min: number, max: number): boolean {
  const z = blockZones(v, block);
  const lo = z[2 * blockIndex], hi = z[2 * blockIndex + 1];
  if (lo !== lo) return false;
  return !(hi < min || lo > max);
}
