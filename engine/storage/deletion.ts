// Deletion vectors: the sorted row indexes deleted from one immutable segment, stored beside it.
// Format: "SDV1", u32 count, u32 crc32 of the payload, then the gaps between rows as LEB128 varints
// (clustered deletes cost about a byte each). Files are fsynced; the commit makes them visible.
import { readFile } from 'node:fs/promises';
import { crc32 } from 'node:zlib';
import { SqlError } from '../errors.ts';
import { writeFileDurable } from './durable.ts';

const MAGIC = 0x31564453; // "SDV1" little-endian
const HEADER = 12;

/** Writes a deletion vector (row indexes within one segment; sorted and de-duplicated here if needed). */
export async function writeDeletionVector(path: string, rows: Uint32Array): Promise<void> {
  const sorted = sortedUnique(rows);
  const payload = new Uint8Array(sorted.length * 5);
  let o = 0, prev = -1;
  for (let i = 0; i < sorted.length; i++) {
    let gap = sorted[i] - prev - 1; // >= 0 because rows are strictly ascending
    prev = sorted[i];
    while (gap >= 0x80) { payload[o++] = (gap & 0x7f) | 0x80; gap >>>= 7; }
    payload[o++] = gap;
  }
  const out = new Uint8Array(HEADER + o);
  const view = new DataView(out.buffer);
  view.setUint32(0, MAGIC, true);
  view.setUint32(4, sorted.length, true);
  view.setUint32(8, crc32(payload.subarray(0, o)), true);
  out.set(payload.subarray(0, o), HEADER);
  await writeFileDurable(path, out);
}

/** Reads a deletion vector; a missing, truncated or corrupt file is a SqlError naming it. */
export async function readDeletionVector(path: string): Promise<Uint32Array> {
  let buf: Buffer;
  try {
    buf = await readFile(path);
  } catch (e) {
    throw new SqlError('INTERNAL_ERROR', `deletion vector ${path} cannot be read: ${(e as Error).message}`);
  }
  const bad = (why: string) => new SqlError('INTERNAL_ERROR', `deletion vector ${path} is corrupt: ${why}`);
  if (buf.length < HEADER) throw bad('file is truncated');
  const view = new DataView(buf.buffer, buf.byteOffset, buf.length);
  if (view.getUint32(0, true) !== MAGIC) throw bad('bad magic bytes');
  const count = view.getUint32(4, true);
  const payload = buf.subarray(HEADER);
  if (crc32(payload) !== view.getUint32(8, true)) throw bad('checksum mismatch');
  if (count > payload.length) throw bad('row count exceeds payload');
  const rows = new Uint32Array(count);
  let o = 0, prev = -1;
  for (let i = 0; i < count; i++) {
    let gap = 0, shift = 0, b: number;
    do {
      if (o >= payload.length || shift > 28) throw bad('varint runs past the payload');
      b = payload[o++];
      gap += (b & 0x7f) * 2 ** shift;
      shift += 7;
    } while (b & 0x80);
    prev = prev + 1 + gap;
    if (prev > 0xffffffff) throw bad('row index overflows');
    rows[i] = prev;
  }
  if (o !== payload.length) throw bad('trailing bytes after the last row');
  return rows;
}

/** A byte-per-row mask (1 = deleted) for a segment of `length` rows, for scans to AND with. */
export function deletedMask(rows: Uint32Array, length: number): Uint8Array {
  const mask = new Uint8Array(length);
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i];
    if (r >= length) throw new SqlError('INTERNAL_ERROR', `deleted row ${r} is outside a segment of ${length} rows`);
    mask[r] = 1;
  }
  return mask;
}

/** Union of two deletion vectors (a later DELETE adds rows to a segment's existing vector). */
export function unionDeletions(a: Uint32Array, b: Uint32Array): Uint32Array {
  const out = new Uint32Array(a.length + b.length);
  let i = 0, j = 0, n = 0;
  while (i < a.length || j < b.length) {
    const x = j >= b.length || (i < a.length && a[i] <= b[j]) ? a[i++] : b[j++];
    if (n === 0 || out[n - 1] !== x) out[n++] = x;
  }
  return out.slice(0, n);
}

function sortedUnique(rows: Uint32Array): Uint32Array {
  let ok = true;
  for (let i = 1; i < rows.length; i++) if (rows[i] <= rows[i - 1]) { ok = false; break; }
  if (ok) return rows;
  const s = rows.slice().sort();
  let n = 0;
  for (let i = 0; i < s.length; i++) if (n === 0 || s[n - 1] !== s[i]) s[n++] = s[i];
  return s.subarray(0, n);
}
