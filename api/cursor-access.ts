// Privileges of results kept in cursors: a page fetched after REVOKE (or DROP, or a dropped user)
// must not leak rows the caller may no longer read. Before every later page the caller's session
// binds the result's query again (names and privileges as of now, nothing run; the engine
// remembers which statement made each result) and a refusal closes the cursor.
import type { CursorStore } from './cursors.ts';
import type { ApiServices } from './graphql/module.ts';
import type { Principal } from './tokens.ts';

/** Throws (and closes the cursor) if `principal` may no longer read the cursor's result. */
export async function recheckCursor(services: Pick<ApiServices, 'db'>, cursors: CursorStore, owner: string, principal: Principal, id: string): Promise<void> {
  const result = cursors.peek(owner, id);
  if (!result) return;
  const session = services.db.connect({ account: principal.account, user: principal.user });
  try {
    await session.authorize(result);
  } catch (e) {
    cursors.close(owner, id);
    throw e;
  } finally {
    await session.close();
  }
}
