// Privilege checks, enforced in the engine: superusers and owners may do anything; other users
// need a grant on the table (directly or to PUBLIC), and USAGE on the schema that holds it.
import type { AccountState, DatabaseState, SchemaState, TableState, ViewState } from '../catalog/catalog.ts';
import { heldOn, includesPrivilege, schemaKey, viewKey } from '../catalog/object-grants.ts';
import type { StatementContext } from './context.ts';
import type { Pos } from '../sql/ast.ts';
import { SqlError } from '../errors.ts';
import type { Owned } from '../catalog/owners.ts';

export const tableKey = (t: TableState) => `table:${t.id}`;

/** The grant entry that lets its holder pass `privilege` on (GRANT ... WITH GRANT OPTION; datashares check it). */
export const grantOption = (privilege: string) => `${privilege} WITH GRANT OPTION`;

/** Whether the session's user holds `privilege` on the table. */
export function hasTablePrivilege(ctx: StatementContext, table: TableState, privilege: string): boolean {
  return holdsOnRelation(ctx, table, tableKey(table), privilege);
}

/** Whether the session's user holds `privilege` on the view (SELECT to query it): its owner and superusers always. */
export function hasViewPrivilege(ctx: StatementContext, view: ViewState, privilege: string): boolean {
  return holdsOnRelation(ctx, view, viewKey(view), privilege);
}

/**
 * The account whose grants privilege checks read: the latest commit's, so a REVOKE stops the
 * user's next statement even inside an open transaction (as PostgreSQL's checks read the
 * current catalog). Only an owner or superuser grants, and they pass by that, so grants this
 * transaction made itself and has not committed are never needed.
 */
function grantsOf(ctx: StatementContext): AccountState {
  return ctx.db.catalog.accounts[ctx.session.account] ?? ctx.account;
}

function holdsOnRelation(ctx: StatementContext, rel: Owned, key: string, privilege: string): boolean {
  if (ctx.isSuperuser || ctx.owns(rel)) return true;
  const acct = grantsOf(ctx);
  const user = acct.users[ctx.session.user];
  const held = [...(user?.grants[key] ?? []), ...(acct.publicGrants?.[key] ?? [])];
  // "SELECT WITH GRANT OPTION" is held only as such (or as ALL WITH GRANT OPTION), never through plain ALL
  const all = privilege.endsWith(' WITH GRANT OPTION') ? 'ALL WITH GRANT OPTION' : 'ALL';
  return held.includes(privilege) || held.includes(all);
}

/** The column grants of the session's user and of PUBLIC on one table: column -> privileges. */
function columnGrants(ctx: StatementContext, table: TableState): Record<string, string[]> {
  const key = tableKey(table);
  const acct = grantsOf(ctx);
  const mine = acct.users[ctx.session.user]?.columnGrants?.[key] ?? {};
  const pub = acct.publicColumnGrants?.[key] ?? {};
  const out: Record<string, string[]> = {};
  for (const [c, p] of [...Object.entries(mine), ...Object.entries(pub)]) out[c] = [...(out[c] ?? []), ...p];
  return out;
}

/** Whether the user may use `privilege` on one column: on the table, or on that column. */
export function hasColumnPrivilege(ctx: StatementContext, table: TableState, column: string, privilege: 'SELECT' | 'UPDATE'): boolean {
  return hasTablePrivilege(ctx, table, privilege) || (columnGrants(ctx, table)[column] ?? []).includes(privilege);
}

/** Whether the user holds `privilege` on at least one column (or the table). */
export function hasAnyColumnPrivilege(ctx: StatementContext, table: TableState, privilege: 'SELECT' | 'UPDATE'): boolean {
  return hasTablePrivilege(ctx, table, privilege) || Object.values(columnGrants(ctx, table)).some((p) => p.includes(privilege));
}

