// How a model lives in the catalog: one ModelEntry per model in `schema.models[name]`, with its
// prediction functions, state and (once READY) the ONNX file under <dataDir>/models/.
import type { CatalogState, SchemaState } from '../../engine/catalog/catalog.ts';
import { splitName } from '../../engine/catalog/lookup.ts';
import { SqlError } from '../../engine/errors.ts';
import type { RemoteModelRef } from '../../engine/plan/bound.ts';
import type { Pos } from '../../engine/sql/ast.ts';
import type { SqlType } from '../../engine/types/types.ts';
import type { StatementContext } from '../../engine/session/context.ts';
import { mayLookIn } from '../../engine/session/privileges.ts';
import type { Label } from '../util/values.ts';
import type { DeployedEndpoint } from '../types.ts';
import type { RemoteJobState } from '../sagemaker/train_remote.ts';
import type { AutopilotJobState } from '../sagemaker/autopilot.ts';

export type ModelState = 'TRAINING' | 'READY' | 'FAILED';

/**
 * What one version of a model is: one training (or one brought/imported ONNX file). Plain JSON,
 * copied with every catalog version, so a query sees the versions of its snapshot.
 */
export interface ModelVersion {
  /** 1, 2, ...: numbers are never reused, even after DROP MODEL m VERSION k */
  version: number;
  /** unique per version: the background job finds its version by it */
  id: string;
  state: ModelState;
  /** why training failed (FAILED only) */
  reason?: string;
  args: { name: string; type: SqlType }[];
  returns: SqlType;
  /** whether `<function>_prob` returns class probabilities (classifiers; BYO models with a 'probabilities' output) */
  proba?: boolean;
  /** class labels in probability order (classifiers only) */
  labels?: Label[];
  /** file name in <dataDir>/models (the engine's GC keeps files named by `onnxFile` alive) */
  onnxFile?: string;
  /** the training profile drift monitors compare with (ml/drift/training.ts), in <dataDir>/models */
  profileFile?: string;
  /** remote inference: the SageMaker endpoint that serves this version (no ONNX file) */
  remote?: RemoteModelRef;
  /** an endpoint Strata deployed for this version (Autopilot, DEPLOY_INSTANCE_TYPE): deleted with the version */
  deployed?: DeployedEndpoint;
  /** bring-your-own or imported model: where the ONNX file came from (sagemaker:<endpoint> for remote) */
  source?: string;
  /** brought-your-own models: what fn_explain's KernelSHAP averages over ('zero', or the EXPLAIN_BACKGROUND sample) */
  explainBaseline?: string;
  /** the FROM query, as SQL */
  query?: string;
  target?: string;
  auto?: boolean;
  modelType?: string;
  problemType?: string;
  objective?: string;
  validationScore?: number;
  hyperparameters?: Record<string, string>;
  settings: Record<string, string>;
  /** per input column: how it is preprocessed */
  preprocessing?: { column: string; transform: string }[];
  featureImportance?: { feature: string; importance: number }[];
  candidates?: { modelType: string; validationScore: number }[];
  trainingRows?: number;
  trainingSeconds?: number;
  createdAt: string;
  finishedAt?: string;
  /** a SageMaker training or Autopilot job still running (TRAINING only): a restarted server resumes polling it */
  remoteJob?: RemoteJobState | AutopilotJobState;
}

/**
 * One model as stored in the catalog: its name, owner and function, plus a copy of the current
 * version's fields at the top level (so a call resolves with one lookup), every version in
 * `versions`, and named aliases. Entries written before versions existed have no `versions`:
 * they are version 1 (see versionsOf).
 */
export interface ModelEntry extends ModelVersion {
  /** stable identity made when the model is created (older catalogs get one on open): grants are keyed by it */
  modelId?: string;
  name: string;
  /** the owner's name as shown; ownerId is who owns it (engine/catalog/owners.ts) */
  owner: string;
  ownerId?: string;
  /** the prediction function; `<function>_prob` is added for classifiers */
  function: string;
  /** every version, oldest first (the current one included) */
  versions?: ModelVersion[];
  /** alias -> version number (ALTER MODEL m SET ALIAS a TO VERSION k) */
  aliases?: Record<string, number>;
  /** the highest version number ever given (the next version is one more) */
  lastVersion?: number;
  /** ALTER MODEL m SET AUTO RETRAIN ON DRIFT: a DRIFTED monitor run retrains it (ml/monitor/retrain.ts) */
  autoRetrain?: boolean;
}

const MODEL_KEYS = ['modelId', 'name', 'owner', 'ownerId', 'function', 'versions', 'aliases', 'lastVersion', 'autoRetrain'] as const;

/** Every version of a model, oldest first. */
export function versionsOf(e: ModelEntry): ModelVersion[] {
  return e.versions ?? [versionFields({ ...e, version: e.version ?? 1 })];
}

/** The per-version fields of an entry (a copy). */
export function versionFields(e: ModelEntry): ModelVersion {
  const v = structuredClone(e) as Partial<ModelEntry>;
  for (const k of MODEL_KEYS) delete v[k];
  return v as ModelVersion;
}

