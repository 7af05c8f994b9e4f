// Table statistics gathered inside a slice: per column, the HyperLogLog sketch of its values
// (and for ANALYZE also NULLs and min/max over the live rows). Strings are hashed once per
// dictionary entry in use; runs of equal numbers once per run.
import type { Vector } from '../types/vector.ts';
import type { SegmentMeta } from '../storage/segment.ts';
import { isString } from '../types/types.ts';
import { hash52, sketchAddHash, type Sketch } from '../functions/aggregates/approx-count-distinct.ts';

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

/** Sketches of every column of a segment being written (its zone map already has the rest). */
export function sketchColumns(columns: Vector[]): (Sketch | undefined)[] {
  return columns.map((v) => addVector(emptyFigures(), v).sketch);
}

/** What a slice reports for a segment it wrote: the storage layer's metadata plus column sketches. */
export type WrittenSegment = SegmentMeta & { sketches: (Sketch | undefined)[] };
