// Grants on objects as PostgreSQL keeps them: a grant names one existing object by its stable id
// ("table:t12", "view:<id>", "database:<id>", "schema:<id>", "model:<id>"), dropping the object drops its
// grants, and a re-created namesake (a new id) starts with none, even when the GRANT raced the
// drop: the GRANT's commit looks for the id it resolved.
//
// Older catalogs keyed such grants by the name as typed ("model:m", which matched m in any
// schema), later by the qualified name ("model:dev.s.m"). Opening one rewrites each key once to
// the objects it named at that moment (migrateObjectGrants, then migrateObjectIds), and drops
// keys whose object is gone (dropOrphanGrants).
import { newObjectId, type AccountState, type CatalogState, type DatabaseState, type SchemaState, type ViewState } from './catalog.ts';
import type { ColumnGrants } from './column-grants.ts';

export type GrantObject = 'database' | 'schema' | 'model';

/** The qualified-name key older catalogs used for one object (migrations only). */
export function objectKey(type: 'database', database: string): string;
export function objectKey(type: 'schema', database: string, schema: string): string;
export function objectKey(type: 'model', database: string, schema: string, name: string): string;
export function objectKey(type: GrantObject, ...path: string[]): string {
  return `${type}:${path.join('.')}`;
}

/** What the catalog layer reads of a model (ml/sql/catalog.ts's ModelEntry): its stable id. */
export interface ModelIdentity { modelId?: string }

/** The grant keys of a database, a schema and a model: by their stable ids. */
export const databaseKey = (db: DatabaseState): string => `database:${db.id}`;
export const schemaKey = (_db: DatabaseState, sc: SchemaState): string => `schema:${sc.id}`;
export const modelKey = (m: unknown): string => `model:${(m as ModelIdentity).modelId}`;
/** The grant key of a view: by its id, which CREATE OR REPLACE keeps, so its grants stay. */
export const viewKey = (v: ViewState): string => `view:${v.id}`;

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

/** The column-grant maps of an account: each user's and PUBLIC's. */
function columnGrantMaps(acct: AccountState): ColumnGrants[] {
  return [...Object.values(acct.users).map((u) => u.columnGrants), acct.publicColumnGrants].filter((g): g is ColumnGrants => !!g);
}

/** Every object of an account a grant can name, by grant key, with its qualified name. */
function grantableObjects(acct: AccountState): Map<string, string> {
  const out = new Map<string, string>();
  for (const db of Object.values(acct.databases)) {
    out.set(databaseKey(db), `database ${db.name}`);
    for (const sc of Object.values(db.schemas)) {
      out.set(schemaKey(db, sc), `schema ${db.name}.${sc.name}`);
      for (const t of Object.values(sc.tables)) out.set(`table:${t.id}`, `table ${db.name}.${sc.name}.${t.name}`);
      for (const v of Object.values(sc.views)) out.set(viewKey(v), `view ${db.name}.${sc.name}.${v.name}`);
      for (const [name, m] of Object.entries(sc.models)) out.set(modelKey(m), `model ${db.name}.${sc.name}.${name}`);
    }
  }
  return out;
}

/** Whether the object a grant key names (by id) exists in the account. */
export function grantObjectExists(acct: AccountState, key: string): boolean {
  return grantableObjects(acct).has(key);
}

/** A grant key as people read it ("schema dev.hr"), or its kind and "(dropped)". */
export function describeGrantKey(acct: AccountState, key: string): string {
  return grantableObjects(acct).get(key) ?? `${key.slice(0, key.indexOf(':'))} (dropped)`;
}

/**
 * Removes grants whose object is gone, table-level and column-level: at every DROP (after the
 * object left the state) and on open (tables dropped before DROP TABLE took its grants along, and
 * the `function:` entries older versions stored for GRANT ON FUNCTION, which named no object and
 * were never checked: a function's EXECUTE is its model's).
 */
export function dropOrphanGrants(acct: AccountState): void {
  const live = grantableObjects(acct);
  // keys of other kinds (none today) are left alone: only these name catalog objects
  const orphan = (k: string) => /^(table|view|database|schema|model|function):/.test(k) && !live.has(k);
  for (const g of [...grantMaps(acct), ...columnGrantMaps(acct)]) for (const k of Object.keys(g)) if (orphan(k)) delete g[k];
}

/**
 * Gives databases, schemas and models without an id one, and rewrites grants keyed by qualified
 * name ("schema:dev.s") to the id of the object that name meant (in place, once, on open).
 */
export function migrateObjectIds(state: CatalogState): void {
  if (state.objectIds) return;
  for (const acct of Object.values(state.accounts)) {
    const byName = new Map<string, string>();
    for (const db of Object.values(acct.databases)) {
      db.id ??= newObjectId();
      byName.set(objectKey('database', db.name), databaseKey(db));
      for (const sc of Object.values(db.schemas)) {
        sc.id ??= newObjectId();
        byName.set(objectKey('schema', db.name, sc.name), schemaKey(db, sc));
        for (const [name, m] of Object.entries(sc.models)) {
          (m as ModelIdentity).modelId ??= newObjectId();
          byName.set(objectKey('model', db.name, sc.name, name), modelKey(m));
        }
      }
    }
    for (const g of grantMaps(acct)) {
      for (const [k, privs] of Object.entries(g)) {
        const id = byName.get(k);
        if (!id) continue;
        delete g[k];
        g[id] = [...new Set([...(g[id] ?? []), ...privs])];
      }
    }
  }
  state.objectIds = true;
}

/**
 * Catalogs written before views had ids and grants: each view gets an id (in place, once, on
 * open) and no grant. Views then need SELECT on them and run with their owner's rights, so a
 * non-owner who read a view before reads it again only once its owner grants SELECT on it: the
 * safe choice, since the view now reads with the owner's privileges, not the reader's.
 */
export function migrateViewIds(state: CatalogState): void {
  if (state.viewIds) return;
  for (const acct of Object.values(state.accounts)) {
    for (const db of Object.values(acct.databases)) for (const sc of Object.values(db.schemas)) for (const v of Object.values(sc.views)) v.id ??= newObjectId();
  }
  state.viewIds = true;
}

/** Drops grants whose object is gone, in every account (on open). */
export function dropAllOrphanGrants(state: CatalogState): void {
  for (const acct of Object.values(state.accounts)) dropOrphanGrants(acct);
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
