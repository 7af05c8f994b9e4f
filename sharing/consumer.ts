// The consumer side: names in a database created FROM DATASHARE resolve to the producer's objects.
// Access (grant, subscription, object membership) is checked against the LATEST commit, so a
// revocation or removal stops the consumer's next statement even inside an open transaction;
// data is read from the consumer transaction's pinned snapshot, so every statement of it sees one
// producer state and the files it reads stay protected from GC.
import { randomUUID } from 'node:crypto';
import type { Pos, Query } from '../engine/sql/ast.ts';
import type { CatalogState, DatabaseState, TableState, ViewState } from '../engine/catalog/catalog.ts';
import { databaseKey } from '../engine/catalog/object-grants.ts';
import type { StatementContext } from '../engine/session/context.ts';
import type { Relation } from '../engine/plan/bind-query.ts';
import { parseOne } from '../engine/sql/parser.ts';
import { barrier, checkOwnerReads } from '../engine/session/views.ts';
import { SqlError } from '../engine/errors.ts';
import { accessOf, findShare, sharing, subscriptionEnd, type DatashareState } from './state.ts';

/** A consumer database opened for one statement: its share as of the latest commit. */
export interface OpenShare {
  name: string;
  database: DatabaseState;
  share: DatashareState;
  latest: CatalogState;
  consumer: string;
}

/** Marks table names inside a shared view, which resolve in the producer's namespace. */
const MARK = `\u0000share:${randomUUID()}`;

/** The consumer database `name` of the session's account, or null when it is not one. */
export function consumerDatabase(ctx: StatementContext, name: string): DatabaseState | null {
  const d = ctx.state.accounts[ctx.session.account]?.databases[name];
  return d?.fromShare ? d : null;
}

/** Checks that the session may read through consumer database `name` right now. */
export function openShare(ctx: StatementContext, name: string, pos?: Pos): OpenShare {
  const database = consumerDatabase(ctx, name);
  if (!database) throw new SqlError('UNDEFINED_OBJECT', `database "${name}" is not a database created from a datashare`, pos);
  const { producer, datashare } = database.fromShare!;
  const consumer = ctx.session.account;
  checkUserUsage(ctx, database, pos);
  const latest = ctx.db.catalog;
  const share = checkShareAccess(ctx, latest, producer, datashare, consumer, `database "${name}"`, pos);
  return { name, database, share, latest, consumer };
}

/** The latest version of a share the consumer may use, or a PERMISSION_DENIED that says why not. */
export function checkShareAccess(ctx: StatementContext, latest: CatalogState, producer: string, datashare: string, consumer: string, what: string, pos?: Pos): DatashareState {
  const share = findShare(latest, producer, datashare);
  if (!share) throw new SqlError('PERMISSION_DENIED', `datashare "${datashare}" of account "${producer}" no longer exists: ${what} is no longer shared`, pos);
  if (accessOf(latest, share, consumer, ctx.now())) return share;
  const subs = sharing(latest).subscriptions.filter((s) => s.producer === producer && s.datashare === datashare && s.consumer === consumer);
  const last = subs[subs.length - 1];
  const why = last
    ? `the subscription to product "${last.product}" ${last.cancelledAt ? 'was cancelled' : 'ended'} at ${subscriptionEnd(last).toISOString()}`
    : 'usage was revoked or never granted';
  throw new SqlError('PERMISSION_DENIED', `permission denied: datashare "${datashare}" of account "${producer}" is no longer shared with account "${consumer}" (${why})`, pos);
}

/** Consumer-side privilege: superusers, the database's owner, or USAGE on the database. */
function checkUserUsage(ctx: StatementContext, database: DatabaseState, pos?: Pos): void {
  if (ctx.isSuperuser || ctx.owns(database)) return;
  const acct = ctx.account as typeof ctx.account & { publicGrants?: Record<string, string[]> };
  const key = databaseKey(database);
  const held = [...(acct.users[ctx.session.user]?.grants[key] ?? []), ...(acct.publicGrants?.[key] ?? [])];
  if (!held.includes('USAGE') && !held.includes('ALL')) throw new SqlError('PERMISSION_DENIED', `permission denied for database ${database.name}: user "${ctx.session.user}" lacks USAGE`, pos);
}

/** Resolves `schema.name` of an open share to the producer's table or view. */
export function resolveShared(ctx: StatementContext, open: OpenShare, schema: string, name: string, pos: Pos): Relation {
  const { share, latest } = open;
  const full = `${open.name}.${schema}.${name}`;
  const pdb = latest.accounts[share.producer]?.databases[share.database];
  const table = pdb?.schemas[schema]?.tables[name];
  if (table && share.objects.some((o) => o.type === 'TABLE' && o.id === table.id)) {
    return tableRelation(ctx, share, table.id, full, pos);
  }
  const view = pdb?.schemas[schema]?.views[name];
  if (view && share.objects.some((o) => o.type === 'VIEW' && o.schema === schema && o.name === name)) {
    const snap = ctx.state.accounts[share.producer]?.databases[share.database]?.schemas[schema]?.views[name];
    if (!snap) throw new SqlError('UNDEFINED_TABLE', `relation "${full}" was shared after this transaction began; retry in a new transaction`, pos);
    return viewRelation(ctx, share, share.database, schema, snap, [open.name, schema, name]);
  }
  throw missing(share, latest, schema, name, full, pos);
}

