// startTraining: training on a worker thread with progress events, errors as SqlError, and cancel().
import { describe, expect, it } from 'vitest';
import { Predictor, startTraining, type TrainProgress } from '../../../ml/index.ts';
import { featureVectors, synth } from '../synth.ts';

describe('startTraining', () => {
  it('trains on a worker, reports progress and returns a usable model', async () => {
    const events: TrainProgress[] = [];
    const cols = synth(600, 'binary');
    const job = startTraining(cols, { target: 'y', modelType: 'XGBOOST', auto: false, hyperparameters: { num_round: '30' }, settings: {} });
    job.progress.on('progress', (p: TrainProgress) => events.push(p));
    const m = await job.promise;
    expect(m.modelType).toBe('XGBOOST');
    expect(events.length).toBeGreaterThan(0);
    expect(cols[0].vector.values.byteLength).toBe(0); // column buffers were transferred to the worker
    const p = await Predictor.create(m.onnx);
    const out = await p.predict(featureVectors(synth(10, 'binary', 4)), 10);
    expect(out.length).toBe(10);
    await p.release();
  }, 60_000);

  it('rejects with the SqlError raised in the worker', async () => {
    const job = startTraining(synth(50, 'binary'), { target: 'missing', auto: true, hyperparameters: {}, settings: {} });
    await expect(job.promise).rejects.toMatchObject({ name: 'SqlError', code: 'UNDEFINED_COLUMN' });
  }, 60_000);

  it('the TypeScript entry (tsx) starts the same worker', async () => {
    // the suite runs compiled workers (test/support/compiled-workers.ts); users of the sources run this one
    const saved = process.env.STRATA_WORKER_DIR;
    delete process.env.STRATA_WORKER_DIR;
    try {
      const job = startTraining(synth(50, 'binary'), { target: 'missing', auto: true, hyperparameters: {}, settings: {} });
      await expect(job.promise).rejects.toMatchObject({ name: 'SqlError', code: 'UNDEFINED_COLUMN' });
    } finally {
      if (saved !== undefined) process.env.STRATA_WORKER_DIR = saved;
    }
  }, 60_000);

  it('cancel() terminates the worker and rejects with QUERY_CANCELED', async () => {
    const job = startTraining(synth(5000, 'multiclass'), { target: 'y', auto: true, hyperparameters: {}, settings: {} });
    await new Promise((r) => setTimeout(r, 300));
    const t0 = Date.now();
    job.cancel();
    await expect(job.promise).rejects.toMatchObject({ code: 'QUERY_CANCELED' });
    expect(Date.now() - t0).toBeLessThan(1000);
  }, 60_000);
});
