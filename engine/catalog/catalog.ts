// The catalog: one immutable, JSON-serializable tree per committed version (the manifest's
// state). Transactions copy it on first write and change the copy.
import type { SqlType } from '../types/types.ts';
import type { Sketch } from '../functions/aggregates/approx-count-distinct.ts';
import { randomUUID } from 'node:crypto';
import { SqlError } from '../errors.ts';
import type { LegacyIds } from './owners.ts';
import type { ColumnGrants } from './column-grants.ts';
import { grantPublicSchemaDefaults } from './object-grants.ts';

export interface ColumnState {
  name: string;
  type: SqlType;
  notNull: boolean;
  /** default value as SQL text, bound at insert time */
  default?: string;
  encoding?: string;
}

/** Per-column zone map entry in the physical domain (as the storage layer reports it). */
export interface ZoneEntry {
  min: number | string | null;
  max: number | string | null;
  nullCount: number;
  encoding?: string;
  /** bounds past 2^53 (BIGINT, wide DECIMAL): the exact values as digits; min/max are their nearest doubles */
  exactMin?: string;
  exactMax?: string;
}

/** One immutable segment of one slice, plus the deletion vector that masks its rows. */
export interface SegmentEntry {
  file: string;
  slice: number;
  /** how many slices the rows were placed over (a KEY table's row sits in slice hash % slices) */
  slices?: number;
  rows: number;
  bytes: number;
  zones: ZoneEntry[];
  deleted?: string;
  deletedCount: number;
}

export type DistStyle = 'EVEN' | 'KEY' | 'ALL';

/** Statistics of one column (by name, so ALTER TABLE never pairs a column with another's). */
export interface ColumnStatsState {
  name: string;
  nulls: number;
  min: number | string | null;
  max: number | string | null;
}

/**
 * Table statistics for the optimizer: rows and per-column NULLs, min/max and distinct values,
 * merged in as COPY/INSERT add segments and recomputed by ANALYZE. DELETE and UPDATE do not
 * subtract, so after them the figures are upper bounds.
 */
export interface TableStats {
  rows: number;
  columns: ColumnStatsState[];
  /** when ANALYZE last recomputed them (null: only ever merged from writes) */
  analyzedAt: string | null;
  /**
   * The file under segments/ holding the columns' HyperLogLog sketches (sketch-files.ts), kept
   * out of the manifest because it is large; null before the first commit that wrote one.
   */
  sketchFile: string | null;
  /**
   * Sketches changed by a transaction, by column name, not yet in a file: only in a
   * transaction's working state; the commit writes them to a new sketchFile and drops this.
   */
  pendingSketches?: Record<string, Sketch | null>;
}

export interface TableState {
  id: string;
  name: string;
  /** the owner's name as shown; ownerId is who owns it (owners.ts) */
  owner: string;
  ownerId?: string;
  columns: ColumnState[];
  distStyle: DistStyle;
  /** AUTO was asked for (EVEN is used) */
  distAuto: boolean;
  distKey: number | null;
  sortKey: number[];
  segments: SegmentEntry[];
  /** commit version of the last change to the table's rows or shape */
  version: number;
  /** next slice for round-robin (EVEN) placement */
  rr: number;
  createdAt: string;
  /** absent for tables written before statistics existed, until ANALYZE or the next write */
  stats?: TableStats;
}

export interface ViewState {
  /** stable identity made at CREATE VIEW, kept by CREATE OR REPLACE (older catalogs get one on open): grants are keyed by it */
  id?: string;
  name: string;
  /** the owner, whose privileges the view's query is checked with (views.ts) */
  owner: string;
  ownerId?: string;
  sql: string;
  columns: { name: string; type: SqlType }[];
  /** the database and search path the query's names were written for (absent in older catalogs: the view's own schema, then public) */
  resolveIn?: { database: string; searchPath: string[] };
}

export interface SchemaState {
  /** stable identity made at CREATE SCHEMA (older catalogs get one on open): grants are keyed by it */
  id?: string;
  name: string;
  owner: string;
  ownerId?: string;
  tables: Record<string, TableState>;
  views: Record<string, ViewState>;
  /** models and their SQL functions (owned by the ML layer; opaque here) */
  models: Record<string, unknown>;
  /** tables created later join datashares that include this schema with INCLUDENEW */
}

export interface DatabaseState {
  /** stable identity made at CREATE DATABASE (older catalogs get one on open): grants are keyed by it */
  id?: string;
  name: string;
  owner: string;
  ownerId?: string;
  schemas: Record<string, SchemaState>;
  /** a consumer database created from a datashare holds no objects of its own */
  fromShare?: { producer: string; datashare: string };
}

export interface UserState {
  /** immutable identity made at CREATE USER (absent in catalogs older than ids): tokens bind to it */
  id?: string;
  name: string;
  superuser: boolean;
  passwordHash?: string;
  /** privilege grants: object key -> privileges */
  grants: Record<string, string[]>;
  /** column-level grants (column-grants.ts) */
  columnGrants?: ColumnGrants;
  /** account-level privileges such as 'CREATE MODEL' */
  system: string[];
}

