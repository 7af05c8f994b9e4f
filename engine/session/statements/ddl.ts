// CREATE/DROP/ALTER of tables, views, schemas and databases.
import type * as A from '../../sql/ast.ts';
import type { Result } from '../../result.ts';
import type { StatementContext } from '../context.ts';
import { done } from '../session.ts';
import { SqlError } from '../../errors.ts';
import { type ColumnState, type TableState, type CatalogState, type ViewState, newSchema, newDatabase, newObjectId, nextId, type DistStyle } from '../../catalog/catalog.ts';
import { splitName } from '../../catalog/lookup.ts';
import { isNullType, type SqlType } from '../../types/types.ts';
import { printQuery, printExpr } from '../../sql/printer.ts';
import { appendRows } from '../write.ts';
import { ExprBinder } from '../../plan/bind-expr.ts';
import { checkOwner, checkSchemaCreate, tableKey } from '../privileges.ts';
import { dropColumnGrants, renameColumnGrants } from '../../catalog/column-grants.ts';
import { dropOrphanGrants, grantPublicSchemaDefaults } from '../../catalog/object-grants.ts';
import type { Owned } from '../../catalog/owners.ts';
import { projectBatch } from '../../exec/kernels.ts';
import type { BExpr } from '../../plan/bound.ts';

const ENCODINGS = new Set(['raw', 'az64', 'bytedict', 'delta', 'delta32k', 'lzo', 'mostly8', 'mostly16', 'mostly32', 'runlength', 'text255', 'text32k', 'zstd', 'auto']);

/** Where a new object goes: (database, schema, name) in the session's account. */
function target(ctx: StatementContext, name: string[], pos: A.Pos) {
  const n = splitName(name, ctx.session.database, ctx.session.searchPath[0] ?? 'public', pos);
  const db = ctx.account.databases[n.database];
  if (!db) throw new SqlError('UNDEFINED_OBJECT', `database "${n.database}" does not exist`, pos);
  if (db.fromShare) throw new SqlError('READ_ONLY', `database "${n.database}" was created from a datashare and is read-only`, pos);
  const schema = db.schemas[n.schema];
  if (!schema) throw new SqlError('UNDEFINED_OBJECT', `schema "${n.schema}" does not exist`, pos);
  checkSchemaCreate(ctx, db, schema, pos);
  return { ...n, schemaState: schema };
}

/** Mutation helper: the schema object inside a given state. */
function schemaIn(s: CatalogState, account: string, database: string, schema: string) {
  const sc = s.accounts[account]?.databases[database]?.schemas[schema];
  if (!sc) throw new SqlError('UNDEFINED_OBJECT', `schema "${schema}" no longer exists`);
  return sc;
}

interface Physical { distStyle: DistStyle; distAuto: boolean; distKey: number | null; sortKey: number[] }

function physicalLayout(cols: ColumnState[], attrs: A.TableAttributes, colDefs: A.ColumnDef[] | null, pos: A.Pos): Physical {
  const idx = (name: string) => {
    const i = cols.findIndex((c) => c.name === name);
    if (i < 0) throw new SqlError('UNDEFINED_COLUMN', `column "${name}" named in DISTKEY/SORTKEY does not exist`, pos);
    return i;
  };
  let distKey: number | null = attrs.distKey ? idx(attrs.distKey) : null;
  const colDist = colDefs?.filter((c) => c.distKey) ?? [];
  if (colDist.length > 1) throw new SqlError('SYNTAX_ERROR', 'a table can have only one DISTKEY', pos);
  if (colDist.length) distKey = idx(colDist[0].name);
  let style = attrs.distStyle ?? (distKey !== null ? 'KEY' : 'AUTO');
  if (style === 'KEY' && distKey === null) throw new SqlError('SYNTAX_ERROR', 'DISTSTYLE KEY needs a DISTKEY column', pos);
  if (style !== 'KEY' && style !== 'AUTO' && distKey !== null) throw new SqlError('SYNTAX_ERROR', `DISTKEY cannot be used with DISTSTYLE ${style}`, pos);
  const distAuto = style === 'AUTO';
  if (style === 'AUTO') style = distKey !== null ? 'KEY' : 'EVEN';
  const sortKey = attrs.sortKey ? attrs.sortKey.columns.map(idx) : (colDefs?.filter((c) => c.sortKey).map((c) => idx(c.name)) ?? []);
  return { distStyle: style as DistStyle, distAuto, distKey, sortKey };
}

function newTable(ctx: StatementContext, name: string, columns: ColumnState[], phys: Physical): Omit<TableState, 'id'> {
  return { name, ...ctx.ownerRef, columns, ...phys, segments: [], version: 0, rr: 0, createdAt: ctx.now().toISOString() };
}

