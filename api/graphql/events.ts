// Subscriptions (over SSE): model training events, datashare events and query lifecycle,
// each filtered to what the caller's account may see.
import type { ApiContext, GraphQLModule } from './module.ts';
import { visibleTo, type ModelEvent, type ShareEvent, type QueryEvent } from '../events.ts';
import { canSee } from './wlm.ts';

/** Ends a stream when its request does, at shutdown, or once its token no longer stands. */
export const streamSignal = (ctx: ApiContext) => ctx.revocations.signal(ctx.principal, AbortSignal.any([ctx.request.signal, ctx.shutdown]));

export const events: GraphQLModule = {
  name: 'events',
  typeDefs: /* GraphQL */ `
    "A model's state change or training progress."
    type ModelEvent {
      model: String!
      "TRAINING, READY, FAILED, ..."
      state: String!
      "created, progress, ready, failed, dropped, ..."
      kind: String!
      message: String
      epoch: Int
      loss: Float
      validationScore: Float
      at: String!
    }

    "A datashare or data-exchange change."
    type ShareEvent {
      "created, updated, granted, revoked, dropped, subscribed, expired, ..."
      type: String!
      datashare: String!
      producer: String!
      version: Int
      consumer: String
      at: String!
    }

    "A query entering the queue, starting, or ending."
    type QueryEvent {
      id: ID!
      account: String!
      user: String!
      "QUEUED, RUNNING, DONE, FAILED or CANCELED"
      state: String!
      lane: String!
      at: String!
      elapsedMs: Float
      code: String
    }

    extend type Subscription {
      "Events of the caller's account's models (or one model)."
      modelEvents(name: String): ModelEvent!
      "Events of datashares the caller's account produces or may consume (or one datashare)."
      shareEvents(datashare: String): ShareEvent!
      "Lifecycle of queries the caller may see in runningQueries."
      queryEvents: QueryEvent!
    }
  `,
  resolvers: {
    Subscription: {
      modelEvents: {
        subscribe: (_: unknown, args: { name?: string | null }, ctx: ApiContext) =>
          ctx.bus.subscribe('model', (e) => visibleTo(e, ctx.principal.account) && (!args.name || e.model === args.name), streamSignal(ctx)),
        resolve: (e: ModelEvent) => e,
      },
      shareEvents: {
        subscribe: (_: unknown, args: { datashare?: string | null }, ctx: ApiContext) =>
          ctx.bus.subscribe('share', (e) => visibleTo(e, ctx.principal.account) && (!args.datashare || e.datashare === args.datashare), streamSignal(ctx)),
        resolve: (e: ShareEvent) => e,
      },
      queryEvents: {
        subscribe: (_: unknown, __: unknown, ctx: ApiContext) => ctx.bus.subscribe('query', (e) => canSee(ctx, e), streamSignal(ctx)),
        resolve: (e: QueryEvent) => e,
      },
    },
  },
};
