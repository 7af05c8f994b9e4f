// Compiles fitted preprocessing to ONNX: per-column inputs -> Imputer/Scaler/Normalizer and encoders -> one feature matrix.
import { featureKind } from '../util/values.ts';
import type { AffineBlock, CategoricalBlock, FittedPrep } from '../prep/plan.ts';
import type { GraphBuilder } from './graph.ts';

const ml = { ml: true };

/** Declares one [N,1] input per feature column (float, or string for text) and returns the features tensor name. */
export function emitPrep(g: GraphBuilder, prep: FittedPrep): string {
  const inputs = prep.inputs.map((c) => g.input(c.name, featureKind(c.type) === 'text' ? 'string' : 'float', ['N', 1]));
  const parts: string[] = [];
  if (prep.affine) parts.push(affine(g, prep.affine, inputs, false));
  for (const b of prep.normalized) parts.push(affine(g, b, inputs, true));
  for (const c of prep.categorical) parts.push(categorical(g, c, inputs[c.input]));
  return parts.length === 1 ? parts[0] : g.node('Concat', parts, { axis: { i: 1 } });
}

function affine(g: GraphBuilder, b: AffineBlock, inputs: string[], normalize: boolean): string {
  const cols = b.cols.map((i) => inputs[i]);
  const x = cols.length === 1 ? cols[0] : g.node('Concat', cols, { axis: { i: 1 } });
  const imputed = g.node('Imputer', [x], { imputed_value_floats: { floats: b.impute }, replaced_value_float: { f: NaN } }, ml);
  const scaled = g.node('Scaler', [imputed], { offset: { floats: b.offset }, scale: { floats: b.scale } }, ml);
  return normalize ? g.node('Normalizer', [scaled], { norm: { s: 'L2' } }, ml) : scaled;
}

function categorical(g: GraphBuilder, c: CategoricalBlock, input: string): string {
  let x = input;
  if (c.text) {
    const cats = c.categories as string[];
    if (c.fill !== undefined) {
      // Missing text ('') becomes the fill category; other strings pass through; unknowns stay unknown.
      const keys = [...new Set([...cats, ''])];
      x = g.node('LabelEncoder', [x], {
        keys_strings: { strings: keys }, values_strings: { strings: keys.map((k) => (k === '' ? String(c.fill) : k)) },
        default_string: { s: '\u0001unknown' },
      }, ml);
    }
    if (c.encoding === 'ordinal') {
      return g.node('LabelEncoder', [x], { keys_strings: { strings: cats }, values_floats: { floats: cats.map((_, i) => i) }, default_float: { f: -1 } }, ml);
    }
    const oh = g.node('OneHotEncoder', [x], { cats_strings: { strings: cats }, zeros: { i: 1 } }, ml);
    return g.node('Flatten', [oh], { axis: { i: 1 } });
  }
  const cats = c.categories as number[];
  const imputed = g.node('Imputer', [x], { imputed_value_floats: { floats: [c.fill as number] }, replaced_value_float: { f: NaN } }, ml);
  const ints = g.node('Cast', [imputed], { to: { i: 7 /* INT64 */ } });
  if (c.encoding === 'ordinal') {
    return g.node('LabelEncoder', [ints], { keys_int64s: { ints: cats }, values_floats: { floats: cats.map((_, i) => i) }, default_float: { f: -1 } }, ml);
  }
  const oh = g.node('OneHotEncoder', [ints], { cats_int64s: { ints: cats }, zeros: { i: 1 } }, ml);
  return g.node('Flatten', [oh], { axis: { i: 1 } });
}
