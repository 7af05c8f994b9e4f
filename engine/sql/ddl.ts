// Data definition: CREATE/DROP/ALTER TABLE, TRUNCATE, schemas, databases, views.
// Each function is entered with the cursor just past the leading keywords named in its doc.

import type {
  AlterTable, ColumnDef, CreateDatabase, CreateTable, CreateTableAs, CreateView, DistStyle, Name, Pos,
  Statement, TableAttributes, TableConstraint,
} from './ast.ts';
import type { Cursor } from './cursor.ts';
import { parseExpr, parseType } from './expr.ts';
import { parseQuery, startsQuery } from './query.ts';

/** After CREATE [TEMP|TEMPORARY|LOCAL TEMP] TABLE. */
export function parseCreateTable(c: Cursor, pos: Pos, temporary: boolean): CreateTable | CreateTableAs {
  const ifNotExists = c.acceptKw('if', 'not', 'exists');
  const name = c.name();
  if (c.isOp('(') && c.isKw('like', 1)) {
    c.i += 2;
    const table = c.name();
    let includingDefaults = false;
    if (c.acceptKw('including', 'defaults')) includingDefaults = true;
    else c.acceptKw('excluding', 'defaults');
    c.expectOp(')');
    const attrs = parseTableAttributes(c);
    return { kind: 'CreateTable', pos, name, ifNotExists, temporary, columns: [], constraints: [], like: { table, includingDefaults }, ...attrs };
  }
  // CREATE TABLE t (a, b) AS SELECT ...: a column-name list, not definitions
  if (c.isOp('(') && c.isIdent(1) && (c.isOp(',', 2) || c.isOp(')', 2))) {
    const save = c.i;
    const columns = c.identList();
    const attrs = parseTableAttributes(c);
    if (c.acceptKw('as')) return { kind: 'CreateTableAs', pos, name, ifNotExists, temporary, columns, query: parseQuery(c), ...attrs };
    c.i = save;
  }
  if (!c.isOp('(')) {
    const attrs = parseTableAttributes(c);
    c.expectKw('as');
    return { kind: 'CreateTableAs', pos, name, ifNotExists, temporary, query: parseQuery(c), ...attrs };
  }
  c.expectOp('(');
  const columns: ColumnDef[] = [];
  const constraints: TableConstraint[] = [];
  do {
    if (c.isKw('primary') || c.isKw('unique') || c.isKw('foreign') || c.isKw('constraint')) constraints.push(parseTableConstraint(c));
    else columns.push(parseColumnDef(c));
  } while (c.acceptOp(','));
  c.expectOp(')');
  const attrs = parseTableAttributes(c);
  return { kind: 'CreateTable', pos, name, ifNotExists, temporary, columns, constraints, ...attrs };
}

/** col type [constraints and Redshift attributes in any order]. */
export function parseColumnDef(c: Cursor): ColumnDef {
  const pos = c.pos;
  const name = c.ident();
  const type = parseType(c);
  const col: ColumnDef = { kind: 'ColumnDef', pos, name, type, notNull: false, distKey: false, sortKey: false, primaryKey: false, unique: false };
  for (;;) {
    if (c.acceptKw('not', 'null')) col.notNull = true;
    else if (c.acceptKw('null')) col.notNull = false;
    else if (c.acceptKw('default')) col.default = parseExpr(c);
    else if (c.acceptKw('encode')) col.encode = c.anyIdent().toLowerCase();
    else if (c.acceptKw('distkey')) col.distKey = true;
    else if (c.acceptKw('sortkey')) col.sortKey = true;
    else if (c.acceptKw('primary', 'key')) col.primaryKey = true;
    else if (c.acceptKw('unique')) col.unique = true;
    else if (c.acceptKw('references')) col.references = parseReferences(c);
    else if (c.acceptKw('identity')) {
      c.expectOp('(');
      const seed = c.number();
      c.expectOp(',');
      const step = c.number();
      c.expectOp(')');
      col.identity = { seed, step };
    } else if (c.acceptKw('collate')) c.anyIdent(); // accepted, not kept: one collation
    else return col;
  }
}

function parseReferences(c: Cursor): { table: Name; columns?: string[] } {
  const table = c.name();
  const columns = c.isOp('(') ? c.identList() : undefined;
  return { table, ...(columns ? { columns } : {}) };
}

function parseTableConstraint(c: Cursor): TableConstraint {
  const pos = c.pos;
  if (c.acceptKw('constraint')) c.ident(); // constraint names are not kept
  if (c.acceptKw('primary', 'key')) return { kind: 'TableConstraint', pos, type: 'PRIMARY KEY', columns: c.identList() };
  if (c.acceptKw('unique')) return { kind: 'TableConstraint', pos, type: 'UNIQUE', columns: c.identList() };
  c.expectKw('foreign', 'key');
  const columns = c.identList();
  c.expectKw('references');
  return { kind: 'TableConstraint', pos, type: 'FOREIGN KEY', columns, references: parseReferences(c) };
}

