// A model version's training profile: every argument's distribution in the training snapshot and
// the distribution of the version's own predictions on it. Built when training finishes (or, for
// a version made before profiles existed, from its training query), stored as JSON beside the
// version's ONNX file under <dataDir>/models (`profileFile` keeps it alive through GC).
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SqlError } from '../../engine/errors.ts';
import { fsyncDir, writeFileDurable } from '../../engine/storage/durable.ts';
import type { SqlType } from '../../engine/types/types.ts';
import { gather, type Vector } from '../../engine/types/vector.ts';
import { type ColumnProfile, type ModelProfile, profileColumn, profileLabels } from './profile.ts';

/** Whether a version's predictions are categories (classes, clusters) rather than numbers. */
export function predictsCategories(v: { problemType?: string; labels?: unknown[]; modelType?: string }): boolean {
  return v.labels !== undefined || v.modelType === 'KMEANS' || (v.problemType !== undefined && v.problemType !== 'REGRESSION');
}

/** Profiles the arguments (by name, in order) and the predictions of one snapshot. */
export function buildProfile(args: { name: string; vector: Vector }[], predictions: Vector, categorical: boolean): ModelProfile {
  const features: Record<string, ColumnProfile> = {};
  for (const a of args) features[a.name] = profileColumn(a.vector);
  return { format: 'strata-drift-profile', version: 1, features, prediction: categorical ? profileLabels(predictions) : profileColumn(predictions) };
}

/** At most this many training rows (evenly spaced) are kept to profile the predictions. */
export const PREDICTION_ROWS = 100_000;

/**
 * The part of a training profile made before training: the arguments' profiles, and a copy of up
 * to PREDICTION_ROWS rows of them to predict once the model exists (training may take the
 * columns' buffers to its worker thread).
 */
export interface PendingProfile { features: Record<string, ColumnProfile>; rows: { name: string; vector: Vector }[] }

export function startProfile(columns: { name: string; vector: Vector }[], argNames: string[]): PendingProfile {
  const features: Record<string, ColumnProfile> = {};
  const rows: { name: string; vector: Vector }[] = [];
  const n = columns[0]?.vector.length ?? 0;
  const sel = n > PREDICTION_ROWS ? Uint32Array.from({ length: PREDICTION_ROWS }, (_, i) => Math.floor((i * n) / PREDICTION_ROWS)) : null;
  for (const name of argNames) {
    const c = columns.find((x) => x.name === name);
    if (!c) throw new SqlError('INTERNAL_ERROR', `training column ${name} is missing`);
    features[name] = profileColumn(c.vector);
    rows.push({ name, vector: gather(c.vector, sel, sel ? sel.length : n) });
  }
  return { features, rows };
}

/** Runs the trained model (ONNX bytes) over the kept rows and completes the profile. */
export async function finishProfile(p: PendingProfile, onnx: Uint8Array, inputs: { name: string }[], outputType: SqlType, categorical: boolean): Promise<ModelProfile> {
  const args = inputs.map((a) => {
    const c = p.rows.find((x) => x.name === a.name);
    if (!c) throw new SqlError('INTERNAL_ERROR', `training column ${a.name} is missing`);
    return c.vector;
  });
  const { Predictor } = await import('../infer/predictor.ts');
  const predictor = await Predictor.create(onnx, { outputType });
  try {
    const predictions = await predictor.predict(args, args[0]?.length ?? 0);
    return { format: 'strata-drift-profile', version: 1, features: p.features, prediction: categorical ? profileLabels(predictions) : profileColumn(predictions) };
  } finally {
    await predictor.release();
  }
}

/** The profile file of a version: `<id>.profile.json`. */
export const profileFileName = (id: string) => `${id}.profile.json`;

/** Writes a profile durably under <dataDir>/models; returns its file name. */
export async function writeProfile(dataDir: string, id: string, profile: ModelProfile): Promise<string> {
  const dir = join(dataDir, 'models');
  const file = profileFileName(id);
  await writeFileDurable(join(dir, file), JSON.stringify(profile));
  await fsyncDir(dir);
  return file;
}

export async function readProfile(dataDir: string, file: string): Promise<ModelProfile> {
  let p: ModelProfile;
  try {
    p = JSON.parse(await readFile(join(dataDir, 'models', file), 'utf8')) as ModelProfile;
  } catch (e) {
    throw new SqlError('INTERNAL_ERROR', `the model's training profile could not be read: ${(e as Error).message}`);
  }
  if (p?.format !== 'strata-drift-profile' || p.version !== 1) throw new SqlError('INTERNAL_ERROR', 'the model\'s training profile has an unknown format');
  return p;
}
