// svv_column_privileges (Redshift's name): the column-level grants on the current database's
// tables, one row per column, privilege and grantee. What a user sees of them: grant-listing.ts.
import type { StatementContext } from './context.ts';
import type { Relation } from '../plan/bind-query.ts';
import { T } from '../types/types.ts';
import { stringVector } from '../types/vector.ts';
import { tableKey } from './privileges.ts';
import { grantHolders, listedSchemas, visibleHolders } from './grant-listing.ts';
import { namesSystemView } from '../catalog/lookup.ts';
import type { ColumnGrants } from '../catalog/column-grants.ts';

export const COLUMN_PRIVILEGES_VIEW = 'svv_column_privileges';

const COLUMNS = ['namespace_name', 'relation_name', 'column_name', 'privilege_type', 'identity_name', 'identity_type'] as const;

/** The view's rows as objects (GraphQL lists them too). */
export interface ColumnPrivilegeRow {
  namespace_name: string;
  relation_name: string;
  column_name: string;
  privilege_type: string;
  identity_name: string;
  identity_type: 'user' | 'public';
}

export function columnPrivilegeRows(ctx: StatementContext): ColumnPrivilegeRow[] {
  const holders = grantHolders<ColumnGrants | undefined>(ctx.account, (u) => u.columnGrants, ctx.account.publicColumnGrants);
  const rows: ColumnPrivilegeRow[] = [];
  for (const s of listedSchemas(ctx)) {
    for (const t of Object.values(s.tables)) {
      for (const { name, type, grants } of visibleHolders(ctx, t, holders)) {
        for (const col of t.columns) {
          for (const p of grants?.[tableKey(t)]?.[col.name] ?? []) {
            rows.push({ namespace_name: s.name, relation_name: t.name, column_name: col.name, privilege_type: p, identity_name: name, identity_type: type });
          }
        }
      }
    }
  }
  return rows.sort((a, b) => [a.namespace_name, a.relation_name, a.column_name, a.identity_name, a.privilege_type].join('\u0000')
    .localeCompare([b.namespace_name, b.relation_name, b.column_name, b.identity_name, b.privilege_type].join('\u0000')));
}

/** The view, when `name` is svv_column_privileges (optionally pg_catalog.svv_column_privileges). */
export function columnPrivilegesView(ctx: StatementContext, name: string[]): Relation | null {
  if (!namesSystemView(name, COLUMN_PRIVILEGES_VIEW)) return null;
  const rows = columnPrivilegeRows(ctx);
  const columns = COLUMNS.map((c) => stringVector(T.varchar, rows.map((r) => r[c])));
  return { kind: 'batch', batch: { length: rows.length, columns }, fields: COLUMNS.map((n) => ({ name: n, type: T.varchar })), path: [COLUMN_PRIVILEGES_VIEW] };
}
