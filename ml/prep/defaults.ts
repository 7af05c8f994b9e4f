// Default preprocessing when PREPROCESSORS is absent (or for columns it does not name).
import { isBoolean, isString, isTemporal, type SqlType } from '../../engine/types/types.ts';
import type { Vector } from '../../engine/types/vector.ts';
import { profile } from './profile.ts';
import type { ColumnPlan } from './plan.ts';

/** Text with more distinct values than this (or than a fifth of the rows) is dropped as high-cardinality. */
export const MAX_ONE_HOT = 64;

/**
 * Chooses a plan for one column: mean-impute and standard-scale numbers, one-hot low-cardinality
 * text (NULL as its own category), booleans as 0/1; drops id-like, constant and high-cardinality columns.
 * Returns a reason string when the column is dropped.
 */
export function defaultPlan(name: string, type: SqlType, v: Vector): ColumnPlan | string {
  const p = profile(v, isString(type) ? MAX_ONE_HOT * 64 : v.length);
  const present = p.rows - p.nulls;
  if (present === 0) return 'all values are NULL';
  if (isString(type)) {
    if (p.distinct === present && present >= 20) return 'id-like (unique text per row)';
    if (p.distinct > Math.min(MAX_ONE_HOT, Math.max(8, present / 5))) return `high cardinality (${p.distinct} distinct values)`;
    if (p.distinct === 1 && p.nulls === 0) return 'constant';
    return { kind: 'onehot', column: name, imputeMode: false };
  }
  if (p.min === p.max && p.nulls === 0) return 'constant';
  if (isBoolean(type)) return { kind: 'numeric', columns: [name], steps: [], normalize: false };
  if (!isTemporal(type) && p.integral && p.distinct === present && present >= 20) {
    const dense = p.max - p.min + 1 <= 10 * present;
    if (dense || /(^id$|_id$|^id_)/i.test(name)) return 'id-like (unique integer per row)';
  }
  return { kind: 'numeric', columns: [name], steps: ['standard'], normalize: false };
}
