// The HTTP application (graphql-yoga): bearer-token auth, /graphql with GraphiQL, /health,
// /arrow downloads, request limits. Runs in-process (`app.fetch`) or behind node:http.
import { createYoga, type Plugin, type YogaServerInstance } from 'graphql-yoga';
import { GraphQLError } from 'graphql';
import type { Result } from '../engine/database.ts';
import { asSqlError } from '../engine/errors.ts';
import { bearerToken, verifyToken, LOCAL_TOKEN, principalKey, type Principal } from './tokens.ts';
import type { ApiContext, ApiServices, GraphQLModule, SqlOptions } from './graphql/module.ts';
import { buildSchema } from './graphql/index.ts';
import { maskError, sqlGraphQLError, apiError, scrubError } from './graphql/errors.ts';
import { complexityRule, rootFieldsRule, readBodyLimited, BodyTooLarge, StatementBudget } from './limits.ts';
import { resultToArrow, streamToArrow } from './arrow.ts';
import { renderStrataGraphiQL } from './graphiql.ts';
import { corsPolicy } from './cors.ts';
import { recheckCursor } from './cursor-access.ts';

/** Server state the app reads: draining during shutdown; the control socket's per-process secret. */
export interface AppState {
  draining: boolean;
  localNonce?: string;
  /** origins browsers may call from (`--cors-origin`); none: CORS off */
  corsOrigins?: string[];
}

export type StrataApp = YogaServerInstance<Record<string, unknown>, ApiContext>;

const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json; charset=utf-8', ...headers } });

const unauthorized = (message: string) =>
  json(401, { errors: [{ message, extensions: { code: 'UNAUTHENTICATED' } }] }, { 'www-authenticate': 'Bearer realm="strata"' });

/** The authenticated principal of a request, or null. */
function authenticate(services: ApiServices, request: Request, state: AppState): Principal | null {
  const local = request.headers.get('x-strata-local');
  if (local && state.localNonce && local === state.localNonce) return { account: 'admin', user: 'admin', superuser: true, tokenId: LOCAL_TOKEN };
  const token = bearerToken(request.headers.get('authorization'));
  return token ? verifyToken(services.db.catalog, token) : null;
}

/** Runs SQL as a principal through the workload manager, enforcing the SQL size and statement limits. */
export function sqlRunner(services: ApiServices, principal: Principal, budget = new StatementBudget(services.limits.maxStatements)) {
  return (text: string, opts: SqlOptions = {}): Promise<Result[]> => {
    if (Buffer.byteLength(text, 'utf8') > services.limits.maxSqlBytes) {
      return Promise.reject(apiError('LIMIT_EXCEEDED', `SQL text is larger than ${services.limits.maxSqlBytes} bytes`, 413));
    }
    return services.wlm.submit({ account: principal.account, user: principal.user, sql: text, timeoutMs: opts.timeoutMs, readOnly: opts.readOnly }, async (signal, deadline) => {
      // the control socket is the data directory's owner: trusted with local files like the CLI
      const session = services.db.connect({ account: principal.account, user: principal.user, localFiles: principal.tokenId === LOCAL_TOKEN });
      try {
        return await session.execute(text, { readOnly: opts.readOnly, signal, deadline, admit: (n) => budget.take(n), stream: opts.stream });
      } finally {
        await session.close();
      }
    });
  };
}

/** /health (no auth) and /arrow (auth) beside the GraphQL endpoint; auth for everything else. */
function routes(services: ApiServices, state: AppState): Plugin<ApiContext> {
  return {
    async onRequest({ request, url, endResponse, setRequest }) {
      if (url.pathname === '/health') {
        // answered from counters only: it must stay fast while statements compute
        const { running, queued } = services.wlm.load();
        endResponse(json(state.draining ? 503 : 200, { status: state.draining ? 'draining' : 'ok', catalogVersion: services.db.catalog.version, slices: services.db.slices, running, queued }));
        return;
      }
      const graphiql = request.method === 'GET' && url.pathname === '/graphql' && (request.headers.get('accept') ?? '').includes('text/html') && !url.searchParams.has('query');
      if (graphiql) return;
      const tooLarge = () => json(413, { errors: [{ message: `request body is larger than ${services.limits.maxBodyBytes} bytes`, extensions: { code: 'LIMIT_EXCEEDED' } }] });
      const declared = Number(request.headers.get('content-length') ?? 0);
      if (declared > services.limits.maxBodyBytes) { endResponse(tooLarge()); return; }
      const principal = authenticate(services, request, state);
      if (!principal) { endResponse(unauthorized(request.headers.get('authorization') ? 'invalid or revoked token' : 'missing Authorization: Bearer <token> header')); return; }
      if (request.body && request.method !== 'GET' && request.method !== 'HEAD') {
        // read the body here, counting bytes: a chunked body has no Content-Length to check
        try {
          const body = await readBodyLimited(request, services.limits.maxBodyBytes);
          request = new Request(request.url, { method: request.method, headers: request.headers, body, signal: request.signal });
          setRequest(request);
        } catch (e) {
          if (e instanceof BodyTooLarge) { endResponse(tooLarge()); return; }
          throw e;
        }
      }
      if (url.pathname === '/arrow') endResponse(await arrow(services, principal, request, url));
    },
  };
}

