// Column statistics that drive default preprocessing and problem-type inference.
import type { Vector } from '../../engine/types/vector.ts';
import { isString } from '../../engine/types/types.ts';
import { numberReader } from '../util/values.ts';

/** What defaults need to know about one column. */
export interface ColumnProfile {
  rows: number;
  nulls: number;
  /** Distinct non-NULL values, counted up to `cap` (then it stops). */
  distinct: number;
  /** Every non-NULL value is a whole number (numbers only). */
  integral: boolean;
  min: number;
  max: number;
}

/** Profiles a vector; distinct counting stops at `cap` to bound memory on big columns. */
export function profile(v: Vector, cap = 1 << 20): ColumnProfile {
  const p: ColumnProfile = { rows: v.length, nulls: 0, distinct: 0, integral: true, min: Infinity, max: -Infinity };
  const text = isString(v.type);
  const read = numberReader(v.type);
  const seen = new Set<number>();
  for (let i = 0; i < v.length; i++) {
    if (v.valid !== null && v.valid[i] === 0) { p.nulls++; continue; }
    const x = text ? v.values[i] : read(v.values[i]);
    if (!text) {
      if (!Number.isInteger(x)) p.integral = false;
      if (x < p.min) p.min = x;
      if (x > p.max) p.max = x;
    }
    if (seen.size < cap) seen.add(x);
  }
  // Text codes may repeat a string under two codes after a merge; count distinct strings then.
  p.distinct = text ? new Set([...seen].map((c) => v.dict![c])).size : seen.size;
  if (text) p.integral = false;
  return p;
}
