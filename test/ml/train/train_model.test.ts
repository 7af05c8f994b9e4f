// trainModel: AUTO vs OFF, SEED determinism, MAX_CELLS, MAX_RUNTIME, NULL targets, cancellation and errors.
import { describe, expect, it } from 'vitest';
import { T } from '../../../engine/types/types.ts';
import { trainModel, type TrainSpec } from '../../../ml/index.ts';
import { synth } from '../synth.ts';

const base = (extra: Partial<TrainSpec> = {}): TrainSpec => ({ target: 'y', auto: false, hyperparameters: {}, settings: {}, ...extra });

describe('trainModel', () => {
  it('is deterministic for a SEED, and the seed matters', async () => {
    const data = synth(400, 'binary');
    const spec = base({ modelType: 'MLP', hyperparameters: { epochs: '15' }, settings: { SEED: '11' } });
    const a = await trainModel(data, spec);
    const b = await trainModel(data, spec);
    expect(Buffer.from(a.onnx).equals(Buffer.from(b.onnx))).toBe(true);
    const c = await trainModel(data, { ...spec, settings: { SEED: '12' } });
    expect(Buffer.from(a.onnx).equals(Buffer.from(c.onnx))).toBe(false);
    const g1 = await trainModel(data, base({ modelType: 'XGBOOST', hyperparameters: { subsample: '0.7', colsample_bytree: '0.6' }, settings: { SEED: '5' } }));
    const g2 = await trainModel(data, base({ modelType: 'XGBOOST', hyperparameters: { subsample: '0.7', colsample_bytree: '0.6' }, settings: { SEED: '5' } }));
    expect(Buffer.from(g1.onnx).equals(Buffer.from(g2.onnx))).toBe(true);
  }, 60_000);

  it('AUTO ON tries several families and reports them; MODEL_TYPE restricts AUTO to one family', async () => {
    const m = await trainModel(synth(300, 'regression'), base({ auto: true }));
    expect(new Set(m.candidates.map((c) => c.modelType))).toEqual(new Set(['LINEAR_LEARNER', 'XGBOOST', 'MLP']));
    expect(m.objective).toBe('MSE');
    expect(m.outputType).toEqual(T.double);
    expect(m.featureImportance.map((f) => f.feature).sort()).toEqual(['a', 'b', 'c', 'd', 'id']);
    expect(m.featureImportance.find((f) => f.feature === 'id')!.importance).toBe(0);
    const x = await trainModel(synth(300, 'binary'), base({ auto: true, modelType: 'XGBOOST', objective: 'auc' }));
    expect(x.candidates.every((c) => c.modelType === 'XGBOOST')).toBe(true);
    expect(x.objective).toBe('AUC');
  }, 90_000);

  it('applies HYPERPARAMETERS and reports the iterations used', async () => {
    const m = await trainModel(synth(300, 'multiclass'), base({ modelType: 'XGBOOST', hyperparameters: { MAX_DEPTH: '2', num_round: '7' } }));
    expect(m.hyperparameters.max_depth).toBe('2');
    expect(Number(m.hyperparameters.num_round)).toBeLessThanOrEqual(7);
    expect(m.labels).toEqual(['high', 'low', 'mid']);
    expect(m.objective).toBe('Accuracy');
  }, 30_000);

  it('downsamples to MAX_CELLS and drops NULL targets', async () => {
    const data = synth(2000, 'regression');
    const m = await trainModel(data, base({ modelType: 'LINEAR_LEARNER', hyperparameters: { epochs: '3' }, settings: { MAX_CELLS: '3000' } }));
    expect(m.trainingRows).toBe(500); // 3000 cells / 6 columns
    const y = data.find((c) => c.name === 'y')!.vector;
    y.valid = Uint8Array.from({ length: 2000 }, (_, i) => (i % 4 === 0 ? 0 : 1));
    const m2 = await trainModel(data, base({ modelType: 'LINEAR_LEARNER', hyperparameters: { epochs: '3' } }));
    expect(m2.trainingRows).toBe(1500);
  }, 30_000);

  it('stops trying candidates after MAX_RUNTIME but still returns a model', async () => {
    const m = await trainModel(synth(300, 'binary'), base({ auto: true, settings: { MAX_RUNTIME: '0.001' } }));
    expect(m.candidates.length).toBe(1);
    expect(m.onnx.length).toBeGreaterThan(0);
  }, 30_000);

  it('honours an AbortSignal', async () => {
    const ac = new AbortController();
    const p = trainModel(synth(3000, 'binary'), base({ auto: true }), undefined, ac.signal);
    setTimeout(() => ac.abort(), 100);
    await expect(p).rejects.toMatchObject({ code: 'QUERY_CANCELED' });
  }, 30_000);

  it('rejects bad specs with clear errors', async () => {
    const data = synth(100, 'binary');
    await expect(trainModel(data, base({ target: undefined }))).rejects.toThrow(/TARGET is required/);
    await expect(trainModel(data, base({ target: 'nope' }))).rejects.toMatchObject({ code: 'UNDEFINED_COLUMN' });
    await expect(trainModel(data, base({ objective: 'MSE' }))).rejects.toThrow(/does not apply to BINARY_CLASSIFICATION/);
    await expect(trainModel(data, base({ objective: 'logloss' }))).rejects.toThrow(/unknown OBJECTIVE/);
    await expect(trainModel(data, base({ modelType: 'XGBOOST', hyperparameters: { eta: 'fast' } }))).rejects.toThrow(/ETA must be a number/);
    await expect(trainModel(data.filter((c) => c.name !== 'y'), { modelType: 'KMEANS', auto: false, hyperparameters: {}, settings: {} })).rejects.toThrow(/number of clusters/);
  });
});

describe('KMEANS', () => {
  it('finds well-separated clusters; K may come from SETTINGS', async () => {
    const n = 300;
    const x = new Float64Array(n), y = new Float64Array(n);
    for (let i = 0; i < n; i++) { const c = i % 3; x[i] = c * 10 + Math.sin(i) * 0.5; y[i] = (c === 1 ? 10 : 0) + Math.cos(i) * 0.5; }
    const cols = [
      { name: 'x', type: T.double, vector: { type: T.double, length: n, values: x, valid: null } },
      { name: 'y', type: T.double, vector: { type: T.double, length: n, values: y, valid: null } },
    ];
    const m = await trainModel(cols, { modelType: 'KMEANS', auto: true, hyperparameters: {}, settings: { K: '3', SEED: '1' } });
    expect(m.modelType).toBe('KMEANS');
    expect(m.problemType).toBe('CLUSTERING');
    expect(m.validationScore).toBeLessThan(0.05); // mean squared distance in standardized units
    expect(m.inputs.map((i) => i.name)).toEqual(['x', 'y']);
  }, 30_000);
});