export interface AccountState {
  /** immutable identity made at CREATE ACCOUNT (absent in catalogs older than ids) */
  id?: string;
  name: string;
  createdAt: string;
  users: Record<string, UserState>;
  databases: Record<string, DatabaseState>;
  /** privilege grants to PUBLIC: object key -> privileges */
  publicGrants?: Record<string, string[]>;
  /** column-level grants to PUBLIC (column-grants.ts) */
  publicColumnGrants?: ColumnGrants;
}

/** Everything one manifest version holds. Sharing, tokens and the exchange add their own keys. */
export interface CatalogState {
  version: number;
  nextId: number;
  accounts: Record<string, AccountState>;
  /** extension areas (datashares, products, subscriptions, tokens) by module name */
  ext: Record<string, unknown>;
  /** owners and per-user grants are recorded by user id (absent: an old catalog, migrated on open) */
  ownersById?: boolean;
  /** what names meant when an old catalog was migrated to ids (owners.ts) */
  legacyIds?: LegacyIds;
  /** grants on databases, schemas and models name the object fully qualified (object-grants.ts) */
  objectGrantsQualified?: boolean;
  /** databases, schemas and models have ids and grants on them are keyed by id (object-grants.ts) */
  objectIds?: boolean;
  /** PUBLIC holds USAGE and CREATE on each database's public schema, as a grant REVOKE can take (object-grants.ts) */
  publicSchemaUsage?: boolean;
  /** views have ids, SELECT on them is granted, and they run with their owner's rights (object-grants.ts migrateViewIds) */
  viewIds?: boolean;
}

export const DEFAULT_ACCOUNT = 'admin';
export const DEFAULT_USER = 'admin';
export const DEFAULT_DATABASE = 'dev';
export const DEFAULT_SCHEMA = 'public';

/** An owner as objects record it: the name shown and the user's immutable id, which checks compare. */
export interface OwnerRef { owner: string; ownerId?: string }

/** A fresh identity for an account or user, so a later namesake is someone else. */
export const newPrincipalId = (): string => randomUUID();

/** A fresh identity for a database, schema or model, so a later namesake is another object. */
export const newObjectId = (): string => randomUUID();

export function newSchema(name: string, owner: OwnerRef): SchemaState {
  return { id: newObjectId(), name, ...owner, tables: {}, views: {}, models: {} };
}

export function newDatabase(name: string, owner: OwnerRef): DatabaseState {
  return { id: newObjectId(), name, ...owner, schemas: { [DEFAULT_SCHEMA]: newSchema(DEFAULT_SCHEMA, owner) } };
}

export function newAccount(name: string, now = new Date()): AccountState {
  const admin = newPrincipalId();
  const dev = newDatabase(DEFAULT_DATABASE, { owner: DEFAULT_USER, ownerId: admin });
  const acct: AccountState = {
    id: newPrincipalId(),
    name,
    createdAt: now.toISOString(),
    users: { [DEFAULT_USER]: { id: admin, name: DEFAULT_USER, superuser: true, grants: {}, system: [] } },
    databases: { [DEFAULT_DATABASE]: dev },
  };
  grantPublicSchemaDefaults(acct, dev);
  return acct;
}

/** The catalog of a brand-new data directory: the built-in admin account with database dev. */
export function initialCatalog(): CatalogState {
  return { version: 0, nextId: 1, accounts: { [DEFAULT_ACCOUNT]: newAccount(DEFAULT_ACCOUNT) }, ext: {}, ownersById: true, objectGrantsQualified: true, objectIds: true, publicSchemaUsage: true, viewIds: true };
}

export function account(state: CatalogState, name: string): AccountState {
  const a = state.accounts[name];
  if (!a) throw new SqlError('UNDEFINED_OBJECT', `account "${name}" does not exist`);
  return a;
}

/** Every segment and deletion-vector file a catalog version references (for GC). */
export function referencedFiles(state: CatalogState, into = new Set<string>()): Set<string> {
  for (const a of Object.values(state.accounts)) {
    for (const db of Object.values(a.databases)) {
      for (const s of Object.values(db.schemas)) {
        for (const t of Object.values(s.tables)) {
          for (const seg of t.segments) {
            into.add(seg.file);
            if (seg.deleted) into.add(seg.deleted);
          }
          if (t.stats?.sketchFile) into.add(t.stats.sketchFile);
        }
        // a model's current version, and every other version it keeps (ml/sql/catalog.ts ModelEntry):
        // its ONNX graph and its training profile (drift monitors)
        type ModelFiles = { onnxFile?: string; profileFile?: string };
        for (const m of Object.values(s.models) as (ModelFiles & { versions?: ModelFiles[] })[]) {
          for (const v of [m, ...(m.versions ?? [])]) {
            if (v.onnxFile) into.add(v.onnxFile);
            if (v.profileFile) into.add(v.profileFile);
          }
        }
      }
    }
  }
  return into;
}

export function tableBytes(t: TableState): number {
  let n = 0;
  for (const s of t.segments) n += s.bytes;
  return n;
}

/** A fresh id for tables and other objects (unique within the data dir). */
export function nextId(state: CatalogState, prefix: string): string {
  return `${prefix}${state.nextId++}`;
}
