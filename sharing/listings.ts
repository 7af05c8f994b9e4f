// What the sharing SHOW statements and system views list, as typed rows. Each listing is computed
// for the calling account from its transaction's catalog version: producers see their outbound
// shares, consumers the inbound ones they may use, and nobody sees anyone else's.
import type { StatementContext } from '../engine/session/context.ts';
import { tableLocation } from './consumer.ts';
import { accessOf, allShares, consumersOf, objectName, sharing, subscriptionActive, subscriptionEnd, type DatashareState, type SubscriptionState } from './state.ts';
import type { UsageLog } from './usage.ts';

export type ColType = 'VARCHAR' | 'INTEGER' | 'BIGINT' | 'BOOLEAN' | 'TIMESTAMP';
/** Cell values: TIMESTAMP cells are ISO strings. */
export type Cell = string | number | boolean | null;
export interface Listing { columns: [string, ColType][]; rows: Cell[][] }

/** Shares the account may use as a consumer right now. */
export function inboundShares(ctx: StatementContext): DatashareState[] {
  const me = ctx.session.account;
  return allShares(ctx.state).filter((s) => s.producer !== me && accessOf(ctx.state, s, me, ctx.now()));
}

const outbound = (ctx: StatementContext) => Object.values(sharing(ctx.state).shares[ctx.session.account] ?? {});

export function datashares(ctx: StatementContext): Listing {
  const mine = ctx.state.accounts[ctx.session.account]?.databases ?? {};
  const consumerDb = (s: DatashareState) => Object.values(mine).filter((d) => d.fromShare?.producer === s.producer && d.fromShare.datashare === s.name).map((d) => d.name).sort().join(',') || null;
  const row = (s: DatashareState, type: string): Cell[] => [
    s.name, type, type === 'OUTBOUND' ? s.owner : null, s.database, type === 'INBOUND' ? consumerDb(s) : null,
    s.producer, s.publicAccessible, s.managedByExchange ? 'EXCHANGE' : null, s.createdAt,
  ];
  const rows = [...outbound(ctx).map((s) => row(s, 'OUTBOUND')), ...inboundShares(ctx).map((s) => row(s, 'INBOUND'))];
  rows.sort((a, b) => String(a[1]).localeCompare(String(b[1])) || String(a[5]).localeCompare(String(b[5])) || String(a[0]).localeCompare(String(b[0])));
  return {
    columns: [['share_name', 'VARCHAR'], ['share_type', 'VARCHAR'], ['share_owner', 'VARCHAR'], ['source_database', 'VARCHAR'], ['consumer_database', 'VARCHAR'],
      ['producer_account', 'VARCHAR'], ['is_publicaccessible', 'BOOLEAN'], ['managed_by', 'VARCHAR'], ['createdate', 'TIMESTAMP']],
    rows,
  };
}

/** Objects of one share as rows (current table names, so renames show). */
export function shareObjects(ctx: StatementContext, s: DatashareState, type: 'OUTBOUND' | 'INBOUND'): Cell[][] {
  return s.objects.map((o) => {
    const loc = o.type === 'TABLE' && o.id ? tableLocation(ctx.state, s, o.id) : undefined;
    const name = loc ? `${loc.schema}.${loc.table.name}` : objectName(o);
    return [type, s.name, o.type, name, s.producer, o.type === 'SCHEMA' ? s.includeNew.includes(o.schema) : null];
  });
}

export const OBJECT_COLUMNS: [string, ColType][] = [['share_type', 'VARCHAR'], ['share_name', 'VARCHAR'], ['object_type', 'VARCHAR'], ['object_name', 'VARCHAR'], ['producer_account', 'VARCHAR'], ['include_new', 'BOOLEAN']];

export function datashareObjects(ctx: StatementContext): Listing {
  const rows = [...outbound(ctx).flatMap((s) => shareObjects(ctx, s, 'OUTBOUND')), ...inboundShares(ctx).flatMap((s) => shareObjects(ctx, s, 'INBOUND'))];
  return { columns: OBJECT_COLUMNS, rows };
}

