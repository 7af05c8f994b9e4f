// Predictor: batching past 8K rows, NULL inputs, output vectors in the label's physical type, probabilities.
import { beforeAll, describe, expect, it } from 'vitest';
import { T } from '../../../engine/types/types.ts';
import type { Vector } from '../../../engine/types/vector.ts';
import { Predictor, type TrainSpec } from '../../../ml/index.ts';
import { applyPrep } from '../../../ml/prep/apply.ts';
import { fitModel, type TrainOutcome } from '../../../ml/train/train_model.ts';
import { labelAt } from '../../../ml/util/values.ts';
import { featureVectors, synth } from '../synth.ts';

const spec = (modelType: TrainSpec['modelType']): TrainSpec => ({ target: 'y', modelType, auto: false, hyperparameters: { epochs: '10', num_round: '20' }, settings: {} });

/** Copies a vector's arrays into SharedArrayBuffers (as engine slices may hand them over). */
function shared(v: Vector): Vector {
  const sab = <A extends Vector['values']>(a: A): A => {
    const out = new (a.constructor as { new (b: SharedArrayBuffer): A })(new SharedArrayBuffer(a.byteLength));
    out.set(a as never);
    return out;
  };
  return { ...v, values: sab(v.values), valid: v.valid ? (sab(v.valid) as Uint8Array) : null };
}

describe('Predictor', () => {
  let reg: TrainOutcome;
  beforeAll(async () => { reg = await fitModel(synth(500, 'regression'), spec('XGBOOST')); }, 30_000);

  it('runs more than one 8K batch and matches the in-memory model, from shared memory too', async () => {
    const n = 20_000;
    const args = featureVectors(synth(n, 'regression', 42));
    const mem = reg.backend.predict(reg.model, applyPrep(reg.prep, args, n).data, n);
    const p = await Predictor.create(reg.result.onnx);
    const out = await p.predict(args.map(shared), n);
    expect(out.type).toEqual(T.double);
    expect(out.values).toBeInstanceOf(Float64Array);
    expect(out.length).toBe(n);
    for (let i = 0; i < n; i += 97) expect(out.values[i]).toBeCloseTo(mem[i], 3);
    expect(out.values[n - 1]).toBeCloseTo(mem[n - 1], 3);
    await p.release();
  }, 30_000);

  it('predicts for rows whose inputs are all NULL (the graph imputes)', async () => {
    const args = featureVectors(synth(3, 'regression', 1)).map((v) => ({ ...v, valid: new Uint8Array(3) }));
    const p = await Predictor.create(reg.result.onnx);
    const out = await p.predict(args, 3);
    expect(Number.isFinite(out.values[0])).toBe(true);
    expect(out.values[0]).toBe(out.values[1]);
    await expect(p.predictProba(args, 3)).rejects.toThrow(/not a classifier/);
    await expect(p.predict(args.slice(1), 3)).rejects.toThrow(/takes 5 argument/);
    await p.release();
  }, 30_000);

  it('returns VARCHAR labels as a dictionary vector and probabilities per label', async () => {
    const m = await fitModel(synth(400, 'multiclass'), spec('LINEAR_LEARNER'));
    const args = featureVectors(synth(50, 'multiclass', 3));
    const p = await Predictor.create(m.result.onnx);
    const out = await p.predict(args, 50);
    expect(out.values).toBeInstanceOf(Int32Array);
    expect(out.dict).toEqual(['high', 'low', 'mid']);
    const { labels, probs } = await p.predictProba(args, 50);
    expect(labels).toEqual(['high', 'low', 'mid']);
    expect(probs.length).toBe(150);
    for (let i = 0; i < 50; i++) {
      expect(probs[3 * i] + probs[3 * i + 1] + probs[3 * i + 2]).toBeCloseTo(1, 5);
      const best = [0, 1, 2].reduce((b, k) => (probs[3 * i + k] > probs[3 * i + b] ? k : b), 0);
      expect(labelAt(out, i)).toBe(labels[best]);
    }
    await p.release();
  }, 30_000);

  it('returns INTEGER and BOOLEAN labels in their physical arrays', async () => {
    const m = await fitModel(synth(400, 'binary'), spec('MLP'));
    expect(m.result.outputType).toEqual(T.int);
    const args = featureVectors(synth(30, 'binary', 8));
    const p = await Predictor.create(m.result.onnx);
    const out = await p.predict(args, 30);
    expect(out.values).toBeInstanceOf(Int32Array);
    expect(Array.from(out.values).every((v) => v === 0 || v === 1)).toBe(true);
    await p.release();

    const data = synth(400, 'binary');
    const y = data.find((c) => c.name === 'y')!;
    y.type = T.bool;
    y.vector = { type: T.bool, length: 400, values: Uint8Array.from(y.vector.values), valid: null };
    const mb = await fitModel(data, spec('XGBOOST'));
    expect(mb.result.labels).toEqual([false, true]);
    const pb = await Predictor.create(mb.result.onnx);
    const ob = await pb.predict(args, 30);
    expect(ob.type).toEqual(T.bool);
    expect(ob.values).toBeInstanceOf(Uint8Array);
    expect(Array.from(ob.values).every((v) => v === 0 || v === 1)).toBe(true);
    await pb.release();
  }, 30_000);
});
