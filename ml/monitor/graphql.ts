// GraphQL for drift monitors: `monitors` / `monitor(name)` with their runs, mutations that run
// the SQL statements as the caller (createMonitor, alterMonitor, runMonitor, dropMonitor: so
// privileges, WLM and errors are SQL's), and the `monitorEvents` subscription (run finished,
// state changed, retrained). Each shows only monitors the caller owns (superusers: the account's).
import type { ApiContext, GraphQLModule } from '../../api/graphql/module.ts';
import { streamSignal } from '../../api/graphql/events.ts';
import type { MonitorEvent } from '../../api/events.ts';
import { ownerIdOf, type Owned } from '../../engine/catalog/owners.ts';
import { printQuery } from '../../engine/sql/print-expr.ts';
import { type MonitorEntry, type MonitorRun, latestState, monitorKey, monitorsOf } from './catalog.ts';
import { parseStoredQuery } from './sample.ts';
import { Monitors } from './service.ts';

const ident = (s: string) => `"${s.replace(/"/g, '""')}"`;

interface NameArgs { name: string; schema?: string | null; database?: string | null }

/** `"db"."schema"."name"` with the API's defaults (dev, public). */
const qualified = (a: NameArgs) => [a.database ?? 'dev', a.schema ?? 'public', a.name].map(ident).join('.');

/** Whether the caller may see a monitor: its owner (by id), or a superuser of the account. */
const maySee = (ctx: ApiContext, m: Owned) => ctx.principal.superuser || (ctx.principal.userId !== undefined && ownerIdOf(ctx.db.catalog, ctx.principal.account, m) === ctx.principal.userId);

function visible(ctx: ApiContext): MonitorEntry[] {
  return Object.values(monitorsOf(ctx.db.catalog, ctx.principal.account))
    .filter((m) => maySee(ctx, m))
    .sort((a, b) => monitorKey(a).localeCompare(monitorKey(b)));
}

function find(ctx: ApiContext, a: NameArgs): MonitorEntry | null {
  const key = monitorKey({ database: a.database ?? 'dev', schema: a.schema ?? 'public', name: a.name });
  return visible(ctx).find((m) => monitorKey(m) === key) ?? null;
}

/** THRESHOLD (...) from the input object's set fields. */
function thresholdSql(t: { psi?: number | null; ksPValue?: number | null; ksStatistic?: number | null; share?: number | null }): string {
  const parts: string[] = [];
  const add = (k: string, v: number | null | undefined) => { if (v !== null && v !== undefined) parts.push(`${k} ${Number(v)}`); };
  add('PSI', t.psi); add('KS_PVALUE', t.ksPValue); add('KS_STATISTIC', t.ksStatistic); add('SHARE', t.share);
  return parts.length ? ` THRESHOLD (${parts.join(', ')})` : '';
}

