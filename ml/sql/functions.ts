// Prediction functions: `fn(...)` returns the model's prediction, `fn_prob(...)` a classifier's
// probabilities as VARCHAR JSON {"labels":[...],"probabilities":[...]}, `fn_explain(...)` each
// argument's contribution to it (ml/explain). Resolved against the
// statement's snapshot, so a query sees models (and their current versions) as of its
// transaction. `fn@3(...)` / `fn@alias(...)` call a given version; the binder passes them as `fn@3`.
import { SqlError } from '../../engine/errors.ts';
import { heldOn, includesPrivilege, modelKey } from '../../engine/catalog/object-grants.ts';
import { mayLookIn } from '../../engine/session/privileges.ts';
import type { StatementContext } from '../../engine/session/context.ts';
import type { ModelFunction, ModelRef } from '../../engine/session/extension.ts';
import type * as A from '../../engine/sql/ast.ts';
import { T } from '../../engine/types/types.ts';
import { type ModelEntry, type ModelLocation, type ModelVersion, modelByFunction, resolveVersion } from './catalog.ts';
import type { ModelJobs } from './jobs.ts';
import { effectiveState } from './show.ts';

/**
 * The binder's hook: null for names that are not model functions (every call goes through here).
 * The returned `ref` names the version of the statement's snapshot the call runs.
 */
export function resolveModelFunction(ctx: StatementContext, name: string[], pos: A.Pos, jobs: ModelJobs): ModelFunction | null {
  const parts = name;
  const [fn, ref] = splitVersion(parts[parts.length - 1].toLowerCase());
  if (fn === 'explain_model') throw new SqlError('FEATURE_NOT_SUPPORTED', "EXPLAIN_MODEL is supported as a statement of its own: SELECT EXPLAIN_MODEL('model')", pos);
  if (parts.length > 3) return null;
  const database = parts.length === 3 ? parts[0] : ctx.session.database;
  const db = ctx.account.databases[database];
  if (!db) return null;
  const schemas = parts.length === 1 ? ctx.session.searchPath : [parts[parts.length - 2]];
  for (const s of schemas) {
    const sc = db.schemas[s];
    // a model's functions are in its schema: naming them needs USAGE on it, as tables do
    if (sc && !mayLookIn(ctx, db, sc, parts.length > 1, pos)) continue;
    const hit = sc ? modelByFunction(sc, fn) : null;
    if (!hit) continue;
    const loc: ModelLocation = { account: ctx.session.account, database, schema: s, entry: hit.entry };
    checkExecute(ctx, loc, pos);
    const v = resolveVersion(hit.entry, ref, pos);
    if (v.state !== 'READY') throw notReady(hit.entry, jobs, pos, v);
    if (hit.proba && !(v.proba ?? v.labels !== undefined)) throw new SqlError('UNDEFINED_FUNCTION', `version ${v.version} of model "${hit.entry.name}" has no probabilities: ${fn} needs a classifier`, pos);
    const model: ModelRef = { account: ctx.session.account, database, schema: s, name: hit.entry.name, id: v.id, version: v.version ?? 1, onnx: v.onnxFile, ...(v.remote ? { remote: v.remote } : {}) };
    const argTypes = v.args.map((a) => a.type);
    if (v.remote && hit.explain) throw new SqlError('FEATURE_NOT_SUPPORTED', `${fn}: model "${hit.entry.name}" runs on SageMaker endpoint '${v.remote.endpoint}'; explanations need the model's graph`, pos);
    // fn_explain(...): the same model and privilege, a JSON of contributions per argument
    if (hit.explain) return { ref: model, proba: false, type: T.varchar, argTypes, explain: v.args.map((a) => a.name) };
    return { ref: model, proba: hit.proba, type: hit.proba ? T.varchar : v.returns, argTypes };
  }
  return null;
}

/** `fn@ref` -> [fn, ref]; a plain name -> [fn, undefined]. */
function splitVersion(fn: string): [string, string | undefined] {
  const at = fn.indexOf('@');
  return at < 0 ? [fn, undefined] : [fn.slice(0, at), fn.slice(at + 1)];
}

/** The MODEL_NOT_READY error for a TRAINING or FAILED model (or version `v` of it). */
export function notReady(e: ModelEntry, jobs: ModelJobs, pos?: A.Pos, v: ModelVersion = e): SqlError {
  const st = effectiveState(v, jobs);
  const which = v.version !== undefined && v.version !== e.version ? `version ${v.version} of model "${e.name}"` : `model "${e.name}"`;
  const why = st.state === 'TRAINING'
    ? `${which} is still training; its function ${e.function} is usable once SHOW MODEL ${e.name} says READY`
    : `${which} failed to train: ${st.reason ?? 'unknown reason'}`;
  return new SqlError('MODEL_NOT_READY', why, pos);
}

/** Using a model needs its owner, a superuser, or GRANT EXECUTE ON MODEL (to the user or PUBLIC). */
export function checkExecute(ctx: StatementContext, m: ModelLocation, pos?: A.Pos): void {
  if (ctx.isSuperuser || ctx.owns(m.entry)) return;
  // grants name the model in its schema and are dropped with it (engine/catalog/object-grants.ts)
  const key = modelKey(m.entry);
  if (!includesPrivilege(heldOn(ctx.account, ctx.session.user, key), 'EXECUTE')) {
    throw new SqlError('PERMISSION_DENIED', `permission denied for model ${m.schema}.${m.entry.name}: user "${ctx.session.user}" lacks EXECUTE`, pos);
  }
}
