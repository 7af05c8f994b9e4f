// Compiles preprocessing + model + label decoding into ONE ONNX graph with outputs "label" (and "probabilities").
import type { SqlType } from '../../engine/types/types.ts';
import type { FittedPrep } from '../prep/plan.ts';
import type { TreeModel } from '../train/gbt.ts';
import type { KMeansModel } from '../train/kmeans.ts';
import type { NetModel } from '../train/net.ts';
import type { Label } from '../util/values.ts';
import { GraphBuilder } from './graph.ts';
import { emitKMeans } from './kmeans.ts';
import { emitNet } from './net.ts';
import { type InputLayout, emitPrep } from './prep.ts';
import { emitTrees } from './trees.ts';

export type AnyModel = NetModel | TreeModel | KMeansModel;

export interface CompileInput {
  prep: FittedPrep;
  model: AnyModel;
  /** Classes in probability order (classification only). */
  labels?: Label[];
  outputType: SqlType;
  problemType: string;
  modelType: string;
  /** how arguments enter the graph (default 'packed': numeric arguments as one [N,k] tensor) */
  layout?: InputLayout;
  /** a sample of the training rows in feed space (numbers or null, text), for explanations */
  background?: (number | string | null)[][];
}

/** Metadata keys Strata writes, read back by the Predictor. */
export const META = {
  labels: 'strata.labels', outputType: 'strata.output_type', problemType: 'strata.problem_type', modelType: 'strata.model_type', packed: 'strata.packed_input',
  /** per column of the preprocessed feature matrix, the argument it comes from (explanations sum back onto arguments) */
  featureArgs: 'strata.feature_args',
  /** JSON rows sampled from the training snapshot: KernelSHAP's background, EXPLAIN_MODEL's sample */
  background: 'strata.background',
};

/** Which argument each column of the preprocessed feature matrix comes from, in emitPrep's order. */
export function featureArgs(prep: FittedPrep): number[] {
  const out = [...(prep.affine?.cols ?? []), ...prep.normalized.flatMap((b) => b.cols)];
  for (const c of prep.categorical) for (let i = 0; i < (c.encoding === 'onehot' ? c.categories.length : 1); i++) out.push(c.input);
  return out;
}

/** Builds the graph and returns the serialized ModelProto. */
export function compileModel(c: CompileInput): Uint8Array {
  const g = new GraphBuilder();
  const { features, packed } = emitPrep(g, c.prep, c.layout);
  const m = c.model;
  if (m.kind === 'kmeans') {
    g.node('Identity', [emitKMeans(g, m, features)], {}, { output: 'label' });
    g.output('label', 'int64', ['N']);
  } else {
    const raw = m.kind === 'net' ? emitNet(g, m, features) : emitTrees(g, m, features);
    if (!c.labels) {
      g.node('Reshape', [raw, g.constant('int64', [-1], [1], 'shape')], {}, { output: 'label' });
      g.output('label', 'float', ['N']);
    } else {
      const k = c.labels.length;
      if (m.head === 'sigmoid') {
        const p = g.node('Sigmoid', [raw]);
        const q = g.node('Sub', [g.constant('float', [1], [1], 'one'), p]);
        g.node('Concat', [q, p], { axis: { i: 1 } }, { output: 'probabilities' });
      } else g.node('Softmax', [raw], { axis: { i: 1 } }, { output: 'probabilities' });
      const idx = g.node('ArgMax', ['probabilities'], { axis: { i: 1 }, keepdims: { i: 0 } });
      const kind = typeof c.labels[0] === 'string' ? 'string' : typeof c.labels[0] === 'boolean' ? 'bool' : 'double';
      const table = g.constant(kind, c.labels as never, [k], 'labels');
      g.node('Gather', [table, idx], { axis: { i: 0 } }, { output: 'label' });
      g.output('label', kind, ['N']);
      g.output('probabilities', 'float', ['N', k]);
    }
  }
  return g.encode({
    [META.labels]: JSON.stringify(c.labels ?? null),
    [META.outputType]: JSON.stringify(c.outputType),
    [META.problemType]: c.problemType,
    [META.modelType]: c.modelType,
    ...(packed ? { [META.packed]: JSON.stringify(packed) } : {}),
    [META.featureArgs]: JSON.stringify(featureArgs(c.prep)),
    ...(c.background ? { [META.background]: JSON.stringify(c.background) } : {}),
  });
}
