// Column-level grants (GRANT SELECT (a, b) ON t TO u), as Redshift has them: SELECT and UPDATE on
// named columns. They are kept apart from table-level grants, per holder (a user, or PUBLIC on the
// account), as table key -> column name -> privileges, so a table-level check never mistakes a
// column grant for the whole table (datashares need the table, or SELECT WITH GRANT OPTION on it).
import type { AccountState } from './catalog.ts';

/** table key (`table:<id>`) -> column name -> privileges ('SELECT', 'UPDATE') */
export type ColumnGrants = Record<string, Record<string, string[]>>;

/** The privileges a column can be granted; ALL (cols) means both. */
export const COLUMN_PRIVILEGES = ['SELECT', 'UPDATE'] as const;

/** Adds or removes `privileges` on `columns` of one table in a holder's grants (in place). */
export function changeColumnGrants(grants: ColumnGrants, tableKey: string, columns: string[], privileges: string[], add: boolean): void {
  const privs = privileges.flatMap((p) => (p === 'ALL' ? [...COLUMN_PRIVILEGES] : [p]));
  const table = (grants[tableKey] ??= {});
  for (const c of columns) {
    const cur = new Set(table[c] ?? []);
    for (const p of privs) (add ? cur.add(p) : cur.delete(p));
    if (cur.size) table[c] = [...cur].sort(); else delete table[c];
  }
  if (!Object.keys(table).length) delete grants[tableKey];
}

/** A table-level REVOKE takes the same privileges off every column too (as PostgreSQL does). */
export function revokeFromAllColumns(grants: ColumnGrants, tableKey: string, privileges: string[]): void {
  const table = grants[tableKey];
  if (table) changeColumnGrants(grants, tableKey, Object.keys(table), privileges, false);
}

/** Every holder's column grants in an account: each user's, and PUBLIC's. */
function holders(acct: AccountState): ColumnGrants[] {
  return [...Object.values(acct.users).map((u) => u.columnGrants), acct.publicColumnGrants].filter((g): g is ColumnGrants => !!g);
}

/** ALTER TABLE ... RENAME COLUMN: grants follow the column. */
export function renameColumnGrants(acct: AccountState, tableKey: string, from: string, to: string): void {
  for (const g of holders(acct)) {
    const t = g[tableKey];
    if (t?.[from]) { t[to] = t[from]; delete t[from]; }
  }
}

/** ALTER TABLE ... DROP COLUMN: its grants go, so a later column of the same name starts with none. */
export function dropColumnGrants(acct: AccountState, tableKey: string, column: string): void {
  for (const g of holders(acct)) if (g[tableKey]) changeColumnGrants(g, tableKey, [column], [...COLUMN_PRIVILEGES], false);
}
