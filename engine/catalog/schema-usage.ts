// Who may name the objects of a schema (PostgreSQL's and Redshift's USAGE on a schema), judged
// on one catalog version: superusers, the schema's owner (by id), and users holding USAGE or ALL
// on it, granted to them or to PUBLIC. Every database's public schema grants USAGE to PUBLIC
// unless revoked (object-grants.ts); CREATE SCHEMA gives it to nobody else.
import type { CatalogState, DatabaseState, SchemaState } from './catalog.ts';
import { ownerIdOf } from './owners.ts';
import { heldOn, includesPrivilege, schemaKey } from './object-grants.ts';

/** A user of an account, as a token or session names it. */
export interface SchemaUser { account: string; user: string; userId?: string }

export function mayUseSchema(state: CatalogState, who: SchemaUser, db: DatabaseState, sc: SchemaState): boolean {
  const acct = state.accounts[who.account];
  const u = acct?.users[who.user];
  if (!u || (who.userId !== undefined && u.id !== who.userId)) return false;
  if (u.superuser) return true;
  if (u.id !== undefined && ownerIdOf(state, who.account, sc) === u.id) return true;
  return includesPrivilege(heldOn(acct, who.user, schemaKey(db, sc)), 'USAGE');
}
