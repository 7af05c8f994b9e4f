// `strata token create --account A [--user U] [label]` prints a new token once;
// `strata token list [--account A]` and `strata token revoke ID` manage them. With a server
// running on the data directory, the command goes through its control socket (so one process
// writes the data directory); otherwise it opens the data directory itself.
import { request } from 'node:http';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { Database, findOwner } from '../engine/database.ts';
import type { CliOptions } from './cli-args.ts';
import { createToken, revokeToken, tokenArea } from './tokens.ts';
import { controlSocketPath } from './server.ts';

const USAGE = 'usage: strata token create --account A [--user U] [--data DIR] [label] | token list [--account A] | token revoke ID';

interface TokenRow { id: string; account: string; user: string; createdAt?: string; label?: string | null; token?: string }

/** Token operations, either against a running server or the data directory directly. */
interface TokenBackend {
  create(account: string, user: string | undefined, label: string | undefined): Promise<TokenRow & { token: string }>;
  list(): Promise<TokenRow[]>;
  revoke(id: string): Promise<boolean>;
  close(): Promise<void>;
}

/** GraphQL over the control socket; null when no server answers there. */
async function socketBackend(dataDir: string): Promise<TokenBackend | null> {
  const path = (await findOwner(resolve(dataDir)))?.socket ?? controlSocketPath(dataDir);
  if (!path || !existsSync(path)) return null;
  const gql = (query: string, variables: Record<string, unknown>) => new Promise<Record<string, unknown>>((resolve, reject) => {
    const body = JSON.stringify({ query, variables });
    const req = request({ socketPath: path, path: '/graphql', method: 'POST', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c) => { text += c; });
      res.on('end', () => {
        try {
          const r = JSON.parse(text) as { data?: Record<string, unknown>; errors?: { message: string }[] };
          if (r.errors?.length) reject(new Error(r.errors[0].message));
          else resolve(r.data ?? {});
        } catch (e) { reject(e); }
      });
    });
    req.on('error', reject);
    req.end(body);
  });
  try {
    await gql('{ me { account } }', {});
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ECONNREFUSED' || code === 'ENOENT') return null;
    throw e;
  }
  return {
    create: async (account, user, label) => (await gql('mutation($a: String, $u: String, $l: String) { createToken(account: $a, user: $u, label: $l) { id token account user } }', { a: account, u: user ?? 'admin', l: label })).createToken as TokenRow & { token: string },
    list: async () => (await gql('{ tokens { id account user createdAt label } }', {})).tokens as TokenRow[],
    revoke: async (id) => (await gql('mutation($id: ID!) { revokeToken(id: $id) }', { id })).revokeToken as boolean,
    close: async () => {},
  };
}

async function directBackend(o: CliOptions): Promise<TokenBackend> {
  // another one-shot command may hold the directory for a moment: wait for it
  const db = await Database.open({ dataDir: o.data, slices: 1, owner: 'strata token', lockWaitMs: 30_000 });
  return {
    create: async (account, user, label) => {
      const { token, record } = await createToken(db, { account, user, label, createdBy: 'cli' });
      return { ...record, token };
    },
    list: async () => Object.values(tokenArea(db.catalog).tokens),
    revoke: (id) => revokeToken(db, id),
    close: () => db.close(),
  };
}

export async function tokenCommand(o: CliOptions, rest: string[]): Promise<number> {
  const [sub, ...args] = rest;
  if (sub !== 'create' && sub !== 'list' && sub !== 'revoke') {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  if (sub === 'create' && !o.account) {
    process.stderr.write(`ERROR: token create needs --account\n${USAGE}\n`);
    return 2;
  }
  if (sub === 'revoke' && !args[0]) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  const backend = (await socketBackend(o.data)) ?? (await directBackend(o));
  try {
    if (sub === 'create') {
      const t = await backend.create(o.account!, o.user, args[0]);
      process.stderr.write(`token ${t.id} for ${t.account}/${t.user} (shown once; only its hash is stored):\n`);
      process.stdout.write(`${t.token}\n`);
      return 0;
    }
    if (sub === 'list') {
      for (const r of await backend.list()) {
        if (o.account && r.account !== o.account) continue;
        process.stdout.write(`${r.id}\t${r.account}\t${r.user}\t${r.createdAt ?? ''}\t${r.label ?? ''}\n`);
      }
      return 0;
    }
    if (!(await backend.revoke(args[0]))) { process.stderr.write(`ERROR: no token ${args[0]}\n`); return 1; }
    process.stdout.write(`revoked ${args[0]}\n`);
    return 0;
  } finally {
    await backend.close();
  }
}
