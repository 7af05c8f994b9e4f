// What the grant-listing system views (svv_relation_privileges, svv_column_privileges) may show a
// user, as Redshift: relations in the current database's schemas it may use, and on each one the
// grants made to itself or to PUBLIC, or every grant on a relation it owns; superusers see all.
import type { AccountState, SchemaState, UserState } from '../catalog/catalog.ts';
import type { Owned } from '../catalog/owners.ts';
import type { StatementContext } from './context.ts';
import { hasSchemaUsage } from './privileges.ts';

/** One grantee's grants of one kind. */
export interface GrantHolder<G> { name: string; type: 'user' | 'public'; grants: G }

/** Every user's and PUBLIC's grants of one kind. */
export function grantHolders<G>(acct: AccountState, ofUser: (u: UserState) => G, ofPublic: G): GrantHolder<G>[] {
  return [...Object.values(acct.users).map((u): GrantHolder<G> => ({ name: u.name, type: 'user', grants: ofUser(u) })), { name: 'PUBLIC', type: 'public', grants: ofPublic }];
}

/** The current database's schemas the session user may use. */
export function listedSchemas(ctx: StatementContext): SchemaState[] {
  const db = ctx.currentDatabase();
  return Object.values(db.schemas).filter((s) => hasSchemaUsage(ctx, db, s));
}

/** The holders whose grants on `owned` the session user may see. */
export function visibleHolders<G>(ctx: StatementContext, owned: Owned, holders: GrantHolder<G>[]): GrantHolder<G>[] {
  if (ctx.isSuperuser || ctx.owns(owned)) return holders;
  return holders.filter((h) => h.type === 'public' || h.name === ctx.session.user);
}
