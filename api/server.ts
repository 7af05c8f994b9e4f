// `strata serve`: opens the data directory, loads extensions, issues the first admin token on a
// new data directory, and serves the app over HTTP until SIGINT/SIGTERM, then shuts down
// gracefully: stop accepting, let running statements finish (or cancel them after a grace
// period), end subscriptions, and close the database so every commit is durable.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Database } from '../engine/database.ts';
import { loadExtensions } from './extensions.ts';
import { EventBus } from './events.ts';
import { WorkloadManager, type WlmOptions } from './wlm.ts';
import { CursorStore } from './cursors.ts';
import { DEFAULT_LIMITS, type ApiLimits } from './limits.ts';
import { bootstrapAdminToken } from './tokens.ts';
import { createApp, type StrataApp } from './app.ts';
import { loadModules } from './graphql/index.ts';
import type { ApiServices } from './graphql/module.ts';

export interface ServeOptions {
  dataDir: string;
  port: number;
  host: string;
  slices?: number;
  wlm?: Partial<WlmOptions>;
  limits?: Partial<ApiLimits>;
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
  close(): Promise<void>;
}

/** WLM settings from the environment: STRATA_WLM_SLOTS, STRATA_WLM_SHORT_SLOTS, STRATA_WLM_SHORT_MS, STRATA_STATEMENT_TIMEOUT_MS. */
export function wlmFromEnv(env = process.env): Partial<WlmOptions> {
  const num = (k: string) => (env[k] !== undefined && env[k] !== '' && Number.isFinite(Number(env[k])) ? Number(env[k]) : undefined);
  const o: Partial<WlmOptions> = {};
  const set = <K extends keyof WlmOptions>(k: K, v: number | undefined) => { if (v !== undefined) o[k] = v; };
  set('slots', num('STRATA_WLM_SLOTS'));
  set('shortSlots', num('STRATA_WLM_SHORT_SLOTS'));
  set('shortQueryMs', num('STRATA_WLM_SHORT_MS'));
  set('statementTimeoutMs', num('STRATA_STATEMENT_TIMEOUT_MS'));
  return o;
}

/** Starts the server and resolves once it listens. */
export async function startServer(opts: ServeOptions): Promise<RunningServer> {
  const db = await Database.open({ dataDir: opts.dataDir, slices: opts.slices });
  let server: Server | undefined;
  try {
    await loadExtensions(db);
    const adminToken = await bootstrapAdminToken(db);
    const bus = new EventBus(db);
    const shutdown = new AbortController();
    const services: ApiServices = {
      db, bus, shutdown: shutdown.signal,
      wlm: new WorkloadManager({ ...wlmFromEnv(), ...opts.wlm }, bus),
      cursors: new CursorStore(),
      limits: { ...DEFAULT_LIMITS, ...opts.limits },
    };
    const state = { draining: false };
    const app = createApp(services, await loadModules(), state);
    const srv = createServer(app);
    server = srv;
    srv.keepAliveTimeout = 30_000;
    await new Promise<void>((resolve, reject) => {
      srv.once('error', reject);
      srv.listen(opts.port, opts.host, () => { srv.off('error', reject); resolve(); });
    });
    const port = (srv.address() as AddressInfo).port;
    const host = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
    let closing: Promise<void> | null = null;
    const close = () => (closing ??= (async () => {
      state.draining = true;
      const stopped = new Promise<void>((resolve) => srv.close(() => resolve()));
      srv.closeIdleConnections();
      await services.wlm.drain(opts.graceMs ?? 10_000);
      shutdown.abort();
      bus.close();
      // let the last responses flush, then drop lingering keep-alive and SSE connections
      await new Promise((r) => setTimeout(r, 50));
      srv.closeAllConnections();
      await stopped;
      await db.close();
    })());
    return { url: `http://${host}:${port}/graphql`, port, app, services, adminToken, close };
  } catch (e) {
    server?.close();
    await db.close();
    throw e;
  }
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
