// CRC32 over a column's logical Arrow buffers and its metadata, so bit rot and torn writes in a
// segment are detected per column (a projection verifies only the columns it reads).
import { Bool, Decimal, Dictionary, Null, Utf8, type Data } from 'apache-arrow';
import { crc32 } from 'node:zlib';
import type { TypedArray } from '../types/types.ts';

export const CRC_KEY = 'strata.crc32';

/** Checksum of one column's data buffers (only the bytes that carry rows, never padding) and metadata. */
export function columnChecksum(d: Data, meta: Map<string, string>): string {
  let crc = dataCrc(d, 0);
  for (const k of [...meta.keys()].sort()) if (k !== CRC_KEY) crc = crc32(`${k}=${meta.get(k)}\n`, crc);
  return crc.toString(16).padStart(8, '0');
}

function dataCrc(d: Data, crc: number): number {
  const n = d.length;
  const bitmapBytes = (n + 7) >> 3;
  if (d.nullCount > 0 && d.nullBitmap) crc = bytes(d.nullBitmap, 0, bitmapBytes, crc);
  if (d.type instanceof Null || n === 0) return dictCrc(d, crc); // empty buffers may be absent on read
  if (d.type instanceof Bool) return bytes(d.values as Uint8Array, 0, bitmapBytes, crc);
  const offsets = d.valueOffsets as Int32Array | undefined;
  if (d.type instanceof Utf8) {
    if (!offsets || offsets.length === 0) return crc32('no offsets', crc);
    crc = elems(offsets, n + 1, crc);
    const end = offsets[Math.min(n, offsets.length - 1)];
    crc = bytes(d.values as Uint8Array, 0, end, crc);
  } else if (d.values) {
    crc = elems(d.values as TypedArray, d.type instanceof Decimal ? n * d.stride : n, crc);
  }
  return dictCrc(d, crc);
}

function dictCrc(d: Data, crc: number): number {
  return d.type instanceof Dictionary && d.dictionary ? dataCrc(d.dictionary.data[0], crc) : crc;
}

function elems(a: TypedArray, count: number, crc: number): number {
  return bytes(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), 0, count * a.BYTES_PER_ELEMENT, crc);
}

function bytes(a: Uint8Array, start: number, end: number, crc: number): number {
  return crc32(a.subarray(start, Math.max(start, end)), crc);
}
