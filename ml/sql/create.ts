// CREATE MODEL: snapshots the training query, checks it, and records the model (or its next
// version) as TRAINING in the statement's transaction. Training starts on a worker when that transaction commits (so a
// rolled-back CREATE MODEL trains nothing); in wait mode (the one-shot CLI) the statement trains
// first and commits the READY model itself.
import { randomUUID } from 'node:crypto';
import { splitName } from '../../engine/catalog/lookup.ts';
import { SqlError } from '../../engine/errors.ts';
import { isScalarFunction } from '../../engine/functions/registry.ts';
import type { Result } from '../../engine/result.ts';
import type { StatementContext } from '../../engine/session/context.ts';
import { checkSchemaCreate } from '../../engine/session/privileges.ts';
import { done } from '../../engine/session/session.ts';
import type * as A from '../../engine/sql/ast.ts';
import { printStatement } from '../../engine/sql/printer.ts';
import type { TrainedModel, TrainingColumn } from '../types.ts';
import { type ModelVersion, functionNames, modelsOf, schemaIn } from './catalog.ts';
import { type ModelJobs, type ModelKey, readyFields } from './jobs.ts';
import { planModel } from './spec.ts';
import { insertVersion, versionTarget } from './versions.ts';

/** The session setting that makes CREATE MODEL wait for training (the one-shot CLI sets it). */
export const WAIT_SETTING = 'ml_wait_for_training';

