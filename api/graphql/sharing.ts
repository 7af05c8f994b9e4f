// Datashares and the data exchange over GraphQL. Every field runs the equivalent SQL as the
// caller (SHOW/DESC/svv_* views, CREATE PRODUCT, SUBSCRIBE, ...), so privileges, WLM and errors
// are exactly those of SQL; nothing here reads another account's metadata directly.
import type { ApiContext, GraphQLModule } from './module.ts';
import type { Result } from '../../engine/database.ts';

type Row = Record<string, unknown>;

const ident = (s: string) => `"${s.replace(/"/g, '""')}"`;
const literal = (s: string) => `'${s.replace(/'/g, "''")}'`;

/** A result's rows as objects keyed by column name. */
function rowsOf(r: Result | undefined): Row[] {
  if (!r) return [];
  return r.rows.map((row) => Object.fromEntries(r.columns.map((c, i) => [c.name, row[i]])));
}

async function select(ctx: ApiContext, sql: string): Promise<Row[]> {
  const rs = await ctx.sql(sql, { readOnly: true });
  return rowsOf(rs[rs.length - 1]);
}

const datashare = (r: Row) => ({
  name: r.share_name, type: r.share_type, owner: r.share_owner, producer: r.producer_account,
  database: r.source_database, consumerDatabase: r.consumer_database,
  publicAccessible: r.is_publicaccessible, managedBy: r.managed_by, createdAt: r.createdate,
});

const subscription = (r: Row) => ({
  id: r.subscription_id, product: r.product_name, producer: r.producer_account ?? null, consumer: r.consumer_account ?? null,
  datashare: r.datashare_name ?? null, startedAt: r.started, endsAt: r.ends, status: r.status,
});

const product = (r: Row) => ({
  producer: r.producer_account, name: r.product_name, datashare: r.datashare_name, title: r.title,
  description: r.description, termMonths: r.term_months, price: r.price, createdAt: r.created,
});

interface DatashareValue { name: string; type: string; producer: string }

