// One pass over a column to gather what both the zone map and the encoding choice need.
import { TYPES, type TypedArray } from '../types/types.ts';
import type { Vector } from '../types/vector.ts';
import { SqlError } from '../errors.ts';
import { Buffer, isAscii } from 'node:buffer';
import { decodeUtf8, encodeStrings, type Utf8Buffers } from './utf8.ts';

/** Facts about one column's rows, in the physical domain. */
export interface ColumnStats {
  rows: number;
  nullCount: number;
  /** zone map bounds over non-NULL, non-NaN values; strings compare as JS strings (UTF-16 order) */
  min: number | string | null;
  max: number | string | null;
  /** maximal runs of equal (validity, value) pairs; NULLs form runs too */
  runs: number;
  hasNaN: boolean;
  /** every non-NULL value is a finite integer, so frame-of-reference can hold it exactly */
  integral: boolean;
  /** some BIGINT value is past 2^53: only RAW (int64) holds it exactly */
  wide?: boolean;
  /** when `wide`: the exact bounds (min/max hold only their nearest doubles) */
  exactMin?: bigint;
  exactMax?: bigint;
  /** the values to encode: physical values, or for strings codes into the dictionary (used entries only) */
  values: TypedArray;
  /** strings: how many dictionary entries the rows use */
  distinct?: number;
  /** strings: the used entries as JS strings (absent when they came as UTF-8 and were not needed: see dictOf) */
  dict?: string[];
  /** strings: the used entries encoded as UTF-8, and the UTF-8 bytes of all rows together */
  utf8?: Utf8Buffers;
  rowBytes?: number;
}

/**
 * Gathers stats; string columns are compacted so the dictionary holds only entries that rows use.
 * `utf8`, when given for a string column, is its dictionary as UTF-8 bytes (COPY keeps the file's
 * bytes), and `v.dict` is then not read.
 */
export function computeStats(v: Vector, utf8?: Utf8Buffers): ColumnStats {
  if (!TYPES[v.type.id].string) return numericStats(v);
  return utf8 ? utf8StringStats(v, utf8) : stringStats(v);
}

/** A string column's used dictionary entries as JS strings. */
export function dictOf(s: ColumnStats): string[] {
  return s.dict ?? decodeUtf8(s.utf8!.offsets, s.utf8!.bytes, s.distinct!);
}

function numericStats(v: Vector): ColumnStats {
  const n = v.length, values = v.values, valid = v.valid;
  let min = Infinity, max = -Infinity, seen = false, nulls = 0, runs = 0, nan = false, integral = true;
  let prevState = -1; // -1 start, 0 after NULL, 1 after a value
  let prev = 0;
  for (let i = 0; i < n; i++) {
    if (valid !== null && valid[i] === 0) {
      nulls++;
      if (prevState !== 0) { runs++; prevState = 0; }
      continue;
    }
    const x = values[i];
    // same run: equal and the same zero sign, or both NaN
    const same = prevState === 1 && (x === prev ? x !== 0 || 1 / x === 1 / prev : x !== x && prev !== prev);
    if (!same) runs++;
    prevState = 1;
    prev = x;
    if (x !== x) { nan = true; integral = false; continue; }
    seen = true;
    if (x < min) min = x;
    if (x > max) max = x;
    if (integral && (x !== Math.floor(x) || x === Infinity || x === -Infinity)) integral = false;
  }
  // the doubles of values past 2^53 are only neighbours: RAW alone keeps them, and the zone map
  // keeps the exact bounds too, so a constant past 2^53 prunes exactly (fragments.ts)
  const wide = v.big !== undefined && v.big.some((x, i) => x !== null && i < n);
  return {
    rows: n, nullCount: nulls, runs, hasNaN: nan, integral, ...(wide ? { wide, ...exactBounds(v) } : {}),
    min: seen ? min : null, max: seen ? max : null, values: n === values.length ? values : values.subarray(0, n),
  };
}

/** The exact min and max of a vector with values past 2^53 (a BigInt per row: such segments are rare). */
function exactBounds(v: Vector): { exactMin: bigint; exactMax: bigint } {
  let lo: bigint | null = null, hi: bigint | null = null;
  for (let i = 0; i < v.length; i++) {
    if (v.valid !== null && v.valid[i] === 0) continue;
    const x = v.big![i] ?? BigInt(v.values[i]);
    if (lo === null || x < lo) lo = x;
    if (hi === null || x > hi) hi = x;
  }
  return { exactMin: lo!, exactMax: hi! };
}

function stringStats(v: Vector): ColumnStats {
  const n = v.length, dict = v.dict;
  if (!dict) throw new SqlError('INTERNAL_ERROR', `string column of type ${v.type.id} has no dictionary`);
  const { out, order, used: count, nulls, runs } = compactCodes(v.values as Int32Array, v.valid, n, dict.length);
  const used: string[] = new Array(count);
  for (let k = 0; k < count; k++) used[k] = dict[order[k]];
  let min: string | null = null, max: string | null = null;
  for (const s of used) {
    if (min === null || s < min) min = s;
    if (max === null || s > max) max = s;
  }
  const utf8 = encodeStrings(used), eo = utf8.offsets, valid = v.valid;
  let rowBytes = 0;
  for (let i = 0; i < n; i++) if (valid === null || valid[i] !== 0) rowBytes += eo[out[i] + 1] - eo[out[i]];
  return { rows: n, nullCount: nulls, runs, hasNaN: false, integral: false, min, max, values: out, distinct: count, dict: used, utf8, rowBytes };
}

