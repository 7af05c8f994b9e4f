// The metadata JSON that travels with an exported ONNX graph (format "strata-model", version 1):
// the function signature (SQL type names), class labels, metrics, the training query, the
// hyperparameters and settings, and the graph's SHA-256. IMPORT MODEL reads it back; since the
// file comes from outside, every field is checked and a bad one is named.
import { createHash } from 'node:crypto';
import { SqlError } from '../../engine/errors.ts';
import type * as A from '../../engine/sql/ast.ts';
import { type SqlType, parseTypeText, typeName } from '../../engine/types/types.ts';
import type { Label } from '../util/values.ts';
import type { ModelEntry, ModelVersion } from './catalog.ts';

export const METADATA_FORMAT = 'strata-model';
export const METADATA_VERSION = 1;

/** What the JSON holds (types as SQL type names). */
export interface ModelMetadata {
  format: typeof METADATA_FORMAT;
  formatVersion: number;
  model: string;
  version?: number;
  function: string;
  signature: { args: { name: string; type: string }[]; returns: string };
  labels?: Label[];
  /** whether `<function>_prob` works (a 'probabilities' output) */
  proba?: boolean;
  modelType?: string;
  problemType?: string;
  objective?: string;
  validationScore?: number;
  target?: string;
  query?: string;
  auto?: boolean;
  hyperparameters?: Record<string, string>;
  settings?: Record<string, string>;
  preprocessing?: { column: string; transform: string }[];
  featureImportance?: { feature: string; importance: number }[];
  candidates?: { modelType: string; validationScore: number }[];
  trainingRows?: number;
  trainingSeconds?: number;
  createdAt?: string;
  /** SHA-256 of the ONNX file, hex */
  onnxSha256: string;
}

export const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/** The metadata of one version of a model. */
export function metadataOf(e: ModelEntry, v: ModelVersion, onnx: Uint8Array): ModelMetadata {
  const m: ModelMetadata = {
    format: METADATA_FORMAT, formatVersion: METADATA_VERSION, model: e.name, version: v.version, function: e.function,
    signature: { args: v.args.map((a) => ({ name: a.name, type: typeName(a.type) })), returns: typeName(v.returns) },
    labels: v.labels, proba: v.proba, modelType: v.modelType, problemType: v.problemType, objective: v.objective,
    validationScore: v.validationScore, target: v.target, query: v.query, auto: v.auto, hyperparameters: v.hyperparameters,
    settings: v.settings, preprocessing: v.preprocessing, featureImportance: v.featureImportance, candidates: v.candidates,
    trainingRows: v.trainingRows, trainingSeconds: v.trainingSeconds, createdAt: v.createdAt, onnxSha256: sha256(onnx),
  };
  for (const k of Object.keys(m) as (keyof ModelMetadata)[]) if (m[k] === undefined) delete m[k];
  return m;
}

