// The training snapshot for a remote job, prepared as local training prepares it (NULL targets
// dropped, MAX_CELLS sampling, target encoding, fitted preprocessing), split into train and
// held-out rows, and written as SageMaker's headerless label-first CSV.
import { SqlError } from '../../engine/errors.ts';
import { gather } from '../../engine/types/vector.ts';
import { applyPrep, type Matrix } from '../prep/apply.ts';
import { fitPrep } from '../prep/fit.ts';
import type { FittedPrep } from '../prep/plan.ts';
import { encodeTarget, type TargetInfo } from '../prep/target.ts';
import type { FitData } from '../train/backend.ts';
import { DEFAULT_MAX_CELLS, autoSplit, sampleForCells, subset } from '../train/split.ts';
import type { TrainingColumn, TrainSpec } from '../types.ts';

export interface Prepared {
  prep: FittedPrep;
  target: TargetInfo;
  x: Matrix;
  /** Rows sent to SageMaker's train channel, and the held-out rows (validation channel and local score). */
  train: FitData;
  valid: FitData;
  rows: number;
  seed: number;
}

/** Reads a numeric SETTINGS value (keys case-insensitive). */
export function setting(spec: TrainSpec, key: string): number | undefined {
  const s = spec.settings ?? {};
  const k = Object.keys(s).find((x) => x.toUpperCase() === key);
  if (k === undefined) return undefined;
  const v = Number(s[k]);
  if (!Number.isFinite(v)) throw new SqlError('INVALID_PARAMETER', `SETTINGS ${key} must be a number, got '${s[k]}'`);
  return v;
}

export function prepare(columns: TrainingColumn[], spec: TrainSpec): Prepared {
  if (spec.modelType && spec.modelType !== 'XGBOOST') {
    throw new SqlError('FEATURE_NOT_SUPPORTED', `TRAINER 'sagemaker' trains MODEL_TYPE XGBOOST only (got ${spec.modelType}); use TRAINER 'local' for ${spec.modelType}`);
  }
  if (!spec.target) throw new SqlError('INVALID_PARAMETER', "TRAINER 'sagemaker' needs a TARGET");
  const ti = columns.findIndex((c) => c.name.toLowerCase() === spec.target!.toLowerCase());
  if (ti < 0) throw new SqlError('UNDEFINED_COLUMN', `target column "${spec.target}" is not in the training data`);
  if (columns.length < 2) throw new SqlError('INVALID_PARAMETER', 'CREATE MODEL needs at least one feature column besides the target');
  const seed = Math.trunc(setting(spec, 'SEED') ?? 42);
  const maxCells = setting(spec, 'MAX_CELLS') ?? DEFAULT_MAX_CELLS;
  if (maxCells < 1) throw new SqlError('INVALID_PARAMETER', 'MAX_CELLS must be positive');

  const tv = columns[ti].vector;
  let keep: number[] = [];
  for (let r = 0; r < tv.length; r++) if (!tv.valid || tv.valid[r] !== 0) keep.push(r);
  const sample = sampleForCells(keep.length, columns.length, maxCells, seed);
  if (sample) keep = Array.from(sample, (i) => keep[i]);
  const n = keep.length;
  if (n < 2) throw new SqlError('INVALID_PARAMETER', `too few training rows with a non-NULL target (${n})`);
  const sel = Uint32Array.from(keep);
  const cols = columns.map((c) => ({ ...c, vector: gather(c.vector, sel, n) }));
  const features = cols.filter((_, i) => i !== ti);
  const target = encodeTarget(cols[ti].name, cols[ti].vector, spec.problemType);
  const prep = fitPrep(features, spec.preprocessors, spec.target);
  const x = applyPrep(prep, features.map((c) => c.vector), n);
  const full: FitData = { x: x.data, rows: n, cols: x.cols, y: target.y };
  const fold = autoSplit(n, target.labels ? target.y : null, seed)[0];
  return { prep, target, x, train: subset(full, fold.train), valid: subset(full, fold.valid), rows: n, seed };
}

/** Headerless CSV, label first, features as the shortest decimals that read back as the same float32. */
export function toCsv(d: FitData): string {
  const lines: string[] = new Array(d.rows);
  const cells: string[] = new Array(d.cols + 1);
  for (let r = 0; r < d.rows; r++) {
    cells[0] = String(d.y[r]);
    for (let j = 0; j < d.cols; j++) cells[j + 1] = f32Text(d.x[r * d.cols + j]);
    lines[r] = cells.join(',');
  }
  return lines.join('\n') + '\n';
}

function f32Text(v: number): string {
  if (Number.isInteger(v)) return String(v);
  for (let p = 6; p < 9; p++) {
    const s = v.toPrecision(p);
    if (Math.fround(Number(s)) === v) return String(Number(s));
  }
  return String(Number(v.toPrecision(9)));
}

/** Reads back what `toCsv` wrote (the held-out rows of a job resumed after a restart). */
export function fromCsv(text: string, cols: number, what: string): FitData {
  const lines = text.split('\n').filter((l) => l.length > 0);
  const x = new Float32Array(lines.length * cols), y = new Float64Array(lines.length);
  lines.forEach((line, r) => {
    const cells = line.split(',').map(Number);
    if (cells.length !== cols + 1 || cells.some((v) => !Number.isFinite(v))) throw new SqlError('INVALID_PARAMETER', `${what} line ${r + 1}: expected a label and ${cols} numbers`);
    y[r] = cells[0];
    for (let j = 0; j < cols; j++) x[r * cols + j] = cells[j + 1];
  });
  return { x, y, rows: lines.length, cols };
}
