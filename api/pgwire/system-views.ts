// information_schema and pg_catalog tables for PostgreSQL-protocol sessions, so what drivers
// and BI tools send as plain SQL (`SELECT table_name FROM information_schema.tables WHERE ...`,
// `SELECT relname FROM pg_catalog.pg_class ...`) runs through the engine with its own WHERE,
// joins and ORDER BY. Each view is built per statement from the session's own account (what
// SHOW TABLES lists), and exists only in sessions of the protocol listener: GraphQL and the CLI
// keep their SQL unchanged.
import type { Extension, Database } from '../../engine/database.ts';
import type { SessionInfo, StatementContext } from '../../engine/session/context.ts';
import type { Relation } from '../../engine/plan/bind-query.ts';
import { answerFirst } from '../../engine/session/extension.ts';
import { hasSchemaUsage } from '../../engine/session/privileges.ts';
import { allocVector, stringVector, type Vector } from '../../engine/types/vector.ts';
import { T, TYPES, isDecimal, isInteger, isString, typeName, type SqlType } from '../../engine/types/types.ts';
import { formatType, wireTypeOf, OID } from './types.ts';
import { NAMESPACE_OID_PG_CATALOG, namespaceOid, relationOid } from './oids.ts';

type Kind = 'text' | 'int' | 'bool';
type Column = [name: string, kind: Kind];

const sessions = new WeakSet<SessionInfo>();
const installed = new WeakSet<Database>();

/** Marks a session as a protocol session: it sees the system views. */
export function withSystemViews(session: SessionInfo): void {
  sessions.add(session);
}

function vector(kind: Kind, values: unknown[]): Vector {
  if (kind === 'text') return stringVector(T.varchar, values.map((v) => (v === null || v === undefined ? null : String(v))));
  const v = allocVector(kind === 'int' ? T.int : T.bool, values.length, values.some((x) => x === null));
  values.forEach((x, i) => {
    if (x === null) v.valid![i] = 0;
    else v.values[i] = kind === 'bool' ? (x ? 1 : 0) : Number(x);
  });
  return v;
}

function relation(path: string[], columns: Column[], rows: unknown[][]): Relation {
  const fields = columns.map(([name, kind]) => ({ name, type: kind === 'text' ? T.varchar : kind === 'int' ? T.int : T.bool }));
  return { kind: 'batch', path, fields, batch: { length: rows.length, columns: columns.map(([, kind], c) => vector(kind, rows.map((r) => r[c]))) } };
}

interface Rel { schema: string; name: string; kind: 'r' | 'v'; owner: string; columns: { name: string; type: SqlType; notNull: boolean }[] }

/** The relations of the session's current database, as SHOW TABLES lists them. */
function relations(ctx: StatementContext): Rel[] {
  const db = ctx.account.databases[ctx.session.database];
  if (!db) return [];
  const out: Rel[] = [];
  for (const s of Object.values(db.schemas)) {
    if (!hasSchemaUsage(ctx, db, s)) continue;
    for (const t of Object.values(s.tables)) out.push({ schema: s.name, name: t.name, kind: 'r', owner: t.owner, columns: t.columns });
    for (const v of Object.values(s.views)) out.push({ schema: s.name, name: v.name, kind: 'v', owner: v.owner, columns: v.columns.map((c) => ({ ...c, notNull: false })) });
  }
  return out;
}

const PG_TYPES: [number, string, number][] = [
  [OID.bool, 'bool', 1], [OID.int8, 'int8', 8], [OID.int2, 'int2', 2], [OID.int4, 'int4', 4], [OID.text, 'text', -1],
  [OID.oid, 'oid', 4], [OID.float4, 'float4', 4], [OID.float8, 'float8', 8], [OID.bpchar, 'bpchar', -1],
  [OID.varchar, 'varchar', -1], [OID.date, 'date', 4], [OID.timestamp, 'timestamp', 8], [OID.numeric, 'numeric', -1],
];

/** information_schema.columns' numeric and character details of a type. */
function typeDetails(t: SqlType): { length: number | null; precision: number | null; scale: number | null } {
  if (isString(t)) return { length: t.length ?? null, precision: null, scale: null };
  if (isDecimal(t)) return { length: null, precision: t.precision ?? 18, scale: t.scale ?? 0 };
  return { length: null, precision: TYPES[t.id].bits, scale: isInteger(t) ? 0 : null };
}

