// GROUP BY over dictionary-coded string columns with few code combinations (Q1's returnflag x
// linestatus): each row's codes index a dense array of group ids built for the batch's
// dictionaries, so the hash table sees each combination once per set of dictionaries (a segment)
// instead of hashing every row.
import type { Vector } from '../types/vector.ts';

/** Most combinations (product of dictionary sizes, each + 1 for NULL) the dense array takes. */
export const DIRECT_GROUP_LIMIT = 1 << 16;

export class DictGroupIds {
  private dicts: string[][] = [];
  private sizes: number[] = [];
  private map: Int32Array | null = null;
  /** what ids() returns, reused batch after batch (the caller reads it before the next call) */
  private buf = new Int32Array(0);

  /**
   * The group id of each selected row (`sel`'s first `count` entries, or rows 0..count-1), or
   * null when the dictionaries have too many combinations. `resolve(rows)` returns the group ids
   * of rows (batch positions); it is called with one row per combination not seen before.
   * The array returned is this object's and is overwritten by the next call.
   */
  ids(keys: Vector[], sel: Uint32Array | null, count: number, resolve: (rows: Uint32Array) => Int32Array): Int32Array | null {
    if (!this.sameDicts(keys) && !this.reset(keys)) return null;
    const map = this.map!;
    if (this.buf.length < count) this.buf = new Int32Array(Math.max(count, 1024));
    const out = this.buf.subarray(0, count);
    // the combination index of each row: codes in mixed radix, NULL as the last code of its column
    if (keys.length === 2 && keys[0].valid === null && keys[1].valid === null) {
      combineTwo(out, keys[0].values as Int32Array, keys[1].values as Int32Array, this.sizes[1], sel, count);
    } else {
      out.fill(0);
      for (let c = 0; c < keys.length; c++) {
        const codes = keys[c].values as Int32Array, valid = keys[c].valid, size = this.sizes[c];
        if (valid !== null) addNullableCodes(out, codes, valid, size, sel, count);
        else if (sel !== null) for (let j = 0; j < count; j++) out[j] = out[j] * size + codes[sel[j]];
        else for (let j = 0; j < count; j++) out[j] = out[j] * size + codes[j];
      }
    }
    // to group ids; a combination without one yet (-1) shows in the sign of `missing`
    let missing = 0;
    for (let j = 0; j < count; j++) {
      const g = map[out[j]];
      missing |= g;
      out[j] = g;
    }
    if (missing < 0) this.resolveMissing(keys, sel, count, out, resolve);
    return out;
  }

  /** Group ids for rows whose combination had none: the first row of each combination is resolved. */
  private resolveMissing(keys: Vector[], sel: Uint32Array | null, count: number, out: Int32Array, resolve: (rows: Uint32Array) => Int32Array): void {
    const map = this.map!;
    for (let j = 0; j < count; j++) {
      if (out[j] >= 0) continue;
      const r = sel === null ? j : sel[j];
      let x = 0;
      for (let c = 0; c < keys.length; c++) {
        const k = keys[c];
        x = x * this.sizes[c] + (k.valid !== null && k.valid[r] === 0 ? this.sizes[c] - 1 : k.values[r]);
      }
      if (map[x] < 0) map[x] = resolve(Uint32Array.of(r))[0];
      out[j] = map[x];
    }
  }

  private sameDicts(keys: Vector[]): boolean {
    if (this.map === null) return false;
    for (let c = 0; c < keys.length; c++) {
      // dictionaries only grow: the same array with more entries needs a wider radix
      if (keys[c].dict !== this.dicts[c] || keys[c].dict!.length + 1 !== this.sizes[c]) return false;
    }
    return true;
  }

  private reset(keys: Vector[]): boolean {
    let total = 1;
    for (const k of keys) {
      if (!k.dict) return false;
      total *= k.dict.length + 1;
      if (total > DIRECT_GROUP_LIMIT) { this.map = null; return false; }
    }
    this.dicts = keys.map((k) => k.dict!);
    this.sizes = keys.map((k) => k.dict!.length + 1);
    this.map = new Int32Array(total).fill(-1);
    return true;
  }
}

function combineTwo(out: Int32Array, a: Int32Array, b: Int32Array, sizeB: number, sel: Uint32Array | null, count: number): void {
  if (sel === null) for (let j = 0; j < count; j++) out[j] = a[j] * sizeB + b[j];
  else for (let j = 0; j < count; j++) { const r = sel[j]; out[j] = a[r] * sizeB + b[r]; }
}

function addNullableCodes(out: Int32Array, codes: Int32Array, valid: Uint8Array, size: number, sel: Uint32Array | null, count: number): void {
  const nullCode = size - 1;
  for (let j = 0; j < count; j++) {
    const r = sel === null ? j : sel[j];
    out[j] = out[j] * size + (valid[r] === 0 ? nullCode : codes[r]);
  }
}
