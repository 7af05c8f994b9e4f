// BIGINT columns on disk are Arrow Int64. In memory a BIGINT vector is a Float64Array plus, for
// the rows past 2^53, the exact value in `Vector.big` (see types/types.ts isWide); these convert
// between the two without a BigInt per row on the common path (values below 2^53).
import type { Vector } from '../types/vector.ts';

const TWO32 = 4294967296;
const MAX_EXACT = 9007199254740991;

/** The rows of a BIGINT vector as int64 (little-endian halves, as Arrow stores them). */
export function toInt64(v: Vector, n: number): BigInt64Array {
  const out = new BigInt64Array(n);
  const halves = new Int32Array(out.buffer);
  const values = v.values, big = v.big;
  for (let i = 0; i < n; i++) {
    const exact = big?.[i];
    if (exact != null) { out[i] = exact; continue; }
    const x = values[i];
    const hi = Math.floor(x / TWO32);
    halves[2 * i] = (x - hi * TWO32) | 0;
    halves[2 * i + 1] = hi;
  }
  return out;
}

/** int64 values to a BIGINT vector's doubles, with the exact values of rows past 2^53. */
export function fromInt64(src: BigInt64Array, n: number): { values: Float64Array; big?: (bigint | null)[] } {
  const halves = new Int32Array(src.buffer, src.byteOffset, 2 * n);
  const values = new Float64Array(n);
  let big: (bigint | null)[] | undefined;
  for (let i = 0; i < n; i++) {
    const x = halves[2 * i + 1] * TWO32 + (halves[2 * i] >>> 0);
    if (x <= MAX_EXACT && x >= -MAX_EXACT) { values[i] = x; continue; }
    const exact = src[i];
    values[i] = Number(exact);
    (big ??= new Array<bigint | null>(n).fill(null))[i] = exact;
  }
  return big ? { values, big } : { values };
}
