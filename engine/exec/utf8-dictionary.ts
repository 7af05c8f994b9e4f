// A string column's dictionary as COPY builds it: entries kept as UTF-8 bytes in Arrow's offsets +
// bytes layout, from the file's bytes to the segment's, so no row becomes a JS string. Repeated
// values are found by hashing their bytes; a column whose values rarely repeat (comments) stops
// looking and appends every row as its own entry.
import type { Utf8Buffers } from '../storage/utf8.ts';

/**
 * Interning stops once the dictionary holds more than MIN_ENTRIES values and they are more than
 * DISTINCT_SHARE of the rows so far: such a block is stored plain anyway (storage/choose.ts picks
 * a dictionary only when it pays), while a block of fewer or more repeated values is worth the
 * hashing, which shrinks it on disk.
 */
export const MIN_ENTRIES = 65536;
const DISTINCT_SHARE = 0.9;
const MAX_BYTES = 0x7fffffff;

export class Utf8DictionaryBuilder {
  /** entry i is bytes[offsets[i] .. offsets[i + 1]) */
  private offsets = new Int32Array(1024);
  private bytes = new Uint8Array(1 << 16);
  /** entries so far */
  size = 0;
  /** rows coded so far */
  private rows = 0;
  /** open addressing over entry codes (-1 empty); null once values are known not to repeat */
  private slots: Int32Array | null = new Int32Array(1 << 10).fill(-1);
  /** one-byte values' codes (-1 none yet): flags such as CHAR(1) skip the hash */
  private single = new Int32Array(256).fill(-1);

  /** The code of the value in buf[s, e), adding an entry when it is new. */
  code(buf: Uint8Array, s: number, e: number): number {
    if (this.slots === null || e - s === 1) return this.codeHashed(buf, s, e, 0);
    let h = 2166136261;
    for (let i = s; i < e; i++) h = Math.imul(h ^ buf[i], 16777619);
    return this.codeHashed(buf, s, e, h);
  }

  /** code() when the caller hashed the bytes already (FNV-1a from 2166136261, as code() does). */
  codeHashed(buf: Uint8Array, s: number, e: number, h: number): number {
    this.rows++;
    const slots = this.slots;
    if (slots === null) return this.append(buf, s, e);
    if (e - s === 1) {
      const c = this.single[buf[s]];
      if (c >= 0) return c;
      return (this.single[buf[s]] = this.addInterned(buf, s, e, -1));
    }
    const mask = slots.length - 1, offsets = this.offsets, bytes = this.bytes, len = e - s;
    let slot = (h ^ (h >>> 15)) & mask;
    for (;;) {
      const code = slots[slot];
      if (code < 0) break;
      const a = offsets[code];
      if (offsets[code + 1] - a === len) {
        let j = 0;
        while (j < len && bytes[a + j] === buf[s + j]) j++;
        if (j === len) return code;
      }
      slot = (slot + 1) & mask;
    }
    return this.addInterned(buf, s, e, slot);
  }

  /** Codes of rows whose values were given as JS strings (quoted fields, the slow path). */
  codeString(text: string): number {
    const b = Buffer.from(text, 'utf8');
    return this.code(b, 0, b.length);
  }

  private addInterned(buf: Uint8Array, s: number, e: number, slot: number): number {
    const code = this.append(buf, s, e);
    if (slot >= 0) this.slots![slot] = code;
    const n = this.size;
    // values that rarely repeat: stop hashing, every later row is its own entry
    if (n > MIN_ENTRIES && n > this.rows * DISTINCT_SHARE) this.slots = null;
    else if (n * 2 > this.slots!.length) this.rehash();
    return code;
  }

  /** Adds buf[s, e) as a new entry. */
  private append(buf: Uint8Array, s: number, e: number): number {
    const code = this.size;
    if (code + 2 > this.offsets.length) {
      const o = new Int32Array(this.offsets.length * 2);
      o.set(this.offsets);
      this.offsets = o;
    }
    let at = this.offsets[code];
    const end = at + (e - s);
    if (end > this.bytes.length) {
      if (end > MAX_BYTES) throw new RangeError('string data of one segment column exceeds 2 GiB');
      const b = new Uint8Array(Math.min(MAX_BYTES, Math.max(end, this.bytes.length * 2)));
      b.set(this.bytes.subarray(0, at));
      this.bytes = b;
    }
    const bytes = this.bytes;
    // short values: a loop beats a native copy's call cost
    if (e - s < 64) for (let i = s; i < e; i++) bytes[at++] = buf[i];
    else bytes.set(buf.subarray(s, e), at);
    this.offsets[code + 1] = end;
    this.size = code + 1;
    return code;
  }

  private rehash(): void {
    const slots = new Int32Array(this.slots!.length * 2).fill(-1);
    const mask = slots.length - 1, offsets = this.offsets, bytes = this.bytes;
    for (let code = 0; code < this.size; code++) {
      const a = offsets[code], b = offsets[code + 1];
      if (b - a === 1) continue; // one-byte values live in `single`
      let h = 2166136261;
      for (let i = a; i < b; i++) h = Math.imul(h ^ bytes[i], 16777619);
      let slot = (h ^ (h >>> 15)) & mask;
      while (slots[slot] >= 0) slot = (slot + 1) & mask;
      slots[slot] = code;
    }
    this.slots = slots;
  }

  /** Hands over the entries (the arrays are not copied) and starts an empty dictionary for the next block. */
  take(): Utf8Buffers {
    const n = this.size;
    const out: Utf8Buffers = { offsets: this.offsets.subarray(0, n + 1), bytes: this.bytes.subarray(0, this.offsets[n]) };
    this.offsets = new Int32Array(Math.max(1024, Math.min(this.offsets.length, 1 << 20)));
    this.bytes = new Uint8Array(Math.max(1 << 16, Math.min(this.bytes.length, 1 << 26)));
    this.size = 0;
    this.rows = 0;
    this.slots = new Int32Array(1 << 10).fill(-1);
    this.single.fill(-1);
    return out;
  }
}
