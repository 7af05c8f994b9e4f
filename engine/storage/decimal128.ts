// DECIMAL columns on disk are Float64 (the scaled integer, exact below 2^53). A segment of a
// DECIMAL(p>15) column holding values past 2^53 is written as Arrow Decimal128 instead (RAW
// only): in memory such a vector is the nearest doubles plus the exact values past 2^53
// (Vector.big), and these convert between the two without a BigInt per row below 2^53.
import type { Vector } from '../types/vector.ts';

const TWO32 = 4294967296;
const MAX_EXACT = 9007199254740991;

/** The rows of a DECIMAL vector as Decimal128 words (little-endian two's complement, 4 per row). */
export function toDecimal128(v: Vector, n: number): Uint32Array {
  const words = new Uint32Array(n * 4);
  for (let i = 0; i < n; i++) {
    const exact = v.big?.[i];
    if (exact != null) {
      const u = BigInt.asUintN(128, exact);
      for (let k = 0; k < 4; k++) words[i * 4 + k] = Number((u >> BigInt(32 * k)) & 0xffffffffn);
      continue;
    }
    const x = v.values[i];
    const hi = Math.floor(x / TWO32);
    words[i * 4] = x - hi * TWO32;
    words[i * 4 + 1] = hi >>> 0;
    words[i * 4 + 2] = words[i * 4 + 3] = hi < 0 ? 0xffffffff : 0;
  }
  return words;
}

/** Decimal128 words to a DECIMAL vector's doubles, with the exact values of rows past 2^53. */
export function fromDecimal128(words: Uint32Array, n: number): { values: Float64Array; big?: (bigint | null)[] } {
  const values = new Float64Array(n);
  let big: (bigint | null)[] | undefined;
  for (let i = 0; i < n; i++) {
    const b = i * 4, hi = words[b + 1] | 0, ext = hi < 0 ? 0xffffffff : 0;
    // within ±2^53: the high words only extend the sign, and the value is exact as a double
    if (words[b + 2] === ext && words[b + 3] === ext && hi <= 0x1fffff && hi >= -0x200000) {
      const x = hi * TWO32 + words[b];
      if (x <= MAX_EXACT && x >= -MAX_EXACT) { values[i] = x; continue; }
    }
    let u = 0n;
    for (let k = 3; k >= 0; k--) u = (u << 32n) | BigInt(words[b + k]);
    const exact = BigInt.asIntN(128, u);
    values[i] = Number(exact);
    (big ??= new Array<bigint | null>(n).fill(null))[i] = exact;
  }
  return big ? { values, big } : { values };
}
