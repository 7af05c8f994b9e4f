// Conversions between Strata's byte-per-row validity and Arrow's bit-packed bitmaps (LSB first).

/** Counts NULLs in a byte-per-row validity array (null array = no NULLs). */
export function countNulls(valid: Uint8Array | null, length: number): number {
  if (valid === null) return 0;
  let nulls = 0;
  for (let i = 0; i < length; i++) if (valid[i] === 0) nulls++;
  return nulls;
}

/** Packs bytes (non-zero = set) into an LSB-first bitmap of ceil(length/8) bytes; trailing bits are 0. */
export function packBits(bytes: Uint8Array, length: number): Uint8Array {
  const out = new Uint8Array((length + 7) >> 3);
  const whole = length & ~7;
  let i = 0;
  for (; i < whole; i += 8) {
    out[i >> 3] =
      (bytes[i] !== 0 ? 1 : 0) | (bytes[i + 1] !== 0 ? 2 : 0) | (bytes[i + 2] !== 0 ? 4 : 0) |
      (bytes[i + 3] !== 0 ? 8 : 0) | (bytes[i + 4] !== 0 ? 16 : 0) | (bytes[i + 5] !== 0 ? 32 : 0) |
      (bytes[i + 6] !== 0 ? 64 : 0) | (bytes[i + 7] !== 0 ? 128 : 0);
  }
  for (; i < length; i++) if (bytes[i] !== 0) out[i >> 3] |= 1 << (i & 7);
  return out;
}

/** Unpacks an LSB-first bitmap into one byte (0/1) per row. */
export function unpackBits(bits: Uint8Array, length: number): Uint8Array {
  const out = new Uint8Array(length);
  const whole = length & ~7;
  let i = 0;
  for (; i < whole; i += 8) {
    const b = bits[i >> 3];
    if (b === 0) continue;
    out[i] = b & 1; out[i + 1] = (b >> 1) & 1; out[i + 2] = (b >> 2) & 1; out[i + 3] = (b >> 3) & 1;
    out[i + 4] = (b >> 4) & 1; out[i + 5] = (b >> 5) & 1; out[i + 6] = (b >> 6) & 1; out[i + 7] = (b >> 7) & 1;
  }
  for (; i < length; i++) out[i] = (bits[i >> 3] >> (i & 7)) & 1;
  return out;
}