export function datashareConsumers(ctx: StatementContext): Listing {
  const rows: Cell[][] = [];
  const now = ctx.now();
  const subs = sharing(ctx.state).subscriptions;
  for (const s of outbound(ctx)) {
    for (const c of consumersOf(ctx.state, s, now)) {
      const sub = subs.find((x) => x.producer === s.producer && x.datashare === s.name && x.consumer === c && subscriptionActive(x, now));
      const grant = s.managedByExchange ? undefined : s.consumers[c];
      rows.push([s.name, c, grant?.grantedAt ?? sub?.startedAt ?? null, grant ? 'GRANT' : 'SUBSCRIPTION', sub && !grant ? sub.endsAt : null]);
    }
  }
  return { columns: [['share_name', 'VARCHAR'], ['consumer_account', 'VARCHAR'], ['share_date', 'TIMESTAMP'], ['granted_by', 'VARCHAR'], ['ends_at', 'TIMESTAMP']], rows };
}

export function usageProducer(ctx: StatementContext, log: UsageLog): Listing {
  const rows = log.forProducer(ctx.session.account).map((r) => [r.requestId, r.datashare, r.consumer, r.user, r.objectType, r.object, r.rows, r.at]);
  return {
    columns: [['request_id', 'BIGINT'], ['share_name', 'VARCHAR'], ['consumer_account', 'VARCHAR'], ['consumer_user', 'VARCHAR'], ['object_type', 'VARCHAR'], ['object_name', 'VARCHAR'], ['rows_scanned', 'BIGINT'], ['record_time', 'TIMESTAMP']],
    rows,
  };
}

/** The public product catalog: every account's products. */
export function products(ctx: StatementContext): Listing {
  const rows = Object.values(sharing(ctx.state).products).flatMap((m) => Object.values(m))
    .map((p) => [p.producer, p.name, p.datashare, p.title, p.description ?? null, p.termMonths, p.price ?? null, p.createdAt])
    .sort((a, b) => String(a[0]).localeCompare(String(b[0])) || String(a[1]).localeCompare(String(b[1])));
  return {
    columns: [['producer_account', 'VARCHAR'], ['product_name', 'VARCHAR'], ['datashare_name', 'VARCHAR'], ['title', 'VARCHAR'], ['description', 'VARCHAR'], ['term_months', 'INTEGER'], ['price', 'VARCHAR'], ['created', 'TIMESTAMP']],
    rows,
  };
}

export function status(sub: SubscriptionState, now: Date): 'ACTIVE' | 'CANCELLED' | 'ENDED' {
  return subscriptionActive(sub, now) ? 'ACTIVE' : sub.cancelledAt && Date.parse(sub.cancelledAt) < Date.parse(sub.endsAt) ? 'CANCELLED' : 'ENDED';
}

/** The calling account's subscriptions (consumer side). */
export function subscriptions(ctx: StatementContext): Listing {
  const now = ctx.now();
  const rows = sharing(ctx.state).subscriptions.filter((s) => s.consumer === ctx.session.account)
    .map((s) => [s.id, s.product, s.producer, s.datashare, s.startedAt, subscriptionEnd(s).toISOString(), status(s, now)]);
  return { columns: [['subscription_id', 'INTEGER'], ['product_name', 'VARCHAR'], ['producer_account', 'VARCHAR'], ['datashare_name', 'VARCHAR'], ['started', 'TIMESTAMP'], ['ends', 'TIMESTAMP'], ['status', 'VARCHAR']], rows };
}

/** Subscribers of the calling account's products (producer side). */
export function subscribers(ctx: StatementContext, product?: string): Listing {
  const now = ctx.now();
  const rows = sharing(ctx.state).subscriptions.filter((s) => s.producer === ctx.session.account && (!product || s.product === product))
    .map((s) => [s.id, s.product, s.consumer, s.startedAt, subscriptionEnd(s).toISOString(), status(s, now)]);
  return { columns: [['subscription_id', 'INTEGER'], ['product_name', 'VARCHAR'], ['consumer_account', 'VARCHAR'], ['started', 'TIMESTAMP'], ['ends', 'TIMESTAMP'], ['status', 'VARCHAR']], rows };
}
