// Privileges of results kept in cursors: a page fetched after REVOKE (or DROP, or a dropped user)
// must not leak rows the caller may no longer read. Each kept query result remembers its
// statement; before every later page, the caller's session binds it again (names and privileges
// as of now, nothing run) and a refusal closes the cursor.
import type { Result } from '../engine/database.ts';
import type { Statement } from '../engine/sql/ast.ts';
import { parse } from '../engine/sql/parser.ts';
import type { CursorStore } from './cursors.ts';
import type { ApiServices } from './graphql/module.ts';
import type { Principal } from './tokens.ts';

const statements = new WeakMap<Result, Statement>();

/** Remembers which statement of `sql` produced each of `results` that keeps more than `pageRows` rows in a cursor. */
export function rememberStatements(sql: string, results: Result[], pageRows: number): void {
  if (!results.some((r) => r.rows.length > pageRows)) return;
  const stmts = parse(sql);
  results.forEach((r, i) => { if (stmts[i]?.kind === 'Query') statements.set(r, stmts[i]); });
}

/** Throws (and closes the cursor) if `principal` may no longer read the cursor's statement. */
export async function recheckCursor(services: Pick<ApiServices, 'db'>, cursors: CursorStore, owner: string, principal: Principal, id: string): Promise<void> {
  const result = cursors.peek(owner, id);
  const stmt = result && statements.get(result);
  if (!stmt) return;
  const session = services.db.connect({ account: principal.account, user: principal.user });
  try {
    await session.authorize(stmt);
  } catch (e) {
    cursors.close(owner, id);
    throw e;
  } finally {
    await session.close();
  }
}
