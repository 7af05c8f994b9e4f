// Workload management in the API: queued and running queries, cancel, queue metrics.
import type { ApiContext, GraphQLModule } from './module.ts';
import type { QueryInfo } from '../wlm.ts';
import { isDeploymentAdmin } from './access.ts';

/** Whether the caller may see (and cancel) a query: their own; superusers: their account's. */
export function canSee(ctx: ApiContext, q: { account: string; user: string }): boolean {
  if (isDeploymentAdmin(ctx)) return true;
  return q.account === ctx.principal.account && (ctx.principal.superuser || q.user === ctx.principal.user);
}

const view = (q: QueryInfo) => ({
  ...q,
  submittedAt: new Date(q.submittedAt).toISOString(),
  startedAt: q.startedAt ? new Date(q.startedAt).toISOString() : null,
  elapsedMs: Date.now() - q.submittedAt,
  lane: q.lane.toUpperCase(),
});

export const wlm: GraphQLModule = {
  name: 'wlm',
  typeDefs: /* GraphQL */ `
    enum QueryState { QUEUED RUNNING }
    "SHORT: the short-query lane; MAIN: the main queue."
    enum Lane { SHORT MAIN }

    type RunningQuery {
      id: ID!
      account: String!
      user: String!
      sql: String!
      state: QueryState!
      lane: Lane!
      submittedAt: String!
      startedAt: String
      "time since submission"
      elapsedMs: Float!
      "run time predicted from earlier queries of the same shape"
      predictedMs: Float
    }

    "Workload manager configuration and live counters."
    type WlmStatus {
      slots: Int!
      shortSlots: Int!
      "main-queue slots one account may hold at once"
      accountSlots: Int!
      "short-lane slots one account may hold at once"
      accountShortSlots: Int!
      shortQueryMs: Int!
      statementTimeoutMs: Int!
      queued: Int!
      queuedShort: Int!
      running: Int!
      runningShort: Int!
      completed: Int!
      failed: Int!
      canceled: Int!
      timedOut: Int!
      rejected: Int!
      queueWaitP50Ms: Float!
      queueWaitP90Ms: Float!
      execP50Ms: Float!
      execP90Ms: Float!
    }

    extend type Query {
      "Queued and running queries the caller may see: their own; superusers: their account's."
      runningQueries: [RunningQuery!]!
      wlm: WlmStatus!
    }

    extend type Mutation {
      "Cancels a queued or running query; false if there is no such query the caller may cancel."
      cancelQuery(id: ID!): Boolean!
    }
  `,
  resolvers: {
    Query: {
      runningQueries: (_: unknown, __: unknown, ctx: ApiContext) => ctx.wlm.list().filter((q) => canSee(ctx, q)).map(view),
      wlm: (_: unknown, __: unknown, ctx: ApiContext) => ctx.wlm.metrics(),
    },
    Mutation: {
      cancelQuery: (_: unknown, args: { id: string }, ctx: ApiContext) => {
        const q = ctx.wlm.get(args.id);
        return !!q && canSee(ctx, q) && ctx.wlm.cancel(args.id, 'user');
      },
    },
  },
};
