// Redshift ML statements: CREATE MODEL (trained here, or bring-your-own), SHOW MODEL, DROP MODEL,
// and Strata's model versions (ALTER MODEL ... SET VERSION / SET ALIAS / DROP ALIAS) and
// EXPORT MODEL / IMPORT MODEL, and drift monitors (CREATE / SHOW / RUN / ALTER / DROP MONITOR).

import type { AlterModel, AlterMonitor, CreateModel, CreateModelExternal, CreateMonitor, ExportModel, ImportModel, ModelOption, Pos, Statement, TypeRef } from './ast.ts';
import type { Cursor } from './cursor.ts';
import { parseIamRole } from './dml.ts';
import { parseType } from './expr.ts';
import { parseQuery } from './query.ts';

const MODEL_TYPES = ['xgboost', 'mlp', 'linear_learner', 'kmeans'];
const PROBLEM_TYPES = ['regression', 'binary_classification', 'multiclass_classification'];

/** After CREATE [OR REPLACE] MODEL. Clauses after the name may come in any order; each at most once. */
export function parseCreateModel(c: Cursor, pos: Pos, orReplace = false): CreateModel | CreateModelExternal {
  const name = c.name();
  const seen = new Set<string>();
  let from: CreateModel['from'] | undefined;
  let path: string | undefined;
  let fn: string[] | undefined;
  let argTypes: TypeRef[] | undefined;
  let returns: TypeRef | undefined;
  let sagemaker: CreateModelExternal['sagemaker'];
  const m: Partial<CreateModel> = {};
  let settings: ModelOption[] = [];
  for (;;) {
    const t = c.peek();
    if (t.type !== 'ident') break;
    const key = t.value;
    if (seen.has(key)) c.failWith(`conflicting or redundant CREATE MODEL option "${t.text}"`, t);
    seen.add(key);
    switch (key) {
      case 'from': {
        c.next();
        const fpos = c.pos;
        if (c.peek().type === 'string') path = c.string();
        else if (c.isOp('(')) {
          c.next();
          const query = parseQuery(c);
          c.expectOp(')');
          from = { kind: 'Subquery', pos: fpos, query };
        } else from = { kind: 'TableName', pos: fpos, name: c.name() };
        break;
      }
      case 'target': c.next(); m.target = c.ident(); break;
      case 'function':
        c.next();
        fn = c.name();
        if (c.acceptOp('(')) {
          argTypes = c.isOp(')') ? [] : c.list(() => parseType(c));
          c.expectOp(')');
        }
        break;
      case 'returns': c.next(); returns = parseType(c); break;
      case 'sagemaker': {
        // Redshift's remote inference: SAGEMAKER 'endpoint_name'[:'model_name']
        c.next();
        const endpoint = c.string();
        sagemaker = c.acceptOp(':') ? { endpoint, model: c.string() } : { endpoint };
        break;
      }
      case 'iam_role': c.next(); m.iamRole = parseIamRole(c); break;
      case 'auto': c.next(); m.auto = c.bool(); break;
      case 'model_type': c.next(); m.modelType = c.expectOneOf(...MODEL_TYPES).toUpperCase() as CreateModel['modelType']; break;
      case 'problem_type': c.next(); m.problemType = c.expectOneOf(...PROBLEM_TYPES).toUpperCase() as CreateModel['problemType']; break;
      case 'objective': c.next(); m.objective = c.string(); break;
      case 'preprocessors': c.next(); m.preprocessors = c.string(); break;
      case 'hyperparameters':
        c.next();
        c.expectKw('default');
        m.hyperparameters = c.acceptKw('except') ? parseOptions(c) : [];
        break;
      case 'settings': c.next(); settings = parseOptions(c); break;
      default: c.fail(t);
    }
  }
  if (!fn) c.fail();
  if (argTypes !== undefined || returns !== undefined || path !== undefined || sagemaker) {
    if (!argTypes || !returns || (path === undefined) === !sagemaker || from) c.fail();
    const stmt: CreateModelExternal = { kind: 'CreateModelExternal', pos, name, function: fn, argTypes, returns, ...(sagemaker ? { sagemaker } : { path }), settings };
    if (m.iamRole) stmt.iamRole = m.iamRole;
    if (orReplace) stmt.orReplace = true;
    return stmt;
  }
  if (!from) c.fail();
  const stmt: CreateModel = { kind: 'CreateModel', pos, name, from, function: fn, ...m, settings };
  if (orReplace) stmt.orReplace = true;
  return stmt;
}

/** `( KEY value [, ...] )`: keys upper-cased, values strings or numbers. */
export function parseOptions(c: Cursor): ModelOption[] {
  c.expectOp('(');
  const out = c.list(() => {
    const key = c.anyIdent().toUpperCase();
    const t = c.peek();
    if (t.type === 'string') return { key, value: c.string() };
    if (t.type === 'number' || c.isOp('-') || c.isOp('+')) return { key, value: c.number() };
    return c.fail();
  });
  c.expectOp(')');
  return out;
}

/** After SHOW MODEL: `ALL`, or a name with optional VERSIONS. */
export function parseShowModel(c: Cursor, pos: Pos): Statement {
  if (c.acceptKw('all')) return { kind: 'ShowModel', pos };
  const name = c.name();
  return c.acceptKw('versions') ? { kind: 'ShowModel', pos, name, versions: true } : { kind: 'ShowModel', pos, name };
}

/** After DROP MODEL: `[IF EXISTS] name [VERSION k]`. */
export function parseDropModel(c: Cursor, pos: Pos): Statement {
  const ifExists = c.acceptKw('if', 'exists');
  const name = c.name();
  if (c.acceptKw('version')) return { kind: 'DropModel', pos, name, ifExists, version: c.integer() };
  return { kind: 'DropModel', pos, name, ifExists };
}

