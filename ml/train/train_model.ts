// trainModel: snapshot -> target and preprocessing -> candidates on a validation split -> refit -> one ONNX graph.
import { SqlError } from '../../engine/errors.ts';
import { T } from '../../engine/types/types.ts';
import { gather } from '../../engine/types/vector.ts';
import { type AnyModel, compileModel } from '../onnx/compile.ts';
import { applyPrep } from '../prep/apply.ts';
import { fitPrep } from '../prep/fit.ts';
import type { FittedPrep } from '../prep/plan.ts';
import { encodeTarget } from '../prep/target.ts';
import type { TrainedModel, TrainingColumn, TrainProgress, TrainSpec } from '../types.ts';
import { checkAbort } from '../util/cancel.ts';
import type { Backend, FitContext, FitData, Task } from './backend.ts';
import { type Candidate, candidatesFor } from './candidates.ts';
import { permutationImportance } from './importance.ts';
import { sampleBackground } from './background.ts';
import { nearest, type KMeansModel } from './kmeans.ts';
import { type Objective, higherIsBetter, resolveObjective } from './metrics.ts';
import { type Evaluated, choose, evaluate } from './select.ts';
import { REFIT_MAX_ROWS, selectRows } from './plan.ts';
import { autoSplit, subset } from './split.ts';

/** Rows used for permutation importance at most. */
const IMPORTANCE_ROWS = 2000;

/** The trained model plus the in-memory pieces it was compiled from (tests compare ONNX against them). */
export interface TrainOutcome { result: TrainedModel; prep: FittedPrep; model: AnyModel; backend: Backend<any> }

/** Trains per the spec; see TrainedModel for what comes back. */
export async function trainModel(columns: TrainingColumn[], spec: TrainSpec, onProgress?: (p: TrainProgress) => void, signal?: AbortSignal): Promise<TrainedModel> {
  return (await fitModel(columns, spec, onProgress, signal)).result;
}

