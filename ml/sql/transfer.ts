// EXPORT MODEL m [VERSION k] TO 'x.onnx' writes the version's ONNX graph (preprocessing and label
// decoding are inside it) and x.json (ml/sql/metadata.ts). IMPORT MODEL m FROM 'x.onnx' checks both
// (hash, signature against the graph, a test run) and adds them as a new model or m's next version,
// READY at once: predictions are the exported graph's own.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SqlError } from '../../engine/errors.ts';
import type { Result } from '../../engine/result.ts';
import type { StatementContext } from '../../engine/session/context.ts';
import { checkOwner } from '../../engine/session/privileges.ts';
import { done } from '../../engine/session/session.ts';
import type * as A from '../../engine/sql/ast.ts';
import { validateExternalModel } from '../infer/validate.ts';
import { type ModelVersion, getModel, resolveVersion } from './catalog.ts';
import { hasProbabilities } from './external.ts';
import { modelPlaces, readPlace, writePlaces } from './files.ts';
import type { ModelJobs } from './jobs.ts';
import { metadataOf, parseMetadata, sha256 } from './metadata.ts';
import { insertVersion, versionTarget } from './versions.ts';
import { hasBackground } from './explain_background.ts';

/** Exporting hands out the model itself, so it takes the owner (or a superuser), not just EXECUTE. */
export async function exportModel(stmt: A.ExportModel, ctx: StatementContext, jobs: ModelJobs): Promise<Result> {
  const m = getModel(ctx, stmt.name, stmt.pos);
  checkOwner(ctx, m.entry, `model ${m.entry.name}`, stmt.pos);
  const v = resolveVersion(m.entry, stmt.version, stmt.pos);
  if (v.remote) throw new SqlError('FEATURE_NOT_SUPPORTED', `version ${v.version} of model "${m.entry.name}" runs on SageMaker endpoint '${v.remote.endpoint}'; there is no ONNX graph to export`, stmt.pos);
  if (v.state !== 'READY' || !v.onnxFile) throw new SqlError('MODEL_NOT_READY', `version ${v.version} of model "${m.entry.name}" is ${v.state}; only a READY version can be exported`, stmt.pos);
  const places = modelPlaces(ctx, stmt.to, 'write', stmt.pos);
  const onnx = new Uint8Array(await readFile(join(ctx.db.dataDir, 'models', v.onnxFile)));
  const meta = new TextEncoder().encode(`${JSON.stringify(metadataOf(m.entry, v, onnx), null, 2)}\n`);
  await writePlaces([[places.onnx, onnx], [places.meta, meta]], stmt.pos);
  jobs.emit({ account: m.account, database: m.database, schema: m.schema, name: m.entry.name, id: v.id }, 'exported', m.entry.state, { message: `version ${v.version} exported to ${stmt.to}` });
  return done('EXPORT MODEL');
}

export async function importModel(stmt: A.ImportModel, ctx: StatementContext, jobs: ModelJobs): Promise<Result> {
  const places = modelPlaces(ctx, stmt.from, 'read', stmt.pos);
  const meta = parseMetadata(await readPlace(places.meta, stmt.pos), places.meta.shown, stmt.pos);
  const target = versionTarget(ctx, stmt.name, stmt.function ?? { fallback: meta.function }, stmt.pos);
  const onnx = await readPlace(places.onnx, stmt.pos);
  if (sha256(onnx) !== meta.onnxSha256) throw new SqlError('INVALID_PARAMETER', `'${places.onnx.shown}' does not match its metadata's onnxSha256: the files are not from the same export`, stmt.pos);
  try {
    await validateExternalModel(onnx, meta.argTypes, meta.returnType);
  } catch (e) {
    throw e instanceof SqlError ? new SqlError(e.code, `${places.onnx.shown}: ${e.message}`, stmt.pos) : e;
  }
  const proba = await hasProbabilities(onnx);
  if (meta.proba && !proba) throw new SqlError('INVALID_PARAMETER', `metadata '${places.meta.shown}' says the model has probabilities, but the graph has no 'probabilities' output`, stmt.pos);
  if (proba && meta.labels === undefined && meta.problemType?.endsWith('CLASSIFICATION')) throw new SqlError('INVALID_PARAMETER', `metadata '${places.meta.shown}': a classifier needs "labels" (the probability order)`, stmt.pos);
  const file = await jobs.writeOnnx(target.key, onnx);
  ctx.txn.newFiles.add(file);
  const now = ctx.now().toISOString();
  const v: Omit<ModelVersion, 'version'> = {
    id: target.key.id, state: 'READY',
    args: meta.signature.args.map((a, i) => ({ name: a.name, type: meta.argTypes[i] })), returns: meta.returnType,
    proba, labels: meta.labels, onnxFile: file, source: stmt.from,
    query: meta.query, target: meta.target, auto: meta.auto, modelType: meta.modelType, problemType: meta.problemType, objective: meta.objective,
    validationScore: meta.validationScore, hyperparameters: meta.hyperparameters, settings: meta.settings ?? {},
    preprocessing: meta.preprocessing, featureImportance: meta.featureImportance, candidates: meta.candidates,
    trainingRows: meta.trainingRows, trainingSeconds: meta.trainingSeconds, createdAt: now, finishedAt: now,
    explainBaseline: meta.modelType === 'EXTERNAL (ONNX)' ? (hasBackground(onnx) ? 'the sample the graph carries' : 'zero') : undefined,
  };
  for (const k of Object.keys(v) as (keyof typeof v)[]) if (v[k] === undefined) delete v[k];
  insertVersion(ctx, target, v);
  ctx.txn.afterCommit.push(() => jobs.emit(target.key, 'ready', 'READY', { message: `imported from ${stmt.from}`, progress: 1 }));
  return done('IMPORT MODEL');
}
