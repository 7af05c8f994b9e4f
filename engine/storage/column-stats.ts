// One pass over a column to gather what both the zone map and the encoding choice need.
import { TYPES, type TypedArray } from '../types/types.ts';
import type { Vector } from '../types/vector.ts';
import { SqlError } from '../errors.ts';
import { encodeStrings, type Utf8Buffers } from './utf8.ts';

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
  /** the values to encode: physical values, or for strings codes into `dict` (used entries only) */
  values: TypedArray;
  dict?: string[];
  /** strings: `dict` encoded as UTF-8, and the UTF-8 bytes of all rows together */
  utf8?: Utf8Buffers;
  rowBytes?: number;
}

/** Gathers stats; string columns are compacted so the dictionary holds only entries that rows use. */
export function computeStats(v: Vector): ColumnStats {
  return TYPES[v.type.id].string ? stringStats(v) : numericStats(v);
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
  const n = v.length, codes = v.values, valid = v.valid, dict = v.dict;
  if (!dict) throw new SqlError('INTERNAL_ERROR', `string column of type ${v.type.id} has no dictionary`);
  const remap = new Int32Array(dict.length).fill(-1);
  const used: string[] = [];
  let nulls = 0, runs = 0, prevState = -1, prev = -1, identity = true;
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
    let r = remap[c];
    if (r === undefined) throw new SqlError('INTERNAL_ERROR', `string code ${c} at row ${i} is outside its dictionary`);
    if (r < 0) {
      r = remap[c] = used.length;
      used.push(dict[c]);
      if (r !== c) identity = false;
    }
  }
  let out: Int32Array;
  if (identity) {
    // codes already point at used entries in first-use order (the common case): no copy
    out = (codes.length === n ? codes : codes.subarray(0, n)) as Int32Array;
    if (valid !== null && nulls > 0) {
      // NULL slots may hold any code; make them 0 so they stay inside the compacted dictionary
      let needsFix = false;
      for (let i = 0; i < n; i++) if (valid[i] === 0 && out[i] !== 0) { needsFix = true; break; }
      if (needsFix) {
        out = out.slice();
        for (let i = 0; i < n; i++) if (valid[i] === 0) out[i] = 0;
      }
    }
  } else {
    out = new Int32Array(n);
    for (let i = 0; i < n; i++) if (valid === null || valid[i] !== 0) out[i] = remap[codes[i]];
  }
  let min: string | null = null, max: string | null = null;
  for (const s of used) {
    if (min === null || s < min) min = s;
    if (max === null || s > max) max = s;
  }
  const utf8 = encodeStrings(used), eo = utf8.offsets;
  let rowBytes = 0;
  for (let i = 0; i < n; i++) if (valid === null || valid[i] !== 0) rowBytes += eo[out[i] + 1] - eo[out[i]];
  return { rows: n, nullCount: nulls, runs, hasNaN: false, integral: false, min, max, values: out, dict: used, utf8, rowBytes };
}
