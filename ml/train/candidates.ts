// Which models AUTO tries (families and a few settings), or the single model AUTO OFF trains.
import type { ModelType, TrainSpec } from '../types.ts';
import type { Backend, Task } from './backend.ts';
import { gbt } from './gbt.ts';
import { kmeans } from './kmeans.ts';
import { linear } from './linear.ts';
import { mlp } from './mlp.ts';

/** One thing to train: a backend with its full hyperparameters. */
export interface Candidate { backend: Backend<any>; params: Record<string, string> }

export const BACKENDS: Record<ModelType, Backend<any>> = { LINEAR_LEARNER: linear, XGBOOST: gbt, MLP: mlp, KMEANS: kmeans };

/** Hyperparameter variations AUTO tries per family, cheapest and most robust first. */
const GRID: Record<ModelType, Record<string, string>[]> = {
  LINEAR_LEARNER: [{ solver: 'exact' }, {}, { wd: '0.01' }],
  XGBOOST: [
    { num_round: '1000', eta: '0.1', max_depth: '3', early_stopping_rounds: '30' },
    { num_round: '1000', eta: '0.05', max_depth: '6', subsample: '0.8', colsample_bytree: '0.8', min_child_weight: '3', early_stopping_rounds: '30' },
  ],
  MLP: [{}],
  KMEANS: [{}],
};

/** The candidates for a spec, in the order they are tried; user HYPERPARAMETERS override every candidate. */
export function candidatesFor(spec: TrainSpec, task: Task, rows: number): Candidate[] {
  const user = spec.hyperparameters ?? {};
  const make = (t: ModelType, extra: Record<string, string>): Candidate => {
    const b = BACKENDS[t];
    return { backend: b, params: { ...b.defaults(task, rows), ...extra, ...lowerKeys(user) } };
  };
  if (spec.modelType === 'KMEANS') return [make('KMEANS', {})];
  if (!spec.auto) return [make(spec.modelType ?? 'XGBOOST', {})];
  const families: ModelType[] = spec.modelType ? [spec.modelType] : ['LINEAR_LEARNER', 'XGBOOST', 'MLP'];
  return families.flatMap((t) => GRID[t].map((g) => make(t, g)));
}

function lowerKeys(p: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(p).map(([k, v]) => [k.toLowerCase(), String(v)]));
}
