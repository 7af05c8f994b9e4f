// Who owns what, by identity: every owned object (database, schema, table, view, model, monitor,
// datashare) records its owner's immutable user id beside the name it shows. Names are labels; a
// dropped and re-created namesake gets a new id and so owns nothing and holds no grant of the old one.
//
// Catalogs written before ownership was by id record only names (and the oldest, users without
// ids). Opening one migrates it once: users and accounts get ids, and the name -> id map of that
// moment is kept (`legacyIds`), so objects and grants recorded by name resolve to the identity that
// held the name then, and never to a later namesake.
import { randomUUID } from 'node:crypto';
import type { AccountState, CatalogState, UserState } from './catalog.ts';

/** Anything with an owner: the owner's name (shown) and id (what checks compare). */
export interface Owned {
  owner?: string;
  ownerId?: string;
}

/** The name -> id maps of the moment an old catalog was migrated. */
export interface LegacyIds {
  accounts: Record<string, string>;
  users: Record<string, Record<string, string>>;
}

/** The id of the user that owns `o` in `account`; undefined when nobody (a pre-id owner already gone). */
export function ownerIdOf(state: CatalogState, account: string, o: Owned): string | undefined {
  if (o.ownerId !== undefined) return o.ownerId;
  return o.owner === undefined ? undefined : legacyUserId(state, account, o.owner);
}

/** The id a name meant when an old catalog was migrated (grants and owners recorded by name). */
export function legacyUserId(state: CatalogState, account: string, name: string): string | undefined {
  return state.legacyIds?.users[account]?.[name];
}

/** The account id an old record (a token made before accounts had ids) stands for. */
export function legacyAccountId(state: CatalogState, account: string): string | undefined {
  return state.legacyIds?.accounts[account];
}

/** The user of an account with this id, if it still exists. */
export function userById(acct: AccountState | undefined, id: string | undefined): UserState | undefined {
  if (!acct || id === undefined) return undefined;
  for (const u of Object.values(acct.users)) if (u.id === id) return u;
  return undefined;
}

/**
 * A per-user map keyed by user id (datashare grants), read for one user: by id, or, for entries
 * an old catalog keyed by name, by the name if it meant this identity when migrated.
 */
export function entryForUser<T>(state: CatalogState, account: string, map: Record<string, T>, user: { name: string; id?: string }): T | undefined {
  if (user.id !== undefined && map[user.id] !== undefined) return map[user.id];
  const legacy = legacyUserId(state, account, user.name);
  return legacy !== undefined && legacy === user.id ? map[user.name] : undefined;
}

/**
 * Brings a catalog read from disk to ownership by id (in place, before anyone reads it): gives
 * accounts and users without ids one, and records which id each name stood for. Idempotent.
 */
export function migrateOwnerIds(state: CatalogState): void {
  if (state.ownersById) return;
  const legacy: LegacyIds = { accounts: {}, users: {} };
  for (const [name, acct] of Object.entries(state.accounts)) {
    acct.id ??= randomUUID();
    legacy.accounts[name] = acct.id;
    const users: Record<string, string> = (legacy.users[name] = {});
    for (const [uname, u] of Object.entries(acct.users)) {
      u.id ??= randomUUID();
      users[uname] = u.id;
    }
  }
  state.legacyIds = legacy;
  state.ownersById = true;
}

/** Forgets what a dropped user's name meant, so nothing recorded by that name resolves any more. */
export function forgetLegacyUser(state: CatalogState, account: string, name: string): void {
  if (state.legacyIds?.users[account]) delete state.legacyIds.users[account][name];
}

/** Forgets a dropped account's legacy names. */
export function forgetLegacyAccount(state: CatalogState, account: string): void {
  if (!state.legacyIds) return;
  delete state.legacyIds.accounts[account];
  delete state.legacyIds.users[account];
}
