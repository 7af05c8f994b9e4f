// SHOW, DESCRIBE, SET/RESET and VACUUM.
import type * as A from '../../sql/ast.ts';
import type { Result } from '../../result.ts';
import type { StatementContext } from '../context.ts';
import { done } from '../session.ts';
import { SqlError } from '../../errors.ts';
import { typeName } from '../../types/types.ts';
import type { TableState } from '../../catalog/catalog.ts';
import { appendRows } from '../write.ts';
import { findTableById } from '../../catalog/lookup.ts';
import { parseMemorySize } from '../../exec/memory-budget.ts';
import { hasSchemaUsage } from '../privileges.ts';

export function table(command: string, columns: [string, string][], rows: unknown[][]): Result {
  return { command, rowCount: rows.length, columns: columns.map(([name, type]) => ({ name, type })), rows };
}

export async function showTables(stmt: A.ShowTables, ctx: StatementContext): Promise<Result> {
  const dbName = stmt.database ?? ctx.session.database;
  const db = ctx.account.databases[dbName];
  if (!db) throw new SqlError('UNDEFINED_OBJECT', `database "${dbName}" does not exist`, stmt.pos);
  const rows: unknown[][] = [];
  for (const s of Object.values(db.schemas)) {
    // as information_schema.tables: nothing of a schema the user may not use
    if ((stmt.schema && s.name !== stmt.schema) || !hasSchemaUsage(ctx, db, s)) continue;
    for (const t of Object.values(s.tables)) rows.push([s.name, t.name, 'TABLE']);
    for (const v of Object.values(s.views)) rows.push([s.name, v.name, 'VIEW']);
  }
  if (stmt.schema && !db.schemas[stmt.schema]) throw new SqlError('UNDEFINED_OBJECT', `schema "${stmt.schema}" does not exist`, stmt.pos);
  rows.sort((a, b) => String(a[0]).localeCompare(String(b[0])) || String(a[1]).localeCompare(String(b[1])));
  return table('SHOW', [['schema_name', 'VARCHAR'], ['table_name', 'VARCHAR'], ['table_type', 'VARCHAR']], rows);
}

export async function showSchemas(stmt: A.ShowSchemas, ctx: StatementContext): Promise<Result> {
  const dbName = stmt.database ?? ctx.session.database;
  const db = ctx.account.databases[dbName];
  if (!db) throw new SqlError('UNDEFINED_OBJECT', `database "${dbName}" does not exist`, stmt.pos);
  const rows = Object.values(db.schemas).map((s) => [dbName, s.name, s.owner]).sort((a, b) => a[1].localeCompare(b[1]));
  return table('SHOW', [['database_name', 'VARCHAR'], ['schema_name', 'VARCHAR'], ['schema_owner', 'VARCHAR']], rows);
}

export async function showDatabases(_stmt: A.ShowDatabases, ctx: StatementContext): Promise<Result> {
  const rows = Object.values(ctx.account.databases).map((d) => [d.name, d.owner, d.fromShare ? 'shared' : 'local', d.fromShare ? `${d.fromShare.producer}.${d.fromShare.datashare}` : null])
    .sort((a, b) => String(a[0]).localeCompare(String(b[0])));
  return table('SHOW', [['database_name', 'VARCHAR'], ['database_owner', 'VARCHAR'], ['database_type', 'VARCHAR'], ['datashare', 'VARCHAR']], rows);
}

/** DESCRIBE t: one row per column with its type and physical layout. */
export async function describe(stmt: A.Describe | A.ShowColumns, ctx: StatementContext): Promise<Result> {
  const name = stmt.kind === 'Describe' ? stmt.name : stmt.table;
  const rel = ctx.resolveRelation(name, stmt.pos);
  if (rel.kind === 'table') {
    const t: TableState = rel.table;
    const rows = t.columns.map((c, i) => [c.name, typeName(c.type), !c.notNull, c.encoding ?? 'AUTO', t.distKey === i, t.sortKey.indexOf(i) + 1 || null]);
    return table('DESCRIBE', [['column_name', 'VARCHAR'], ['data_type', 'VARCHAR'], ['nullable', 'BOOLEAN'], ['encoding', 'VARCHAR'], ['distkey', 'BOOLEAN'], ['sortkey', 'INTEGER']], rows);
  }
  const plan = await ctx.bindQuery({ kind: 'Select', pos: stmt.pos, distinct: false, columns: [{ kind: 'SelectItem', pos: stmt.pos, expr: { kind: 'Star', pos: stmt.pos } }], from: [{ kind: 'TableName', pos: stmt.pos, name }], groupBy: [], orderBy: [], limit: { kind: 'Literal', pos: stmt.pos, value: 0, literalType: 'integer', text: '0' } });
  const rows = plan.fields.filter((f) => !f.hidden).map((f) => [f.name, typeName(f.type), true, null, false, null]);
  return table('DESCRIBE', [['column_name', 'VARCHAR'], ['data_type', 'VARCHAR'], ['nullable', 'BOOLEAN'], ['encoding', 'VARCHAR'], ['distkey', 'BOOLEAN'], ['sortkey', 'INTEGER']], rows);
}

