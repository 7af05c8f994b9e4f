// Finding catalog objects by id or by (possibly partial) name.
import type { CatalogState, TableState, DatabaseState, SchemaState, AccountState } from './catalog.ts';
import { SqlError } from '../errors.ts';
import type { Pos } from '../sql/ast.ts';

export interface TableLocation { account: string; database: string; schema: string; table: TableState }

/** Finds a table anywhere in the catalog by its id. */
export function findTableById(state: CatalogState, id: string): TableState | undefined {
  return locateTable(state, id)?.table;
}

export function locateTable(state: CatalogState, id: string): TableLocation | undefined {
  for (const a of Object.values(state.accounts)) {
    for (const db of Object.values(a.databases)) {
      for (const s of Object.values(db.schemas)) {
        for (const t of Object.values(s.tables)) if (t.id === id) return { account: a.name, database: db.name, schema: s.name, table: t };
      }
    }
  }
  return undefined;
}

export function getDatabase(acct: AccountState, name: string, pos?: Pos): DatabaseState {
  const db = acct.databases[name];
  if (!db) throw new SqlError('UNDEFINED_OBJECT', `database "${name}" does not exist`, pos);
  return db;
}

export function getSchema(db: DatabaseState, name: string, pos?: Pos): SchemaState {
  const s = db.schemas[name];
  if (!s) throw new SqlError('UNDEFINED_OBJECT', `schema "${name}" does not exist`, pos);
  return s;
}

/** Splits a 1-3 part object name into database, schema and object, with the session's defaults. */
export function splitName(name: string[], currentDb: string, currentSchema: string, pos?: Pos): { database: string; schema: string; name: string } {
  if (name.length === 1) return { database: currentDb, schema: currentSchema, name: name[0] };
  if (name.length === 2) return { database: currentDb, schema: name[0], name: name[1] };
  if (name.length === 3) return { database: name[0], schema: name[1], name: name[2] };
  throw new SqlError('SYNTAX_ERROR', `improper qualified name (too many dotted names): ${name.join('.')}`, pos);
}

/** Whether `name` names the system view `view`, alone or as pg_catalog.view. */
export function namesSystemView(name: string[], view: string): boolean {
  return name[name.length - 1] === view && (name.length === 1 || (name.length === 2 && name[0] === 'pg_catalog'));
}