export async function fitModel(columns: TrainingColumn[], spec: TrainSpec, onProgress?: (p: TrainProgress) => void, signal?: AbortSignal): Promise<TrainOutcome> {
  const t0 = Date.now();
  const progress = onProgress ?? (() => {});
  const seed = Math.trunc(setting(spec, 'SEED', 42));
  const deadline = t0 + setting(spec, 'MAX_RUNTIME', 5400) * 1000;
  if (columns.length === 0) throw new SqlError('INVALID_PARAMETER', 'CREATE MODEL needs at least one column');
  const total = columns[0].vector.length;
  if (columns.some((c) => c.vector.length !== total)) throw new SqlError('INTERNAL_ERROR', 'training columns differ in length');
  const clustering = spec.modelType === 'KMEANS';
  if (clustering && spec.target) throw new SqlError('INVALID_PARAMETER', 'KMEANS is unsupervised and takes no TARGET');
  if (!clustering && !spec.target) throw new SqlError('INVALID_PARAMETER', 'TARGET is required (except for MODEL_TYPE KMEANS)');
  const ti = clustering ? -1 : columns.findIndex((c) => c.name.toLowerCase() === spec.target!.toLowerCase());
  if (!clustering && ti < 0) throw new SqlError('UNDEFINED_COLUMN', `target column "${spec.target}" is not in the training data`);
  if (columns.length < (clustering ? 1 : 2)) throw new SqlError('INVALID_PARAMETER', 'CREATE MODEL needs at least one feature column besides the target');

  // Rows: drop NULL targets, then downsample to MAX_CELLS (the same selection EXPLAIN CREATE MODEL reports).
  const sel = selectRows(columns, spec).keep;
  const n = sel.length;
  if (n === 0) throw new SqlError('INVALID_PARAMETER', 'no training rows (every target value is NULL)');
  const cols = columns.map((c) => ({ ...c, vector: gather(c.vector, sel, n) }));
  const features = cols.filter((_, i) => i !== ti);
  checkAbort(signal);

  const target = ti >= 0 ? encodeTarget(cols[ti].name, cols[ti].vector, spec.problemType) : null;
  const prep = fitPrep(features, spec.preprocessors, spec.target);
  const X = applyPrep(prep, features.map((c) => c.vector), n);
  const full: FitData = { x: X.data, rows: n, cols: X.cols, y: target?.y ?? new Float64Array(0) };
  const task: Task = { problem: target?.problem ?? 'CLUSTERING', classes: target?.labels?.length ?? 0 };
  progress({ candidate: 'prep', message: `${n} rows, ${X.cols} features from ${features.length} columns${prep.dropped.length ? `; dropped ${prep.dropped.map((d) => `${d.name} (${d.reason})`).join(', ')}` : ''}` });
  const ctxFor = (candidate: string, s: number, valid?: FitData): FitContext => ({
    task, seed: s, valid, deadline, signal, progress: (p) => progress({ candidate, ...p }),
  });
  const cands = candidatesFor(spec, task, n);

  let chosen: { cand: Candidate; model: unknown; score: number; iterations: number };
  let objective: Objective | 'MSD';
  const tried: TrainedModel['candidates'] = [];
  let importance: TrainedModel['featureImportance'] = [];
  if (clustering) {
    const cand = cands[0];
    const params = { ...cand.params };
    if (params.k === undefined && settingRaw(spec, 'K') !== undefined) params.k = settingRaw(spec, 'K')!;
    const fitted = await cand.backend.fit(full, params, ctxFor('KMEANS', seed));
    const m = fitted.model as KMeansModel;
    let s = 0;
    for (let r = 0; r < n; r++) s += nearest(m, full.x, r).dist;
    objective = 'MSD';
    chosen = { cand: { ...cand, params }, model: m, score: s / n, iterations: fitted.iterations };
    tried.push({ modelType: 'KMEANS', params, validationScore: chosen.score });
  } else {
    objective = resolveObjective(target!.problem, spec.objective);
    const obj = objective;
    const folds = autoSplit(n, task.classes ? full.y : null, seed).map((f) => ({ idx: f, train: subset(full, f.train), valid: subset(full, f.valid) }));
    const results: Evaluated[] = [];
    for (const [ci, cand] of cands.entries()) {
      if (ci > 0 && Date.now() > deadline) { progress({ candidate: 'auto', message: 'MAX_RUNTIME reached; skipping remaining candidates' }); break; }
      const name = `${cand.backend.modelType}#${ci + 1}`;
      const r = await evaluate(cand, folds, obj, task.classes, (fi, valid) => ctxFor(name, seed + fi, valid), seed);
      results.push(r);
      tried.push({ modelType: cand.backend.modelType, params: { ...cand.params, iterations: r.iterations }, validationScore: r.score });
      progress({ candidate: name, validationScore: r.score, message: `${obj} ${r.score.toFixed(4)} ± ${r.se.toFixed(4)} (loss ${r.loss.toFixed(4)})` });
    }
    const b = choose(results, higherIsBetter(obj));
    let model = b.first;
    if (n <= REFIT_MAX_ROWS && Date.now() < deadline) {
      progress({ candidate: b.cand.backend.modelType, message: `refitting on all ${n} rows` });
      model = (await b.cand.backend.fit(full, b.cand.params, ctxFor(`${b.cand.backend.modelType}/refit`, seed), b.iterations)).model;
    }
    chosen = { cand: b.cand, model, score: b.score, iterations: b.iterations };
    const vrows = folds[0].idx.valid.subarray(0, IMPORTANCE_ROWS);
    const vsel = Uint32Array.from(vrows);
    importance = permutationImportance(prep, b.cand.backend, b.first, features.map((c) => gather(c.vector, vsel, vsel.length)),
      Float64Array.from(vrows, (r) => full.y[r]), obj, task.classes, seed);
  }

  const modelType = chosen.cand.backend.modelType;
  const outputType = target?.outputType ?? T.int;
  const background = sampleBackground(features, n, seed);
  const onnx = compileModel({ prep, model: chosen.model as AnyModel, labels: target?.labels, outputType, problemType: task.problem, modelType, background });
  const iterKey = modelType === 'XGBOOST' ? 'num_round' : modelType === 'KMEANS' ? 'max_iter' : 'epochs';
  return {
    prep, model: chosen.model as AnyModel, backend: chosen.cand.backend,
    result: {
      onnx, inputs: prep.inputs, outputType, labels: target?.labels, problemType: task.problem, modelType, objective,
      validationScore: chosen.score, hyperparameters: { ...chosen.cand.params, [iterKey]: String(chosen.iterations) },
      preprocessing: prep, trainingRows: n, trainingSeconds: (Date.now() - t0) / 1000, candidates: tried, featureImportance: importance,
    },
  };
}

function settingRaw(spec: TrainSpec, key: string): string | undefined {
  const s = spec.settings ?? {};
  const k = Object.keys(s).find((x) => x.toUpperCase() === key);
  return k === undefined ? undefined : s[k];
}

function setting(spec: TrainSpec, key: string, fallback: number): number {
  const raw = settingRaw(spec, key);
  if (raw === undefined) return fallback;
  const v = Number(raw);
  if (!Number.isFinite(v)) throw new SqlError('INVALID_PARAMETER', `SETTINGS ${key} must be a number, got '${raw}'`);
  return v;
}