function addTable(ctx: StatementContext, where: { database: string; schema: string }, table: Omit<TableState, 'id'>, ifNotExists: boolean, pos: A.Pos): string | null {
  const sc = ctx.account.databases[where.database].schemas[where.schema];
  if (sc.tables[table.name] || sc.views[table.name]) {
    if (ifNotExists) return null;
    throw new SqlError('DUPLICATE_OBJECT', `relation "${table.name}" already exists`, pos);
  }
  const account = ctx.session.account;
  let id = '';
  ctx.txn.apply((s) => {
    const target = schemaIn(s, account, where.database, where.schema);
    if (target.tables[table.name]) throw new SqlError('DUPLICATE_OBJECT', `relation "${table.name}" already exists`, pos);
    id = nextId(s, 't');
    target.tables[table.name] = { ...structuredClone(table), id };
  }, { ddl: true });
  ctx.txn.touchTable(id, 0, 'modify');
  ctx.db.hooks.tableCreated(ctx, where.database, where.schema, table.name);
  return id;
}

export async function createTable(stmt: A.CreateTable, ctx: StatementContext): Promise<Result> {
  const where = target(ctx, stmt.name, stmt.pos);
  const binder = new ExprBinder({ bindQuery: () => { throw new SqlError('FEATURE_NOT_SUPPORTED', 'subqueries are not allowed in DEFAULT'); }, runQuery: () => { throw new Error('unreachable'); }, resolveModelFunction: () => null });
  let columns: ColumnState[];
  if (stmt.like) {
    const src = ctx.findTable(stmt.like.table, stmt.pos);
    if (src.kind !== 'table') throw new SqlError('FEATURE_NOT_SUPPORTED', 'CREATE TABLE LIKE needs a table, not a view', stmt.pos);
    columns = src.table.columns.map((c) => ({ ...c, default: stmt.like!.includingDefaults ? c.default : undefined }));
  } else {
    const seen = new Set<string>();
    columns = [];
    for (const c of stmt.columns) {
      if (seen.has(c.name)) throw new SqlError('DUPLICATE_OBJECT', `column "${c.name}" specified more than once`, c.pos);
      seen.add(c.name);
      const type = binder.type(c.type);
      if (c.encode && !ENCODINGS.has(c.encode.toLowerCase())) throw new SqlError('INVALID_PARAMETER', `unknown column encoding "${c.encode}"`, c.pos);
      let def: string | undefined;
      if (c.default) {
        const b = await binder.bind(c.default, { fields: [] });
        binder.coerce(b, type, c.default.pos);
        def = printExpr(c.default);
      }
      const pk = c.primaryKey || stmt.constraints.some((k) => k.type === 'PRIMARY KEY' && k.columns.includes(c.name));
      columns.push({ name: c.name, type, notNull: c.notNull || pk, default: def, encoding: c.encode && c.encode.toLowerCase() !== 'auto' ? c.encode.toUpperCase() : undefined });
    }
    for (const k of stmt.constraints) for (const col of k.columns) if (!seen.has(col)) throw new SqlError('UNDEFINED_COLUMN', `column "${col}" named in key does not exist`, k.pos);
  }
  if (columns.length === 0) throw new SqlError('SYNTAX_ERROR', 'a table needs at least one column', stmt.pos);
  if (columns.length > 1600) throw new SqlError('INVALID_PARAMETER', 'tables can have at most 1600 columns', stmt.pos);
  const phys = physicalLayout(columns, stmt, stmt.like ? null : stmt.columns, stmt.pos);
  const id = addTable(ctx, where, newTable(ctx, where.name, columns, phys), stmt.ifNotExists, stmt.pos);
  return done(id ? 'CREATE TABLE' : 'CREATE TABLE');
}

export async function createTableAs(stmt: A.CreateTableAs, ctx: StatementContext): Promise<Result> {
  const where = target(ctx, stmt.name, stmt.pos);
  const plan = await ctx.bindQuery(stmt.query);
  const fields = plan.fields.filter((f) => !f.hidden);
  if (stmt.columns && stmt.columns.length !== fields.length) throw new SqlError('SYNTAX_ERROR', `CREATE TABLE AS names ${stmt.columns.length} columns but the query returns ${fields.length}`, stmt.pos);
  const names = fields.map((f, i) => stmt.columns?.[i] ?? f.name);
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup) throw new SqlError('DUPLICATE_OBJECT', `column "${dup}" specified more than once`, stmt.pos);
  const columns: ColumnState[] = fields.map((f, i) => ({ name: names[i], type: isNullType(f.type) ? { id: 'VARCHAR', length: 256 } : f.type, notNull: false }));
  const phys = physicalLayout(columns, stmt, null, stmt.pos);
  const id = addTable(ctx, where, newTable(ctx, where.name, columns, phys), stmt.ifNotExists, stmt.pos);
  if (!id) return done('CREATE TABLE AS', 0);
  const batch = await ctx.run(plan);
  const table = ctx.account.databases[where.database].schemas[where.schema].tables[where.name];
  const cols = batch.columns.slice(0, fields.length);
  const n = await appendRows(ctx, table, { length: batch.length, columns: cols });
  return done('SELECT', n);
}