export const graphqlModule: GraphQLModule = {
  name: 'sharing',
  typeDefs: /* GraphQL */ `
    "A datashare: OUTBOUND (the caller's account produces it) or INBOUND (shared with the caller)."
    type Datashare {
      name: String!
      "OUTBOUND or INBOUND"
      type: String!
      producer: String!
      "the producer user who created it (OUTBOUND only)"
      owner: String
      "the producer database its objects come from"
      database: String!
      "consumer databases created from it (INBOUND)"
      consumerDatabase: String
      publicAccessible: Boolean!
      "EXCHANGE when grants come from product subscriptions only"
      managedBy: String
      createdAt: String!
      objects: [DatashareObject!]!
      "accounts that may use it now (OUTBOUND only; empty for INBOUND)"
      consumers: [DatashareConsumer!]!
    }

    type DatashareObject {
      "SCHEMA, TABLE, VIEW, FUNCTION or MODEL"
      type: String!
      "schema or schema.name"
      name: String!
      "for schemas: tables created later join the share"
      includeNew: Boolean
    }

    type DatashareConsumer {
      account: String!
      since: String
      "GRANT or SUBSCRIPTION"
      via: String!
      "end of the subscription's term"
      endsAt: String
    }

    "A datashare published on the data exchange."
    type Product {
      producer: String!
      name: String!
      datashare: String!
      title: String!
      description: String
      termMonths: Int!
      "for display only"
      price: String
      createdAt: String!
    }

    "A subscription to a product: the consumer side (subscriptions) or the producer side (subscribers)."
    type ExchangeSubscription {
      id: Int!
      product: String!
      producer: String
      consumer: String
      datashare: String
      startedAt: String!
      endsAt: String!
      "ACTIVE, CANCELLED or ENDED"
      status: String!
    }

    extend type ShareEvent {
      "objects a SHARE_UPDATED changed (schema.name)"
      objects: [String!]
      product: String
      "end of the subscription's term (subscription events)"
      endsAt: String
    }

    extend type Query {
      "Datashares the caller's account produces or may consume."
      datashares: [Datashare!]!
      "One datashare: the caller's own, or an inbound one of account 'producer'."
      datashare(name: String!, producer: String): Datashare
      "The public product catalog of the data exchange."
      products: [Product!]!
      "The caller's account's subscriptions."
      subscriptions: [ExchangeSubscription!]!
      "Subscribers of the caller's account's products (or of one product)."
      subscribers(product: String): [ExchangeSubscription!]!
    }

    extend type Mutation {
      "Publishes a datashare as a product (CREATE PRODUCT)."
      publishProduct(name: String!, datashare: String!, title: String!, description: String, termMonths: Int!, price: String): Product!
      "Withdraws a product; its active subscriptions end now (DROP PRODUCT)."
      withdrawProduct(name: String!): Boolean!
      "Subscribes the caller's account to a product: usage is granted until the term ends."
      subscribe(product: String!, producer: String!): ExchangeSubscription!
      "Cancels an active subscription: access ends now."
      cancelSubscription(product: String!, producer: String!): ExchangeSubscription!
    }
  `,
  resolvers: {
    Query: {
      datashares: async (_: unknown, __: unknown, ctx: ApiContext) => (await select(ctx, 'SELECT * FROM svv_datashares')).map(datashare),
      datashare: async (_: unknown, args: { name: string; producer?: string | null }, ctx: ApiContext) => {
        const producer = args.producer ?? ctx.principal.account;
        const rows = await select(ctx, `SELECT * FROM svv_datashares WHERE share_name = ${literal(args.name)} AND producer_account = ${literal(producer)}`);
        return rows.length ? datashare(rows[0]) : null;
      },
      products: async (_: unknown, __: unknown, ctx: ApiContext) => (await select(ctx, 'SHOW PRODUCTS')).map(product),
      subscriptions: async (_: unknown, __: unknown, ctx: ApiContext) => (await select(ctx, 'SHOW SUBSCRIPTIONS')).map(subscription),
      subscribers: async (_: unknown, args: { product?: string | null }, ctx: ApiContext) =>
        (await select(ctx, `SHOW SUBSCRIBERS${args.product ? ` FOR PRODUCT ${ident(args.product)}` : ''}`)).map(subscription),
    },
    Datashare: {
      objects: async (d: DatashareValue, _: unknown, ctx: ApiContext) => {
        const of = d.type === 'INBOUND' ? ` OF ACCOUNT ${literal(d.producer)}` : '';
        return (await select(ctx, `DESC DATASHARE ${ident(d.name)}${of}`)).map((r) => ({ type: r.object_type, name: r.object_name, includeNew: r.include_new }));
      },
      consumers: async (d: DatashareValue, _: unknown, ctx: ApiContext) => {
        if (d.type !== 'OUTBOUND') return [];
        const rows = await select(ctx, `SELECT * FROM svv_datashare_consumers WHERE share_name = ${literal(d.name)} ORDER BY consumer_account`);
        return rows.map((r) => ({ account: r.consumer_account, since: r.share_date, via: r.granted_by, endsAt: r.ends_at }));
      },
    },
    Mutation: {
      publishProduct: async (_: unknown, a: { name: string; datashare: string; title: string; description?: string | null; termMonths: number; price?: string | null }, ctx: ApiContext) => {
        await ctx.sql(`CREATE PRODUCT ${ident(a.name)} FROM DATASHARE ${ident(a.datashare)} TITLE ${literal(a.title)}`
          + `${a.description != null ? ` DESCRIPTION ${literal(a.description)}` : ''} TERM ${Number(a.termMonths) | 0} MONTHS${a.price != null ? ` PRICE ${literal(a.price)}` : ''}`);
        const rows = (await select(ctx, 'SHOW PRODUCTS')).filter((r) => r.producer_account === ctx.principal.account && r.product_name === a.name);
        return product(rows[0]);
      },
      withdrawProduct: async (_: unknown, a: { name: string }, ctx: ApiContext) => {
        await ctx.sql(`DROP PRODUCT ${ident(a.name)}`);
        return true;
      },
      subscribe: async (_: unknown, a: { product: string; producer: string }, ctx: ApiContext) => {
        await ctx.sql(`SUBSCRIBE TO PRODUCT ${ident(a.product)} OF ACCOUNT ${literal(a.producer)}`);
        return latestSubscription(ctx, a);
      },
      cancelSubscription: async (_: unknown, a: { product: string; producer: string }, ctx: ApiContext) => {
        await ctx.sql(`CANCEL SUBSCRIPTION TO PRODUCT ${ident(a.product)} OF ACCOUNT ${literal(a.producer)}`);
        return latestSubscription(ctx, a);
      },
    },
  },
};

async function latestSubscription(ctx: ApiContext, a: { product: string; producer: string }) {
  const rows = (await select(ctx, 'SHOW SUBSCRIPTIONS')).filter((r) => r.product_name === a.product && r.producer_account === a.producer);
  return subscription(rows[rows.length - 1]);
}