export function waitsForTraining(ctx: StatementContext): boolean {
  const v = ctx.session.settings.get(WAIT_SETTING)?.toLowerCase().replace(/'/g, '');
  return v === 'on' || v === 'true' || v === '1';
}

export async function createModel(stmt: A.CreateModel, ctx: StatementContext, jobs: ModelJobs): Promise<Result> {
  const target = versionTarget(ctx, stmt.name, stmt.function, stmt.pos);
  const { key } = target;

  const { query, columns } = await trainingSnapshot(stmt, ctx);
  const planned = planModel(stmt, columns);

  const version: Omit<ModelVersion, 'version'> = {
    id: key.id, state: 'TRAINING',
    args: planned.args, returns: planned.returns, labels: planned.labels, proba: planned.labels !== undefined,
    query: printStatement({ kind: 'Query', pos: stmt.pos, query }),
    target: planned.spec.target, auto: planned.spec.auto, modelType: stmt.modelType,
    problemType: planned.problemType, objective: planned.objective,
    hyperparameters: planned.spec.hyperparameters, settings: planned.spec.settings,
    createdAt: ctx.now().toISOString(),
  };
  if (version.labels === undefined) delete version.labels;
  const rows = columns[0].vector.length;

  if (waitsForTraining(ctx)) {
    jobs.emit(key, 'created', 'TRAINING', { message: `training on ${rows} rows`, progress: 0 });
    const profile = jobs.startProfile(columns, planned.args.map((a) => a.name));
    const model = await trainUntil(jobs.train(key, columns, planned.spec, rows, planned.remote), () => jobs.cancel(key.id), ctx.signal);
    const file = model.served ? undefined : await jobs.writeOnnx(key, model.onnx);
    if (file) ctx.txn.newFiles.add(file);
    const profileFile = model.served ? undefined : await jobs.writeProfile(key, model, profile);
    if (profileFile) ctx.txn.newFiles.add(profileFile);
    Object.assign(version, readyFields(model, file, ctx.now().toISOString()), profileFile ? { profileFile } : {});
    insertVersion(ctx, target, version);
    ctx.txn.afterCommit.push(() => jobs.emit(key, 'ready', 'READY', { validationScore: model.validationScore, progress: 1, message: `${model.modelType} ${model.objective} ${model.validationScore.toFixed(4)} in ${model.trainingSeconds.toFixed(1)} s` }));
    return done('CREATE MODEL');
  }
  insertVersion(ctx, target, version);
  ctx.txn.afterCommit.push(() => {
    jobs.emit(key, 'created', 'TRAINING', { message: `training on ${rows} rows`, progress: 0 });
    jobs.start(key, columns, planned.spec, rows, planned.remote);
  });
  return done('CREATE MODEL');
}

/** Runs the FROM query: the training snapshot, one column per output field. */
export async function trainingSnapshot(stmt: A.CreateModel, ctx: StatementContext): Promise<{ query: A.Query; columns: TrainingColumn[] }> {
  const query: A.Query = stmt.from.kind === 'Subquery' ? stmt.from.query : selectStar(stmt.from);
  const plan = await ctx.bindQuery(query);
  const batch = await ctx.run(plan);
  const fields = plan.fields.filter((f) => !f.hidden);
  return { query, columns: fields.map((f, i) => ({ name: f.name, type: f.type, vector: batch.columns[i] })) };
}

/** Waits for training, canceling it if the statement is canceled. */
async function trainUntil(p: Promise<TrainedModel>, cancel: () => void, signal?: AbortSignal): Promise<TrainedModel> {
  if (!signal) return p;
  if (signal.aborted) cancel();
  signal.addEventListener('abort', cancel, { once: true });
  try { return await p; } finally { signal.removeEventListener('abort', cancel); }
}

/** CREATE MODEL needs a superuser or the CREATE MODEL privilege (GRANT CREATE MODEL TO u). */
export function checkCreatePrivilege(ctx: StatementContext, pos: A.Pos): void {
  if (ctx.isSuperuser) return;
  const u = ctx.account.users[ctx.session.user];
  if (!u?.system.includes('CREATE MODEL')) throw new SqlError('PERMISSION_DENIED', `permission denied: user "${ctx.session.user}" lacks the CREATE MODEL privilege`, pos);
}

/** Where a new model goes (its schema must exist), with a fresh id. */
export function newModelKey(ctx: StatementContext, name: string[], pos: A.Pos): ModelKey {
  const n = splitName(name, ctx.session.database, ctx.session.searchPath[0] ?? 'public', pos);
  const key = { account: ctx.session.account, database: n.database, schema: n.schema, name: n.name, id: randomUUID() };
  const sc = schemaIn(ctx.state, key);
  if (!sc) throw new SqlError('UNDEFINED_OBJECT', `schema "${n.database}.${n.schema}" does not exist`, pos);
  checkSchemaCreate(ctx, ctx.account.databases[n.database], sc, pos);
  return key;
}

/** The prediction function's name; a qualified name must name the model's own schema. */
export function functionName(name: string[], key: ModelKey, pos: A.Pos): string {
  if (name.length > 1) {
    const n = splitName(name, key.database, key.schema, pos);
    if (n.database !== key.database || n.schema !== key.schema) throw new SqlError('INVALID_PARAMETER', `FUNCTION ${name.join('.')} must be in the model's schema ${key.database}.${key.schema}`, pos);
  }
  return name[name.length - 1];
}

/** The model name and both function names (fn, fn_prob) must be unused in the schema. */
export function checkNamesFree(ctx: StatementContext, key: ModelKey, fn: string, pos?: A.Pos): void {
  const sc = schemaIn(ctx.state, key)!;
  if (modelsOf(sc)[key.name]) throw new SqlError('DUPLICATE_OBJECT', `model "${key.name}" already exists`, pos);
  const wanted = [fn, `${fn}_prob`];
  for (const f of wanted) {
    if (isScalarFunction(f) || f === 'explain_model') throw new SqlError('DUPLICATE_OBJECT', `function ${f} is a built-in function; choose another FUNCTION name`, pos);
  }
  for (const other of Object.values(modelsOf(sc))) {
    const clash = functionNames(other).find((f) => wanted.includes(f));
    if (clash) throw new SqlError('DUPLICATE_OBJECT', `function ${clash} already exists (it belongs to model "${other.name}")`, pos);
  }
}

function selectStar(t: A.TableName): A.Select {
  return { kind: 'Select', pos: t.pos, distinct: false, columns: [{ kind: 'SelectItem', pos: t.pos, expr: { kind: 'Star', pos: t.pos } }], from: [t], groupBy: [], orderBy: [] };
}
