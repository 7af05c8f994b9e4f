// startTraining: runs trainModel on a worker thread so the server stays responsive; cancel() terminates it.
import { EventEmitter } from 'node:events';
import { Worker } from 'node:worker_threads';
import { type ErrorCode, SqlError } from '../../engine/errors.ts';
import type { Vector } from '../../engine/types/vector.ts';
import type { TrainedModel, TrainingColumn, TrainProgress, TrainSpec } from '../types.ts';
import type { WorkerMessage } from './train_worker.ts';
import { workerEntry } from '../../engine/exec/worker-entry.ts';

/** A background training run. `progress` emits 'progress' (TrainProgress) events. */
export interface TrainingJob {
  promise: Promise<TrainedModel>;
  progress: EventEmitter;
  /** Terminates the worker; the promise rejects with QUERY_CANCELED. */
  cancel(): void;
}

/**
 * Starts training on a worker thread. Column buffers are transferred, not copied, so the caller's
 * vectors are detached afterwards (they are a snapshot for this job); shared buffers are shared.
 */
export function startTraining(columns: TrainingColumn[], spec: TrainSpec, onProgress?: (p: TrainProgress) => void): TrainingJob {
  const progress = new EventEmitter();
  if (onProgress) progress.on('progress', onProgress);
  const worker = new Worker(workerEntry(import.meta.url, 'train_worker.js', 'entry.mjs'));
  const transfer: ArrayBuffer[] = [];
  const owned = columns.map((c) => ({ ...c, vector: transferable(c.vector, transfer) }));
  let settle: { resolve: (m: TrainedModel) => void; reject: (e: Error) => void };
  let done = false;
  const promise = new Promise<TrainedModel>((resolve, reject) => { settle = { resolve, reject }; });
  const finish = (fn: () => void) => { if (done) return; done = true; fn(); void worker.terminate(); };
  worker.on('message', (m: WorkerMessage) => {
    if (m.type === 'progress') progress.emit('progress', m.progress);
    else if (m.type === 'done') finish(() => settle.resolve(m.model));
    else finish(() => settle.reject(m.error.name === 'SqlError' ? new SqlError((m.error.code ?? 'INTERNAL_ERROR') as ErrorCode, m.error.message) : new SqlError('INTERNAL_ERROR', `model training failed: ${m.error.message}`)));
  });
  worker.on('error', (e) => finish(() => settle.reject(new SqlError('INTERNAL_ERROR', `model training failed: ${e.message}`))));
  worker.on('exit', (code) => finish(() => settle.reject(new SqlError('INTERNAL_ERROR', `training worker exited with code ${code}`))));
  worker.postMessage({ columns: owned, spec }, transfer);
  return {
    promise,
    progress,
    cancel: () => finish(() => settle.reject(new SqlError('QUERY_CANCELED', 'model training was canceled'))),
  };
}

/** Prepares a vector for transfer: whole-buffer views move; partial views are copied first; shared memory is shared. */
function transferable(v: Vector, transfer: ArrayBuffer[]): Vector {
  const move = <A extends Vector['values'] | Uint8Array>(a: A): A => {
    if (!(a.buffer instanceof ArrayBuffer)) return a;
    const whole = a.byteOffset === 0 && a.byteLength === a.buffer.byteLength && !transfer.includes(a.buffer);
    const own = (whole ? a : a.slice()) as A;
    transfer.push(own.buffer as ArrayBuffer);
    return own;
  };
  return { ...v, values: move(v.values), valid: v.valid ? move(v.valid) : null };
}
