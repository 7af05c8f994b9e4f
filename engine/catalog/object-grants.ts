// Grants on named objects (databases, schemas, models) as PostgreSQL keeps them: a grant names one
// existing object fully qualified ("database:dev", "schema:dev.s", "model:dev.s.m"), dropping the
// object drops its grants, and a re-created namesake starts with none. (Tables are keyed by id.)
//
// Catalogs written before this keyed such grants by the name as typed ("model:m", "schema:s"), and
// "model:m" then matched a model m in any schema. Opening one rewrites each such key once to the
// objects it matched at that moment, and drops keys that match nothing (their object is gone).
import type { AccountState, CatalogState, DatabaseState, SchemaState } from './catalog.ts';
import type { ColumnGrants } from './column-grants.ts';

export type GrantObject = 'database' | 'schema' | 'model';

/** The grant key of one object, by its full name. */
export function objectKey(type: 'database', database: string): string;
export function objectKey(type: 'schema', database: string, schema: string): string;
export function objectKey(type: 'model', database: string, schema: string, name: string): string;
export function objectKey(type: GrantObject, ...path: string[]): string {
  return `${type}:${path.join('.')}`;
}

/** The grant key of a schema of a database. */
export const schemaKey = (db: DatabaseState, sc: SchemaState): string => objectKey('schema', db.name, sc.name);

type Grants = Record<string, string[]>;

/** Every grant map of an account: each user's and PUBLIC's. */
function grantMaps(acct: AccountState): Grants[] {
  const pub = acct.publicGrants;
  return [...Object.values(acct.users).map((u) => u.grants), ...(pub ? [pub] : [])];
}

/** The privileges a user holds on one object: granted to it or to PUBLIC. */
export function heldOn(acct: AccountState | undefined, user: string, key: string): string[] {
  return [...(acct?.users[user]?.grants[key] ?? []), ...(acct?.publicGrants?.[key] ?? [])];
}

/** Whether `held` includes `privilege`, directly or through ALL. */
export const includesPrivilege = (held: string[], privilege: string): boolean => held.includes(privilege) || held.includes('ALL');

/**
 * A new database's public schema is everyone's to use and create in (Redshift's default), kept
 * as an ordinary grant to PUBLIC so `REVOKE USAGE, CREATE ON SCHEMA public FROM PUBLIC` can take it.
 */
export function grantPublicSchemaDefaults(acct: AccountState, db: DatabaseState): void {
  const pub = db.schemas.public;
  if (!pub) return;
  const key = schemaKey(db, pub);
  const grants = (acct.publicGrants ??= {});
  grants[key] = [...new Set([...(grants[key] ?? []), 'USAGE', 'CREATE'])];
}

/**
 * Catalogs written before schema USAGE and CREATE were enforced: PUBLIC gets both on every
 * database's public schema (the default), once. Other schemas keep only what was granted on them.
 */
export function migratePublicSchemaUsage(state: CatalogState): void {
  if (state.publicSchemaUsage) return;
  for (const acct of Object.values(state.accounts)) for (const db of Object.values(acct.databases)) if (!db.fromShare) grantPublicSchemaDefaults(acct, db);
  state.publicSchemaUsage = true;
}

/** Drops the grants on an object and on everything inside it (a schema's models, a database's schemas). */
export function dropObjectGrants(acct: AccountState, type: GrantObject, ...path: string[]): void {
  const key = `${type}:${path.join('.')}`;
  const inside = (k: string) => {
    const at = k.indexOf(':');
    const [t, rest] = [k.slice(0, at), k.slice(at + 1)];
    if (t === type && rest === path.join('.')) return true;
    const contained = type === 'database' ? t === 'schema' || t === 'model' : type === 'schema' && t === 'model';
    return contained && rest.startsWith(`${path.join('.')}.`);
  };
  for (const g of grantMaps(acct)) for (const k of Object.keys(g)) if (k === key || inside(k)) delete g[k];
}

