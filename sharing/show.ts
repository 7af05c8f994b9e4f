// SHOW DATASHARES, DESC DATASHARE, SHOW PRODUCTS / SUBSCRIPTIONS / SUBSCRIBERS, and SHOW TABLES /
// SHOW SCHEMAS for databases created from a datashare.
import type * as A from '../engine/sql/ast.ts';
import type { Result } from '../engine/result.ts';
import type { StatementContext } from '../engine/session/context.ts';
import { SqlError } from '../engine/errors.ts';
import { likeMatcher } from '../engine/functions/like.ts';
import type { HandlerOf } from '../engine/session/extension.ts';
import * as L from './listings.ts';
import { toResult } from './system-views.ts';
import { findShare, sharing } from './state.ts';
import { openShare, consumerDatabase, checkShareAccess, tableLocation } from './consumer.ts';

/** SQL LIKE pattern (% and _ wildcards, backslash escapes) as a linear-time matcher. */
const likeRe = (p: string) => likeMatcher(p, '\\', false);

export async function showDatashares(stmt: A.ShowDatashares, ctx: StatementContext): Promise<Result> {
  const l = L.datashares(ctx);
  if (stmt.like !== undefined) { const re = likeRe(stmt.like); l.rows = l.rows.filter((r) => re.test(String(r[0]))); }
  return toResult('SHOW', l);
}

/** DESC DATASHARE s (own) or DESC DATASHARE s OF ACCOUNT 'p' (inbound, when usable). */
export async function describeDatashare(stmt: A.DescribeDatashare, ctx: StatementContext): Promise<Result> {
  const me = ctx.session.account;
  const producer = stmt.account ?? stmt.namespace ?? me;
  let rows: L.Cell[][];
  if (producer === me) {
    const s = findShare(ctx.state, me, stmt.name);
    if (!s) throw new SqlError('UNDEFINED_OBJECT', `datashare "${stmt.name}" does not exist`, stmt.pos);
    rows = L.shareObjects(ctx, s, 'OUTBOUND');
  } else {
    const s = findShare(ctx.state, producer, stmt.name);
    if (!s) throw new SqlError('UNDEFINED_OBJECT', `datashare "${stmt.name}" of account "${producer}" does not exist or is not shared with you`, stmt.pos);
    checkShareAccess(ctx, ctx.state, producer, stmt.name, me, `datashare "${stmt.name}"`, stmt.pos);
    rows = L.shareObjects(ctx, s, 'INBOUND');
  }
  return toResult('DESCRIBE', { columns: L.OBJECT_COLUMNS, rows });
}

export const showProducts = async (_: A.ShowProducts, ctx: StatementContext) => toResult('SHOW', L.products(ctx));
export const showSubscriptions = async (_: A.ShowSubscriptions, ctx: StatementContext) => toResult('SHOW', L.subscriptions(ctx));

export async function showSubscribers(stmt: A.ShowSubscribers, ctx: StatementContext): Promise<Result> {
  if (stmt.product && !sharing(ctx.state).products[ctx.session.account]?.[stmt.product]) {
    throw new SqlError('UNDEFINED_OBJECT', `product "${stmt.product}" does not exist`, stmt.pos);
  }
  return toResult('SHOW', L.subscribers(ctx, stmt.product));
}

/** SHOW TABLES FROM DATABASE d where d comes from a datashare: the shared tables and views; `next` lists the others. */
export async function showTables(stmt: A.ShowTables, ctx: StatementContext, next: HandlerOf<'ShowTables'>): Promise<Result> {
  const name = stmt.database ?? ctx.session.database;
  if (!consumerDatabase(ctx, name)) return next(stmt, ctx);
  const { share } = openShare(ctx, name, stmt.pos);
  const rows: L.Cell[][] = [];
  for (const o of share.objects) {
    if (o.type !== 'TABLE' && o.type !== 'VIEW') continue;
    const loc = o.type === 'TABLE' ? tableLocation(ctx.state, share, o.id!) : { schema: o.schema, table: { name: o.name } };
    if (!loc || (stmt.schema && loc.schema !== stmt.schema)) continue;
    rows.push([loc.schema, loc.table.name, o.type]);
  }
  rows.sort((a, b) => String(a[0]).localeCompare(String(b[0])) || String(a[1]).localeCompare(String(b[1])));
  return toResult('SHOW', { columns: [['schema_name', 'VARCHAR'], ['table_name', 'VARCHAR'], ['table_type', 'VARCHAR']], rows });
}

export async function showSchemas(stmt: A.ShowSchemas, ctx: StatementContext, next: HandlerOf<'ShowSchemas'>): Promise<Result> {
  const name = stmt.database ?? ctx.session.database;
  if (!consumerDatabase(ctx, name)) return next(stmt, ctx);
  const { share } = openShare(ctx, name, stmt.pos);
  const rows = share.objects.filter((o) => o.type === 'SCHEMA').map((o) => [name, o.schema, share.producer] as L.Cell[]);
  return toResult('SHOW', { columns: [['database_name', 'VARCHAR'], ['schema_name', 'VARCHAR'], ['schema_owner', 'VARCHAR']], rows });
}