/** Why `schema.name` cannot be read: removed, dropped by the producer, or never shared. */
function missing(share: DatashareState, latest: CatalogState, schema: string, name: string, full: string, pos: Pos): SqlError {
  const removed = share.removed.find((r) => r.schema === schema && r.name === name && r.type !== 'SCHEMA');
  const stillListed = share.objects.find((o) => (o.type === 'TABLE' || o.type === 'VIEW') && o.schema === schema && o.name === name);
  if (stillListed?.type === 'TABLE' && !tableLocation(latest, share, stillListed.id!)) {
    return new SqlError('UNDEFINED_TABLE', `relation "${full}" is no longer shared: the producer dropped it`, pos);
  }
  if (removed) return new SqlError('PERMISSION_DENIED', `relation "${full}" is no longer shared: it was removed from datashare "${share.name}" at ${removed.removedAt}`, pos);
  return new SqlError('UNDEFINED_TABLE', `relation "${full}" does not exist in datashare "${share.name}" of account "${share.producer}"`, pos);
}

/** Where table `id` lives in the share's producer database of a catalog version. */
export function tableLocation(state: CatalogState, share: DatashareState, id: string): { schema: string; table: TableState } | undefined {
  const db = state.accounts[share.producer]?.databases[share.database];
  for (const sc of Object.values(db?.schemas ?? {})) {
    for (const t of Object.values(sc.tables)) if (t.id === id) return { schema: sc.name, table: t };
  }
  return undefined;
}

/** A scan of the producer's table as of the consumer's snapshot. */
function tableRelation(ctx: StatementContext, share: DatashareState, id: string, full: string, pos: Pos): Relation {
  const snap = tableLocation(ctx.state, share, id);
  if (!snap) throw new SqlError('UNDEFINED_TABLE', `relation "${full}" was created after this transaction began; retry in a new transaction`, pos);
  return {
    kind: 'table',
    table: snap.table,
    ref: { account: share.producer, database: share.database, schema: snap.schema, name: snap.table.name, share: { producer: share.producer, datashare: share.name, consumer: ctx.session.account } },
  };
}

/**
 * A shared view runs with its owner's rights (as views do): its table names are rewritten to
 * marked names that resolve in the producer's database, whether or not those tables are shared.
 * The consumer never holds those rights, so (as for a local view read with borrowed rights) its
 * filters that can fail stay above the view's plan, and EXPLAIN does not show inside it.
 */
function viewRelation(ctx: StatementContext, share: DatashareState, database: string, schema: string, view: ViewState, path: string[]): Relation {
  const stmt = parseOne(view.sql);
  if (stmt.kind !== 'Query') throw new SqlError('INTERNAL_ERROR', `view ${view.name} is not a query`);
  const ctes = new Set<string>();
  walk(stmt.query, (n) => { if (n.kind === 'Cte') ctes.add(n.name as string); });
  walk(stmt.query, (n) => {
    if (n.kind !== 'TableName') return;
    const name = n.name as string[];
    if (name.length === 1 && ctes.has(name[0])) return;
    const [db, sc, obj] = name.length === 3 ? name : name.length === 2 ? [database, name[0], name[1]] : [database, '', name[0]];
    n.name = [MARK, share.producer, share.name, db, sc, obj, schema];
  });
  const query = stmt.query as Query;
  const shown = path.join('.');
  const bind = async () => {
    if (ctx.viewReads.asInvoker) throw new SqlError('PERMISSION_DENIED', `shared view ${shown} reads objects of account "${share.producer}" that account "${ctx.session.account}" may not see`);
    ctx.viewReads.borrowed.push(shown);
    // the view reads with its owner's rights in the producer's account: an owner who lost them
    // (or is gone) shares nothing more; the consumer is not told the producer's details
    try {
      await checkOwnerReads(ctx, share.producer, database, schema, view);
    } catch (e) {
      if (!(e instanceof SqlError)) throw e;
      throw new SqlError('PERMISSION_DENIED', `shared view ${shown} can no longer be read: its query fails for its owner in account "${share.producer}" (a privilege lost, or an object gone)`);
    }
    return barrier(await ctx.binder().query(query));
  };
  return { kind: 'view', query, columns: view.columns.map((c) => c.name), path, bind };
}

function walk(node: unknown, f: (n: Record<string, unknown>) => void): void {
  if (Array.isArray(node)) { for (const x of node) walk(x, f); return; }
  if (!node || typeof node !== 'object') return;
  const o = node as Record<string, unknown>;
  if (typeof o.kind === 'string') f(o);
  for (const v of Object.values(o)) if (v && typeof v === 'object') walk(v, f);
}

/** Resolves a name written inside a shared view (see viewRelation), or null for other names. */
export function resolveMarked(ctx: StatementContext, name: string[], pos: Pos): Relation | null {
  if (name.length !== 7 || name[0] !== MARK) return null;
  const [, producer, datashare, database, schema, obj, viewSchema] = name;
  const share = checkShareAccess(ctx, ctx.db.catalog, producer, datashare, ctx.session.account, 'a shared view', pos);
  const pdb = ctx.state.accounts[producer]?.databases[database];
  for (const sc of schema ? [schema] : [viewSchema, 'public']) {
    const s = pdb?.schemas[sc];
    const t = s?.tables[obj];
    if (t) return { kind: 'table', table: t, ref: { account: producer, database, schema: sc, name: t.name, share: { producer, datashare, consumer: ctx.session.account } } };
    const v = s?.views[obj];
    if (v) return viewRelation(ctx, share, database, sc, v, [database, sc, obj]);
  }
  throw new SqlError('UNDEFINED_TABLE', `a shared view refers to "${[schema, obj].filter(Boolean).join('.')}", which no longer exists in the producer's database`, pos);
}
