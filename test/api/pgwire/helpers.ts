// A Strata API with the PostgreSQL-protocol listener on a free port, and `pg` clients for it.
import pg from 'pg';
import { connect as netConnect, type Socket } from 'node:net';
import { serialize } from 'pg-protocol';
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

/** A backend message as a test reads it. */
export interface RawMessage { type: string; body: Buffer }

/**
 * A bare protocol client: frontend messages from pg-protocol's serializer (the client side it
 * was written for), backend messages read raw, so tests see exact bytes (binary DataRows).
 */
export class RawClient {
  private buf = Buffer.alloc(0);
  private waiting: (() => void) | null = null;
  closed = false;

  private constructor(readonly socket: Socket) {
    socket.on('data', (d: Buffer) => { this.buf = Buffer.concat([this.buf, d]); this.waiting?.(); });
    socket.on('close', () => { this.closed = true; this.waiting?.(); });
    socket.on('error', () => undefined);
  }

  static open(port: number): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const s = netConnect(port, '127.0.0.1', () => resolve(new RawClient(s)));
      s.once('error', reject);
    });
  }

  /** Opens a connection and logs in with a cleartext password (server in `password` mode). */
  static async login(port: number, password: string, user = 'admin@admin'): Promise<RawClient> {
    const c = await RawClient.open(port);
    c.send(serialize.startup({ user, database: 'dev' }));
    const auth = await c.next();
    if (auth.type !== 'R' || auth.body.readInt32BE(0) !== 3) throw new Error(`expected a cleartext password request, got ${auth.type}`);
    c.send(serialize.password(password));
    await c.until('Z');
    return c;
  }

  send(b: Buffer): void { this.socket.write(b); }

  /** Reads `n` raw bytes (for the one-byte answer to SSLRequest). */
  async bytes(n: number): Promise<Buffer> {
    while (this.buf.length < n) await this.wait();
    const out = this.buf.subarray(0, n);
    this.buf = this.buf.subarray(n);
    return out;
  }

  async next(): Promise<RawMessage> {
    for (;;) {
      if (this.buf.length >= 5) {
        const len = this.buf.readInt32BE(1);
        if (this.buf.length >= len + 1) {
          const m = { type: String.fromCharCode(this.buf[0]), body: this.buf.subarray(5, len + 1) };
          this.buf = this.buf.subarray(len + 1);
          return m;
        }
      }
      if (this.closed) throw new Error('connection closed');
      await this.wait();
    }
  }

  /** Messages up to and including the first of `type`. */
  async until(type: string): Promise<RawMessage[]> {
    const out: RawMessage[] = [];
    for (;;) {
      const m = await this.next();
      out.push(m);
      if (m.type === type) return out;
    }
  }

  private wait(): Promise<void> {
    return new Promise((r) => { this.waiting = () => { this.waiting = null; r(); }; });
  }

  close(): void { this.socket.destroy(); }
}

/** The fields of a DataRow as raw bytes (null for NULL). */
export function dataRowFields(body: Buffer): (Buffer | null)[] {
  const n = body.readInt16BE(0);
  const out: (Buffer | null)[] = [];
  let p = 2;
  for (let i = 0; i < n; i++) {
    const len = body.readInt32BE(p);
    p += 4;
    if (len < 0) { out.push(null); continue; }
    out.push(body.subarray(p, p + len));
    p += len;
  }
  return out;
}

/** The SQLSTATE (C field) of an ErrorResponse body. */
export function errorCode(body: Buffer): string {
  for (let p = 0; p < body.length && body[p] !== 0;) {
    const end = body.indexOf(0, p + 1);
    if (body[p] === 0x43) return body.toString('utf8', p + 1, end);
    p = end + 1;
  }
  return '';
}
