// Compiles fitted preprocessing to ONNX: inputs -> Imputer/Scaler/Normalizer and encoders -> one feature matrix.
// Two input layouts: 'packed' (default) takes every numeric argument (numbers, booleans, dates) as
// one float [N,k] tensor, which the caller fills straight from its column vectors, plus one string
// [N,1] input per text argument; 'columns' takes one [N,1] input per argument and concatenates
// them inside the graph (slower: one small tensor per column per batch).
import { featureKind } from '../util/values.ts';
import type { AffineBlock, CategoricalBlock, FittedPrep } from '../prep/plan.ts';
import type { GraphBuilder } from './graph.ts';

const ml = { ml: true };

export type InputLayout = 'packed' | 'columns';

/** Where the packed input's columns come from: argument indices, in column order. */
export interface PackedInput { input: string; args: number[] }

/** Declares the inputs and returns the features tensor name (and the packed input, if any). */
export function emitPrep(g: GraphBuilder, prep: FittedPrep, layout: InputLayout = 'packed'): { features: string; packed?: PackedInput } {
  const text = (i: number) => featureKind(prep.inputs[i].type) === 'text';
  let columns: (args: number[]) => string;
  let packed: PackedInput | undefined;
  const single: string[] = [];
  if (layout === 'columns') {
    prep.inputs.forEach((c, i) => { single[i] = g.input(c.name, text(i) ? 'string' : 'float', ['N', 1]); });
    columns = (args) => (args.length === 1 ? single[args[0]] : g.node('Concat', args.map((a) => single[a]), { axis: { i: 1 } }));
  } else {
    const numeric = prep.inputs.map((_, i) => i).filter((i) => !text(i));
    const taken = new Set(prep.inputs.map((c) => c.name));
    let name = 'numeric';
    while (taken.has(name)) name += '_';
    if (numeric.length) {
      g.input(name, 'float', ['N', numeric.length]);
      packed = { input: name, args: numeric };
    }
    prep.inputs.forEach((c, i) => { if (text(i)) single[i] = g.input(c.name, 'string', ['N', 1]); });
    const pos = new Map(numeric.map((a, p) => [a, p]));
    columns = (args) => {
      const ps = args.map((a) => pos.get(a)!);
      if (ps.length === numeric.length && ps.every((p, i) => p === i)) return name;
      return g.node('Gather', [name, g.constant('int64', ps, [ps.length], 'cols')], { axis: { i: 1 } });
    };
  }
  const parts: string[] = [];
  if (prep.affine) parts.push(affine(g, prep.affine, columns, false));
  for (const b of prep.normalized) parts.push(affine(g, b, columns, true));
  for (const c of prep.categorical) parts.push(categorical(g, c, c.text ? single[c.input] : columns([c.input])));
  return { features: parts.length === 1 ? parts[0] : g.node('Concat', parts, { axis: { i: 1 } }), packed };
}

function affine(g: GraphBuilder, b: AffineBlock, columns: (args: number[]) => string, normalize: boolean): string {
  const x = columns(b.cols);
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
