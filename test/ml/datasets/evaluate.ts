// Trains with AUTO ON defaults on a dataset's _train split and scores the ONNX Predictor on its _test split.
import { Predictor, trainModel, type TrainedModel } from '../../../ml/index.ts';
import { r2 } from '../../../ml/train/metrics.ts';
import { labelAt } from '../../../ml/util/values.ts';
import { loadDataset } from '../csv.ts';

export interface Evaluation { model: TrainedModel; seconds: number; accuracy?: number; f1?: number; r2?: number }

export async function evaluate(name: string, target: string): Promise<Evaluation> {
  const { train, test } = loadDataset(name);
  const t0 = Date.now();
  const model = await trainModel(train, { target, auto: true, hyperparameters: {}, settings: {} });
  const seconds = (Date.now() - t0) / 1000;
  const p = await Predictor.create(model.onnx);
  const truthCol = test.find((c) => c.name === target)!.vector;
  const n = truthCol.length;
  const out = await p.predict(test.filter((c) => c.name !== target).map((c) => c.vector), n);
  await p.release();
  const truth = Array.from({ length: n }, (_, i) => labelAt(truthCol, i));
  const pred = Array.from({ length: n }, (_, i) => labelAt(out, i));
  if (model.problemType === 'REGRESSION') return { model, seconds, r2: r2(pred as number[], truth as number[]) };
  const pos = model.labels![model.labels!.length - 1];
  let right = 0, tp = 0, fp = 0, fn = 0;
  for (let i = 0; i < n; i++) {
    if (pred[i] === truth[i]) right++;
    if (pred[i] === pos && truth[i] === pos) tp++;
    else if (pred[i] === pos) fp++;
    else if (truth[i] === pos) fn++;
  }
  return { model, seconds, accuracy: right / n, f1: (2 * tp) / (2 * tp + fp + fn) };
}

/** Prints a one-line summary (kept in the test log for the report). */
export function report(name: string, e: Evaluation): void {
  const s = e.r2 !== undefined ? `R2 ${e.r2.toFixed(4)}` : `accuracy ${e.accuracy!.toFixed(4)} F1 ${e.f1!.toFixed(4)}`;
  console.log(`[ml] ${name}: ${s}; ${e.model.modelType}, validation ${e.model.objective} ${e.model.validationScore.toFixed(4)}, trained in ${e.seconds.toFixed(1)} s`);
}