/** The error for a column the user may not use; null when it may. */
export function columnDenied(ctx: StatementContext, table: TableState, schema: string, column: string, privilege: 'SELECT' | 'UPDATE'): string | null {
  if (hasColumnPrivilege(ctx, table, column, privilege)) return null;
  return `permission denied for column ${column} of relation ${schema}.${table.name}: user "${ctx.session.user}" lacks ${privilege} on it`;
}

export function checkColumnPrivilege(ctx: StatementContext, table: TableState, schema: string, column: string, privilege: 'SELECT' | 'UPDATE', pos?: Pos): void {
  const denied = columnDenied(ctx, table, schema, column, privilege);
  if (denied) throw new SqlError('PERMISSION_DENIED', denied, pos);
}

export function checkTablePrivilege(ctx: StatementContext, table: TableState, schema: string, privilege: string, pos?: Pos): void {
  if (!hasTablePrivilege(ctx, table, privilege)) {
    throw new SqlError('PERMISSION_DENIED', `permission denied for relation ${schema}.${table.name}: user "${ctx.session.user}" lacks ${privilege}`, pos);
  }
}

/** DDL in the account (CREATE/DROP of tables, schemas, ...) needs a superuser or the object's owner (by id). */
export function checkOwner(ctx: StatementContext, owned: Owned, what: string, pos?: Pos): void {
  if (!ctx.isSuperuser && !ctx.owns(owned)) throw new SqlError('PERMISSION_DENIED', `must be owner of ${what}`, pos);
}

/**
 * Whether the user may name objects in schema `sc` (PostgreSQL's USAGE): superusers and the
 * schema's owner always, others with USAGE (or ALL) on it, to them or to PUBLIC. Grants are read
 * from the latest commit, so a REVOKE stops the next statement even inside an open transaction
 * (a schema this transaction created is judged by its own state).
 */
export function hasSchemaUsage(ctx: StatementContext, db: DatabaseState, sc: SchemaState): boolean {
  return hasSchemaPrivilege(ctx, db, sc, 'USAGE');
}

/** USAGE (naming objects in the schema) or CREATE (making them there), judged as hasSchemaUsage says. */
function hasSchemaPrivilege(ctx: StatementContext, db: DatabaseState, sc: SchemaState, privilege: 'USAGE' | 'CREATE'): boolean {
  if (ctx.isSuperuser || ctx.owns(sc)) return true;
  const latest = ctx.db.catalog.accounts[ctx.session.account];
  const committed = latest?.databases[db.name]?.schemas[sc.name] ? latest : ctx.account;
  return includesPrivilege(heldOn(committed, ctx.session.user, schemaKey(db, sc)), privilege);
}

/** Creating a table, view or model in a schema needs CREATE on it (or its ownership), as PostgreSQL. */
export function checkSchemaCreate(ctx: StatementContext, db: DatabaseState, sc: SchemaState, pos?: Pos): void {
  if (!hasSchemaPrivilege(ctx, db, sc, 'CREATE')) throw new SqlError('PERMISSION_DENIED', `permission denied for schema ${sc.name}: user "${ctx.session.user}" lacks CREATE on it`, pos);
}

/** The error for a schema the user may not use, naming it. */
export function schemaUsageDenied(ctx: StatementContext, sc: SchemaState, pos?: Pos): SqlError {
  return new SqlError('PERMISSION_DENIED', `permission denied for schema ${sc.name}: user "${ctx.session.user}" lacks USAGE on it`, pos);
}

/**
 * Whether a name may be looked up in schema `sc`. A name that says its schema (`s.t`) is an error
 * without USAGE; a search-path lookup (`t`) passes over the schema, as in PostgreSQL.
 */
export function mayLookIn(ctx: StatementContext, db: DatabaseState, sc: SchemaState, qualified: boolean, pos?: Pos): boolean {
  if (hasSchemaUsage(ctx, db, sc)) return true;
  if (qualified) throw schemaUsageDenied(ctx, sc, pos);
  return false;
}