/** GET /arrow?sql=... | ?cursor=..., or POST {"sql": ...}: a read-only result as Arrow IPC. */
async function arrow(services: ApiServices, principal: Principal, request: Request, url: URL): Promise<Response> {
  try {
    let sql = url.searchParams.get('sql');
    const cursor = url.searchParams.get('cursor');
    if (request.method === 'POST') sql = String(((await request.json()) as { sql?: unknown }).sql ?? '');
    let result: Result | null;
    if (cursor) {
      await recheckCursor(services, services.cursors, principalKey(principal), principal, cursor);
      result = services.cursors.rest(principalKey(principal), cursor);
      if (!result) return json(404, { errors: [{ message: 'cursor is unknown, expired or already read to the end', extensions: { code: 'INVALID_CURSOR' } }] });
    } else {
      if (!sql) return json(400, { errors: [{ message: 'pass sql (query string or JSON body) or cursor', extensions: { code: 'INVALID_PARAMETER' } }] });
      const results = await sqlRunner(services, principal)(sql, { readOnly: true, stream: true });
      result = results[results.length - 1];
      for (const r of results) if (r !== result) r.stream?.close();
    }
    const headers = { 'content-type': 'application/vnd.apache.arrow.stream', 'x-strata-rows': String(result.stream ? result.stream.remaining : result.rows.length) };
    // a query's rows go out a record batch at a time as the client reads them
    if (result.stream) return new Response(streamToArrow(result), { status: 200, headers });
    return new Response(Buffer.from(resultToArrow(result)), { status: 200, headers });
  } catch (e) {
    const err = scrubError(e instanceof GraphQLError ? e : sqlGraphQLError(asSqlError(e)), services.scrub) as GraphQLError;
    return json(err.extensions.code === 'LIMIT_EXCEEDED' ? 413 : 400, { errors: [err.toJSON()] });
  }
}

/** Rejects GraphQL documents over the size limit before parsing. */
function documentLimits(services: ApiServices): Plugin<ApiContext> {
  return {
    onParams({ params }) {
      if (typeof params.query === 'string' && params.query.length > services.limits.maxQueryChars) {
        throw new GraphQLError(`GraphQL document is longer than ${services.limits.maxQueryChars} characters`, { extensions: { code: 'LIMIT_EXCEEDED', http: { status: 413 } } });
      }
    },
    onValidate({ addValidationRule }) {
      addValidationRule(complexityRule(services.limits.maxDepth, services.limits.maxFields));
      addValidationRule(rootFieldsRule(services.limits.maxRootFields));
    },
  };
}

/** Builds the app over running services. `draining` flips /health to 503 during shutdown. */
export function createApp(services: ApiServices, modules: GraphQLModule[], state: AppState = { draining: false }): StrataApp {
  return createYoga<Record<string, unknown>, ApiContext>({
    schema: buildSchema(modules),
    graphqlEndpoint: '/graphql',
    healthCheckEndpoint: '/livez',
    // served from the installed package with a token field (api/graphiql.ts), never from a CDN
    graphiql: { title: 'Strata GraphiQL' },
    renderGraphiQL: renderStrataGraphiQL,
    landingPage: false,
    cors: corsPolicy(state.corsOrigins ?? []),
    maskedErrors: { maskError: (error, message, isDev) => scrubError(maskError(error, message, isDev), services.scrub) },
    logging: false,
    plugins: [routes(services, state), documentLimits(services)],
    context: ({ request }) => {
      const principal = authenticate(services, request, state);
      if (!principal) throw new GraphQLError('unauthenticated', { extensions: { code: 'UNAUTHENTICATED', http: { status: 401 } } });
      return { ...services, principal, request, sql: sqlRunner(services, principal) };
    },
  });
}
