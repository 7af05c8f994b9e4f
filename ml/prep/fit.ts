// Fits preprocessing: decides the plan (PREPROCESSORS or defaults) and learns its parameters.
import { SqlError } from '../../engine/errors.ts';
import { isString } from '../../engine/types/types.ts';
import type { Vector } from '../../engine/types/vector.ts';
import type { TrainingColumn } from '../types.ts';
import { NULL_TEXT, readNumbers, readTexts } from '../util/values.ts';
import { defaultPlan } from './defaults.ts';
import { parsePreprocessors } from './parse.ts';
import type { AffineBlock, CategoricalBlock, ColumnPlan, FittedPrep, NumericStep } from './plan.ts';

/** Most categories an explicit encoder keeps (the most frequent); the rest encode as unknown. */
const MAX_CATEGORIES = 256;
const f32 = Math.fround;

/** Plans and fits preprocessing for the feature columns (target excluded). */
export function fitPrep(features: TrainingColumn[], preprocessors?: string, target?: string): FittedPrep {
  const explicit = preprocessors ? parsePreprocessors(preprocessors, features, target) : [];
  const named = new Set(explicit.flatMap((p) => (p.kind === 'numeric' ? p.columns : [p.column])));
  const plans: ColumnPlan[] = [...explicit];
  const dropped: { name: string; reason: string }[] = [];
  for (const c of features) {
    if (named.has(c.name)) continue;
    const plan = defaultPlan(c.name, c.type, c.vector);
    if (typeof plan === 'string') dropped.push({ name: c.name, reason: plan });
    else plans.push(plan);
  }
  if (plans.length === 0) {
    throw new SqlError('INVALID_PARAMETER', `no usable feature columns (${dropped.map((d) => `${d.name}: ${d.reason}`).join('; ')})`);
  }
  const index = new Map(features.map((c, i) => [c.name, i]));
  const prep: FittedPrep = {
    inputs: features.map((c) => ({ name: c.name, type: c.type })),
    affine: null, normalized: [], categorical: [], dropped, features: [],
  };
  const plain = plans.flatMap((p) => (p.kind === 'numeric' && !p.normalize ? p.columns.map((c) => ({ c, steps: p.steps })) : []));
  plain.sort((a, b) => index.get(a.c)! - index.get(b.c)!);
  if (plain.length) prep.affine = fitAffine(plain.map((p) => ({ input: index.get(p.c)!, steps: p.steps })), features);
  for (const p of plans) {
    if (p.kind === 'numeric' && p.normalize) prep.normalized.push(fitAffine(p.columns.map((c) => ({ input: index.get(c)!, steps: p.steps })), features));
  }
  const cats = plans.filter((p): p is Extract<ColumnPlan, { column: string }> => p.kind !== 'numeric');
  cats.sort((a, b) => index.get(a.column)! - index.get(b.column)!);
  for (const p of cats) prep.categorical.push(fitCategorical(index.get(p.column)!, p, features[index.get(p.column)!].vector));
  prep.features = featureNames(prep);
  return prep;
}

/** Mean imputation, then the affine steps composed into one float32 offset/scale per column. */
function fitAffine(cols: { input: number; steps: NumericStep[] }[], features: TrainingColumn[]): AffineBlock {
  const block: AffineBlock = { cols: [], impute: [], offset: [], scale: [] };
  for (const { input, steps } of cols) {
    const v = features[input].vector;
    const x = new Float64Array(v.length);
    readNumbers(v, 0, v.length, x);
    let sum = 0, n = 0;
    for (let i = 0; i < x.length; i++) if (!Number.isNaN(x[i])) { sum += f32(x[i]); n++; }
    const imp = f32(n ? sum / n : 0);
    for (let i = 0; i < x.length; i++) x[i] = Number.isNaN(x[i]) ? imp : f32(x[i]);
    let off = 0, sc = 1;
    for (const step of steps) {
      let a = 0, b = 1; // y' = (y - a) / b on the current y = (x - off) * sc
      if (step === 'standard') {
        let m = 0;
        for (let i = 0; i < x.length; i++) m += (x[i] - off) * sc;
        m /= x.length || 1;
        let s2 = 0;
        for (let i = 0; i < x.length; i++) { const d = (x[i] - off) * sc - m; s2 += d * d; }
        const sd = Math.sqrt(s2 / (x.length || 1));
        a = m; b = sd > 1e-12 ? sd : 1;
      } else {
        let lo = Infinity, hi = -Infinity;
        for (let i = 0; i < x.length; i++) { const y = (x[i] - off) * sc; if (y < lo) lo = y; if (y > hi) hi = y; }
        a = Number.isFinite(lo) ? lo : 0; b = hi - lo > 1e-12 ? hi - lo : 1;
      }
      off = off + a / sc;
      sc = sc / b;
    }
    block.cols.push(input); block.impute.push(imp); block.offset.push(f32(off)); block.scale.push(f32(sc));
  }
  return block;
}

/** Learns categories (most frequent first, then sorted) and the fill value for missing entries. */
function fitCategorical(input: number, plan: { kind: 'onehot' | 'ordinal'; imputeMode: boolean }, v: Vector): CategoricalBlock {
  const text = isString(v.type);
  const counts = new Map<string | number, number>();
  if (text) {
    const s: string[] = new Array(v.length);
    readTexts(v, 0, v.length, s);
    for (const x of s) counts.set(x, (counts.get(x) ?? 0) + 1);
  } else {
    const x = new Float64Array(v.length);
    readNumbers(v, 0, v.length, x);
    for (const a of x) { const k = Number.isNaN(a) ? NaN : Math.trunc(f32(a)); counts.set(k, (counts.get(k) ?? 0) + 1); }
  }
  const missing: string | number = text ? NULL_TEXT : NaN;
  const present = [...counts].filter(([k]) => !(text ? k === NULL_TEXT : Number.isNaN(k as number)));
  present.sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  const mode = present.length ? present[0][0] : text ? 'missing' : 0;
  let fill: string | number | undefined;
  const hasMissing = counts.has(missing);
  // Numbers always need a fill (NaN is no category); text keeps NULL as its own category unless Imputer was asked.
  if (!text || plan.imputeMode) fill = mode;
  let cats = present.slice(0, MAX_CATEGORIES).map(([k]) => k);
  if (text && hasMissing && fill === undefined) cats.push(NULL_TEXT);
  cats = text ? (cats as string[]).sort() : (cats as number[]).sort((a, b) => a - b);
  return { input, encoding: plan.kind, text, categories: cats, fill };
}

function featureNames(p: FittedPrep): string[] {
  const names: string[] = [];
  const name = (i: number) => p.inputs[i].name;
  if (p.affine) names.push(...p.affine.cols.map(name));
  for (const b of p.normalized) names.push(...b.cols.map(name));
  for (const c of p.categorical) {
    if (c.encoding === 'ordinal') names.push(name(c.input));
    else names.push(...c.categories.map((k) => `${name(c.input)}=${k === NULL_TEXT ? 'NULL' : k}`));
  }
  return names;
}