export async function dropTable(stmt: A.DropTable | A.DropView, ctx: StatementContext): Promise<Result> {
  const isView = stmt.kind === 'DropView';
  for (const name of stmt.names) {
    let loc;
    try {
      loc = ctx.findTable(name, stmt.pos);
    } catch (e) {
      if (stmt.ifExists && (e as SqlError).code === 'UNDEFINED_TABLE') continue;
      throw e;
    }
    if (isView !== (loc.kind === 'view')) throw new SqlError('DATATYPE_MISMATCH', `"${name.join('.')}" is not a ${isView ? 'view' : 'table'}`, stmt.pos);
    const owned: Owned = loc.kind === 'table' ? loc.table : loc.view;
    checkOwner(ctx, owned, `relation ${name.join('.')}`, stmt.pos);
    const account = ctx.session.account;
    const { database, schema } = loc;
    const objName = loc.kind === 'table' ? loc.table.name : loc.view.name;
    if (loc.kind === 'table') ctx.txn.touchTable(loc.table.id, loc.table.version, 'modify');
    ctx.txn.apply((s) => {
      const sc = schemaIn(s, account, database, schema);
      if (isView) delete sc.views[objName];
      else delete sc.tables[objName];
      // its grants go with it (ids are never reused, but nothing should name a gone object)
      dropOrphanGrants(s.accounts[account]);
    }, { ddl: true });
  }
  return done(isView ? 'DROP VIEW' : 'DROP TABLE');
}

export async function truncate(stmt: A.Truncate, ctx: StatementContext): Promise<Result> {
  const loc = ctx.writableTable(stmt.name, 'DELETE', stmt.pos);
  const id = loc.table.id;
  ctx.txn.touchTable(id, loc.table.version, 'modify');
  ctx.txn.apply((s) => { schemaIn(s, ctx.session.account, loc.database, loc.schema).tables[loc.table.name].segments = []; });
  return done('TRUNCATE TABLE');
}

