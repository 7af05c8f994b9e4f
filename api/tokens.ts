// API tokens: random secrets shown once, stored only as SHA-256 hashes in the catalog
// (`state.ext.tokens`), so they commit atomically with everything else and survive restarts.
// A token is `strata_<id>_<secret>`; the id is public (for listing and revoking).
import { legacyAccountId, legacyUserId } from '../engine/catalog/owners.ts';
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Database } from '../engine/database.ts';
import { SqlError } from '../engine/database.ts';
import type { CatalogState } from '../engine/catalog/catalog.ts';
import { scramVerifier, type ScramVerifier } from './pgwire/scram.ts';

/** What the catalog keeps about a token: never the token itself. */
export interface TokenRecord {
  id: string;
  /** hex SHA-256 of the whole token */
  hash: string;
  account: string;
  user: string;
  /** the ids of the account and user at creation: a later namesake does not match */
  accountId?: string;
  userId?: string;
  label?: string;
  createdAt: string;
  createdBy?: string;
  /** SCRAM-SHA-256 verifier, so the token also works as a PostgreSQL-protocol password */
  scram?: ScramVerifier;
}

/** The catalog area for tokens. `bootstrapped` marks that the first admin token was issued. */
export interface TokenArea {
  bootstrapped?: boolean;
  tokens: Record<string, TokenRecord>;
}

/** The authenticated caller of a request. */
export interface Principal {
  account: string;
  user: string;
  superuser: boolean;
  tokenId: string;
  /** the user's immutable id (absent for the control socket and for catalogs older than ids) */
  userId?: string;
}

const PREFIX = 'strata_';

export function tokenArea(state: CatalogState): TokenArea {
  return (state.ext.tokens as TokenArea | undefined) ?? { tokens: {} };
}

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

/** Runs one catalog change outside SQL as its own committed transaction. */
async function commitChange(db: Database, account: string, m: (s: CatalogState) => void): Promise<void> {
  const txn = db.begin(false);
  try {
    txn.apply(m, { ddl: true });
    await db.commit(txn, account);
  } finally {
    db.release(txn);
  }
}

/** Creates a token for a user of an account and returns it (the only time it is ever visible). */
export async function createToken(db: Database, opts: { account: string; user?: string; label?: string; createdBy?: string; bootstrap?: boolean }): Promise<{ token: string; record: TokenRecord }> {
  const user = opts.user ?? 'admin';
  const acct = db.catalog.accounts[opts.account];
  if (!acct) throw new SqlError('UNDEFINED_OBJECT', `account "${opts.account}" does not exist`);
  if (!acct.users[user]) throw new SqlError('UNDEFINED_OBJECT', `user "${user}" does not exist in account "${opts.account}"`);
  const id = randomBytes(6).toString('hex');
  const token = `${PREFIX}${id}_${randomBytes(32).toString('base64url')}`;
  const ids = { ...(acct.id ? { accountId: acct.id } : {}), ...(acct.users[user].id ? { userId: acct.users[user].id } : {}) };
  const record: TokenRecord = { id, hash: sha256(token), account: opts.account, user, ...ids, createdAt: db.now().toISOString(), ...(opts.label ? { label: opts.label } : {}), ...(opts.createdBy ? { createdBy: opts.createdBy } : {}), scram: scramVerifier(token, opts.account, user) };
  await commitChange(db, opts.account, (s) => {
    if (!principalOf(s, record)) throw new SqlError('UNDEFINED_OBJECT', `user "${record.user}" does not exist in account "${record.account}"`);
    const area = (s.ext.tokens as TokenArea | undefined) ?? { tokens: {} };
    s.ext.tokens = { ...area, tokens: { ...area.tokens, [id]: structuredClone(record) }, ...(opts.bootstrap ? { bootstrapped: true } : {}) };
  });
  return { token, record };
}

/** Deletes a token; returns whether it existed. */
export async function revokeToken(db: Database, id: string): Promise<boolean> {
  const rec = tokenArea(db.catalog).tokens[id];
  if (!rec) return false;
  await commitChange(db, rec.account, (s) => {
    const area = (s.ext.tokens as TokenArea | undefined) ?? { tokens: {} };
    const tokens = { ...area.tokens };
    delete tokens[id];
    s.ext.tokens = { ...area, tokens };
  });
  return true;
}

/**
 * The principal a bearer token stands for, or null if the token is unknown, revoked, or its
 * user or account no longer exists. Constant-time comparison of the hashes.
 */
export function verifyToken(state: CatalogState, token: string): Principal | null {
  const m = /^strata_([0-9a-f]{12})_[A-Za-z0-9_-]{43}$/.exec(token);
  if (!m) return null;
  const rec = tokenArea(state).tokens[m[1]];
  if (!rec) return null;
  const a = Buffer.from(rec.hash, 'hex'), b = Buffer.from(sha256(token), 'hex');
  if (a.length !== b.length || !timingSafeEqual(a, b)) return null;
  return principalOf(state, rec);
}

/**
 * Whom a token record stands for in `state`: its user, if that user (and account) is still the
 * one the token was made for. A dropped and re-created namesake has a new id and gets nothing.
 */
export function principalOf(state: CatalogState, rec: TokenRecord): Principal | null {
  const acct = state.accounts[rec.account];
  const user = acct?.users[rec.user];
  // a token made before ids existed stands for whoever held the names when the catalog was migrated
  const accountId = rec.accountId ?? legacyAccountId(state, rec.account);
  const userId = rec.userId ?? legacyUserId(state, rec.account, rec.user);
  if (!user || acct.id !== accountId || user.id !== userId) return null;
  return { account: rec.account, user: rec.user, superuser: user.superuser, tokenId: rec.id, ...(user.id ? { userId: user.id } : {}) };
}

/** Whether a request's principal still stands (its token not revoked, its user not dropped). */
export function stillValid(state: CatalogState, p: Principal): boolean {
  if (p.tokenId === LOCAL_TOKEN) return true;
  const rec = tokenArea(state).tokens[p.tokenId];
  return !!rec && !!principalOf(state, rec);
}

/** A key for what a principal owns (cursors): its account, user and the user's id, so a namesake differs. */
export const principalKey = (p: Principal) => `${p.account}\u0000${p.user}\u0000${p.userId ?? ''}`;

/** The token id of requests on the control socket (the data directory's owner). */
export const LOCAL_TOKEN = 'local';

/**
 * Drops the tokens of a dropped account or user in the dropping transaction (the engine calls
 * this through the extension hook), so nothing of them outlives the identity.
 */
export function dropTokensOf(state: CatalogState, account: string, user?: string): void {
  const area = state.ext.tokens as TokenArea | undefined;
  if (!area) return;
  const keep = Object.entries(area.tokens).filter(([, r]) => !(r.account === account && (user === undefined || r.user === user)));
  if (keep.length !== Object.keys(area.tokens).length) state.ext.tokens = { ...area, tokens: Object.fromEntries(keep) };
}

/** Reads `Authorization: Bearer <token>`. */
export function bearerToken(header: string | null | undefined): string | null {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return m ? m[1] : null;
}

/**
 * On a data directory that never issued a token, creates the first admin token (the caller
 * prints it once). Returns null on every later start.
 */
export async function bootstrapAdminToken(db: Database): Promise<string | null> {
  const area = tokenArea(db.catalog);
  if (area.bootstrapped || Object.keys(area.tokens).length) return null;
  const { token } = await createToken(db, { account: 'admin', user: 'admin', label: 'bootstrap', bootstrap: true });
  return token;
}