/** Parses and checks metadata JSON; `shown` names the file in errors. */
export function parseMetadata(bytes: Uint8Array, shown: string, pos: A.Pos): ModelMetadata & { argTypes: SqlType[]; returnType: SqlType } {
  const bad = (what: string): never => { throw new SqlError('INVALID_PARAMETER', `metadata '${shown}': ${what}`, pos); };
  let raw: unknown;
  try { raw = JSON.parse(new TextDecoder().decode(bytes)); } catch (e) { return bad(`not JSON (${(e as Error).message})`); }
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return bad('not a JSON object');
  const o = raw as Record<string, unknown>;
  if (o.format !== METADATA_FORMAT) bad(`"format" must be "${METADATA_FORMAT}"`);
  if (o.formatVersion !== METADATA_VERSION) bad(`"formatVersion" ${JSON.stringify(o.formatVersion)} is not supported (this server reads ${METADATA_VERSION})`);
  const str = (k: string, req = false) => { const v = o[k]; if (v === undefined && !req) return; if (typeof v !== 'string' || v.length > 1 << 20) bad(`"${k}" must be a string`); return v as string; };
  const num = (k: string) => { const v = o[k]; if (v === undefined) return; if (typeof v !== 'number' || !Number.isFinite(v)) bad(`"${k}" must be a number`); return v as number; };
  const strMap = (k: string) => {
    const v = o[k];
    if (v === undefined) return;
    if (!v || typeof v !== 'object' || Array.isArray(v) || Object.values(v).some((x) => typeof x !== 'string')) bad(`"${k}" must be an object of strings`);
    return { ...(v as Record<string, string>) };
  };
  const list = <T>(k: string, check: (x: unknown) => boolean, what: string) => {
    const v = o[k];
    if (v === undefined) return;
    if (!Array.isArray(v) || !v.every(check)) bad(`"${k}" must be ${what}`);
    return structuredClone(v) as T[];
  };
  const fn = str('function', true)!;
  if (!/^[a-z_][a-z0-9_$]*$/i.test(fn)) bad(`"function" ${JSON.stringify(fn)} is not a function name`);
  const sig = o.signature as { args?: unknown; returns?: unknown } | undefined;
  if (!sig || typeof sig !== 'object' || !Array.isArray(sig.args) || typeof sig.returns !== 'string') bad('"signature" must be {"args": [{"name", "type"}...], "returns": "TYPE"}');
  const argsIn = sig!.args as unknown[];
  if (argsIn.length === 0 || argsIn.length > 10_000) bad('"signature.args" must list 1 to 10000 arguments');
  const args = argsIn.map((a, i) => {
    const x = a as { name?: unknown; type?: unknown };
    if (!x || typeof x.name !== 'string' || typeof x.type !== 'string') bad(`"signature.args[${i}]" must be {"name": string, "type": string}`);
    return { name: x.name as string, type: sqlTypeOf(x.type as string, `signature.args[${i}].type`, bad) };
  });
  const returnType = sqlTypeOf(sig!.returns as string, 'signature.returns', bad);
  const sha = str('onnxSha256', true)!;
  if (!/^[0-9a-f]{64}$/.test(sha)) bad('"onnxSha256" must be 64 hex digits');
  const isLabel = (x: unknown) => typeof x === 'string' || typeof x === 'boolean' || (typeof x === 'number' && Number.isFinite(x));
  if (o.proba !== undefined && typeof o.proba !== 'boolean') bad('"proba" must be true or false');
  if (o.auto !== undefined && typeof o.auto !== 'boolean') bad('"auto" must be true or false');
  return {
    format: METADATA_FORMAT, formatVersion: METADATA_VERSION, model: str('model') ?? '', version: num('version'), function: fn,
    signature: { args: args.map((a) => ({ name: a.name, type: typeName(a.type) })), returns: typeName(returnType) },
    labels: list<Label>('labels', isLabel, 'a list of labels'), proba: o.proba as boolean | undefined,
    modelType: str('modelType'), problemType: str('problemType'), objective: str('objective'), validationScore: num('validationScore'),
    target: str('target'), query: str('query'), auto: o.auto as boolean | undefined,
    hyperparameters: strMap('hyperparameters'), settings: strMap('settings'),
    preprocessing: list('preprocessing', (x) => typeof (x as { column?: unknown })?.column === 'string' && typeof (x as { transform?: unknown }).transform === 'string', 'a list of {"column", "transform"}'),
    featureImportance: list('featureImportance', (x) => typeof (x as { feature?: unknown })?.feature === 'string' && typeof (x as { importance?: unknown }).importance === 'number', 'a list of {"feature", "importance"}'),
    candidates: list('candidates', (x) => typeof (x as { modelType?: unknown })?.modelType === 'string' && typeof (x as { validationScore?: unknown }).validationScore === 'number', 'a list of {"modelType", "validationScore"}'),
    trainingRows: num('trainingRows'), trainingSeconds: num('trainingSeconds'), createdAt: str('createdAt'),
    onnxSha256: sha,
    argTypes: args.map((a) => a.type), returnType,
  };
}

/** 'REAL', 'VARCHAR(20)', 'DECIMAL(10,2)', 'DOUBLE PRECISION' -> SqlType. */
function sqlTypeOf(s: string, field: string, bad: (what: string) => never): SqlType {
  return parseTypeText(s) ?? bad(`"${field}" ${JSON.stringify(s)} is not a SQL type`);
}
