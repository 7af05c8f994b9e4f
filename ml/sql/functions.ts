// Prediction functions: `fn(...)` returns the model's prediction, `fn_prob(...)` a classifier's
// probabilities as VARCHAR JSON {"labels":[...],"probabilities":[...]}. Resolved against the
// statement's snapshot, so a query sees models as of its transaction.
import { SqlError } from '../../engine/errors.ts';
import type { StatementContext } from '../../engine/session/context.ts';
import type { ModelFunction } from '../../engine/session/extension.ts';
import type * as A from '../../engine/sql/ast.ts';
import { T } from '../../engine/types/types.ts';
import { type ModelEntry, type ModelLocation, modelByFunction } from './catalog.ts';
import type { ModelJobs } from './jobs.ts';
import { effectiveState } from './show.ts';

/**
 * The binder's hook: null for names that are not model functions (every call goes through here).
 * The returned `model` is the model's key `database.schema.model` (sharing and the executor use it).
 */
export function resolveModelFunction(ctx: StatementContext, name: string[], pos: A.Pos, jobs: ModelJobs): ModelFunction | null {
  // the executor asks for the ONNX file by the `model` key returned below: database.schema.model
  if (name.length === 1 && name[0].includes('.')) return byModelKey(ctx, name[0]);
  const parts = name;
  const fn = parts[parts.length - 1].toLowerCase();
  if (fn === 'explain_model') throw new SqlError('FEATURE_NOT_SUPPORTED', "EXPLAIN_MODEL is supported as a statement of its own: SELECT EXPLAIN_MODEL('model')", pos);
  if (parts.length > 3) return null;
  const database = parts.length === 3 ? parts[0] : ctx.session.database;
  const db = ctx.account.databases[database];
  if (!db) return null;
  const schemas = parts.length === 1 ? ctx.session.searchPath : [parts[parts.length - 2]];
  for (const s of schemas) {
    const sc = db.schemas[s];
    const hit = sc ? modelByFunction(sc, fn) : null;
    if (!hit) continue;
    const loc: ModelLocation = { account: ctx.session.account, database, schema: s, entry: hit.entry };
    checkExecute(ctx, loc, pos);
    if (hit.entry.state !== 'READY') throw notReady(hit.entry, jobs, pos);
    return {
      model: `${database}.${s}.${hit.entry.name}`,
      onnx: hit.entry.onnxFile,
      proba: hit.proba,
      type: hit.proba ? T.varchar : hit.entry.returns,
      argTypes: hit.entry.args.map((a) => a.type),
    };
  }
  return null;
}

/** A READY model by its key (the executor looks up the ONNX file this way); null otherwise. */
function byModelKey(ctx: StatementContext, key: string): ModelFunction | null {
  const [database, schema, name] = key.split('.');
  const e = ctx.account.databases[database]?.schemas[schema]?.models[name] as ModelEntry | undefined;
  if (!e || e.state !== 'READY') return null;
  return { model: key, onnx: e.onnxFile, proba: false, type: e.returns, argTypes: e.args.map((a) => a.type) };
}

/** The MODEL_NOT_READY error for a TRAINING or FAILED model. */
export function notReady(e: ModelEntry, jobs: ModelJobs, pos?: A.Pos): SqlError {
  const st = effectiveState(e, jobs);
  const why = st.state === 'TRAINING'
    ? `model "${e.name}" is still training; its function ${e.function} is usable once SHOW MODEL ${e.name} says READY`
    : `model "${e.name}" failed to train: ${st.reason ?? 'unknown reason'}`;
  return new SqlError('MODEL_NOT_READY', why, pos);
}

/** Using a model needs its owner, a superuser, or GRANT EXECUTE ON MODEL (to the user or PUBLIC). */
export function checkExecute(ctx: StatementContext, m: ModelLocation, pos?: A.Pos): void {
  if (ctx.isSuperuser || m.entry.owner === ctx.session.user) return;
  const acct = ctx.account as typeof ctx.account & { publicGrants?: Record<string, string[]> };
  const keys = [`model:${m.entry.name}`, `model:${m.schema}.${m.entry.name}`, `model:${m.database}.${m.schema}.${m.entry.name}`];
  const held = keys.flatMap((k) => [...(acct.users[ctx.session.user]?.grants[k] ?? []), ...(acct.publicGrants?.[k] ?? [])]);
  if (!held.includes('EXECUTE') && !held.includes('ALL')) {
    throw new SqlError('PERMISSION_DENIED', `permission denied for model ${m.schema}.${m.entry.name}: user "${ctx.session.user}" lacks EXECUTE`, pos);
  }
}