export async function alterTable(stmt: A.AlterTable, ctx: StatementContext): Promise<Result> {
  const loc = ctx.findTable(stmt.name, stmt.pos);
  if (loc.kind !== 'table') throw new SqlError('FEATURE_NOT_SUPPORTED', 'ALTER TABLE works on tables only', stmt.pos);
  checkOwner(ctx, loc.table, `relation ${loc.table.name}`, stmt.pos);
  const t = loc.table;
  const account = ctx.session.account;
  const get = (s: CatalogState) => schemaIn(s, account, loc.database, loc.schema);
  const a = stmt.action;
  ctx.txn.touchTable(t.id, t.version, 'modify');
  switch (a.kind) {
    case 'RenameTable': {
      const sc = get(ctx.state);
      if (sc.tables[a.newName] || sc.views[a.newName]) throw new SqlError('DUPLICATE_OBJECT', `relation "${a.newName}" already exists`, stmt.pos);
      ctx.txn.apply((s) => { const x = get(s); const tt = x.tables[t.name]; delete x.tables[t.name]; tt.name = a.newName; x.tables[a.newName] = tt; }, { ddl: true });
      break;
    }
    case 'RenameColumn': {
      const i = t.columns.findIndex((c) => c.name === a.from);
      if (i < 0) throw new SqlError('UNDEFINED_COLUMN', `column "${a.from}" does not exist`, stmt.pos);
      if (t.columns.some((c) => c.name === a.to)) throw new SqlError('DUPLICATE_OBJECT', `column "${a.to}" already exists`, stmt.pos);
      ctx.txn.apply((s) => {
        get(s).tables[t.name].columns[i].name = a.to;
        renameColumnGrants(s.accounts[account], tableKey(t), a.from, a.to);
      }, { ddl: true });
      break;
    }
    case 'AddColumn': {
      if (t.columns.some((c) => c.name === a.column.name)) throw new SqlError('DUPLICATE_OBJECT', `column "${a.column.name}" of relation "${t.name}" already exists`, stmt.pos);
      // existing segments lack the column: rewrite the table with it (filled with the default)
      const binder = ctx.binder().exprs;
      const type: SqlType = binder.type(a.column.type);
      const def: BExpr = a.column.default ? binder.coerce(await binder.bind(a.column.default, { fields: [] }), type, a.column.pos) : { k: 'const', value: null, type };
      if (a.column.notNull && def.k === 'const' && def.value === null && t.segments.length) throw new SqlError('NOT_NULL_VIOLATION', `column "${a.column.name}" contains null values`, stmt.pos);
      const all = await ctx.run({ k: 'scan', table: t, ref: { account, database: loc.database, schema: loc.schema, name: t.name }, fields: t.columns.map((c) => ({ name: c.name, type: c.type })) });
      const extra = projectBatch(all, [def], null, all.length);
      const col: ColumnState = { name: a.column.name, type, notNull: a.column.notNull, default: a.column.default ? printExpr(a.column.default) : undefined };
      ctx.txn.apply((s) => { const tt = get(s).tables[t.name]; tt.columns.push(col); tt.segments = []; }, { ddl: true });
      await appendRows(ctx, get(ctx.state).tables[t.name], { length: all.length, columns: [...all.columns, ...extra] });
      break;
    }
    case 'DropColumn': {
      const i = t.columns.findIndex((c) => c.name === a.column);
      if (i < 0) { if (a.ifExists) break; throw new SqlError('UNDEFINED_COLUMN', `column "${a.column}" of relation "${t.name}" does not exist`, stmt.pos); }
      if (t.columns.length === 1) throw new SqlError('INVALID_PARAMETER', 'cannot drop the only column of a table', stmt.pos);
      if (t.distKey === i || t.sortKey.includes(i)) throw new SqlError('FEATURE_NOT_SUPPORTED', `cannot drop column "${a.column}": it is the table's DISTKEY or SORTKEY`, stmt.pos);
      const all = await ctx.run({ k: 'scan', table: t, ref: { account, database: loc.database, schema: loc.schema, name: t.name }, fields: t.columns.map((c) => ({ name: c.name, type: c.type })) });
      const fix = (k: number | null) => (k !== null && k > i ? k - 1 : k);
      ctx.txn.apply((s) => {
        const tt = get(s).tables[t.name];
        tt.columns.splice(i, 1);
        tt.segments = [];
        dropColumnGrants(s.accounts[account], tableKey(t), a.column);
        tt.distKey = fix(tt.distKey);
        tt.sortKey = tt.sortKey.map((k) => fix(k)!);
      }, { ddl: true });
      await appendRows(ctx, get(ctx.state).tables[t.name], { length: all.length, columns: all.columns.filter((_, k) => k !== i) });
      break;
    }
  }
  return done('ALTER TABLE');
}

export async function createView(stmt: A.CreateView, ctx: StatementContext): Promise<Result> {
  const where = target(ctx, stmt.name, stmt.pos);
  const sc = where.schemaState;
  const old = sc.views[where.name];
  // as PostgreSQL: replacing needs ownership, and the view keeps its id (so its grants) and owner,
  // whose privileges its query keeps running with
  if (old && stmt.orReplace) checkOwner(ctx, old, `view ${where.schema}.${where.name} to replace it`, stmt.pos);
  const plan = await ctx.bindQuery(stmt.query);
  const fields = plan.fields.filter((f) => !f.hidden);
  if (stmt.columns && stmt.columns.length !== fields.length) throw new SqlError('SYNTAX_ERROR', `view names ${stmt.columns.length} columns but the query returns ${fields.length}`, stmt.pos);
  if (sc.tables[where.name]) throw new SqlError('DUPLICATE_OBJECT', `relation "${where.name}" already exists`, stmt.pos);
  if (old && !stmt.orReplace) throw new SqlError('DUPLICATE_OBJECT', `relation "${where.name}" already exists`, stmt.pos);
  const view: ViewState = {
    id: old?.id ?? newObjectId(),
    name: where.name,
    ...(old ? { owner: old.owner, ...(old.ownerId !== undefined ? { ownerId: old.ownerId } : {}) } : ctx.ownerRef),
    sql: printQuery(stmt.query),
    columns: fields.map((f, i) => ({ name: stmt.columns?.[i] ?? f.name, type: f.type })),
    // names in the query keep meaning what they meant here, whoever queries the view
    resolveIn: { database: ctx.session.database, searchPath: [...ctx.session.searchPath] },
  };
  const account = ctx.session.account;
  ctx.txn.apply((s) => {
    const x = schemaIn(s, account, where.database, where.schema);
    if (x.views[where.name]?.id !== old?.id) throw new SqlError('DUPLICATE_OBJECT', `view "${where.name}" was created, replaced or dropped by another statement while this one ran`, stmt.pos);
    x.views[where.name] = view;
  }, { ddl: true });
  return done('CREATE VIEW');
}