/** [BACKUP YES|NO] [DISTSTYLE x] [DISTKEY (c)] [[COMPOUND|INTERLEAVED] SORTKEY (cols)], any order. */
function parseTableAttributes(c: Cursor): TableAttributes {
  const a: TableAttributes = {};
  for (;;) {
    if (c.acceptKw('backup')) a.backup = c.expectOneOf('yes', 'no') === 'yes';
    else if (c.acceptKw('diststyle')) a.distStyle = c.expectOneOf('even', 'key', 'all', 'auto').toUpperCase() as DistStyle;
    else if (c.acceptKw('distkey')) {
      c.expectOp('(');
      a.distKey = c.ident();
      c.expectOp(')');
    } else if (c.isKw('sortkey') || c.isKws('compound', 'sortkey') || c.isKws('interleaved', 'sortkey')) {
      const style = c.acceptOneOf('compound', 'interleaved');
      c.expectKw('sortkey');
      if (c.acceptKw('auto')) a.sortKey = { columns: [] };
      else a.sortKey = { ...(style ? { style: style.toUpperCase() as 'COMPOUND' | 'INTERLEAVED' } : {}), columns: c.identList() };
    } else return a;
  }
}

/** After DROP TABLE / DROP VIEW. */
export function parseDropRelations(c: Cursor, pos: Pos, kind: 'DropTable' | 'DropView'): Statement {
  const ifExists = c.acceptKw('if', 'exists');
  const names = c.list(() => c.name());
  const cascade = c.acceptOneOf('cascade', 'restrict') === 'cascade';
  return { kind, pos, names, ifExists, cascade };
}

/** After ALTER TABLE. */
export function parseAlterTable(c: Cursor, pos: Pos): AlterTable {
  const name = c.name();
  if (c.acceptKw('rename')) {
    if (c.acceptKw('to')) return { kind: 'AlterTable', pos, name, action: { kind: 'RenameTable', newName: c.ident() } };
    c.acceptKw('column');
    const from = c.ident();
    c.expectKw('to');
    return { kind: 'AlterTable', pos, name, action: { kind: 'RenameColumn', from, to: c.ident() } };
  }
  if (c.acceptKw('add')) {
    c.acceptKw('column');
    return { kind: 'AlterTable', pos, name, action: { kind: 'AddColumn', column: parseColumnDef(c) } };
  }
  c.expectKw('drop');
  c.acceptKw('column');
  const ifExists = c.acceptKw('if', 'exists');
  const column = c.ident();
  const cascade = c.acceptOneOf('cascade', 'restrict') === 'cascade';
  return { kind: 'AlterTable', pos, name, action: { kind: 'DropColumn', column, ifExists, cascade } };
}

/** After CREATE SCHEMA / DROP SCHEMA / CREATE DATABASE / DROP DATABASE. */
export function parseSchemaOrDatabase(c: Cursor, pos: Pos, verb: 'create' | 'drop', object: 'schema' | 'database'): Statement {
  if (verb === 'create' && object === 'schema') {
    const ifNotExists = c.acceptKw('if', 'not', 'exists');
    return { kind: 'CreateSchema', pos, name: c.ident(), ifNotExists };
  }
  if (verb === 'drop' && object === 'schema') {
    const ifExists = c.acceptKw('if', 'exists');
    const names = c.list(() => c.ident());
    const cascade = c.acceptOneOf('cascade', 'restrict') === 'cascade';
    return { kind: 'DropSchema', pos, names, ifExists, cascade };
  }
  if (verb === 'drop') {
    const ifExists = c.acceptKw('if', 'exists');
    return { kind: 'DropDatabase', pos, name: c.ident(), ifExists };
  }
  const stmt: CreateDatabase = { kind: 'CreateDatabase', pos, name: c.ident() };
  if (c.acceptKw('from', 'datashare')) {
    const datashare = c.ident();
    c.expectKw('of');
    const from: NonNullable<CreateDatabase['fromDatashare']> = { datashare };
    if (c.acceptKw('account')) from.account = c.string();
    if (c.acceptKw('namespace')) from.namespace = c.string();
    if (from.account === undefined && from.namespace === undefined) c.fail();
    stmt.fromDatashare = from;
  }
  return stmt;
}

/** After CREATE [OR REPLACE] VIEW. */
export function parseCreateView(c: Cursor, pos: Pos, orReplace: boolean): CreateView {
  const name = c.name();
  const columns = c.isOp('(') ? c.identList() : undefined;
  c.expectKw('as');
  if (!startsQuery(c) && !c.isOp('(')) c.fail();
  const query = parseQuery(c);
  const noSchemaBinding = c.acceptKw('with', 'no', 'schema', 'binding');
  return { kind: 'CreateView', pos, name, orReplace, ...(columns ? { columns } : {}), query, noSchemaBinding };
}
