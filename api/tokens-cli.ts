// `strata token create --account A [--user U] [--label L]`: prints a new token once.
// `strata token list` and `strata token revoke ID` manage them. Works on the data directory
// directly (stop a running server first, or use the createToken mutation instead).
import { Database } from '../engine/database.ts';
import type { CliOptions } from './cli.ts';
import { createToken, revokeToken, tokenArea } from './tokens.ts';

const USAGE = 'usage: strata token create --account A [--user U] [--data DIR] | token list [--account A] | token revoke ID';

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
  const db = await Database.open({ dataDir: o.data, slices: 1 });
  try {
    if (sub === 'create') {
      const label = args[0];
      const { token, record } = await createToken(db, { account: o.account!, user: o.user, label, createdBy: 'cli' });
      process.stderr.write(`token ${record.id} for ${record.account}/${record.user} (shown once; only its hash is stored):\n`);
      process.stdout.write(`${token}\n`);
      return 0;
    }
    if (sub === 'list') {
      for (const r of Object.values(tokenArea(db.catalog).tokens)) {
        if (o.account && r.account !== o.account) continue;
        process.stdout.write(`${r.id}\t${r.account}\t${r.user}\t${r.createdAt}\t${r.label ?? ''}\n`);
      }
      return 0;
    }
    if (!args[0]) { process.stderr.write(`${USAGE}\n`); return 2; }
    if (!(await revokeToken(db, args[0]))) { process.stderr.write(`ERROR: no token ${args[0]}\n`); return 1; }
    process.stdout.write(`revoked ${args[0]}\n`);
    return 0;
  } finally {
    await db.close();
  }
}
