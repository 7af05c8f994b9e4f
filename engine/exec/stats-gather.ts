// Table statistics gathered inside a slice: per column, the HyperLogLog sketch of its values
// (and for ANALYZE also NULLs and min/max over the live rows). Strings are hashed once per
// dictionary entry in use; runs of equal numbers once per run.
import type { Vector } from '../types/vector.ts';
import type { SegmentMeta } from '../storage/segment.ts';
import { isString } from '../types/types.ts';
import { isAscii } from 'node:buffer';
import { hash52, hash52Ascii, sketchAddHash, sketchAddNumber, type Sketch } from '../functions/aggregates/approx-count-distinct.ts';
import { decodeUtf8, type Utf8Buffers } from '../storage/utf8.ts';

/** One column's figures over the rows a slice looked at (min/max as stored: numbers or strings). */
export interface ColumnFigures {
  rows: number;
  nulls: number;
  min: number | string | null;
  max: number | string | null;
  sketch: Sketch | undefined;
}

export const emptyFigures = (): ColumnFigures => ({ rows: 0, nulls: 0, min: null, max: null, sketch: undefined });

/** Adds a vector's rows (those with live[r] !== 0 when `live` is given) to a column's figures. */
export function addVector(f: ColumnFigures, v: Vector, live: Uint8Array | null = null): ColumnFigures {
  const n = v.length, valid = v.valid;
  let { rows, nulls, min, max, sketch } = f;
  if (isString(v.type)) {
    const dict = v.dict ?? [], codes = v.values, used = new Uint8Array(dict.length);
    for (let r = 0; r < n; r++) {
      if (live !== null && live[r] === 0) continue;
      rows++;
      if (valid !== null && valid[r] === 0) { nulls++; continue; }
      used[codes[r]] = 1;
    }
    for (let c = 0; c < dict.length; c++) {
      if (used[c] === 0) continue;
      const s = dict[c];
      sketch = sketchAddHash(sketch, hash52(s));
      if (min === null || s < (min as string)) min = s;
      if (max === null || s > (max as string)) max = s;
    }
    return { rows, nulls, min, max, sketch };
  }
  const values = v.values;
  let prev = NaN;
  for (let r = 0; r < n; r++) {
    if (live !== null && live[r] === 0) continue;
    rows++;
    if (valid !== null && valid[r] === 0) { nulls++; continue; }
    const x = values[r];
    if (x === prev) continue;
    prev = x;
    sketch = sketchAddHash(sketch, hash52(x));
    if (x === x) {
      if (min === null || x < (min as number)) min = x;
      if (max === null || x > (max as number)) max = x;
    }
  }
  return { rows, nulls, min, max, sketch };
}

/**
 * Sketches of every column of a segment being written (its zone map already has the rest).
 * `utf8[i]`, for a string column, is its dictionary as UTF-8 bytes, read instead of `dict`.
 */
export function sketchColumns(columns: Vector[], utf8?: (Utf8Buffers | undefined)[]): (Sketch | undefined)[] {
  return columns.map((v, i) => {
    if (!isString(v.type)) return sketchNumbers(v);
    const bytes = utf8?.[i];
    return bytes ? sketchUtf8(v, bytes) : addVector(emptyFigures(), v).sketch;
  });
}

/** Recently hashed values, by a few low bits: a value seen again adds nothing to a sketch, so it is not hashed again. */
const RECENT = 16384;

/** The sketch of a numeric column (the same as addVector's): each value hashed once while it stays in a small cache. */
function sketchNumbers(v: Vector): Sketch | undefined {
  const n = v.length, values = v.values, valid = v.valid;
  const recent = new Float64Array(RECENT).fill(NaN);
  let sketch: Sketch | undefined;
  for (let r = 0; r < n; r++) {
    if (valid !== null && valid[r] === 0) continue;
    const x = values[r];
    const slot = (x | 0) & (RECENT - 1);
    if (recent[slot] === x) continue;
    recent[slot] = x;
    sketch = sketchAddNumber(sketch, x);
  }
  return sketch;
}

/** The sketch of a string column whose dictionary is UTF-8 bytes (the same as addVector's over the decoded strings). */
function sketchUtf8(v: Vector, dict: Utf8Buffers): Sketch | undefined {
  const n = v.length, codes = v.values, valid = v.valid, offsets = dict.offsets, size = offsets.length - 1;
  const used = new Uint8Array(size);
  for (let r = 0; r < n; r++) if (valid === null || valid[r] !== 0) used[codes[r]] = 1;
  const ascii = isAscii(dict.bytes);
  const text = ascii ? null : decodeUtf8(offsets, dict.bytes, size);
  let sketch: Sketch | undefined;
  for (let c = 0; c < size; c++) {
    if (used[c] === 0) continue;
    sketch = sketchAddHash(sketch, text === null ? hash52Ascii(dict.bytes, offsets[c], offsets[c + 1]) : hash52(text[c]));
  }
  return sketch;
}

/** What a slice reports for a segment it wrote: the storage layer's metadata plus column sketches. */
export type WrittenSegment = SegmentMeta & { sketches: (Sketch | undefined)[] };
