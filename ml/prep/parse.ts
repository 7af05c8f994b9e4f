// Parses Redshift-style PREPROCESSORS JSON into per-column plans, with errors that name the problem.
import { SqlError } from '../../engine/errors.ts';
import { type SqlType, isString } from '../../engine/types/types.ts';
import type { ColumnPlan, NumericStep } from './plan.ts';

const TRANSFORMERS: Record<string, string> = {
  onehotencoder: 'OneHotEncoder', ordinalencoder: 'OrdinalEncoder', numericpassthrough: 'NumericPassthrough',
  imputer: 'Imputer', normalizer: 'Normalizer', standardscaler: 'StandardScaler',
  minmax: 'MinMax', minmaxscaler: 'MinMax',
};

const bad = (msg: string) => new SqlError('INVALID_PARAMETER', `PREPROCESSORS: ${msg}`);

/**
 * Parses the JSON list of {ColumnSet, Transformers}. Returns plans for the named columns;
 * columns not named get the defaults. `columns` are the feature columns (target excluded).
 */
export function parsePreprocessors(json: string, columns: { name: string; type: SqlType }[], target?: string): ColumnPlan[] {
  let spec: unknown;
  try { spec = JSON.parse(json); } catch (e) { throw bad(`invalid JSON (${(e as Error).message})`); }
  if (!Array.isArray(spec)) throw bad('expected a JSON array of {"ColumnSet": [...], "Transformers": [...]}');
  const byName = new Map(columns.map((c) => [c.name.toLowerCase(), c]));
  const used = new Set<string>();
  const plans: ColumnPlan[] = [];
  spec.forEach((entry, k) => {
    const where = `entry ${k + 1}`;
    if (!entry || typeof entry !== 'object' || Array.isArray(entry)) throw bad(`${where} must be an object with ColumnSet and Transformers`);
    const e = entry as Record<string, unknown>;
    const keys = Object.keys(e);
    const extra = keys.filter((key) => key !== 'ColumnSet' && key !== 'Transformers');
    if (extra.length) throw bad(`${where} has unknown key "${extra[0]}" (expected ColumnSet and Transformers)`);
    const set = e.ColumnSet, tr = e.Transformers;
    if (!Array.isArray(set) || set.length === 0 || !set.every((s) => typeof s === 'string')) throw bad(`${where}: ColumnSet must be a non-empty array of column names`);
    if (!Array.isArray(tr) || tr.length === 0 || !tr.every((s) => typeof s === 'string')) throw bad(`${where}: Transformers must be a non-empty array of transformer names`);
    const cols = (set as string[]).map((name) => {
      if (target !== undefined && name.toLowerCase() === target.toLowerCase()) throw bad(`column "${name}" is the target and cannot be preprocessed`);
      const c = byName.get(name.toLowerCase());
      if (!c) throw bad(`unknown column "${name}" (columns: ${columns.map((x) => x.name).join(', ')})`);
      if (used.has(c.name)) throw bad(`column "${name}" appears in more than one ColumnSet`);
      used.add(c.name);
      return c;
    });
    const steps = (tr as string[]).map((t) => {
      const name = TRANSFORMERS[t.toLowerCase()];
      if (!name) throw bad(`unknown transformer "${t}" (supported: OneHotEncoder, OrdinalEncoder, NumericPassthrough, Imputer, Normalizer, StandardScaler, MinMax)`);
      return name;
    });
    plans.push(...planSet(cols, steps, where));
  });
  return plans;
}

/** Checks one ColumnSet's transformer chain and turns it into plans. */
function planSet(cols: { name: string; type: SqlType }[], steps: string[], where: string): ColumnPlan[] {
  const encoder = steps.find((s) => s === 'OneHotEncoder' || s === 'OrdinalEncoder');
  if (encoder) {
    const rest = steps.filter((s) => s !== encoder);
    if (steps.indexOf(encoder) !== steps.length - 1) throw bad(`${where}: ${encoder} must be the last transformer`);
    if (rest.some((s) => s !== 'Imputer')) throw bad(`${where}: ${encoder} can only follow Imputer, not ${rest.find((s) => s !== 'Imputer')}`);
    const kind = encoder === 'OneHotEncoder' ? 'onehot' : 'ordinal';
    return cols.map((c) => ({ kind, column: c.name, imputeMode: rest.length > 0 }));
  }
  const text = cols.find((c) => isString(c.type));
  if (text) throw bad(`${where}: ${steps[0]} needs numeric columns but "${text.name}" is text (use OneHotEncoder or OrdinalEncoder)`);
  const ni = steps.indexOf('Normalizer');
  if (ni >= 0 && ni !== steps.length - 1) throw bad(`${where}: Normalizer must be the last transformer`);
  if (steps.includes('NumericPassthrough') && steps.length > 1 && steps.some((s) => s !== 'NumericPassthrough' && s !== 'Imputer')) {
    throw bad(`${where}: NumericPassthrough cannot be combined with scaling`);
  }
  const affine: NumericStep[] = [];
  for (const s of steps) {
    if (s === 'StandardScaler') affine.push('standard');
    else if (s === 'MinMax') affine.push('minmax');
  }
  return [{ kind: 'numeric', columns: cols.map((c) => c.name), steps: affine, normalize: ni >= 0 }];
}
