// How a model lives in the catalog: one ModelEntry per model in `schema.models[name]`, with its
// prediction functions, state and (once READY) the ONNX file under <dataDir>/models/.
import type { CatalogState, SchemaState } from '../../engine/catalog/catalog.ts';
import { splitName } from '../../engine/catalog/lookup.ts';
import { SqlError } from '../../engine/errors.ts';
import type { Pos } from '../../engine/sql/ast.ts';
import type { SqlType } from '../../engine/types/types.ts';
import type { StatementContext } from '../../engine/session/context.ts';
import type { Label } from '../util/values.ts';

export type ModelState = 'TRAINING' | 'READY' | 'FAILED';

/** One model as stored in the catalog (plain JSON; copied with every catalog version). */
export interface ModelEntry {
  /** unique per CREATE MODEL: the background job finds its model by it */
  id: string;
  name: string;
  owner: string;
  state: ModelState;
  /** why training failed (FAILED only) */
  reason?: string;
  /** the prediction function; `<function>_prob` is added for classifiers */
  function: string;
  args: { name: string; type: SqlType }[];
  returns: SqlType;
  /** whether `<function>_prob` returns class probabilities (classifiers; BYO models with a 'probabilities' output) */
  proba?: boolean;
  /** class labels in probability order (classifiers only) */
  labels?: Label[];
  /** file name in <dataDir>/models (the engine's GC keeps files named by `onnxFile` alive) */
  onnxFile?: string;
  /** bring-your-own model: where the ONNX file came from */
  source?: string;
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
    const sc = ctx.account.databases[n.database]?.schemas[n.schema];
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

/** The SQL function names a model reserves: fn, and fn_prob (used by classifiers). */
export function functionNames(e: ModelEntry): string[] {
  return [e.function, `${e.function}_prob`];
}

export function isClassifier(e: ModelEntry): boolean {
  return e.problemType === 'BINARY_CLASSIFICATION' || e.problemType === 'MULTICLASS_CLASSIFICATION';
}

/** Finds the model in `schema` that owns function `fn` (as fn or fn_prob). */
export function modelByFunction(schema: SchemaState, fn: string): { entry: ModelEntry; proba: boolean } | null {
  for (const e of Object.values(modelsOf(schema))) {
    if (e.function === fn) return { entry: e, proba: false };
    if (`${e.function}_prob` === fn && (e.proba ?? isClassifier(e))) return { entry: e, proba: true };
  }
  return null;
}
