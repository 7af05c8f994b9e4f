// The compiled ONNX graph (preprocessing + model + label decoding) must match the in-memory model.
import { describe, expect, it } from 'vitest';
import { T } from '../../../engine/types/types.ts';
import { stringVector } from '../../../engine/types/vector.ts';
import { Predictor, type TrainSpec } from '../../../ml/index.ts';
import { compileModel } from '../../../ml/onnx/compile.ts';
import { applyPrep } from '../../../ml/prep/apply.ts';
import { fitModel } from '../../../ml/train/train_model.ts';
import { argmaxRows } from '../../../ml/train/metrics.ts';
import { labelAt } from '../../../ml/util/values.ts';
import { featureVectors, synth, type SynthTarget } from '../synth.ts';

const spec = (modelType: TrainSpec['modelType'], extra: Partial<TrainSpec> = {}): TrainSpec => ({
  target: 'y', modelType, auto: false, hyperparameters: { epochs: '20', num_round: '30' }, settings: { SEED: '7' }, ...extra,
});

/** Test rows include NULLs, an unseen category and out-of-range numbers. */
function testRows(kind: SynthTarget) {
  const cols = synth(300, kind, 99);
  const c = cols.find((x) => x.name === 'c')!;
  const texts = Array.from({ length: 300 }, (_, i) => (i % 17 === 0 ? 'purple' : (labelAt(c.vector, i) as string | null)));
  c.vector = stringVector(T.varchar, texts);
  const a = cols.find((x) => x.name === 'a')!.vector;
  a.values[5] = 1e4;
  return featureVectors(cols);
}

async function checkEquivalent(kind: SynthTarget, modelType: TrainSpec['modelType'], extra: Partial<TrainSpec> = {}) {
  const { result, prep, model, backend } = await fitModel(synth(600, kind), spec(modelType, extra));
  const args = testRows(kind);
  const n = args[0].length;
  const x = applyPrep(prep, args, n);
  const mem = backend.predict(model, x.data, n);
  const p = await Predictor.create(result.onnx);
  const out = await p.predict(args, n);
  if (kind === 'regression') {
    for (let i = 0; i < n; i++) expect(Math.abs((out.values[i] - mem[i]) / Math.max(1, Math.abs(mem[i])))).toBeLessThan(1e-5);
  } else {
    const { labels, probs } = await p.predictProba(args, n);
    expect(labels).toEqual(result.labels);
    const k = labels.length;
    for (let i = 0; i < n * k; i++) expect(Math.abs(probs[i] - mem[i])).toBeLessThan(1e-5);
    const idx = argmaxRows(mem, n, k);
    for (let i = 0; i < n; i++) expect(labelAt(out, i)).toBe(labels[idx[i]]);
  }
  await p.release();
  return result;
}

describe('ONNX equivalence', () => {
  for (const kind of ['regression', 'binary', 'multiclass'] as const) {
    for (const mt of ['LINEAR_LEARNER', 'MLP', 'XGBOOST'] as const) {
      it(`${mt} ${kind}`, async () => { await checkEquivalent(kind, mt); }, 30_000);
    }
  }

  it('explicit PREPROCESSORS (ordinal, min-max, normalizer, imputed one-hot) compile the same', async () => {
    const preprocessors = JSON.stringify([
      { ColumnSet: ['c'], Transformers: ['Imputer', 'OneHotEncoder'] },
      { ColumnSet: ['b'], Transformers: ['OrdinalEncoder'] },
      { ColumnSet: ['a'], Transformers: ['Imputer', 'MinMax'] },
      { ColumnSet: ['id', 'd'], Transformers: ['StandardScaler', 'Normalizer'] },
    ]);
    const r = await checkEquivalent('multiclass', 'XGBOOST', { preprocessors });
    expect((r.preprocessing as { features: string[] }).features).toContain('b');
  }, 30_000);

  it('KMEANS assigns the same clusters', async () => {
    const cols = synth(500, 'binary').filter((c) => c.name !== 'y');
    const { result, prep, model, backend } = await fitModel(cols, { modelType: 'KMEANS', auto: false, hyperparameters: { K: '4' }, settings: { SEED: '3' } });
    expect(result.outputType.id).toBe('INTEGER');
    const args = featureVectors(synth(200, 'binary', 5));
    const mem = backend.predict(model, applyPrep(prep, args, 200).data, 200);
    const p = await Predictor.create(result.onnx);
    const out = await p.predict(args, 200);
    expect(out.values).toBeInstanceOf(Int32Array);
    expect(Array.from(out.values)).toEqual(Array.from(mem));
  }, 30_000);
});

describe('input layouts', () => {
  it('the packed graph (numeric arguments as one [N,k] tensor) predicts exactly what the per-column graph does', async () => {
    const { result, prep, model } = await fitModel(synth(600, 'multiclass'), spec('XGBOOST'));
    const packed = await Predictor.create(result.onnx);
    const columns = await Predictor.create(compileModel({ prep, model, labels: result.labels, outputType: result.outputType, problemType: result.problemType, modelType: result.modelType, layout: 'columns' }));
    expect(packed.layout).toMatchObject({ kind: 'packed', args: [0, 1, 2, 4], text: [{ name: 'c', arg: 3 }] });
    expect(columns.layout.kind).toBe('columns');
    // NULL numbers and text, an unseen category, booleans, an out-of-range value; 20000 rows span batches
    const args = testRows('multiclass').map((v) => ({ ...v }));
    const n = args[0].length;
    expect(await packed.predictProba(args, n)).toEqual(await columns.predictProba(args, n));
    expect(await packed.predict(args, n)).toEqual(await columns.predict(args, n));
    const big = synth(20_000, 'multiclass', 5);
    const bigArgs = featureVectors(big);
    expect(await packed.predictProba(bigArgs, 20_000)).toEqual(await columns.predictProba(bigArgs, 20_000));
  }, 60_000);
});
