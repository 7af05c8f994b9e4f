// Runs inside the training worker thread: receives columns and spec, posts progress, then the model or an error.
import { parentPort } from 'node:worker_threads';
import { trainModel } from '../train/train_model.ts';
import type { TrainingColumn, TrainSpec } from '../types.ts';

/** Messages the worker sends back to startTraining. */
export type WorkerMessage =
  | { type: 'progress'; progress: import('../types.ts').TrainProgress }
  | { type: 'done'; model: import('../types.ts').TrainedModel }
  | { type: 'error'; error: { name: string; code?: string; message: string } };

const port = parentPort!;
port.once('message', async (msg: { columns: TrainingColumn[]; spec: TrainSpec }) => {
  const post = (m: WorkerMessage, transfer: ArrayBuffer[] = []) => port.postMessage(m, transfer);
  try {
    const model = await trainModel(msg.columns, msg.spec, (progress) => post({ type: 'progress', progress }));
    post({ type: 'done', model }, [model.onnx.buffer as ArrayBuffer]);
  } catch (e) {
    const err = e as { name?: string; code?: string; message?: string };
    post({ type: 'error', error: { name: err.name ?? 'Error', code: err.code, message: err.message ?? String(e) } });
  }
});
