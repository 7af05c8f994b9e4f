// Model selection never lets a candidate stop early on the rows it is scored on: a candidate that
// stops early gets a stopping set carved from the fold's training rows (and, on a single small
// holdout, a refit on all of them); one that does not gets the fold's training rows whole.
import { describe, expect, it } from 'vitest';
import type { Backend, FitData } from '../../../ml/train/backend.ts';
import { evaluate } from '../../../ml/train/select.ts';
import { subset } from '../../../ml/train/split.ts';

/** Rows carry their own id as the one feature, so a backend can see which rows it was given. */
function rowsData(ids: number[]): FitData {
  return { x: Float32Array.from(ids), rows: ids.length, cols: 1, y: Float64Array.from(ids, (i) => i % 2) };
}

function recorder(stops: boolean) {
  const calls: { train: number[]; stop: number[] | null; iterations?: number }[] = [];
  const backend: Backend<null> = {
    modelType: 'MLP',
    defaults: () => ({}),
    fit: async (data, _p, ctx, iterations) => {
      calls.push({ train: Array.from(data.x), stop: ctx.valid ? Array.from(ctx.valid.x) : null, iterations });
      return { model: null, iterations: 7 };
    },
    predict: (_m, _x, rows) => new Float64Array(rows * 2).fill(0.5),
    stopsEarly: () => stops,
  };
  return { backend, calls };
}

const ctx = (_fold: number, valid: FitData | undefined) => ({ task: { problem: 'BINARY_CLASSIFICATION' as const, classes: 2 }, seed: 1, valid, deadline: Infinity, progress: () => {} });

describe('evaluate', () => {
  const all = rowsData(Array.from({ length: 120 }, (_, i) => i));
  const kfold = [0, 1, 2].map((f) => {
    const valid = Int32Array.from({ length: 40 }, (_, i) => i * 3 + f), train = Int32Array.from({ length: 120 }, (_, i) => i).filter((i) => i % 3 !== f);
    return { train: subset(all, train), valid: subset(all, valid) };
  });

  it('k-fold: early stopping on a sixth of each fold\'s training rows, never its scored rows; no refit', async () => {
    const { backend, calls } = recorder(true);
    await evaluate({ backend, params: {} }, kfold, 'Accuracy', 2, ctx, 5);
    expect(calls).toHaveLength(3);
    calls.forEach((c, f) => {
      const scored = new Set(Array.from(kfold[f].valid.x));
      expect(c.stop!.length).toBe(Math.floor(80 / 6));
      expect(c.stop!.some((r) => scored.has(r))).toBe(false);
      expect(c.train.some((r) => scored.has(r) || c.stop!.includes(r))).toBe(false);
      expect(c.train.length + c.stop!.length).toBe(80);
    });
  });

  it('a single holdout: the stopped candidate is refit on all training rows for the iterations it found', async () => {
    const { backend, calls } = recorder(true);
    await evaluate({ backend, params: {} }, [kfold[0]], 'Accuracy', 2, ctx, 5);
    expect(calls).toHaveLength(2);
    expect(calls[1]).toEqual({ train: Array.from(kfold[0].train.x), stop: null, iterations: 7 });
  });

  it('a candidate that does not stop early trains on the fold\'s training rows whole', async () => {
    const { backend, calls } = recorder(false);
    await evaluate({ backend, params: {} }, kfold, 'Accuracy', 2, ctx, 5);
    calls.forEach((c, f) => expect(c).toEqual({ train: Array.from(kfold[f].train.x), stop: null, iterations: undefined }));
  });
});