const SETTINGS: Record<string, string> = { search_path: 'public', datestyle: 'ISO, MDY', timezone: 'UTC', statement_timeout: '0', query_group: 'default', enable_result_cache_for_session: 'on',
  // per-statement memory limit, e.g. 2GB ('0': the server's --query-memory-limit, default a quarter of RAM)
  query_memory_limit: '0',
  // CREATE MODEL waits for training to finish (the one-shot CLI turns it on; see ml/sql/create.ts)
  ml_wait_for_training: 'off',
  // rounds a WITH RECURSIVE query may run before it fails (see exec/executor.ts)
  max_recursion_depth: '10000',
  // how joins in the slices move their inputs: auto (by estimate), broadcast or redistribute
  join_distribution: 'auto' };

export async function show(stmt: A.Show, ctx: StatementContext): Promise<Result> {
  const get = (k: string) => (k === 'search_path' ? ctx.session.searchPath.join(', ') : ctx.session.settings.get(k) ?? SETTINGS[k]);
  if (stmt.name === 'all') return table('SHOW', [['name', 'VARCHAR'], ['setting', 'VARCHAR']], Object.keys(SETTINGS).map((k) => [k, get(k)]));
  const v = get(stmt.name);
  if (v === undefined) throw new SqlError('UNDEFINED_OBJECT', `unrecognized configuration parameter "${stmt.name}"`, stmt.pos);
  return table('SHOW', [[stmt.name, 'VARCHAR']], [[v]]);
}

export async function setVariable(stmt: A.SetVariable, ctx: StatementContext): Promise<Result> {
  if (!(stmt.name in SETTINGS)) throw new SqlError('UNDEFINED_OBJECT', `unrecognized configuration parameter "${stmt.name}"`, stmt.pos);
  if (stmt.name === 'max_recursion_depth' && !stmt.toDefault && !/^[1-9]\d{0,8}$/.test(stmt.values.join(''))) {
    throw new SqlError('INVALID_PARAMETER', `max_recursion_depth must be a positive integer, not "${stmt.values.join(', ')}"`, stmt.pos);
  }
  if (stmt.name === 'search_path') {
    ctx.session.searchPath.splice(0, ctx.session.searchPath.length, ...(stmt.toDefault ? ['public'] : stmt.values.map(String)));
  } else if (stmt.toDefault) ctx.session.settings.delete(stmt.name);
  else {
    const value = stmt.values.join(', ');
    if (stmt.name === 'statement_timeout' && !/^\d+$/.test(value)) throw new SqlError('INVALID_PARAMETER', `statement_timeout must be a whole number of milliseconds (0 = none), not "${value}"`, stmt.pos);
    if (stmt.name === 'query_memory_limit' && value !== '0') parseMemorySize(value);
    if (stmt.name === 'join_distribution' && !['auto', 'broadcast', 'redistribute'].includes(value.toLowerCase())) {
      throw new SqlError('INVALID_PARAMETER', `join_distribution must be auto, broadcast or redistribute, not "${value}"`, stmt.pos);
    }
    ctx.session.settings.set(stmt.name, stmt.name === 'join_distribution' ? value.toLowerCase() : value);
  }
  return done('SET');
}

export async function reset(stmt: A.Reset, ctx: StatementContext): Promise<Result> {
  if (stmt.name === 'all') { ctx.session.settings.clear(); ctx.session.searchPath.splice(0, ctx.session.searchPath.length, 'public'); }
  else if (stmt.name === 'search_path') ctx.session.searchPath.splice(0, ctx.session.searchPath.length, 'public');
  else ctx.session.settings.delete(stmt.name);
  return done('RESET');
}

/**
 * VACUUM: rewrites a table's live rows into fresh, full, sorted segments (dropping deleted rows
 * and merging small segments). The old files are freed once no snapshot uses them.
 */
export async function vacuum(stmt: A.Vacuum, ctx: StatementContext): Promise<Result> {
  const tables: { database: string; schema: string; table: TableState }[] = [];
  if (stmt.table) {
    const loc = ctx.writableTable(stmt.table, 'DELETE', stmt.pos);
    tables.push(loc);
  } else {
    const db = ctx.currentDatabase();
    for (const s of Object.values(db.schemas)) for (const t of Object.values(s.tables)) if (ctx.owns(t) || ctx.isSuperuser) tables.push({ database: db.name, schema: s.name, table: t });
  }
  for (const loc of tables) {
    const t = loc.table;
    const small = t.segments.filter((s) => s.rows < 100_000).length;
    const deleted = t.segments.some((s) => s.deletedCount > 0);
    if (!deleted && small < 2 && stmt.mode !== 'FULL' && stmt.mode !== 'SORT ONLY') continue;
    const batch = await ctx.run({ k: 'scan', table: t, ref: { account: ctx.session.account, database: loc.database, schema: loc.schema, name: t.name }, fields: t.columns.map((c) => ({ name: c.name, type: c.type })) });
    ctx.txn.touchTable(t.id, t.version, 'modify');
    const id = t.id;
    ctx.txn.apply((s) => { findTableById(s, id)!.segments = []; });
    await appendRows(ctx, findTableById(ctx.state, id)!, batch);
  }
  return done('VACUUM');
}

