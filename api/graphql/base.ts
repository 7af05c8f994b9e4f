// Root types, the JSON scalar and `me`.
import { GraphQLScalarType } from 'graphql';
import type { ApiContext, GraphQLModule } from './module.ts';
import { streamSignal } from './events.ts';

const JSONScalar = new GraphQLScalarType({
  name: 'JSON',
  description: 'Any JSON value: SQL values are numbers, booleans, strings (DECIMAL as exact text, DATE as YYYY-MM-DD) or null.',
  serialize: (v) => v,
  parseValue: (v) => v,
});

export const base: GraphQLModule = {
  name: 'base',
  typeDefs: /* GraphQL */ `
    "Any JSON value. SQL values: numbers, booleans, strings (DECIMAL as exact text, DATE as YYYY-MM-DD, TIMESTAMP as YYYY-MM-DD HH:MM:SS[.ffffff]) or null."
    scalar JSON

    "Who the bearer token authenticates."
    type Principal {
      account: String!
      user: String!
      superuser: Boolean!
      "the id of the token used (public; revoke with revokeToken)"
      tokenId: ID!
    }

    type Query {
      "The caller of this request."
      me: Principal!
    }

    type Mutation {
      "Does nothing; a cheap authenticated round trip."
      ping: Boolean!
    }

    type Subscription {
      "Sends the server time every intervalMs (at least 1000): a keep-alive and connectivity check."
      heartbeat(intervalMs: Int = 15000): String!
    }
  `,
  resolvers: {
    JSON: JSONScalar,
    Query: { me: (_: unknown, __: unknown, ctx: ApiContext) => ctx.principal },
    Mutation: { ping: () => true },
    Subscription: {
      heartbeat: {
        subscribe: (_: unknown, args: { intervalMs: number }, ctx: ApiContext) => ticker(Math.max(1000, args.intervalMs ?? 15000), [streamSignal(ctx)]),
        resolve: (t: string) => t,
      },
    },
  },
};

async function* ticker(ms: number, signals: AbortSignal[]): AsyncGenerator<string> {
  const signal = AbortSignal.any(signals.filter(Boolean));
  while (!signal.aborted) {
    yield new Date().toISOString();
    await new Promise<void>((resolve) => {
      const t = setTimeout(done, ms);
      function done() { clearTimeout(t); signal.removeEventListener('abort', done); resolve(); }
      signal.addEventListener('abort', done);
    });
  }
}
