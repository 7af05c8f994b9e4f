// The one interface every training backend implements (PostgresML-style: fit, predict; models are plain data).
import { SqlError } from '../../engine/errors.ts';
import type { ProblemType, TrainProgress } from '../types.ts';

/** Training rows: a row-major float32 feature matrix and the encoded target. */
export interface FitData {
  x: Float32Array;
  rows: number;
  cols: number;
  /** Regression values or class indices (empty for KMEANS). */
  y: Float64Array;
}

/** What the learner predicts: regression (classes 0), classification (classes >= 2), or clustering. */
export interface Task { problem: ProblemType | 'CLUSTERING'; classes: number }

export interface FitContext {
  task: Task;
  seed: number;
  /** Rows for early stopping, when there is a validation split. */
  valid?: FitData;
  /** Wall-clock deadline (ms since epoch); trainers stop early and return what they have. */
  deadline: number;
  signal?: AbortSignal;
  progress: (p: Omit<TrainProgress, 'candidate'>) => void;
}

/** A fitted model plus how many epochs/rounds it used (the count to reuse when refitting on all rows). */
export interface Fitted<M> { model: M; iterations: number }

/** A model family. Models are plain structured-cloneable objects, so they cross worker boundaries. */
export interface Backend<M> {
  modelType: 'XGBOOST' | 'MLP' | 'LINEAR_LEARNER' | 'KMEANS';
  /** Default hyperparameters (strings, as HYPERPARAMETERS gives them) for a task and data size. */
  defaults(task: Task, rows: number): Record<string, string>;
  /** Trains; when `iterations` is set, trains exactly that many epochs/rounds without early stopping. */
  fit(data: FitData, params: Record<string, string>, ctx: FitContext, iterations?: number): Promise<Fitted<M>>;
  /**
   * Predicts rows of a feature matrix: n values for regression, n×classes probabilities for
   * classification, n cluster indices for clustering.
   */
  predict(model: M, x: Float32Array, rows: number): Float64Array;
  /**
   * Whether fit stops early on `ctx.valid` with these hyperparameters (default: yes). Model
   * selection then gives it a stopping set carved from the fold's training rows, never the rows
   * it is scored on.
   */
  stopsEarly?(params: Record<string, string>): boolean;
}

/** Reads a numeric hyperparameter, with a clear error for values that are not numbers. */
export function num(params: Record<string, string>, key: string, fallback: number): number {
  const raw = lookup(params, key);
  if (raw === undefined || raw === '') return fallback;
  const v = Number(raw);
  if (!Number.isFinite(v)) throw new SqlError('INVALID_PARAMETER', `hyperparameter ${key.toUpperCase()} must be a number, got '${raw}'`);
  return v;
}

/** Case-insensitive hyperparameter lookup. */
export function lookup(params: Record<string, string>, key: string): string | undefined {
  const k = Object.keys(params).find((p) => p.toLowerCase() === key.toLowerCase());
  return k === undefined ? undefined : params[k];
}
