// System views over sharing metadata (svv_datashares, svv_datashare_objects,
// svv_datashare_consumers, svl_datashare_usage_producer): listings turned into column batches,
// so they can be filtered, joined and aggregated like any table.
import type { StatementContext } from '../engine/session/context.ts';
import type { Relation } from '../engine/plan/bind-query.ts';
import type { Result } from '../engine/result.ts';
import { T, isTimestamp, type SqlType } from '../engine/types/types.ts';
import { vectorFromValues, type Batch, type Vector } from '../engine/types/vector.ts';
import { formatTimestamp } from '../engine/types/values.ts';
import * as L from './listings.ts';
import type { UsageLog } from './usage.ts';
import { namesSystemView } from '../engine/catalog/lookup.ts';

const TYPES: Record<L.ColType, SqlType> = { VARCHAR: T.varchar, INTEGER: T.int, BIGINT: T.bigint, BOOLEAN: T.bool, TIMESTAMP: T.timestamp };

const VIEWS: Record<string, (ctx: StatementContext, log: UsageLog) => L.Listing> = {
  svv_datashares: (ctx) => L.datashares(ctx),
  svv_datashare_objects: (ctx) => L.datashareObjects(ctx),
  svv_datashare_consumers: (ctx) => L.datashareConsumers(ctx),
  svl_datashare_usage_producer: (ctx, log) => L.usageProducer(ctx, log),
};

/** The names of the sharing system views. */
export const SYSTEM_VIEWS = Object.keys(VIEWS);

/** A sharing system view named `name` (optionally `pg_catalog.name`), or null. */
export function systemView(ctx: StatementContext, name: string[], log: UsageLog): Relation | null {
  const last = name[name.length - 1];
  if (!(last in VIEWS) || !namesSystemView(name, last)) return null;
  const listing = VIEWS[last](ctx, log);
  return { kind: 'batch', batch: toBatch(listing), fields: listing.columns.map(([n, t]) => ({ name: n, type: TYPES[t] })), path: [last] };
}

/** Builds typed column vectors from listing rows. */
export function toBatch(l: L.Listing): Batch {
  const n = l.rows.length;
  const columns: Vector[] = l.columns.map(([, t], c) => vectorFromValues(TYPES[t], l.rows.map((r) => r[c])));
  return { length: n, columns };
}

/** A listing as a statement result (timestamps printed like query results). */
export function toResult(command: string, l: L.Listing): Result {
  const ts = l.columns.map(([, t]) => isTimestamp(TYPES[t]));
  const rows = l.rows.map((r) => r.map((v, i) => (ts[i] && v !== null ? formatTimestamp(Date.parse(String(v)) * 1000) : v)));
  return { command, rowCount: rows.length, columns: l.columns.map(([name, type]) => ({ name, type })), rows };
}
