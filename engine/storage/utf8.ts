// Bulk UTF-8 conversion between Strata string dictionaries and Arrow's offsets + bytes layout.
// Strings are encoded/decoded in bulk and interned by hashing bytes, so no per-row Map or Buffer.
import { Buffer, isAscii } from 'node:buffer';
import { SqlError } from '../errors.ts';

/** Arrow Utf8 buffers: bytes offsets[i]..offsets[i+1] hold string i. */
export interface Utf8Buffers { offsets: Int32Array; bytes: Uint8Array }

const MAX_BYTES = 0x7fffffff;

/** Encodes each string of `strings` as one Arrow Utf8 entry. */
export function encodeStrings(strings: string[]): Utf8Buffers {
  const n = strings.length;
  const offsets = new Int32Array(n + 1);
  const joinedText = strings.join('');
  const joined = Buffer.from(joinedText, 'utf8');
  if (joined.length === joinedText.length) {
    // all ASCII: character lengths are byte lengths, and one native encode did the work
    for (let i = 0; i < n; i++) offsets[i + 1] = offsets[i] + strings[i].length;
    return { offsets, bytes: new Uint8Array(joined.buffer, joined.byteOffset, joined.length) };
  }
  let total = 0;
  for (let i = 0; i < n; i++) {
    total += Buffer.byteLength(strings[i], 'utf8');
    if (total > MAX_BYTES) throw new SqlError('INTERNAL_ERROR', 'string data in one segment column exceeds 2 GiB');
    offsets[i + 1] = total;
  }
  if (joined.length === total) return { offsets, bytes: new Uint8Array(joined.buffer, joined.byteOffset, joined.length) };
  // lone surrogates paired up across strings when joined: encode one by one
  const bytes = Buffer.alloc(total);
  for (let i = 0; i < n; i++) bytes.write(strings[i], offsets[i], 'utf8');
  return { offsets, bytes: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length) };
}

/** Row i's bytes are entry codes[i] of `src`; NULL rows (valid byte 0) are empty. */
export function gatherUtf8(src: Utf8Buffers, codes: Int32Array, valid: Uint8Array | null, n: number): Utf8Buffers {
  const so = src.offsets, sb = src.bytes;
  const offsets = new Int32Array(n + 1);
  let total = 0;
  for (let i = 0; i < n; i++) {
    if (valid === null || valid[i] !== 0) total += so[codes[i] + 1] - so[codes[i]];
    if (total > MAX_BYTES) throw new SqlError('INTERNAL_ERROR', 'string data in one segment column exceeds 2 GiB');
    offsets[i + 1] = total;
  }
  const bytes = new Uint8Array(total);
  for (let i = 0; i < n; i++) {
    let o = offsets[i];
    const end = offsets[i + 1];
    if (o === end) continue;
    for (let k = so[codes[i]]; o < end; k++, o++) bytes[o] = sb[k];
  }
  return { offsets, bytes };
}

/** Checks offsets so a corrupt file cannot index outside its bytes. */
function checkOffsets(offsets: Int32Array, bytes: Uint8Array, count: number): void {
  if (offsets.length < count + 1) throw new Error('string offsets are truncated');
  if (offsets[0] < 0 || offsets[count] > bytes.length) throw new Error('string offsets point outside the data');
  for (let i = 0; i < count; i++) if (offsets[i + 1] < offsets[i]) throw new Error('string offsets are not ascending');
}

/** A function returning string `i` (bytes offsets[i]..offsets[i+1]), decoding the ASCII case once in bulk. */
function stringReader(offsets: Int32Array, bytes: Uint8Array, count: number): (i: number) => string {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, offsets[count]);
  if (isAscii(buf)) {
    const text = buf.toString('latin1');
    return (i) => text.substring(offsets[i], offsets[i + 1]);
  }
  return (i) => buf.toString('utf8', offsets[i], offsets[i + 1]);
}

/** Decodes `count` strings (a dictionary's entries). */
export function decodeUtf8(offsets: Int32Array, bytes: Uint8Array, count: number): string[] {
  checkOffsets(offsets, bytes, count);
  const read = stringReader(offsets, bytes, count);
  const out: string[] = new Array(count);
  for (let i = 0; i < count; i++) out[i] = read(i);
  return out;
}

/**
 * Interns `n` Utf8 rows into codes + a duplicate-free dictionary, hashing bytes in an
 * open-addressing table so only distinct strings become JS strings. NULL rows get code 0.
 */
export function internUtf8(offsets: Int32Array, bytes: Uint8Array, valid: Uint8Array | null, n: number): { codes: Int32Array; dict: string[] } {
  checkOffsets(offsets, bytes, n);
  let cap = 16;
  while (cap < n * 2) cap <<= 1;
  const mask = cap - 1;
  const slots = new Int32Array(cap); // 0 = empty, else code + 1
  const firstRow: number[] = [];
  const codes = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    if (valid !== null && valid[i] === 0) continue;
    const a = offsets[i], b = offsets[i + 1], len = b - a;
    let h = 0x811c9dc5;
    for (let k = a; k < b; k++) h = Math.imul(h ^ bytes[k], 0x01000193);
    let s = (h ^ (h >>> 15)) & mask;
    for (;;) {
      const e = slots[s];
      if (e === 0) {
        slots[s] = firstRow.length + 1;
        codes[i] = firstRow.length;
        firstRow.push(i);
        break;
      }
      const r = firstRow[e - 1], ra = offsets[r];
      if (offsets[r + 1] - ra === len) {
        let k = 0;
        while (k < len && bytes[ra + k] === bytes[a + k]) k++;
        if (k === len) { codes[i] = e - 1; break; }
      }
      s = (s + 1) & mask;
    }
  }
  const read = stringReader(offsets, bytes, n);
  const dict: string[] = new Array(firstRow.length);
  for (let c = 0; c < firstRow.length; c++) dict[c] = read(firstRow[c]);
  return { codes, dict };
}
