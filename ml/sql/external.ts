// Bring your own model: CREATE MODEL m FUNCTION f(types) RETURNS type FROM 'model.onnx'.
// The file is validated against the declared signature, copied under <dataDir>/models, and the
// model (or its next version, which becomes current) is READY in the same commit.
import { readFile } from 'node:fs/promises';
import * as ort from 'onnxruntime-node';
import { SqlError } from '../../engine/errors.ts';
import type { Result } from '../../engine/result.ts';
import type { StatementContext } from '../../engine/session/context.ts';
import { done } from '../../engine/session/session.ts';
import type * as A from '../../engine/sql/ast.ts';
import { type SqlType, resolveTypeName } from '../../engine/types/types.ts';
import { validateExternalModel } from '../infer/validate.ts';
import type { ModelVersion } from './catalog.ts';
import { optionsRecord } from './spec.ts';
import { hasBackground, sampleBackground, withBackground } from './explain_background.ts';
import { MAX_ONNX_BYTES } from './files.ts';
import type { ModelJobs } from './jobs.ts';
import { insertVersion, versionTarget } from './versions.ts';

export async function createExternalModel(stmt: A.CreateModelExternal, ctx: StatementContext, jobs: ModelJobs): Promise<Result> {
  const target = versionTarget(ctx, stmt.name, stmt.function, stmt.pos);
  const { key } = target;
  const argTypes = stmt.argTypes.map(sqlType);
  const returns = sqlType(stmt.returns);
  let bytes = await readModel(ctx, stmt.path!, stmt.pos);
  await validateExternalModel(bytes, argTypes, returns);
  const proba = await hasProbabilities(bytes);
  const settings = optionsRecord(stmt.settings);
  const unknown = Object.keys(settings).find((k) => k !== 'EXPLAIN_BACKGROUND' && k !== 'SEED');
  if (unknown) throw new SqlError('INVALID_PARAMETER', `unknown SETTINGS key ${unknown} for an ONNX model (supported: EXPLAIN_BACKGROUND, SEED)`, stmt.pos);
  let baseline = hasBackground(bytes) ? 'the sample the graph carries' : 'zero';
  if (settings.EXPLAIN_BACKGROUND !== undefined) {
    const seed = settings.SEED === undefined ? 0 : Number(settings.SEED);
    if (!Number.isInteger(seed)) throw new SqlError('INVALID_PARAMETER', `SETTINGS SEED must be an integer, got '${settings.SEED}'`, stmt.pos);
    const rows = await sampleBackground(ctx, settings.EXPLAIN_BACKGROUND, argTypes, seed, stmt.pos);
    bytes = withBackground(bytes, rows);
    baseline = `${rows.length} row(s) of EXPLAIN_BACKGROUND`;
  }
  const file = await jobs.writeOnnx(key, bytes);
  ctx.txn.newFiles.add(file);
  const now = ctx.now().toISOString();
  const version: Omit<ModelVersion, 'version'> = {
    id: key.id, state: 'READY',
    args: argTypes.map((type, i) => ({ name: `arg${i + 1}`, type })), returns, proba,
    onnxFile: file, source: stmt.path, modelType: 'EXTERNAL (ONNX)', settings, explainBaseline: baseline,
    createdAt: now, finishedAt: now,
  };
  insertVersion(ctx, target, version);
  ctx.txn.afterCommit.push(() => jobs.emit(key, 'ready', 'READY', { message: `registered from ${stmt.path}`, progress: 1 }));
  return done('CREATE MODEL');
}

function sqlType(t: A.TypeRef): SqlType {
  const r = resolveTypeName(t.name, t.params);
  if (!r) throw new SqlError('DATATYPE_MISMATCH', `type "${t.name}" does not exist`, t.pos);
  return r;
}

/** Reads a local ONNX file where the session's file policy allows (like COPY's input). */
async function readModel(ctx: StatementContext, path: string, pos: A.Pos): Promise<Uint8Array> {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(path)) throw new SqlError('FEATURE_NOT_SUPPORTED', `only local model files are supported here, not '${path}'`, pos);
  const file = ctx.files.openRead(path, 'CREATE MODEL', pos, 'UNDEFINED_OBJECT');
  try {
    if (file.size > MAX_ONNX_BYTES) throw new SqlError('INVALID_PARAMETER', `'${path}' is ${file.size} bytes, more than the ${MAX_ONNX_BYTES} allowed`, pos);
    return new Uint8Array(await readFile(file.path));
  } catch (e) {
    if (e instanceof SqlError) throw e;
    throw new SqlError('UNDEFINED_OBJECT', `cannot read model file '${path}': ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, pos);
  } finally {
    file.close();
  }
}

/** Whether the graph has a 'probabilities' tensor output (then `<function>_prob` works). */
export async function hasProbabilities(bytes: Uint8Array): Promise<boolean> {
  const s = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1 });
  try {
    return s.outputNames.includes('probabilities');
  } finally {
    await s.release();
  }
}