export const graphqlModule: GraphQLModule = {
  name: 'ml-monitors',
  typeDefs: /* GraphQL */ `
    "A drift monitor (CREATE MONITOR): what SHOW MONITOR shows, with its kept runs."
    type Monitor {
      name: String!
      database: String!
      schema: String!
      owner: String!
      "the monitored model, database.schema.name"
      model: String!
      "the USING query"
      query: String!
      "seconds between scheduled runs (null: RUN MONITOR only)"
      scheduleSeconds: Int
      nextRunAt: String
      thresholds: MonitorThresholds!
      "the latest run's state: OK, DRIFTED or FAILED (null before the first run)"
      state: String
      createdAt: String!
      "the newest runs first (at most 50 are kept)"
      runs(limit: Int): [MonitorRun!]!
    }

    type MonitorThresholds { psi: Float!, ksPValue: Float!, ksStatistic: Float!, share: Float! }

    "One run of a monitor."
    type MonitorRun {
      run: Int!
      "manual or schedule"
      trigger: String!
      "who asked (the query always runs as the monitor's owner)"
      by: String!
      startedAt: String!
      finishedAt: String!
      "OK, DRIFTED or FAILED"
      state: String!
      error: String
      modelVersion: Int
      rows: Float
      "each argument, then '(prediction)'"
      columns: [ColumnDrift!]!
      "what auto retraining decided (ALTER MODEL ... SET AUTO RETRAIN ON DRIFT)"
      retrain: String
    }

    "One column's drift in a run: PSI always, KS for numbers."
    type ColumnDrift { column: String!, kind: String!, rows: Float!, psi: Float!, ks: Float, ksPValue: Float, state: String! }

    "A monitor's run finished, its state changed, or auto retraining decided."
    type MonitorEvent {
      monitor: String!
      model: String!
      "run_finished, state_changed or retrained"
      kind: String!
      state: String!
      previousState: String
      run: Int
      message: String
      at: String!
    }

    input MonitorThresholdsInput { psi: Float, ksPValue: Float, ksStatistic: Float, share: Float }

    extend type Query {
      "Drift monitors the caller owns (superusers: the account's)."
      monitors: [Monitor!]!
      "One monitor by name (defaults: dev, public)."
      monitor(name: String!, schema: String, database: String): Monitor
    }

    extend type Mutation {
      "CREATE MONITOR: 'query' is one SELECT whose columns are named like the model's arguments."
      createMonitor(name: String!, model: String!, query: String!, scheduleSeconds: Int, thresholds: MonitorThresholdsInput, schema: String, database: String): Monitor!
      "ALTER MONITOR: a new schedule (0 turns it off) and/or thresholds."
      alterMonitor(name: String!, scheduleSeconds: Int, thresholds: MonitorThresholdsInput, schema: String, database: String): Monitor!
      "RUN MONITOR now (as its owner); a FAILED run is an error naming why."
      runMonitor(name: String!, schema: String, database: String): MonitorRun!
      "DROP MONITOR."
      dropMonitor(name: String!, schema: String, database: String): Boolean!
    }

    extend type Subscription {
      "Events of the drift monitors the caller owns (superusers: the account's), or of one."
      monitorEvents(name: String): MonitorEvent!
    }
  `,
  resolvers: {
    Query: {
      monitors: (_: unknown, __: unknown, ctx: ApiContext) => visible(ctx),
      monitor: (_: unknown, a: NameArgs, ctx: ApiContext) => find(ctx, a),
    },
    Mutation: {
      createMonitor: async (_: unknown, a: NameArgs & { model: string; query: string; scheduleSeconds?: number | null; thresholds?: Parameters<typeof thresholdSql>[0] | null }, ctx: ApiContext) => {
        // one SELECT, printed back: nothing else can ride along in the statement
        const query = printQuery(parseStoredQuery(a.query));
        const schedule = a.scheduleSeconds ? ` SCHEDULE EVERY ${Math.trunc(a.scheduleSeconds)} SECONDS` : '';
        await ctx.sql(`CREATE MONITOR ${qualified(a)} ON MODEL ${qualified({ ...a, name: a.model })} USING (${query})${schedule}${thresholdSql(a.thresholds ?? {})}`);
        return find(ctx, a);
      },
      alterMonitor: async (_: unknown, a: NameArgs & { scheduleSeconds?: number | null; thresholds?: Parameters<typeof thresholdSql>[0] | null }, ctx: ApiContext) => {
        if (a.scheduleSeconds !== null && a.scheduleSeconds !== undefined) {
          await ctx.sql(`ALTER MONITOR ${qualified(a)} SET SCHEDULE ${a.scheduleSeconds > 0 ? `EVERY ${Math.trunc(a.scheduleSeconds)} SECONDS` : 'OFF'}`);
        }
        const t = thresholdSql(a.thresholds ?? {});
        if (t) await ctx.sql(`ALTER MONITOR ${qualified(a)} SET${t}`);
        if (!t && (a.scheduleSeconds === null || a.scheduleSeconds === undefined)) await ctx.sql(`SHOW MONITOR ${qualified(a)}`, { readOnly: true });
        return find(ctx, a);
      },
      runMonitor: async (_: unknown, a: NameArgs, ctx: ApiContext) => {
        const [r] = await ctx.sql(`RUN MONITOR ${qualified(a)}`);
        const run = Number(r.rows[0][0]);
        return find(ctx, a)?.runs.find((x) => x.run === run);
      },
      dropMonitor: async (_: unknown, a: NameArgs, ctx: ApiContext) => {
        await ctx.sql(`DROP MONITOR ${qualified(a)}`);
        return true;
      },
    },
    Monitor: {
      model: (m: MonitorEntry) => `${m.model.database}.${m.model.schema}.${m.model.name}`,
      scheduleSeconds: (m: MonitorEntry) => m.scheduleSeconds ?? null,
      nextRunAt: (m: MonitorEntry) => { const due = Monitors.dueAt(m); return due === null ? null : new Date(due).toISOString(); },
      state: (m: MonitorEntry) => latestState(m),
      runs: (m: MonitorEntry, a: { limit?: number | null }) => [...m.runs].reverse().slice(0, Math.max(0, a.limit ?? m.runs.length)),
    },
    MonitorRun: {
      error: (r: MonitorRun) => r.error ?? null,
      modelVersion: (r: MonitorRun) => r.modelVersion ?? null,
      rows: (r: MonitorRun) => r.rows ?? null,
      retrain: (r: MonitorRun) => r.retrain ?? null,
    },
    Subscription: {
      monitorEvents: {
        subscribe: (_: unknown, a: { name?: string | null }, ctx: ApiContext) =>
          ctx.bus.subscribe('monitor', (e) => e.account === ctx.principal.account && maySee(ctx, { owner: e.owner, ownerId: e.ownerId }) && (!a.name || e.monitor === a.name), streamSignal(ctx)),
        resolve: (e: MonitorEvent) => e,
      },
    },
  },
};
