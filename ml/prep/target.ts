// Problem-type inference and target encoding (labels -> class indices, or numbers for regression).
import { SqlError } from '../../engine/errors.ts';
import { T, isBoolean, isString, typeName, type SqlType } from '../../engine/types/types.ts';
import type { Vector } from '../../engine/types/vector.ts';
import type { ProblemType } from '../types.ts';
import { type Label, compareLabels, labelAt } from '../util/values.ts';

/** Most classes a classifier accepts. */
export const MAX_CLASSES = 100;
/** A numeric target with at most this many whole-number values is treated as classes. */
const MAX_INFERRED_CLASSES = 20;

export interface TargetInfo {
  problem: ProblemType;
  /** Sorted classes (classification only). */
  labels?: Label[];
  /** Regression value, or class index, per row (rows with a NULL target are removed beforehand). */
  y: Float64Array;
  outputType: SqlType;
}

/** Infers (or checks the requested) problem type and encodes the target; `v` must have no NULLs. */
export function encodeTarget(name: string, v: Vector, requested?: ProblemType): TargetInfo {
  const n = v.length;
  const values: Label[] = new Array(n);
  const distinct = new Map<Label, number>();
  for (let i = 0; i < n; i++) {
    const l = labelAt(v, i)!;
    values[i] = l;
    if (distinct.size <= MAX_CLASSES) distinct.set(l, 0);
  }
  const numeric = !isString(v.type) && !isBoolean(v.type);
  const d = distinct.size;
  let problem = requested;
  if (!problem) {
    if (d === 2) problem = 'BINARY_CLASSIFICATION';
    else if (!numeric) problem = 'MULTICLASS_CLASSIFICATION';
    else {
      const whole = [...distinct.keys()].every((x) => Number.isInteger(x));
      problem = whole && d <= Math.min(MAX_INFERRED_CLASSES, Math.max(3, n / 5)) ? 'MULTICLASS_CLASSIFICATION' : 'REGRESSION';
    }
  }
  if (problem === 'REGRESSION') {
    if (!numeric) throw new SqlError('DATATYPE_MISMATCH', `REGRESSION needs a numeric target, but "${name}" is ${typeName(v.type)}`);
    return { problem, y: Float64Array.from(values as number[]), outputType: T.double };
  }
  if (d < 2) throw new SqlError('INVALID_PARAMETER', `target "${name}" has only ${d} distinct value(s); a classifier needs at least 2`);
  if (d > MAX_CLASSES) throw new SqlError('INVALID_PARAMETER', `target "${name}" has more than ${MAX_CLASSES} classes; use PROBLEM_TYPE REGRESSION for a numeric target`);
  if (problem === 'BINARY_CLASSIFICATION' && d !== 2) throw new SqlError('INVALID_PARAMETER', `BINARY_CLASSIFICATION needs exactly 2 classes, but "${name}" has ${d}`);
  const labels = [...distinct.keys()].sort(compareLabels);
  labels.forEach((l, i) => distinct.set(l, i));
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) y[i] = distinct.get(values[i])!;
  return { problem, labels, y, outputType: v.type };
}