const VIEWS: Record<string, (ctx: StatementContext, path: string[]) => Relation> = {
  'information_schema.schemata': (ctx, path) => {
    const db = ctx.account.databases[ctx.session.database];
    // as PostgreSQL: the schemas the user may use (pg_namespace lists every schema's name)
    const rows = Object.values(db?.schemas ?? {}).filter((s) => hasSchemaUsage(ctx, db!, s)).map((s) => [ctx.session.database, s.name, s.owner]);
    return relation(path, [['catalog_name', 'text'], ['schema_name', 'text'], ['schema_owner', 'text']], rows);
  },
  'information_schema.tables': (ctx, path) => relation(path,
    [['table_catalog', 'text'], ['table_schema', 'text'], ['table_name', 'text'], ['table_type', 'text']],
    relations(ctx).map((r) => [ctx.session.database, r.schema, r.name, r.kind === 'r' ? 'BASE TABLE' : 'VIEW'])),
  'information_schema.columns': (ctx, path) => relation(path,
    [['table_catalog', 'text'], ['table_schema', 'text'], ['table_name', 'text'], ['column_name', 'text'], ['ordinal_position', 'int'],
      ['data_type', 'text'], ['is_nullable', 'text'], ['column_default', 'text'], ['character_maximum_length', 'int'], ['numeric_precision', 'int'], ['numeric_scale', 'int']],
    relations(ctx).flatMap((r) => r.columns.map((c, i) => {
      const d = typeDetails(c.type);
      return [ctx.session.database, r.schema, r.name, c.name, i + 1, formatType(wireTypeOf(typeName(c.type)).type.oid, -1), c.notNull ? 'NO' : 'YES', null, d.length, d.precision, d.scale];
    }))),
  'pg_catalog.pg_namespace': (ctx, path) => {
    const db = ctx.account.databases[ctx.session.database];
    const rows = [[NAMESPACE_OID_PG_CATALOG, 'pg_catalog', null], ...Object.values(db?.schemas ?? {}).map((s) => [namespaceOid(s.name), s.name, s.owner])];
    return relation(path, [['oid', 'int'], ['nspname', 'text'], ['nspowner_name', 'text']], rows);
  },
  'pg_catalog.pg_class': (ctx, path) => relation(path,
    [['oid', 'int'], ['relname', 'text'], ['relnamespace', 'int'], ['relkind', 'text'], ['relowner_name', 'text'], ['relnatts', 'int']],
    relations(ctx).map((r) => [relationOid(r.schema, r.name), r.name, namespaceOid(r.schema), r.kind, r.owner, r.columns.length])),
  'pg_catalog.pg_attribute': (ctx, path) => relation(path,
    [['attrelid', 'int'], ['attname', 'text'], ['atttypid', 'int'], ['attnum', 'int'], ['atttypmod', 'int'], ['attnotnull', 'bool'], ['attisdropped', 'bool']],
    relations(ctx).flatMap((r) => r.columns.map((c, i) => {
      const w = wireTypeOf(typeName(c.type));
      return [relationOid(r.schema, r.name), c.name, w.type.oid, i + 1, w.modifier, c.notNull, false];
    }))),
  'pg_catalog.pg_type': (_ctx, path) => relation(path,
    [['oid', 'int'], ['typname', 'text'], ['typlen', 'int'], ['typnamespace', 'int'], ['typtype', 'text']],
    PG_TYPES.map(([oid, name, len]) => [oid, name, len, NAMESPACE_OID_PG_CATALOG, 'b'])),
  'pg_catalog.pg_database': (ctx, path) => relation(path,
    [['oid', 'int'], ['datname', 'text'], ['datdba_name', 'text']],
    Object.values(ctx.account.databases).map((d) => [relationOid('', d.name), d.name, d.owner])),
};

const extension: Extension = {
  name: 'pgwire-system-views',
  hooks: { relation: answerFirst('relation', (ctx, name) => {
    if (!sessions.has(ctx.session)) return null;
    // pg_catalog names also resolve unqualified, as pg_catalog is first on PostgreSQL's search path
    const key = name.length === 2 ? `${name[0]}.${name[1]}`.toLowerCase() : name.length === 1 && name[0].startsWith('pg_') ? `pg_catalog.${name[0]}` : '';
    const view = VIEWS[key];
    return view ? view(ctx, key.split('.')) : null;
  }) },
};

/** Adds the system views to a database once. */
export function installSystemViews(db: Database): void {
  if (installed.has(db)) return;
  installed.add(db);
  db.use(extension);
}