/** The column-grant maps of an account: each user's and PUBLIC's. */
function columnGrantMaps(acct: AccountState): ColumnGrants[] {
  return [...Object.values(acct.users).map((u) => u.columnGrants), acct.publicColumnGrants].filter((g): g is ColumnGrants => !!g);
}

/** Drops every grant on a table, table-level and column-level (DROP TABLE and what drops tables with it). */
export function dropTableGrants(acct: AccountState, tableId: string): void {
  const key = `table:${tableId}`;
  for (const g of [...grantMaps(acct), ...columnGrantMaps(acct)]) delete g[key];
}

/** Whether the object a grant key names exists in the account (tables by id, the others by qualified name). */
export function grantObjectExists(acct: AccountState, key: string): boolean {
  const at = key.indexOf(':');
  const [type, rest] = [key.slice(0, at), key.slice(at + 1)];
  if (type === 'table') {
    for (const db of Object.values(acct.databases)) for (const sc of Object.values(db.schemas)) for (const t of Object.values(sc.tables)) if (t.id === rest) return true;
    return false;
  }
  const [database, schema, model] = rest.split('.');
  const db = acct.databases[database];
  if (type === 'database') return !!db;
  if (type === 'schema') return !!db?.schemas[schema];
  if (type === 'model') return !!db?.schemas[schema]?.models[model];
  return false;
}

/**
 * Removes grants whose object is gone (on open): grants on tables dropped before DROP TABLE took
 * its grants along, and `function:` entries older versions stored for GRANT ON FUNCTION, which
 * named no object and were never checked (a function's EXECUTE is its model's).
 */
export function dropOrphanGrants(state: CatalogState): void {
  // keys of other kinds (none today) are left alone: only these name catalog objects
  const orphan = (acct: AccountState, k: string) => /^(table|database|schema|model|function):/.test(k) && !grantObjectExists(acct, k);
  for (const acct of Object.values(state.accounts)) {
    for (const g of [...grantMaps(acct), ...columnGrantMaps(acct)]) for (const k of Object.keys(g)) if (orphan(acct, k)) delete g[k];
  }
}

/** The full names of the account's objects an old (as typed) key matched. */
function legacyMatches(acct: AccountState, type: GrantObject, name: string): string[] {
  const parts = name.split('.');
  const out: string[] = [];
  if (parts.length > 3) return out;
  for (const db of Object.values(acct.databases)) {
    if (type === 'database') {
      if (parts.length === 1 && db.name === parts[0]) out.push(objectKey('database', db.name));
      continue;
    }
    for (const sc of Object.values(db.schemas)) {
      if (type === 'schema') {
        // "schema:s" meant s in whichever database the session had open; "schema:d.s" one database
        const hit = parts.length === 1 ? sc.name === parts[0] : parts.length === 2 && db.name === parts[0] && sc.name === parts[1];
        if (hit) out.push(objectKey('schema', db.name, sc.name));
        continue;
      }
      for (const m of Object.keys(sc.models)) {
        // the old EXECUTE check matched "model:m", "model:s.m" and "model:d.s.m"
        const full = [db.name, sc.name, m];
        if (parts.join('.') === full.slice(3 - parts.length).join('.')) out.push(objectKey('model', db.name, sc.name, m));
      }
    }
  }
  return out;
}

/** Brings grants on databases, schemas and models to qualified keys (in place, once, on open). */
export function migrateObjectGrants(state: CatalogState): void {
  if (state.objectGrantsQualified) return;
  for (const acct of Object.values(state.accounts)) {
    for (const g of grantMaps(acct)) {
      for (const [k, privs] of Object.entries(g)) {
        const at = k.indexOf(':');
        const type = k.slice(0, at);
        if (type !== 'database' && type !== 'schema' && type !== 'model') continue;
        delete g[k];
        for (const full of legacyMatches(acct, type, k.slice(at + 1))) g[full] = [...new Set([...(g[full] ?? []), ...privs])];
      }
    }
  }
  state.objectGrantsQualified = true;
}
