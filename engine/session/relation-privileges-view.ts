// svv_relation_privileges (Redshift's name): the table- and view-level grants in the current
// database, one row per relation, privilege and grantee (column-level grants are in
// svv_column_privileges). What a user sees of them: grant-listing.ts.
import type { StatementContext } from './context.ts';
import type { Relation } from '../plan/bind-query.ts';
import { T } from '../types/types.ts';
import { stringVector, vectorFromValues } from '../types/vector.ts';
import { tableKey } from './privileges.ts';
import { grantHolders, listedSchemas, visibleHolders } from './grant-listing.ts';
import { namesSystemView } from '../catalog/lookup.ts';
import { viewKey } from '../catalog/object-grants.ts';
import type { Owned } from '../catalog/owners.ts';

export const RELATION_PRIVILEGES_VIEW = 'svv_relation_privileges';

const TEXT_COLUMNS = ['namespace_name', 'relation_name', 'relation_type', 'privilege_type', 'identity_name', 'identity_type'] as const;

export interface RelationPrivilegeRow {
  namespace_name: string;
  relation_name: string;
  relation_type: 'table' | 'view';
  privilege_type: string;
  identity_name: string;
  identity_type: 'user' | 'public';
  /** held WITH GRANT OPTION */
  admin_option: boolean;
}

/** What grants hold for one key: each privilege once, with whether its grant option is held too. */
function privilegesOf(held: string[]): { privilege: string; option: boolean }[] {
  const plain = held.filter((p) => !p.endsWith(' WITH GRANT OPTION'));
  return plain.sort().map((privilege) => ({ privilege, option: held.includes(`${privilege} WITH GRANT OPTION`) }));
}

export function relationPrivilegeRows(ctx: StatementContext): RelationPrivilegeRow[] {
  const holders = grantHolders(ctx.account, (u) => u.grants, ctx.account.publicGrants ?? {});
  const rows: RelationPrivilegeRow[] = [];
  for (const s of listedSchemas(ctx)) {
    const relations: [string, 'table' | 'view', string, Owned][] = [
      ...Object.values(s.tables).map((t): [string, 'table', string, Owned] => [t.name, 'table', tableKey(t), t]),
      ...Object.values(s.views).map((v): [string, 'view', string, Owned] => [v.name, 'view', viewKey(v), v]),
    ];
    for (const [relation, kind, key, owned] of relations) {
      for (const { name, type, grants } of visibleHolders(ctx, owned, holders)) {
        for (const { privilege, option } of privilegesOf(grants[key] ?? [])) {
          rows.push({ namespace_name: s.name, relation_name: relation, relation_type: kind, privilege_type: privilege, identity_name: name, identity_type: type, admin_option: option });
        }
      }
    }
  }
  const order = (r: RelationPrivilegeRow) => [r.namespace_name, r.relation_name, r.identity_name, r.privilege_type].join('\u0000');
  return rows.sort((a, b) => order(a).localeCompare(order(b)));
}

/** The view, when `name` is svv_relation_privileges (optionally pg_catalog.svv_relation_privileges). */
export function relationPrivilegesView(ctx: StatementContext, name: string[]): Relation | null {
  if (!namesSystemView(name, RELATION_PRIVILEGES_VIEW)) return null;
  const rows = relationPrivilegeRows(ctx);
  const columns = [...TEXT_COLUMNS.map((c) => stringVector(T.varchar, rows.map((r) => r[c]))), vectorFromValues(T.bool, rows.map((r) => r.admin_option))];
  const fields = [...TEXT_COLUMNS.map((n) => ({ name: n, type: T.varchar })), { name: 'admin_option', type: T.bool }];
  return { kind: 'batch', batch: { length: rows.length, columns }, fields, path: [RELATION_PRIVILEGES_VIEW] };
}
