// What a training will do, known before it starts (EXPLAIN CREATE MODEL): the rows it keeps
// (NULL targets dropped, then MAX_CELLS sampling), the features preprocessing makes, how candidates
// are compared, the candidates, and a time estimate from a cost model per family. fitModel uses the
// same row selection, so the plan and the training agree on rows and features.
import { SqlError } from '../../engine/errors.ts';
import { gather } from '../../engine/types/vector.ts';
import { fitPrep } from '../prep/fit.ts';
import type { FittedPrep } from '../prep/plan.ts';
import { encodeTarget } from '../prep/target.ts';
import type { TrainingColumn, TrainSpec } from '../types.ts';
import { type Task, lookup, num } from './backend.ts';
import { type Candidate, candidatesFor } from './candidates.ts';
import { hiddenLayers, netConfig } from './netparams.ts';
import { FOLD_REFIT_MAX_ROWS } from './select.ts';
import { DEFAULT_MAX_CELLS, sampleForCells } from './split.ts';

/** Above this many rows the model trained on the train split is kept instead of refitting on all rows. */
export const REFIT_MAX_ROWS = 50_000;

/** The rows training uses: non-NULL targets, then at most MAX_CELLS / columns of them (seeded). */
export interface RowSelection { total: number; nullTargets: number; keep: Uint32Array; maxCells: number; sampled: boolean; targetIndex: number }

export function selectRows(columns: TrainingColumn[], spec: TrainSpec): RowSelection {
  const seed = Math.trunc(setting(spec, 'SEED', 42));
  const maxCells = setting(spec, 'MAX_CELLS', DEFAULT_MAX_CELLS);
  if (maxCells < 1) throw new SqlError('INVALID_PARAMETER', 'MAX_CELLS must be positive');
  if (columns.length === 0) throw new SqlError('INVALID_PARAMETER', 'CREATE MODEL needs at least one column');
  const total = columns[0].vector.length;
  const ti = spec.modelType === 'KMEANS' || !spec.target ? -1 : columns.findIndex((c) => c.name.toLowerCase() === spec.target!.toLowerCase());
  let keep: number[] = [];
  const tv = ti >= 0 ? columns[ti].vector : null;
  for (let r = 0; r < total; r++) if (!tv?.valid || tv.valid[r] !== 0) keep.push(r);
  const nonNull = keep.length;
  const sample = sampleForCells(keep.length, columns.length, maxCells, seed);
  if (sample) keep = Array.from(sample, (i) => keep[i]);
  return { total, nullTargets: total - nonNull, keep: Uint32Array.from(keep), maxCells, sampled: sample !== null, targetIndex: ti };
}

/** One candidate AUTO (or AUTO OFF) will train, with its estimated share of the time. */
export interface PlannedCandidate { modelType: string; params: Record<string, string>; seconds: number }

export interface TrainingPlan {
  /** rows the FROM query returned */
  inputRows: number;
  nullTargets: number;
  /** rows training uses (after MAX_CELLS sampling) */
  rows: number;
  maxCells: number;
  sampled: boolean;
  /** input columns besides the target, and the features preprocessing makes of them */
  featureColumns: number;
  features: number;
  dropped: { name: string; reason: string }[];
  /** the preprocessing fitted on the kept rows (what training would fit) */
  prep: FittedPrep;
  problem: string;
  classes: number;
  /** how candidates are compared */
  validation: string;
  candidates: PlannedCandidate[];
  /** whether the chosen candidate is refit on all rows */
  refit: boolean;
  estimatedSeconds: number;
}

/** Plans a local training of `columns` per `spec` (prep is fit on the kept rows, nothing is trained). */
export function planTraining(columns: TrainingColumn[], spec: TrainSpec): TrainingPlan {
  const sel = selectRows(columns, spec);
  const n = sel.keep.length;
  const cols = columns.map((c) => ({ ...c, vector: gather(c.vector, sel.keep, n) }));
  const features = cols.filter((_, i) => i !== sel.targetIndex);
  const target = sel.targetIndex >= 0 && n > 0 ? encodeTarget(cols[sel.targetIndex].name, cols[sel.targetIndex].vector, spec.problemType) : null;
  const prep: FittedPrep = fitPrep(features, spec.preprocessors, spec.target);
  const task: Task = { problem: target?.problem ?? 'CLUSTERING', classes: target?.labels?.length ?? 0 };
  const clustering = spec.modelType === 'KMEANS';
  const folds = clustering ? 0 : n < 500 ? (n >= 50 ? 5 : 3) : 1;
  const valid = clustering ? 0 : n < 500 ? Math.round(n / folds) : n <= 50_000 ? Math.round(n * 0.2) : 10_000;
  const validation = clustering ? 'none (KMEANS scores mean squared distance on all rows)'
    : folds > 1 ? `${folds}-fold cross-validation${task.classes ? ' (stratified)' : ''}`
    : `holdout of ${valid} rows${task.classes ? ' (stratified)' : ''}`;
  const width = prep.features.length;
  const shape: Shape = { train: clustering ? n : n - valid, valid, features: width, outputs: Math.max(1, task.classes > 2 ? task.classes : 1), classifier: task.classes > 0 };
  const cands = candidatesFor(spec, task, n);
  // a candidate that stops early fits twice on a small single holdout (see select.ts)
  const fits = (c: Candidate) => ((c.backend.stopsEarly?.(c.params) ?? true) && folds === 1 && shape.train <= FOLD_REFIT_MAX_ROWS ? 2 : 1);
  const planned = cands.map((c) => ({ modelType: c.backend.modelType, params: c.params, seconds: Math.max(1, folds) * fits(c) * fitSeconds(c, shape) }));
  const refit = !clustering && n <= REFIT_MAX_ROWS;
  // the refit trains the first (simplest) candidate's family on all rows, a fair middle guess
  const refitSeconds = refit ? fitSeconds(cands[0], { ...shape, train: n }) : 0;
  const estimatedSeconds = WORKER_START_S + planned.reduce((a, c) => a + c.seconds, 0) + refitSeconds;
  return {
    inputRows: sel.total, nullTargets: sel.nullTargets, rows: n, maxCells: sel.maxCells, sampled: sel.sampled,
    featureColumns: features.length, features: width, dropped: prep.dropped.map((d) => ({ name: d.name, reason: d.reason })), prep,
    problem: task.problem, classes: task.classes, validation, candidates: planned, refit, estimatedSeconds,
  };
}

