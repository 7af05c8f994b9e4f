// CREATE MODEL -> TrainSpec, with the checks that can fail before training starts (so the
// statement fails at once instead of leaving a FAILED model): target, problem type, objective,
// PREPROCESSORS, SETTINGS.
import { SqlError } from '../../engine/errors.ts';
import type * as A from '../../engine/sql/ast.ts';
import { T, type SqlType } from '../../engine/types/types.ts';
import { gather } from '../../engine/types/vector.ts';
import { parsePreprocessors } from '../prep/parse.ts';
import { REMOTE_SETTINGS, remoteOptions } from '../sagemaker/settings.ts';
import type { RemoteOptions } from '../sagemaker/train_remote.ts';
import { encodeTarget } from '../prep/target.ts';
import { resolveObjective } from '../train/metrics.ts';
import type { TrainingColumn, TrainSpec } from '../types.ts';
import type { Label } from '../util/values.ts';

/** What the checks learn: the spec plus the prediction function's signature. */
export interface PlannedModel {
  spec: TrainSpec;
  args: { name: string; type: SqlType }[];
  returns: SqlType;
  problemType?: string;
  objective?: string;
  labels?: Label[];
  /** TRAINER 'sagemaker': where and how to train remotely (null: train locally) */
  remote: RemoteOptions | null;
}

const NUMERIC_SETTINGS = new Set(['MAX_CELLS', 'MAX_RUNTIME', 'SEED', 'K']);
/** Settings of remote training (ml/sagemaker), and Redshift ones local training ignores. */
const OTHER_SETTINGS = new Set([...REMOTE_SETTINGS, 'KMS_KEY_ID', 'MAX_BATCH_ROWS']);

export function optionsRecord(opts: A.ModelOption[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const o of opts ?? []) out[o.key.toUpperCase()] = String(o.value);
  return out;
}

/** Checks the statement against the training columns and builds the TrainSpec. */
export function planModel(stmt: A.CreateModel, columns: TrainingColumn[]): PlannedModel {
  const settings = optionsRecord(stmt.settings);
  for (const [k, v] of Object.entries(settings)) {
    if (k === 'TRAINER') {
      if (!['local', 'sagemaker'].includes(v.toLowerCase())) throw new SqlError('FEATURE_NOT_SUPPORTED', `SETTINGS TRAINER '${v}' is not available; use 'local' or 'sagemaker'`, stmt.pos);
    } else if (NUMERIC_SETTINGS.has(k)) {
      const n = Number(v);
      if (!Number.isFinite(n) || (n <= 0 && k !== 'SEED')) throw new SqlError('INVALID_PARAMETER', `SETTINGS ${k} must be a positive number, got '${v}'`, stmt.pos);
    } else if (!OTHER_SETTINGS.has(k)) {
      throw new SqlError('INVALID_PARAMETER', `unknown SETTINGS key ${k} (supported: TRAINER, MAX_CELLS, MAX_RUNTIME, SEED, K, S3_BUCKET, S3_GARBAGE_COLLECT, REGION, DEPLOY_INSTANCE_TYPE)`, stmt.pos);
    }
  }
  const remote = remoteOptions(settings, stmt.iamRole);
  if (remote && stmt.modelType && stmt.modelType !== 'XGBOOST') throw new SqlError('FEATURE_NOT_SUPPORTED', `TRAINER 'sagemaker' trains MODEL_TYPE XGBOOST only, not ${stmt.modelType}`, stmt.pos);
  if (stmt.auto === false && !stmt.modelType) throw new SqlError('INVALID_PARAMETER', 'AUTO OFF needs a MODEL_TYPE', stmt.pos);
  const clustering = stmt.modelType === 'KMEANS';
  if (clustering && stmt.target) throw new SqlError('INVALID_PARAMETER', 'MODEL_TYPE KMEANS is unsupervised and takes no TARGET', stmt.pos);
  if (clustering && stmt.problemType) throw new SqlError('INVALID_PARAMETER', 'MODEL_TYPE KMEANS takes no PROBLEM_TYPE', stmt.pos);
  if (!clustering && !stmt.target) throw new SqlError('INVALID_PARAMETER', 'CREATE MODEL needs TARGET (except MODEL_TYPE KMEANS)', stmt.pos);
  if (columns.length === 0 || columns[0].vector.length === 0) throw new SqlError('INVALID_PARAMETER', 'CREATE MODEL: the training query returned no rows', stmt.pos);
  const names = new Set<string>();
  for (const c of columns) {
    if (names.has(c.name.toLowerCase())) throw new SqlError('INVALID_PARAMETER', `CREATE MODEL: the training query has two columns named "${c.name}"; give them distinct aliases`, stmt.pos);
    names.add(c.name.toLowerCase());
  }
  const ti = stmt.target ? columns.findIndex((c) => c.name.toLowerCase() === stmt.target!.toLowerCase()) : -1;
  if (stmt.target && ti < 0) {
    throw new SqlError('UNDEFINED_COLUMN', `TARGET column "${stmt.target}" is not in the training data (columns: ${columns.map((c) => c.name).join(', ')})`, stmt.pos);
  }
  const features = columns.filter((_, i) => i !== ti);
  if (features.length === 0) throw new SqlError('INVALID_PARAMETER', 'CREATE MODEL needs at least one feature column besides the target', stmt.pos);
  if (stmt.preprocessors) parsePreprocessors(stmt.preprocessors, features, stmt.target);
  const spec: TrainSpec = {
    target: ti >= 0 ? columns[ti].name : undefined,
    modelType: stmt.modelType,
    auto: stmt.auto ?? true,
    problemType: stmt.problemType,
    objective: stmt.objective,
    preprocessors: stmt.preprocessors,
    hyperparameters: optionsRecord(stmt.hyperparameters),
    settings,
  };
  const args = features.map((c) => ({ name: c.name, type: c.type }));
  if (clustering) return { spec, args, returns: T.int, remote };
  // the target's problem type, classes and output type (also fails early on a bad PROBLEM_TYPE)
  const tv = columns[ti].vector;
  let keep: Uint32Array | null = null;
  if (tv.valid) {
    const idx: number[] = [];
    for (let i = 0; i < tv.length; i++) if (tv.valid[i] !== 0) idx.push(i);
    keep = Uint32Array.from(idx);
  }
  if (keep && keep.length === 0) throw new SqlError('INVALID_PARAMETER', `every value of TARGET "${stmt.target}" is NULL`, stmt.pos);
  const target = encodeTarget(columns[ti].name, keep ? gather(tv, keep, keep.length) : tv, stmt.problemType);
  const objective = resolveObjective(target.problem, stmt.objective);
  return { spec, args, returns: target.outputType, problemType: target.problem, objective, labels: target.labels, remote };
}