export async function createSchema(stmt: A.CreateSchema, ctx: StatementContext): Promise<Result> {
  const db = ctx.currentDatabase();
  if (db.fromShare) throw new SqlError('READ_ONLY', `database "${db.name}" was created from a datashare and is read-only`, stmt.pos);
  if (db.schemas[stmt.name]) {
    if (stmt.ifNotExists) return done('CREATE SCHEMA');
    throw new SqlError('DUPLICATE_OBJECT', `schema "${stmt.name}" already exists`, stmt.pos);
  }
  const { account, database } = ctx.session;
  const owner = ctx.ownerRef;
  ctx.txn.apply((s) => {
    const d = s.accounts[account].databases[database];
    if (d.schemas[stmt.name]) throw new SqlError('DUPLICATE_OBJECT', `schema "${stmt.name}" already exists`);
    d.schemas[stmt.name] = newSchema(stmt.name, owner);
  }, { ddl: true });
  return done('CREATE SCHEMA');
}

export async function dropSchema(stmt: A.DropSchema, ctx: StatementContext): Promise<Result> {
  const db = ctx.currentDatabase();
  for (const name of stmt.names) {
    const sc = db.schemas[name];
    if (!sc) { if (stmt.ifExists) continue; throw new SqlError('UNDEFINED_OBJECT', `schema "${name}" does not exist`, stmt.pos); }
    checkOwner(ctx, sc, `schema ${name}`, stmt.pos);
    const n = Object.keys(sc.tables).length + Object.keys(sc.views).length + Object.keys(sc.models).length;
    if (n && !stmt.cascade) throw new SqlError('INVALID_PARAMETER', `cannot drop schema ${name} because other objects depend on it (${n} objects); use DROP SCHEMA ... CASCADE`, stmt.pos);
    for (const t of Object.values(sc.tables)) ctx.txn.touchTable(t.id, t.version, 'modify');
    const { account, database } = ctx.session;
    ctx.txn.apply((s) => {
      delete s.accounts[account].databases[database].schemas[name];
      // its grants and its models' and tables' go with it (a re-created namesake starts with none)
      dropOrphanGrants(s.accounts[account]);
    }, { ddl: true });
  }
  return done('DROP SCHEMA');
}

export async function createDatabase(stmt: A.CreateDatabase, ctx: StatementContext): Promise<Result> {
  if (stmt.fromDatashare) throw new SqlError('FEATURE_NOT_SUPPORTED', 'CREATE DATABASE ... FROM DATASHARE needs the sharing extension', stmt.pos);
  if (!ctx.isSuperuser) throw new SqlError('PERMISSION_DENIED', 'permission denied to create database', stmt.pos);
  if (ctx.account.databases[stmt.name]) throw new SqlError('DUPLICATE_OBJECT', `database "${stmt.name}" already exists`, stmt.pos);
  const { account } = ctx.session;
  const owner = ctx.ownerRef;
  ctx.txn.apply((s) => {
    const a = s.accounts[account];
    if (a.databases[stmt.name]) throw new SqlError('DUPLICATE_OBJECT', `database "${stmt.name}" already exists`);
    a.databases[stmt.name] = newDatabase(stmt.name, owner);
    grantPublicSchemaDefaults(a, a.databases[stmt.name]);
  }, { ddl: true });
  return done('CREATE DATABASE');
}

export async function dropDatabase(stmt: A.DropDatabase, ctx: StatementContext): Promise<Result> {
  const db = ctx.account.databases[stmt.name];
  if (!db) { if (stmt.ifExists) return done('DROP DATABASE'); throw new SqlError('UNDEFINED_OBJECT', `database "${stmt.name}" does not exist`, stmt.pos); }
  if (stmt.name === ctx.session.database) throw new SqlError('INVALID_PARAMETER', `cannot drop the currently open database "${stmt.name}"`, stmt.pos);
  checkOwner(ctx, db, `database ${stmt.name}`, stmt.pos);
  for (const sc of Object.values(db.schemas)) for (const t of Object.values(sc.tables)) ctx.txn.touchTable(t.id, t.version, 'modify');
  const { account } = ctx.session;
  ctx.txn.apply((s) => {
    delete s.accounts[account].databases[stmt.name];
    dropOrphanGrants(s.accounts[account]);
  }, { ddl: true });
  return done('DROP DATABASE');
}