// ------------------------------------------------------------------ cost model
// Constants fitted to AUTO ON runs on the example datasets (iris, diabetes, breast_cancer, churn)
// on this project's 2-core machine under its usual load; `npm run bench -- ml` prints the estimate
// beside the measured time. Networks assume they run all their epochs (early stopping makes them
// shorter, so small easy problems come in under the estimate); boosting assumes ~20/eta rounds.

/** Starting the training worker (tsx, TensorFlow.js wasm) and its first graph. */
const WORKER_START_S = 5;
/** One mini-batch step of a network (dispatch, shuffle, optimizer), whatever its size. */
const NET_STEP_S = 2.5e-3;
/** One multiply-add of a network, per sample (forward + backward counted as 3 forwards). */
const NET_MAC_S = 1e-9;
/** One row x feature x output of one boosting round (histograms, splits, margins). */
const GBT_CELL_S = 9e-8;
/** One tree of one boosting round (split search over the bins). */
const GBT_TREE_S = 3e-4;
/** One row x feature x output multiply-add of the exact linear solver's passes (plain JS). */
const EXACT_MAC_S = 3e-9;
/** Objective evaluations an L-BFGS fit takes, about (line searches included). */
const LBFGS_EVALS = 150;

/** One row x cluster x feature of one k-means iteration. */
const KMEANS_CELL_S = 2e-9;

interface Shape { train: number; valid: number; features: number; outputs: number; classifier?: boolean }

const isClassifier = (s: Shape) => s.classifier === true;

/** Estimated seconds to fit one candidate once (one fold) on `s.train` rows. */
function fitSeconds(c: Candidate, s: Shape): number {
  const p = c.params;
  switch (c.backend.modelType) {
    case 'XGBOOST': {
      // early stopping usually ends a run after about 20 / eta rounds
      const rounds = Math.min(num(p, 'num_round', 100), Math.ceil(20 / Math.max(0.01, num(p, 'eta', 0.3))));
      const rows = s.train * Math.min(1, num(p, 'subsample', 1)) + s.valid;
      return rounds * s.outputs * (GBT_TREE_S + rows * s.features * Math.min(1, num(p, 'colsample_bytree', 1)) * GBT_CELL_S);
    }
    case 'KMEANS': {
      const k = Math.max(1, num(p, 'k', 8));
      return num(p, 'max_iter', 100) * s.train * k * s.features * KMEANS_CELL_S;
    }
    default: {
      if (c.backend.modelType === 'LINEAR_LEARNER' && (p.solver ?? '').toLowerCase() === 'exact') {
        // ridge: Gram matrix plus leave-one-out per α; logistic: 3 folds × the C path, then one fit
        if (!isClassifier(s)) return 8 * s.train * s.features * s.features * EXACT_MAC_S;
        return 16 * LBFGS_EVALS * s.train * s.features * s.outputs * 2 * EXACT_MAC_S;
      }
      const hidden = c.backend.modelType === 'MLP' ? hiddenLayers(p, [64]) : [];
      const cfg = netConfig(p, Math.max(1, s.train), hidden, c.backend.modelType === 'MLP' ? 2000 : 1500);
      const sizes = [s.features, ...hidden, s.outputs];
      let macs = 0;
      for (let i = 1; i < sizes.length; i++) macs += sizes[i - 1] * sizes[i];
      const batch = Math.min(cfg.batch, Math.max(1, s.train));
      const steps = cfg.epochs * Math.ceil(Math.max(1, s.train) / batch);
      // forward + backward ~ 3x the forward multiply-adds; validation each epoch forward only
      return steps * NET_STEP_S + cfg.epochs * (s.train * 3 + s.valid) * macs * NET_MAC_S;
    }
  }
}

function setting(spec: TrainSpec, key: string, fallback: number): number {
  const raw = lookup(spec.settings ?? {}, key);
  if (raw === undefined) return fallback;
  const v = Number(raw);
  if (!Number.isFinite(v)) throw new SqlError('INVALID_PARAMETER', `SETTINGS ${key} must be a number, got '${raw}'`);
  return v;
}
