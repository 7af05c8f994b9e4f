// Shared model functions: a consumer calls `d.schema.fn(...)` and the producer's model runs. The ML
// extension owns the model layout (`schema.models`), so sharing asks it to resolve the function
// as the producer would (same snapshot, the producer's namespace), then checks that the model or
// function is in the share. The model and its ONNX file stay the producer's; the binder keeps the
// resolved version in the bound call, so nothing is remembered here between queries.
import { ownerIdOf } from '../engine/catalog/owners.ts';
import type { Pos } from '../engine/sql/ast.ts';
import type { Hooks, ModelFunction } from '../engine/session/extension.ts';
import { StatementContext } from '../engine/session/context.ts';
import { SqlError } from '../engine/errors.ts';
import { consumerDatabase, openShare } from './consumer.ts';
import type { DatashareState } from './state.ts';

/**
 * A consumer's call of a shared model function; null for names outside consumer databases.
 * `next` resolves model functions as the ML extension does; a shared one is resolved through it
 * as the producer, in this statement's snapshot, and the reference it returns (the producer's
 * account, model and version) is what the bound query runs.
 */
export function resolveSharedModel(ctx: StatementContext, name: string[], pos: Pos, next: Hooks['modelFunction']): ModelFunction | null {
  let dbName: string, schema: string, fn: string;
  if (name.length === 3) [dbName, schema, fn] = name;
  else if (name.length === 2) [dbName, schema, fn] = [ctx.session.database, name[0], name[1]];
  else return null;
  if (!consumerDatabase(ctx, dbName)) return null;
  const open = openShare(ctx, dbName, pos);
  const { share } = open;
  const producerCtx = new StatementContext(ctx.db, {
    account: share.producer, user: share.owner, userId: ownerIdOf(ctx.db.catalog, share.producer, share), database: share.database, searchPath: [schema], settings: new Map(),
  }, ctx.txn, ctx.signal);
  const full = `${dbName}.${schema}.${fn}`;
  const at = fn.indexOf('@');
  if (at >= 0) return pinned(producerCtx, share, [share.database, schema, fn], full, fn.slice(at + 1), pos, next);
  const f = asProducer(producerCtx, [share.database, schema, fn], pos, next, (code) => code === 'UNDEFINED_FUNCTION' || code === 'UNDEFINED_OBJECT' || !sharesFunction(ctx, share, schema, fn));
  if (!f) throw new SqlError('UNDEFINED_FUNCTION', `function ${full} does not exist in datashare "${share.name}"`, pos);
  const modelName = f.ref.name;
  const shared = share.objects.some((o) => o.schema === schema && ((o.type === 'MODEL' && o.name === modelName && o.version === undefined) || (o.type === 'FUNCTION' && o.name === fn)));
  if (!shared) throw new SqlError('UNDEFINED_FUNCTION', `function ${full} is not shared by datashare "${share.name}"`, pos);
  return f;
}

/** Errors of the producer's resolution that may say what the producer has: a consumer sees them only for what is shared. */
const REVEALING = new Set(['UNDEFINED_FUNCTION', 'UNDEFINED_OBJECT', 'MODEL_NOT_READY', 'PERMISSION_DENIED']);

/**
 * The producer's model function of that name, resolved in the producer's namespace; null if
 * there is none, or if it failed in a way `hide` says the consumer must not see (a model not in
 * the share that is training, or that the share's owner may not run).
 */
function asProducer(ctx: StatementContext, name: string[], pos: Pos, next: Hooks['modelFunction'], hide: (code: string) => boolean): ModelFunction | null {
  try {
    return next(ctx, name, pos);
  } catch (e) {
    if (e instanceof SqlError && REVEALING.has(e.code) && hide(e.code)) return null;
    throw e;
  }
}

/**
 * Whether the share gives the consumer function `fn` of `schema` by its current version: as a
 * FUNCTION, or as a function of a MODEL it holds (ML names a model's functions fn, fn_prob and
 * fn_explain after the model's `function`).
 */
function sharesFunction(ctx: StatementContext, share: DatashareState, schema: string, fn: string): boolean {
  const models = ctx.state.accounts[share.producer]?.databases[share.database]?.schemas[schema]?.models ?? {};
  return share.objects.some((o) => {
    if (o.schema !== schema) return false;
    if (o.type === 'FUNCTION') return o.name === fn;
    const base = o.type === 'MODEL' && o.version === undefined ? (models[o.name] as { function?: string } | undefined)?.function : undefined;
    return base !== undefined && [base, `${base}_prob`, `${base}_explain`].includes(fn);
  });
}

/**
 * `fn@2(...)` / `fn@alias(...)` on a consumer database: only a version or alias the share names
 * (`ADD MODEL m@2`) resolves. Any failure reads the same, "not shared", so a consumer learns
 * nothing of the producer's other versions, aliases or models.
 */
function pinned(ctx: StatementContext, share: DatashareState, name: string[], full: string, version: string, pos: Pos, next: Hooks['modelFunction']): ModelFunction {
  const schema = name[1];
  const notShared = () => new SqlError('UNDEFINED_FUNCTION', `function ${full} is not shared by datashare "${share.name}" (it shares the model versions ${exposed(share, schema) || 'none'})`, pos);
  const offers = share.objects.filter((o) => o.type === 'MODEL' && o.schema === schema && o.version === version);
  if (!offers.length) throw notShared();
  let f: ModelFunction | null;
  try {
    f = next(ctx, name, pos);
  } catch (e) {
    if (e instanceof SqlError && (e.code === 'UNDEFINED_FUNCTION' || e.code === 'UNDEFINED_OBJECT' || e.code === 'MODEL_NOT_READY' || e.code === 'PERMISSION_DENIED')) throw notShared();
    throw e;
  }
  if (!f || !offers.some((o) => o.name === f.ref.name)) throw notShared();
  return f;
}

/** The pinned model versions a share exposes in a schema, as `m@2, m@challenger`. */
function exposed(share: DatashareState, schema: string): string {
  return share.objects.filter((o) => o.type === 'MODEL' && o.schema === schema && o.version !== undefined).map((o) => `${o.name}@${o.version}`).join(', ');
}
