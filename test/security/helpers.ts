// A real HTTP server on port 0 with several accounts, for replaying attacks as their users.
import { startServer, type RunningServer, type ServeOptions } from '../../api/server.ts';
import { client, ok, tempDir, type GqlResponse } from '../api/helpers.ts';

export type Caller = ((query: string, variables?: Record<string, unknown>) => Promise<GqlResponse>) & {
  /** runs SQL with `execute` and returns the response (errors included) */
  sql(text: string): Promise<GqlResponse>;
};

export interface SecureServer {
  server: RunningServer;
  dir: string;
  admin: Caller;
  as(token: string | null): Caller;
  /** a new token for a user of an account (made by the deployment admin) */
  token(account: string, user?: string): Promise<string>;
  close(): Promise<void>;
}

/** Starts a server on a temp data dir (or `dataDir`) and creates `accounts` with the admin token. */
export async function secureServer(opts: Partial<ServeOptions> & { accounts?: string[] } = {}): Promise<SecureServer> {
  const tmp = opts.dataDir ? null : tempDir('strata-sec-');
  const dir = opts.dataDir ?? tmp!.dir;
  const server = await startServer({ port: 0, host: '127.0.0.1', slices: 2, graceMs: 2000, ...opts, dataDir: dir });
  const as = (token: string | null): Caller => {
    const c = client(fetch, server.url, token);
    return Object.assign(c, {
      sql: (text: string) => c('mutation ($s: String!) { execute(sql: $s) { command rowCount rows } }', { s: text }),
    });
  };
  const admin = as(server.adminToken);
  for (const a of opts.accounts ?? []) ok(await admin.sql(`CREATE ACCOUNT ${a}`));
  const token = async (account: string, user?: string) =>
    ok(await admin('mutation ($a: String!, $u: String) { createToken(account: $a, user: $u) { token } }', { a: account, u: user ?? null })).createToken.token as string;
  return {
    server, dir, admin, as, token,
    async close() { await server.close(); tmp?.remove(); },
  };
}

/** The first error's message, or '' when there is none. */
export const message = (r: GqlResponse) => r.errors?.[0]?.message ?? '';
