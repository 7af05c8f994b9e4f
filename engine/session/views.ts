// Views as PostgreSQL and Redshift run them. Querying a view needs SELECT on it (its owner and
// superusers always hold it), and its query is bound with the privileges of the view's OWNER, by
// id (tables, columns, schema USAGE, models' EXECUTE), naming objects in the database and search
// path it was created with: that is how a user publishes a projection or filter of a table
// without granting the table. Nested views each run as their own owner; current_user inside a
// view stays the caller.
import type { Pos, Query } from '../sql/ast.ts';
import { parseOne } from '../sql/parser.ts';
import type { ViewState } from '../catalog/catalog.ts';
import { ownerIdOf, userById } from '../catalog/owners.ts';
import type { Relation } from '../plan/bind-query.ts';
import type { LNode } from '../plan/logical.ts';
import { SqlError } from '../errors.ts';
import { hasViewPrivilege } from './privileges.ts';
import type { StatementContext } from './context.ts';

/**
 * What a statement read through views. `borrowed`: views whose query ran with rights the caller
 * may lack (EXPLAIN shows their plans only to callers who could read them without the view);
 * `asInvoker`: bind every view's query with the caller's own rights (that check).
 */
export interface ViewReads {
  borrowed: string[];
  asInvoker: boolean;
}

/** Where a view's names resolve: as recorded at CREATE VIEW, or (older views) its own schema, then public. */
export function viewNamespace(database: string, schema: string, view: ViewState): { database: string; searchPath: string[] } {
  return view.resolveIn ?? { database, searchPath: [...new Set([schema, 'public'])] };
}

/** The relation a view name stands for, checked for SELECT by the caller; its query binds as the owner. */
export function viewRelation(ctx: StatementContext, database: string, schema: string, view: ViewState, pos: Pos): Relation {
  const shown = `${schema}.${view.name}`;
  if (!hasViewPrivilege(ctx, view, 'SELECT')) {
    throw new SqlError('PERMISSION_DENIED', `permission denied for view ${shown}: user "${ctx.session.user}" lacks SELECT on it`, pos);
  }
  const stmt = parseOne(view.sql);
  if (stmt.kind !== 'Query') throw new SqlError('INTERNAL_ERROR', `view ${view.name} is not a query`);
  const path = [database, schema, view.name];
  const bind = async () => {
    const self = { name: ctx.session.user, id: ctx.userId };
    const owner = ctx.viewReads.asInvoker ? self : viewOwner(ctx, view, shown, pos);
    const borrowed = owner.id !== self.id && !ctx.isSuperuser;
    if (borrowed) ctx.viewReads.borrowed.push(path.join('.'));
    const as = ctx.actingAs(owner, viewNamespace(database, schema, view));
    try {
      const plan = await as.binder().query(stmt.query);
      return borrowed ? barrier(plan) : plan;
    } catch (e) {
      // the view's text positions mean nothing to the caller: say which view, and as whom
      if (!(e instanceof SqlError)) throw e;
      const why = e.message.replace(/ at line \d+, column \d+$/, '');
      const as = ctx.viewReads.asInvoker ? `user "${owner.name}"` : `its owner "${owner.name}"`;
      if (e.code === 'PERMISSION_DENIED') throw new SqlError('PERMISSION_DENIED', `view ${shown} reads as ${as}, who may not: ${why}`, pos);
      if (!borrowed) throw e;
      // a broken view read with borrowed rights: no did-you-mean from names only its owner sees
      throw new SqlError(e.code, `view ${shown} no longer binds as ${as}: ${why.replace(/ \(did you mean "[^"]*"\?\)/g, '')}`, pos);
    }
  };
  return { kind: 'view', query: stmt.query, columns: view.columns.map((c) => c.name), path, bind };
}

/**
 * The view's plan under a projection the optimizer moves only leakproof filters through, so a
 * caller's WHERE that can fail (a cast, a division) runs after the view's own filter and never
 * sees, or names in an error, a row the view hides (PostgreSQL's security_barrier, always on for
 * views read with rights the caller lacks).
 */
export function barrier(plan: LNode): LNode {
  return { k: 'project', input: plan, exprs: plan.fields.map((f, index) => ({ k: 'col', index, type: f.type })), fields: plan.fields, barrier: true };
}

/** The user a view's query runs as; a clear refusal when that user is gone. */
function viewOwner(ctx: StatementContext, view: ViewState, shown: string, pos: Pos): { name: string; id?: string } {
  const id = ownerIdOf(ctx.state, ctx.session.account, view);
  const user = userById(ctx.account, id);
  if (!user) throw new SqlError('PERMISSION_DENIED', `permission denied for view ${shown}: its owner "${view.owner}" no longer exists, and the view's query runs with its owner's privileges`, pos);
  return { name: user.name, id: user.id };
}

/**
 * EXPLAIN shows the tables, filters and (with ANALYZE) row counts inside the views a query reads.
 * When a view read with its owner's rights, the caller sees that only if it could have read the
 * view's query with its own: the statement binds again so, and a refusal is EXPLAIN's.
 */
export async function checkExplainable(ctx: StatementContext, query: Query, pos: Pos): Promise<void> {
  const views = [...new Set(ctx.viewReads.borrowed)];
  if (!views.length) return;
  ctx.viewReads.asInvoker = true;
  try {
    await ctx.binder().query(query);
  } catch (e) {
    // whatever stops the caller's own binding (a privilege, a schema it may not use) stops EXPLAIN
    if (!(e instanceof SqlError)) throw e;
    const why = e.message.replace(/ at line \d+, column \d+$/, '');
    throw new SqlError('PERMISSION_DENIED', `EXPLAIN would show what view ${views.join(', ')} reads with its owner's privileges, which user "${ctx.session.user}" lacks (query the view instead): ${why}`, pos);
  } finally {
    ctx.viewReads.asInvoker = false;
  }
}

/**
 * Whether a view's owner may still read what the view's query reads, in the owner's account (a
 * shared view, read from another account): throws the refusal, or PERMISSION_DENIED when the
 * owner is gone.
 */
export async function checkOwnerReads(ctx: StatementContext, account: string, database: string, schema: string, view: ViewState): Promise<void> {
  const owner = userById(ctx.state.accounts[account], ownerIdOf(ctx.state, account, view));
  if (!owner) throw new SqlError('PERMISSION_DENIED', `view ${schema}.${view.name}: its owner no longer exists`);
  const stmt = parseOne(view.sql);
  if (stmt.kind !== 'Query') throw new SqlError('INTERNAL_ERROR', `view ${view.name} is not a query`);
  await ctx.actingAs({ name: owner.name, id: owner.id }, viewNamespace(database, schema, view), account).binder().query(stmt.query);
}
