// The PostgreSQL-protocol listener (`strata serve --pg-port`): accepts TCP connections, bounds
// how many may be open, and routes CancelRequests to the connection whose key they carry.
import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { timingSafeEqual } from 'node:crypto';
import type { ApiServices } from '../graphql/module.ts';
import { DEFAULT_PG_OPTIONS, PgConnection, type PgOptions, type PgServerContext } from './connection.ts';
import { errorResponse } from './messages.ts';
import { installCopyRelation } from './copy-relation.ts';
import { installSystemViews } from './system-views.ts';

export interface PgListenOptions extends Partial<PgOptions> {
  port: number;
  host: string;
  /** open connections beyond this are refused with SQLSTATE 53300 */
  maxConnections?: number;
}

/** A listening protocol server. `close()` stops accepting and ends every connection. */
export interface PgServer {
  port: number;
  host: string;
  close(): Promise<void>;
}

const sameInt = (a: number, b: number) => {
  const x = Buffer.alloc(4), y = Buffer.alloc(4);
  x.writeInt32BE(a | 0); y.writeInt32BE(b | 0);
  return timingSafeEqual(x, y);
};

export async function listenPg(services: ApiServices, opts: PgListenOptions): Promise<PgServer> {
  const options: PgOptions = { ...DEFAULT_PG_OPTIONS, ...Object.fromEntries(Object.entries(opts).filter(([, v]) => v !== undefined)) } as PgOptions;
  const maxConnections = opts.maxConnections ?? 100;
  installCopyRelation(services.db);
  installSystemViews(services.db);
  const live = new Map<number, PgConnection>();
  const sockets = new Set<Socket>();
  const ctx: PgServerContext = {
    services, options,
    register: (c) => live.set(c.pid, c),
    unregister: (c) => { if (live.get(c.pid) === c) live.delete(c.pid); },
    cancel: (pid, secret) => {
      const c = live.get(pid);
      if (c && sameInt(c.secret, secret)) c.cancel();
    },
  };
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    if (sockets.size > maxConnections) {
      socket.end(errorResponse({ severity: 'FATAL', code: '53300', message: `too many connections (limit ${maxConnections})` }));
      return;
    }
    void new PgConnection(socket, ctx).run();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => { server.off('error', reject); resolve(); });
  });
  const addr = server.address() as AddressInfo;
  return {
    port: addr.port,
    host: opts.host,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      for (const s of sockets) s.destroy();
    }),
  };
}