/** The codes of string rows renumbered over the entries they use, in first-use order, with NULL rows at 0. */
interface Compacted { out: Int32Array; order: Int32Array; used: number; identity: boolean; nulls: number; runs: number }

function compactCodes(codes: Int32Array, valid: Uint8Array | null, n: number, size: number): Compacted {
  const remap = new Int32Array(size).fill(-1);
  const order = new Int32Array(size);
  let used = 0, nulls = 0, runs = 0, prevState = -1, prev = -1, identity = true;
  for (let i = 0; i < n; i++) {
    if (valid !== null && valid[i] === 0) {
      nulls++;
      if (prevState !== 0) { runs++; prevState = 0; }
      continue;
    }
    const c = codes[i];
    if (prevState !== 1 || c !== prev) runs++;
    prevState = 1;
    prev = c;
    if (!(c >= 0 && c < size)) throw new SqlError('INTERNAL_ERROR', `string code ${c} at row ${i} is outside its dictionary`);
    if (remap[c] < 0) {
      if (used !== c) identity = false;
      order[used] = c;
      remap[c] = used++;
    }
  }
  let out: Int32Array;
  if (identity) {
    out = codes.length === n ? codes : codes.subarray(0, n);
    if (nulls > 0) {
      // NULL slots may hold any code; make them 0 so they stay inside the compacted dictionary
      let needsFix = false;
      for (let i = 0; i < n; i++) if (valid![i] === 0 && out[i] !== 0) { needsFix = true; break; }
      if (needsFix) {
        out = out.slice();
        for (let i = 0; i < n; i++) if (valid![i] === 0) out[i] = 0;
      }
    }
  } else {
    out = new Int32Array(n);
    for (let i = 0; i < n; i++) if (valid === null || valid[i] !== 0) out[i] = remap[codes[i]];
  }
  return { out, order, used, identity, nulls, runs };
}

/** String stats over a dictionary given as UTF-8 bytes: entries stay bytes unless the text is not ASCII. */
function utf8StringStats(v: Vector, src: Utf8Buffers): ColumnStats {
  const n = v.length, valid = v.valid;
  const { out, order, used, identity, nulls, runs } = compactCodes(v.values as Int32Array, valid, n, src.offsets.length - 1);
  const so = src.offsets, sb = src.bytes;
  let utf8: Utf8Buffers;
  if (identity) {
    // the rows use the first `used` entries in order (always so for COPY): no copy
    utf8 = { offsets: so.subarray(0, used + 1), bytes: sb.subarray(so[0], so[used]) };
    if (so[0] !== 0) utf8.offsets = utf8.offsets.map((o) => o - so[0]);
  } else {
    const offsets = new Int32Array(used + 1);
    for (let k = 0; k < used; k++) offsets[k + 1] = offsets[k] + so[order[k] + 1] - so[order[k]];
    const bytes = new Uint8Array(offsets[used]);
    for (let k = 0; k < used; k++) bytes.set(sb.subarray(so[order[k]], so[order[k] + 1]), offsets[k]);
    utf8 = { offsets, bytes };
  }
  const eo = utf8.offsets;
  let rowBytes = 0;
  for (let i = 0; i < n; i++) if (valid === null || valid[i] !== 0) rowBytes += eo[out[i] + 1] - eo[out[i]];
  const stats: ColumnStats = { rows: n, nullCount: nulls, runs, hasNaN: false, integral: false, min: null, max: null, values: out, distinct: used, utf8, rowBytes };
  if (used === 0) return stats;
  if (isAscii(utf8.bytes)) {
    // ASCII bytes order as the JS strings do: compare bytes, decode only the two bounds
    const bytes = utf8.bytes;
    let lo = 0, hi = 0;
    for (let k = 1; k < used; k++) {
      if (compareEntries(bytes, eo, k, lo) < 0) lo = k;
      else if (compareEntries(bytes, eo, k, hi) > 0) hi = k;
    }
    const text = (k: number) => Buffer.from(bytes.buffer, bytes.byteOffset + eo[k], eo[k + 1] - eo[k]).toString('latin1');
    stats.min = text(lo);
    stats.max = text(hi);
    return stats;
  }
  // other text: zone maps order strings as JS does (UTF-16 code units), which UTF-8 bytes do not always follow
  const dict = decodeUtf8(eo, utf8.bytes, used);
  let min = dict[0], max = dict[0];
  for (const s of dict) {
    if (s < min) min = s;
    if (s > max) max = s;
  }
  stats.dict = dict;
  stats.min = min;
  stats.max = max;
  return stats;
}

/** Byte order of entries a and b (negative, 0, positive). */
function compareEntries(bytes: Uint8Array, offsets: Int32Array, a: number, b: number): number {
  let i = offsets[a], j = offsets[b];
  const ea = offsets[a + 1], eb = offsets[b + 1];
  for (; i < ea && j < eb; i++, j++) if (bytes[i] !== bytes[j]) return bytes[i] - bytes[j];
  return (ea - offsets[a]) - (eb - offsets[b]);
}