/** Makes `v` the current version: the entry's top-level fields become a copy of it. */
export function makeCurrent(e: ModelEntry, v: ModelVersion): void {
  const keep = Object.fromEntries(MODEL_KEYS.filter((k) => e[k] !== undefined).map((k) => [k, e[k]]));
  for (const k of Object.keys(e)) delete (e as unknown as Record<string, unknown>)[k];
  Object.assign(e, structuredClone(v), keep);
}

/** Gives an entry of an older layout its `versions` list (in place, inside a catalog mutation). */
export function withVersions(e: ModelEntry): ModelEntry & { versions: ModelVersion[] } {
  if (!e.versions) {
    e.version ??= 1;
    e.versions = [versionFields(e)];
    e.lastVersion ??= e.version;
  }
  return e as ModelEntry & { versions: ModelVersion[] };
}

/**
 * The version a call or statement names: `ref` is a version number, an alias, or undefined for
 * the current version. Unknown versions and aliases are errors naming what exists.
 */
export function resolveVersion(e: ModelEntry, ref: string | number | undefined, pos?: Pos): ModelVersion {
  const all = versionsOf(e);
  if (ref === undefined) return all.find((v) => v.version === e.version) ?? versionFields(e);
  const n = typeof ref === 'number' ? ref : /^\d+$/.test(ref) ? Number(ref) : e.aliases?.[ref];
  const hit = n === undefined ? undefined : all.find((v) => v.version === n);
  if (hit) return hit;
  const known = `versions ${all.map((v) => v.version).join(', ')}${e.aliases && Object.keys(e.aliases).length ? `; aliases ${Object.keys(e.aliases).join(', ')}` : ''}`;
  if (n === undefined) throw new SqlError('UNDEFINED_OBJECT', `model "${e.name}" has no alias "${ref}" (it has ${known})`, pos);
  throw new SqlError('UNDEFINED_OBJECT', `model "${e.name}" has no version ${n} (it has ${known})`, pos);
}

/** Finds the version with this id in a (possibly replayed) state's entry. */
export function versionById(e: ModelEntry, id: string): ModelVersion | undefined {
  return versionsOf(e).find((v) => v.id === id);
}

/** Where a model lives: its database and schema names (mutations look the schema up again by them). */
export interface ModelLocation { account: string; database: string; schema: string; entry: ModelEntry }

/** The schema object in a (possibly replayed) state, or undefined if it is gone. */
export function schemaIn(state: CatalogState, loc: { account: string; database: string; schema: string }): SchemaState | undefined {
  return state.accounts[loc.account]?.databases[loc.database]?.schemas[loc.schema];
}

export function modelsOf(schema: SchemaState): Record<string, ModelEntry> {
  return schema.models as Record<string, ModelEntry>;
}

/** Resolves a model name (1-3 parts) against the session; null when there is no such model. */
export function findModel(ctx: StatementContext, name: string[], pos?: Pos): ModelLocation | null {
  const schemas = name.length === 1 ? ctx.session.searchPath : [undefined];
  for (const s of schemas) {
    const n = splitName(name, ctx.session.database, s ?? 'public', pos);
    const db = ctx.account.databases[n.database];
    const sc = db?.schemas[n.schema];
    // naming a model needs USAGE on its schema (a search-path lookup passes over a schema without it)
    if (sc && !mayLookIn(ctx, db!, sc, name.length > 1, pos)) continue;
    const entry = sc ? modelsOf(sc)[n.name] : undefined;
    if (entry) return { account: ctx.session.account, database: n.database, schema: n.schema, entry };
  }
  return null;
}

/** Like findModel, but a missing model is an error. */
export function getModel(ctx: StatementContext, name: string[], pos?: Pos): ModelLocation {
  const m = findModel(ctx, name, pos);
  if (!m) throw new SqlError('UNDEFINED_OBJECT', `model "${name.join('.')}" does not exist`, pos);
  return m;
}

/** The SQL function names a model reserves: fn, fn_prob (used by classifiers) and fn_explain. */
export function functionNames(e: ModelEntry): string[] {
  return [e.function, `${e.function}_prob`, `${e.function}_explain`];
}

export function isClassifier(e: ModelEntry): boolean {
  return e.problemType === 'BINARY_CLASSIFICATION' || e.problemType === 'MULTICLASS_CLASSIFICATION';
}

/** Finds the model in `schema` that owns function `fn` (as fn, fn_prob or fn_explain). */
export function modelByFunction(schema: SchemaState, fn: string): { entry: ModelEntry; proba: boolean; explain?: boolean } | null {
  for (const e of Object.values(modelsOf(schema))) {
    if (e.function === fn) return { entry: e, proba: false };
    if (`${e.function}_prob` === fn && (e.proba ?? isClassifier(e))) return { entry: e, proba: true };
    if (`${e.function}_explain` === fn) return { entry: e, proba: false, explain: true };
  }
  return null;
}
