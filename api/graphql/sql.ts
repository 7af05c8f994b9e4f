// Running SQL: `query` (read-only) and `execute` (any statement), paged results and cursors.
import type { ApiContext, GraphQLModule } from './module.ts';
import type { Page } from '../cursors.ts';
import { apiError } from './errors.ts';
import { principalKey } from '../tokens.ts';
import { recheckCursor } from '../cursor-access.ts';

interface SqlArgs { sql: string; limit?: number | null; timeoutMs?: number | null }

/** The owner key of cursors: the caller's account and user (by id). */
export const ownerOf = (ctx: ApiContext) => principalKey(ctx.principal);

function pageSize(ctx: ApiContext, limit: number | null | undefined): number {
  const n = limit ?? ctx.limits.defaultRows;
  if (!Number.isInteger(n) || n < 0 || n > ctx.limits.maxRows) throw apiError('LIMIT_EXCEEDED', `limit must be an integer from 0 to ${ctx.limits.maxRows}; use the cursor or the Arrow download (/arrow) for more rows`);
  return n;
}

async function run(ctx: ApiContext, args: SqlArgs, readOnly: boolean): Promise<Page[]> {
  const limit = pageSize(ctx, args.limit);
  const t0 = performance.now();
  // a query's rows stay unformatted (or in files, past the statement's budget) and are read a page at a time
  const results = await ctx.sql(args.sql, { readOnly, timeoutMs: args.timeoutMs ?? undefined, stream: true });
  const elapsedMs = performance.now() - t0;
  try {
    return results.map((r) => ({ ...ctx.cursors.page(ownerOf(ctx), r, limit), elapsedMs }));
  } catch (e) {
    // a result too large to keep as a cursor: the caller gets no cursor ids, so every result's rest is dropped
    for (const r of results) r.stream?.close();
    throw e;
  }
}

const last = <T>(xs: T[]): T => {
  if (!xs.length) throw apiError('SYNTAX_ERROR', 'no statement to run');
  return xs[xs.length - 1];
};

export const sql: GraphQLModule = {
  name: 'sql',
  typeDefs: /* GraphQL */ `
    "A result column: its name and SQL type (e.g. DECIMAL(12,2))."
    type Column {
      name: String!
      type: String!
    }

    "One statement's result, one page of it: at most 'limit' rows; 'cursor' fetches the next page."
    type Result {
      "the statement's command tag: SELECT, INSERT, CREATE TABLE, ..."
      command: String!
      "rows returned (SELECT) or affected (INSERT/UPDATE/DELETE/COPY)"
      rowCount: Int!
      columns: [Column!]!
      "this page's rows, each a list of column values"
      rows: [[JSON]]!
      "rows in the whole result"
      totalRows: Int!
      "index of this page's first row in the whole result"
      offset: Int!
      hasMore: Boolean!
      "pass to Query.fetch for the next page, or to GET /arrow?cursor= for all remaining rows"
      cursor: String
      "wall time in the server, including time queued"
      elapsedMs: Float
    }

    extend type Query {
      "Runs read-only SQL (SELECT, SHOW, DESCRIBE, EXPLAIN). The last statement's result."
      query(sql: String!, limit: Int, timeoutMs: Int): Result!
      "The next page of a result."
      fetch(cursor: String!, limit: Int): Result!
    }

    extend type Mutation {
      "Runs any SQL; a script of several statements returns the last statement's result."
      execute(sql: String!, limit: Int, timeoutMs: Int): Result!
      "Runs a script and returns every statement's result."
      executeScript(sql: String!, limit: Int, timeoutMs: Int): [Result!]!
      "Discards an open cursor."
      closeCursor(cursor: String!): Boolean!
    }
  `,
  resolvers: {
    Query: {
      query: async (_: unknown, args: SqlArgs, ctx: ApiContext) => last(await run(ctx, args, true)),
      fetch: async (_: unknown, args: { cursor: string; limit?: number | null }, ctx: ApiContext) => {
        await recheckCursor(ctx, ctx.cursors, ownerOf(ctx), ctx.principal, args.cursor);
        const p = ctx.cursors.fetch(ownerOf(ctx), args.cursor, pageSize(ctx, args.limit));
        if (!p) throw apiError('INVALID_CURSOR', 'cursor is unknown, expired or already read to the end');
        return p;
      },
    },
    Mutation: {
      execute: async (_: unknown, args: SqlArgs, ctx: ApiContext) => last(await run(ctx, args, false)),
      executeScript: (_: unknown, args: SqlArgs, ctx: ApiContext) => run(ctx, args, false),
      closeCursor: (_: unknown, args: { cursor: string }, ctx: ApiContext) => ctx.cursors.close(ownerOf(ctx), args.cursor),
    },
  },
};