/**
 * After ALTER MODEL: `name SET VERSION k | SET ALIAS a TO VERSION k | DROP ALIAS a | SET AUTO RETRAIN ON DRIFT | OFF
 * | SET EXPLAIN_BACKGROUND 'query' [SEED n]`.
 */
export function parseAlterModel(c: Cursor, pos: Pos): AlterModel {
  const name = c.name();
  if (c.acceptKw('drop', 'alias')) return { kind: 'AlterModel', pos, name, action: { kind: 'DropAlias', alias: c.ident() } };
  c.expectKw('set');
  if (c.acceptKw('auto', 'retrain')) {
    if (c.acceptKw('off')) return { kind: 'AlterModel', pos, name, action: { kind: 'SetAutoRetrain', on: false } };
    c.expectKw('on', 'drift');
    return { kind: 'AlterModel', pos, name, action: { kind: 'SetAutoRetrain', on: true } };
  }
  if (c.acceptKw('version')) return { kind: 'AlterModel', pos, name, action: { kind: 'SetVersion', version: c.integer() } };
  if (c.acceptKw('explain_background')) {
    const query = c.string();
    return { kind: 'AlterModel', pos, name, action: { kind: 'SetExplainBackground', query, ...(c.acceptKw('seed') ? { seed: c.integer() } : {}) } };
  }
  c.expectKw('alias');
  const alias = c.ident();
  c.expectKw('to', 'version');
  return { kind: 'AlterModel', pos, name, action: { kind: 'SetAlias', alias, version: c.integer() } };
}

/** After EXPORT: `MODEL name [VERSION k] TO 'path'`. */
export function parseExportModel(c: Cursor, pos: Pos): ExportModel {
  c.expectKw('model');
  const name = c.name();
  const version = c.acceptKw('version') ? c.integer() : undefined;
  c.expectKw('to');
  const to = c.string();
  return version === undefined ? { kind: 'ExportModel', pos, name, to } : { kind: 'ExportModel', pos, name, version, to };
}

/** After IMPORT: `MODEL name FROM 'path' [FUNCTION f]`. */
export function parseImportModel(c: Cursor, pos: Pos): ImportModel {
  c.expectKw('model');
  const name = c.name();
  c.expectKw('from');
  const from = c.string();
  return c.acceptKw('function') ? { kind: 'ImportModel', pos, name, from, function: c.name() } : { kind: 'ImportModel', pos, name, from };
}

/** After CREATE MONITOR: `name ON MODEL m USING (query) [SCHEDULE EVERY n unit] [THRESHOLD (...)]`. */
export function parseCreateMonitor(c: Cursor, pos: Pos): CreateMonitor {
  const name = c.name();
  c.expectKw('on', 'model');
  const model = c.name();
  c.expectKw('using');
  c.expectOp('(');
  const query = parseQuery(c);
  c.expectOp(')');
  const stmt: CreateMonitor = { kind: 'CreateMonitor', pos, name, model, query, thresholds: [] };
  const seen = new Set<string>();
  while (c.isKw('schedule') || c.isKw('threshold')) {
    const t = c.next();
    if (seen.has(t.value)) c.failWith(`conflicting or redundant CREATE MONITOR option "${t.text}"`, t);
    seen.add(t.value);
    if (t.value === 'threshold') stmt.thresholds = parseOptions(c);
    else {
      const s = parseSchedule(c);
      if (s !== null) stmt.scheduleSeconds = s;
    }
  }
  return stmt;
}

const UNIT_SECONDS: Record<string, number> = { second: 1, seconds: 1, minute: 60, minutes: 60, hour: 3600, hours: 3600, day: 86400, days: 86400 };

/** `EVERY n unit`, `EVERY 'n unit'` (seconds, minutes, hours, days) or `OFF` (null). */
function parseSchedule(c: Cursor): number | null {
  if (c.acceptKw('off')) return null;
  c.expectKw('every');
  const t = c.peek();
  let n: number, unit: string;
  if (t.type === 'string') {
    const m = /^\s*(\d+)\s*([a-z]+)\s*$/i.exec(c.string());
    if (!m || !(m[2].toLowerCase() in UNIT_SECONDS)) c.failWith(`invalid schedule interval '${t.value}' (expected e.g. '10 minutes')`, t);
    n = Number(m[1]);
    unit = m[2].toLowerCase();
  } else {
    n = c.integer();
    unit = c.expectOneOf(...Object.keys(UNIT_SECONDS));
  }
  if (n <= 0) c.failWith('a schedule interval must be positive', t);
  return n * UNIT_SECONDS[unit];
}

/** After SHOW MONITOR (a name) or SHOW MONITORS (none). */
export function parseShowMonitor(c: Cursor, pos: Pos, all: boolean): Statement {
  return all ? { kind: 'ShowMonitor', pos } : { kind: 'ShowMonitor', pos, name: c.name() };
}

/** After ALTER MONITOR: `name SET SCHEDULE EVERY n unit | SET SCHEDULE OFF | SET THRESHOLD (...)`. */
export function parseAlterMonitor(c: Cursor, pos: Pos): AlterMonitor {
  const name = c.name();
  c.expectKw('set');
  if (c.acceptKw('threshold')) return { kind: 'AlterMonitor', pos, name, action: { kind: 'SetThreshold', thresholds: parseOptions(c) } };
  c.expectKw('schedule');
  return { kind: 'AlterMonitor', pos, name, action: { kind: 'SetSchedule', seconds: parseSchedule(c) } };
}
