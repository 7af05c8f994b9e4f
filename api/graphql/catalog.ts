// The caller's account's catalog: databases, schemas, tables with columns, sizes and layout.
import type { ApiContext, GraphQLModule } from './module.ts';
import type { AccountState, DatabaseState, SchemaState, TableState } from '../../engine/catalog/catalog.ts';
import { tableBytes } from '../../engine/catalog/catalog.ts';
import { liveRows } from '../../engine/catalog/table-stats.ts';
import { typeName } from '../../engine/types/types.ts';
import { mayUseSchema } from '../../engine/catalog/schema-usage.ts';

interface TableRef { database: string; schema: string; table: TableState }

function account(ctx: ApiContext): AccountState {
  return ctx.db.catalog.accounts[ctx.principal.account] ?? { name: ctx.principal.account, createdAt: '', users: {}, databases: {} };
}

/** Whether the caller may use schema `s` (its tables are listed only then, as SHOW TABLES). */
const usable = (ctx: ApiContext, d: DatabaseState, s: SchemaState) => mayUseSchema(ctx.db.catalog, ctx.principal, d, s);

function tablesOf(ctx: ApiContext, database?: string | null, schema?: string | null): TableRef[] {
  const out: TableRef[] = [];
  for (const d of Object.values(account(ctx).databases)) {
    if (database && d.name !== database) continue;
    for (const s of Object.values(d.schemas)) {
      if ((schema && s.name !== schema) || !usable(ctx, d, s)) continue;
      for (const t of Object.values(s.tables)) out.push({ database: d.name, schema: s.name, table: t });
    }
  }
  return out.sort((a, b) => `${a.database}.${a.schema}.${a.table.name}`.localeCompare(`${b.database}.${b.schema}.${b.table.name}`));
}

export const catalog: GraphQLModule = {
  name: 'catalog',
  typeDefs: /* GraphQL */ `
    type Database {
      name: String!
      owner: String!
      "true for a consumer database created from a datashare"
      shared: Boolean!
      "producer.datashare for a shared database"
      datashare: String
      schemas: [Schema!]!
    }

    type Schema {
      database: String!
      name: String!
      owner: String!
      "empty unless the caller may use the schema (USAGE)"
      tables: [Table!]!
    }

    type Table {
      database: String!
      schema: String!
      name: String!
      owner: String!
      columns: [TableColumn!]!
      "live rows (deleted rows excluded)"
      rowCount: Float!
      "bytes of column segments on disk"
      bytes: Float!
      "EVEN, KEY or ALL"
      distStyle: String!
      "true when DISTSTYLE AUTO was asked for"
      distAuto: Boolean!
      distKey: String
      sortKey: [String!]!
      segments: Int!
      createdAt: String!
    }

    type TableColumn {
      name: String!
      type: String!
      nullable: Boolean!
      encoding: String
      default: String
    }

    extend type Query {
      "Databases of the caller's account."
      databases: [Database!]!
      "Tables of the caller's account in schemas it may use (USAGE), optionally of one database and/or schema."
      tables(database: String, schema: String): [Table!]!
      "One table by database, schema and name (defaults: dev, public)."
      table(name: String!, schema: String, database: String): Table
    }
  `,
  resolvers: {
    Query: {
      databases: (_: unknown, __: unknown, ctx: ApiContext) => Object.values(account(ctx).databases).sort((a, b) => a.name.localeCompare(b.name)),
      tables: (_: unknown, args: { database?: string; schema?: string }, ctx: ApiContext) => tablesOf(ctx, args.database, args.schema),
      table: (_: unknown, args: { name: string; schema?: string; database?: string }, ctx: ApiContext) =>
        tablesOf(ctx, args.database ?? 'dev', args.schema ?? 'public').find((t) => t.table.name === args.name) ?? null,
    },
    Database: {
      shared: (d: DatabaseState) => !!d.fromShare,
      datashare: (d: DatabaseState) => (d.fromShare ? `${d.fromShare.producer}.${d.fromShare.datashare}` : null),
      schemas: (d: DatabaseState) => Object.values(d.schemas).sort((a, b) => a.name.localeCompare(b.name)).map((s) => ({ ...s, database: d.name, db: d })),
    },
    Schema: {
      // a schema's name and owner are listed (as pg_namespace); its tables only to who may use it
      tables: (s: SchemaState & { database: string; db: DatabaseState }, _: unknown, ctx: ApiContext) => (usable(ctx, s.db, s) ? Object.values(s.tables) : []).sort((a, b) => a.name.localeCompare(b.name)).map((t) => ({ database: s.database, schema: s.name, table: t })),
    },
    Table: {
      name: (r: TableRef) => r.table.name,
      owner: (r: TableRef) => r.table.owner,
      columns: (r: TableRef) => r.table.columns.map((c) => ({ name: c.name, type: typeName(c.type), nullable: !c.notNull, encoding: c.encoding ?? null, default: c.default ?? null })),
      rowCount: (r: TableRef) => liveRows(r.table),
      bytes: (r: TableRef) => tableBytes(r.table),
      distStyle: (r: TableRef) => r.table.distStyle,
      distAuto: (r: TableRef) => r.table.distAuto,
      distKey: (r: TableRef) => (r.table.distKey === null ? null : r.table.columns[r.table.distKey]?.name ?? null),
      sortKey: (r: TableRef) => r.table.sortKey.map((i) => r.table.columns[i].name),
      segments: (r: TableRef) => r.table.segments.length,
      createdAt: (r: TableRef) => r.table.createdAt,
    },
  },
};
