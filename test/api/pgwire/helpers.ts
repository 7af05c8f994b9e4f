// A Strata API with the PostgreSQL-protocol listener on a free port, and `pg` clients for it.
import pg from 'pg';
import { openApi, type Api } from '../../../api/server.ts';
import { listenPg, type PgServer, type PgListenOptions } from '../../../api/pgwire/server.ts';
import { tempDir } from '../helpers.ts';

export interface PgFixture {
  api: Api;
  server: PgServer;
  dir: string;
  token: string;
  /** a connected client (user admin@admin, database dev, the admin token as password) */
  connect(opts?: Partial<pg.ClientConfig>): Promise<pg.Client>;
  close(): Promise<void>;
}

export async function startPg(opts: Partial<PgListenOptions> = {}): Promise<PgFixture> {
  const tmp = tempDir('strata-pg-');
  const api = await openApi({ dataDir: tmp.dir, slices: 2 });
  const server = await listenPg(api.services, { port: 0, host: '127.0.0.1', ...opts });
  const clients: pg.Client[] = [];
  return {
    api, server, dir: tmp.dir, token: api.adminToken!,
    async connect(o = {}) {
      const c = new pg.Client({ host: '127.0.0.1', port: server.port, user: 'admin@admin', database: 'dev', password: api.adminToken!, ...o });
      c.on('error', () => undefined);
      await c.connect();
      clients.push(c);
      return c;
    },
    async close() {
      await Promise.all(clients.map((c) => c.end().catch(() => undefined)));
      await server.close();
      await api.close();
      tmp.remove();
    },
  };
}

/** The SQLSTATE of a rejected promise. */
export async function sqlstate(p: Promise<unknown>): Promise<string | undefined> {
  try { await p; } catch (e) { return (e as { code?: string }).code; }
  throw new Error('expected an error');
}
