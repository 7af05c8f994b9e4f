// svv_column_privileges (Redshift's name): the column-level grants on the current database's
// tables, one row per column, privilege and grantee. A user sees the grants made to itself or to
// PUBLIC and all grants on the tables it owns, in schemas it may use; superusers see every grant of
// the account.
import type { StatementContext } from './context.ts';
import type { Relation } from '../plan/bind-query.ts';
import { T } from '../types/types.ts';
import { stringVector } from '../types/vector.ts';
import { hasSchemaUsage, tableKey } from './privileges.ts';
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
  const acct = ctx.account;
  const holders: [string, 'user' | 'public', ColumnGrants | undefined][] = [
    ...Object.values(acct.users).map((u): [string, 'user', ColumnGrants | undefined] => [u.name, 'user', u.columnGrants]),
    ['PUBLIC', 'public', acct.publicColumnGrants],
  ];
  const rows: ColumnPrivilegeRow[] = [];
  const db = ctx.currentDatabase();
  for (const s of Object.values(db.schemas)) {
    if (!hasSchemaUsage(ctx, db, s)) continue;
    for (const t of Object.values(s.tables)) {
      const seesAll = ctx.isSuperuser || ctx.owns(t);
      for (const [name, type, grants] of holders) {
        if (!seesAll && type === 'user' && name !== ctx.session.user) continue;
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
  const last = name[name.length - 1];
  if (last !== COLUMN_PRIVILEGES_VIEW || name.length > 2 || (name.length === 2 && name[0] !== 'pg_catalog')) return null;
  const rows = columnPrivilegeRows(ctx);
  const columns = COLUMNS.map((c) => stringVector(T.varchar, rows.map((r) => r[c])));
  return { kind: 'batch', batch: { length: rows.length, columns }, fields: COLUMNS.map((n) => ({ name: n, type: T.varchar })), path: [COLUMN_PRIVILEGES_VIEW] };
}
