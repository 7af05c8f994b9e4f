// `strata serve`: opens the data directory, loads extensions, issues the first admin token on a
// new data directory, and serves the app over HTTP until SIGINT/SIGTERM, then shuts down
// gracefully: stop accepting, let running statements finish (or cancel them after a grace
// period), end subscriptions, and close the database so every commit is durable.
import { createServer, type Server } from 'node:http';
import { randomBytes } from 'node:crypto';
import { chmodSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { AddressInfo } from 'node:net';
import { Database } from '../engine/database.ts';
import { loadExtensions } from './extensions.ts';
import { EventBus } from './events.ts';
import { WorkloadManager, type WlmOptions } from './wlm.ts';
import { CursorStore, DEFAULT_CURSOR_LIMITS, type CursorLimits } from './cursors.ts';
import { DEFAULT_LIMITS, type ApiLimits } from './limits.ts';
import { bootstrapAdminToken } from './tokens.ts';
import { localSql } from './local-sql.ts';
import { createApp, type StrataApp, type AppState } from './app.ts';
import { loadModules } from './graphql/index.ts';
import type { ApiServices } from './graphql/module.ts';
import { pathScrubber } from './graphql/errors.ts';
import { RevocationWatch } from './revocation.ts';

export interface ServeOptions {
  dataDir: string;
  port: number;
  host: string;
  slices?: number;
  wlm?: Partial<WlmOptions>;
  limits?: Partial<ApiLimits>;
  /** directories API clients may COPY from / UNLOAD to (`--import-dir`, `--export-dir`); none by default */
  importDirs?: string[];
  exportDirs?: string[];
  /** origins browser apps may call the API from (`--cors-origin`); CORS is off without them */
  corsOrigins?: string[];
  cursors?: Partial<CursorLimits>;
  /** also serve the PostgreSQL wire protocol (`--pg-port`): port, host (default 127.0.0.1), auth mode */
  pg?: { port: number; host?: string; auth?: 'scram' | 'password' };
  /** bytes one statement may hold; default a quarter of RAM */
  queryMemoryLimit?: number;
  /** bytes the whole server may use (statements, cursors, caches); default half of RAM */
  memoryLimit?: number;
  /** nice levels the slice threads run below the leader (default SERVER_SLICE_NICENESS) */
  sliceNiceness?: number;
  /** how long running statements may finish during shutdown before they are canceled */
  graceMs?: number;
  log?: (line: string) => void;
}

/** A started server. `close()` is the graceful shutdown. */
export interface RunningServer {
  url: string;
  port: number;
  app: StrataApp;
  services: ApiServices;
  /** the first admin token, only on the start that created it */
  adminToken: string | null;
  /** the PostgreSQL-protocol listener's address when `pg` was given */
  pg: { host: string; port: number } | null;
  close(): Promise<void>;
}

/**
 * A server's slices run this many nice levels below its leader: the leader answers every
 * client (and /health), so it must not wait for a core behind one account's slices. At 10 a
 * slice gets about a tenth of a core the leader also wants, and all of an idle one.
 */
export const SERVER_SLICE_NICENESS = 10;

/** WLM settings from the environment: STRATA_WLM_SLOTS, STRATA_WLM_SHORT_SLOTS, STRATA_WLM_SHORT_MS, STRATA_STATEMENT_TIMEOUT_MS, STRATA_WLM_ACCOUNT_SLOTS, STRATA_WLM_ACCOUNT_SHORT_SLOTS. */
export function wlmFromEnv(env = process.env): Partial<WlmOptions> {
  const num = (k: string) => (env[k] !== undefined && env[k] !== '' && Number.isFinite(Number(env[k])) ? Number(env[k]) : undefined);
  const o: Partial<WlmOptions> = {};
  const set = <K extends keyof WlmOptions>(k: K, v: number | undefined) => { if (v !== undefined) o[k] = v; };
  set('slots', num('STRATA_WLM_SLOTS'));
  set('shortSlots', num('STRATA_WLM_SHORT_SLOTS'));
  set('shortQueryMs', num('STRATA_WLM_SHORT_MS'));
  set('statementTimeoutMs', num('STRATA_STATEMENT_TIMEOUT_MS'));
  set('accountSlots', num('STRATA_WLM_ACCOUNT_SLOTS'));
  set('accountShortSlots', num('STRATA_WLM_ACCOUNT_SHORT_SLOTS'));
  return o;
}

/** The API without a listener: what tests drive in-process with `app.fetch`. */
export interface Api {
  app: StrataApp;
  services: ApiServices;
  state: AppState;
  adminToken: string | null;
  /** drains WLM, ends subscriptions, closes the database */
  close(graceMs?: number): Promise<void>;
}

/** Opens the database, loads extensions and builds the app. */
export async function openApi(opts: Pick<ServeOptions, 'dataDir' | 'slices' | 'wlm' | 'limits' | 'importDirs' | 'exportDirs' | 'corsOrigins' | 'cursors' | 'queryMemoryLimit' | 'memoryLimit' | 'sliceNiceness'>): Promise<Api> {
  const files = { mode: 'restricted' as const, importDirs: opts.importDirs, exportDirs: opts.exportDirs };
  // a one-shot CLI may hold the directory for a moment (e.g. while this server restarts): wait
  // for it; another server is refused at once, naming its PID and port
  const db = await Database.open({ dataDir: opts.dataDir, slices: opts.slices, files, owner: 'strata serve', lockWaitMs: 30_000, lockWaitFor: (o) => o.command !== 'strata serve', queryMemoryLimit: opts.queryMemoryLimit, memoryLimit: opts.memoryLimit, sliceNiceness: opts.sliceNiceness ?? SERVER_SLICE_NICENESS });
  try {
    await loadExtensions(db);
    const adminToken = await bootstrapAdminToken(db);
    const bus = new EventBus(db);
    const shutdown = new AbortController();
    const services: ApiServices = {
      db, bus, shutdown: shutdown.signal,
      wlm: new WorkloadManager({ ...wlmFromEnv(), ...opts.wlm }, bus),
      // open cursors hold rows outside any statement: at most an eighth of the server's memory
      cursors: new CursorStore({ budgetBytes: Math.min(DEFAULT_CURSOR_LIMITS.budgetBytes, Math.floor(db.governor.limitBytes / 8)), ...opts.cursors }),
      limits: { ...DEFAULT_LIMITS, ...opts.limits },
      scrub: pathScrubber(db.dataDir),
      revocations: new RevocationWatch(db),
    };
    const state: AppState = { draining: false, localNonce: randomBytes(32).toString('hex'), corsOrigins: opts.corsOrigins };
    const app = createApp(services, await loadModules(), state);
    // schedules (drift monitors) start once the API is built, bounded by the server's statement timeout
    for (const e of db.extensions) e.startBackground?.({ statementTimeoutMs: services.wlm.opts.statementTimeoutMs });
    let closing: Promise<void> | null = null;
    const close = (graceMs = 10_000) => (closing ??= (async () => {
      state.draining = true;
      await services.wlm.drain(graceMs);
      shutdown.abort();
      services.cursors.dispose();
      bus.close();
      services.revocations.close();
      await db.close();
    })());
    return { app, services, state, adminToken, close };
  } catch (e) {
    await db.close();
    throw e;
  }
}

/** Starts the server and resolves once it listens. */
export async function startServer(opts: ServeOptions): Promise<RunningServer> {
  const api = await openApi(opts);
  const { app, services, state } = api;
  let srv: Server | undefined;
  let local: Server | null = null;
  let pg: { host: string; port: number; close(): Promise<void> } | null = null;
  try {
    srv = createServer(app);
    srv.keepAliveTimeout = 30_000;
    const s = srv;
    await new Promise<void>((resolve, reject) => {
      s.once('error', reject);
      s.listen(opts.port, opts.host, () => { s.off('error', reject); resolve(); });
    });
    local = await listenLocal(opts.dataDir, app, state.localNonce!, localSql(services));
    if (opts.pg) {
      // loaded only when asked for, so the CLI's start-up does not pay for it
      const { listenPg } = await import('./pgwire/server.ts');
      pg = await listenPg(services, { port: opts.pg.port, host: opts.pg.host ?? '127.0.0.1', auth: opts.pg.auth });
    }
  } catch (e) {
    srv?.close();
    local?.close();
    await pg?.close();
    await api.close(0);
    throw e;
  }
  const server = srv;
  const port = (server.address() as AddressInfo).port;
  const host = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
  const url = `http://${host}:${port}/graphql`;
  // the data directory's lock now tells other processes (a CLI, a second server) where we are
  await services.db.announce({ port, url, socket: local ? controlSocketPath(opts.dataDir) ?? undefined : undefined });
  let closing: Promise<void> | null = null;
  const close = () => (closing ??= (async () => {
    state.draining = true;
    const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
    local?.close();
    await pg?.close();
    server.closeIdleConnections();
    await services.wlm.drain(opts.graceMs ?? 10_000);
    // let the last responses flush, then drop lingering keep-alive and SSE connections
    await new Promise((r) => setTimeout(r, 50));
    server.closeAllConnections();
    local?.closeAllConnections();
    await api.close(0);
    await stopped;
  })());
  return { url, port, app, services, adminToken: api.adminToken, pg: pg && { host: pg.host, port: pg.port }, close };
}

/**
 * The control socket of a data directory (`<data>/api.sock`): `strata token` talks to a running
 * server through it, so only one process ever writes the data directory. Access is whoever may
 * open the socket file (the data directory's owner); requests on it act as the admin superuser.
 */
export function controlSocketPath(dataDir: string): string | null {
  const p = join(resolve(dataDir), 'api.sock');
  return process.platform !== 'win32' && Buffer.byteLength(p) < 100 ? p : null;
}

async function listenLocal(dataDir: string, app: StrataApp, nonce: string, sql: ReturnType<typeof localSql>): Promise<Server | null> {
  const path = controlSocketPath(dataDir);
  if (!path) return null;
  // a socket file left by a killed server: we hold the data directory's lock, so it is not live
  rmSync(path, { force: true });
  const srv = createServer((req, res) => {
    if (sql.handle(req, res)) return; // `strata sql` running through this server
    req.headers['x-strata-local'] = nonce;
    void app(req, res);
  });
  // a `strata sql` shell keeps its session on one connection for as long as it runs
  srv.keepAliveTimeout = 0;
  await new Promise<void>((resolve, reject) => {
    srv.once('error', reject);
    srv.listen(path, () => { srv.off('error', reject); resolve(); });
  });
  // requests on the socket act as the superuser: only the data directory's owner may connect
  chmodSync(path, 0o600);
  srv.on('close', () => rmSync(path, { force: true }));
  return srv;
}

/** `strata serve`: runs until SIGINT or SIGTERM. */
export async function serve(opts: ServeOptions): Promise<void> {
  const log = opts.log ?? ((s: string) => process.stdout.write(`${s}\n`));
  const s = await startServer(opts);
  if (s.adminToken) {
    log('Created the admin account\'s first API token. It is shown only this once; store it now:');
    log(`  ${s.adminToken}`);
    log('Use it as: Authorization: Bearer <token>   (more: npx strata token create --account A [--user U])');
  }
  log(`Strata GraphQL API on ${s.url} (GraphiQL in a browser), health at ${s.url.replace(/\/graphql$/, '/health')}`);
  if (s.pg) log(`PostgreSQL protocol on ${s.pg.host}:${s.pg.port} (psql -h ${s.pg.host} -p ${s.pg.port} -U admin@admin -d dev; the password is an API token)`);
  await new Promise<void>((resolve) => {
    const stop = (sig: string) => {
      log(`${sig}: finishing running statements and shutting down...`);
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
      s.close().then(() => { log('stopped'); resolve(); }, (e) => { log(`shutdown error: ${(e as Error).message}`); resolve(); });
    };
    const onInt = () => stop('SIGINT');
    const onTerm = () => stop('SIGTERM');
    process.on('SIGINT', onInt);
    process.on('SIGTERM', onTerm);
  });
}
