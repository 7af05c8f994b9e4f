// The one place that maps engine values to model values and back: features are numbers
// (float32 in the ONNX graph), text is strings, labels are logical JS values.
import { isBoolean, isString, kindOf, scaleOf, unhandledType, type SqlType } from '../../engine/types/types.ts';
import type { Vector } from '../../engine/types/vector.ts';

const US_PER_DAY = 86_400_000_000;

/** How a column feeds a model: as a number (float input) or as text (string input). */
export type FeatureKind = 'number' | 'text';

export function featureKind(t: SqlType): FeatureKind {
  return isString(t) ? 'text' : 'number';
}

/** A converter from a physical value to the model's number: DECIMAL unscaled, BOOLEAN 0/1, DATE and TIMESTAMP in days. */
export function numberReader(t: SqlType): (raw: number) => number {
  const kind = kindOf(t);
  switch (kind) {
    case 'decimal': {
      const f = 10 ** scaleOf(t);
      return (raw) => raw / f;
    }
    case 'boolean': return (raw) => (raw ? 1 : 0);
    case 'timestamp': return (raw) => raw / US_PER_DAY;
    case 'integer': case 'float': case 'date': case 'string': case 'null': return (raw) => raw;
    default: return unhandledType(kind);
  }
}

/** Whether a vector's physical values are already the model's numbers (integers, floats, DATE days). */
export function readsAsIs(t: SqlType): boolean {
  const kind = kindOf(t);
  return kind === 'integer' || kind === 'float' || kind === 'date';
}

/** Fills `out[0..count)` with the numbers of rows start.., NaN for NULL (the graph's Imputer replaces NaN). */
export function readNumbers(v: Vector, start: number, count: number, out: Float32Array | Float64Array): void {
  const vals = v.values, valid = v.valid;
  if (valid === null && readsAsIs(v.type)) { out.set(vals.subarray(start, start + count)); return; }
  const read = numberReader(v.type);
  for (let i = 0; i < count; i++) {
    const r = start + i;
    out[i] = valid !== null && valid[r] === 0 ? NaN : read(vals[r]);
  }
}

/** The text for NULL: an empty string, which is also the category that stands for "missing". */
export const NULL_TEXT = '';

/** Fills `out` with the strings of rows start.. (NULL as NULL_TEXT). */
export function readTexts(v: Vector, start: number, count: number, out: string[]): void {
  const dict = v.dict ?? [];
  const vals = v.values, valid = v.valid;
  for (let i = 0; i < count; i++) {
    const r = start + i;
    out[i] = valid !== null && valid[r] === 0 ? NULL_TEXT : dict[vals[r]] ?? NULL_TEXT;
  }
}

/** A label as users see it: string for text, boolean for BOOLEAN, number otherwise (DECIMAL unscaled, dates in days). */
export type Label = string | number | boolean;

/** Reads row i of a vector as a label, or null for NULL. */
export function labelAt(v: Vector, i: number): Label | null {
  if (v.valid !== null && v.valid[i] === 0) return null;
  if (isString(v.type)) return v.dict![v.values[i]];
  if (isBoolean(v.type)) return v.values[i] !== 0;
  return numberReader(v.type)(v.values[i]);
}

/** Converts a model number back to the physical value of a type (the inverse of numberReader). */
export function physicalOf(t: SqlType, x: number): number {
  const kind = kindOf(t);
  switch (kind) {
    case 'decimal': return Math.round(x * 10 ** scaleOf(t));
    case 'boolean': return x ? 1 : 0;
    case 'timestamp': return Math.round(x * US_PER_DAY);
    case 'integer': case 'date': return Math.round(x);
    case 'float': case 'string': case 'null': return x;
    default: return unhandledType(kind);
  }
}

/** Orders labels: false < true, numbers numerically, strings by code unit. */
export function compareLabels(a: Label, b: Label): number {
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  return Number(a) - Number(b);
}
