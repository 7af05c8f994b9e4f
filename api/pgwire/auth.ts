// Who a PostgreSQL-protocol client is. The startup `user` names a Strata user as
// `user@account` (or just `user`, meaning the admin account); the password is one of that
// user's API tokens. SCRAM-SHA-256 always works with tokens; cleartext passwords (a token or
// the user's CREATE USER password) are accepted only from loopback addresses and only when the
// server is started with `--pg-auth password`.
import { scryptSync, timingSafeEqual } from 'node:crypto';
import type { CatalogState } from '../../engine/catalog/catalog.ts';
import { DEFAULT_ACCOUNT } from '../../engine/catalog/catalog.ts';
import { principalOf, stillValid, tokenArea, verifyToken, type Principal } from '../tokens.ts';
import { BodyReader, type Frame } from './framing.ts';
import { authenticationCleartext, authenticationOk, authenticationSasl, authenticationSaslContinue, authenticationSaslFinal } from './messages.ts';
import { ScramError, ScramExchange, scramSalt } from './scram.ts';

/** `scram`: SCRAM-SHA-256 only. `password`: cleartext from loopback clients, SCRAM from others. */
export type PgAuthMode = 'scram' | 'password';

/** The connection as authentication needs it. */
export interface AuthIo {
  send(b: Buffer): void;
  flush(): void;
  read(): Promise<Frame>;
  loopback: boolean;
}

export class AuthFailed extends Error {
  /** 28P01 wrong password, 28000 other authorization failures, 08P01 protocol violations */
  constructor(message: string, readonly sqlstate = '28P01') { super(message); }
}

/** The token id of a principal that logged in with its CREATE USER password. */
export const PASSWORD_LOGIN = 'password';

/**
 * Whether a connection's principal still stands: its token not revoked, its user not dropped
 * (or, for a password login, the same user still there with a password).
 */
export function principalStands(state: CatalogState, p: Principal): boolean {
  if (p.tokenId !== PASSWORD_LOGIN) return stillValid(state, p);
  const user = state.accounts[p.account]?.users[p.user];
  return !!user && !!user.passwordHash && (user.id ?? '') === (p.userId ?? '');
}

/** Splits `user@account` (the last `@`); a bare name is a user of the admin account. */
export function parseUserName(name: string): { account: string; user: string } {
  const at = name.lastIndexOf('@');
  if (at <= 0 || at === name.length - 1) return { account: DEFAULT_ACCOUNT, user: name };
  return { account: name.slice(at + 1), user: name.slice(0, at) };
}

function passwordMatches(hash: string | undefined, password: string): boolean {
  const m = /^scrypt:([0-9a-f]+):([0-9a-f]+)$/.exec(hash ?? '');
  if (!m) return false;
  const want = Buffer.from(m[2], 'hex');
  const got = scryptSync(password, Buffer.from(m[1], 'hex'), want.length);
  return timingSafeEqual(want, got);
}

async function readPassword(io: AuthIo): Promise<Buffer> {
  const f = await io.read();
  if (f.type !== 0x70) throw new AuthFailed(`expected a password message, got "${String.fromCharCode(f.type)}"`, '08P01');
  return f.body;
}

async function cleartext(io: AuthIo, state: CatalogState, who: { account: string; user: string }): Promise<Principal | null> {
  io.send(authenticationCleartext());
  io.flush();
  const password = new BodyReader(await readPassword(io)).cstring();
  const p = verifyToken(state, password);
  if (p) return p.account === who.account && p.user === who.user ? p : null;
  const user = state.accounts[who.account]?.users[who.user];
  if (user && passwordMatches(user.passwordHash, password)) return { account: who.account, user: who.user, superuser: user.superuser, tokenId: PASSWORD_LOGIN, ...(user.id ? { userId: user.id } : {}) };
  return null;
}

async function scram(io: AuthIo, state: CatalogState, who: { account: string; user: string }): Promise<Principal | null> {
  io.send(authenticationSasl(['SCRAM-SHA-256']));
  io.flush();
  const init = new BodyReader(await readPassword(io));
  const mechanism = init.cstring();
  if (mechanism !== 'SCRAM-SHA-256') throw new AuthFailed(`SASL mechanism ${mechanism} is not supported; use SCRAM-SHA-256`, '28000');
  const len = init.int32();
  const exchange = new ScramExchange(scramSalt(who.account, who.user));
  try {
    io.send(authenticationSaslContinue(exchange.first(init.bytes(len).toString('utf8'))));
    io.flush();
    const clientFinal = (await readPassword(io)).toString('utf8');
    // an unknown user goes through the same exchange and fails at the end, telling nothing
    // only tokens whose user is still the one they were made for (not a re-created namesake)
    const records = Object.values(tokenArea(state).tokens).filter((t) => t.account === who.account && t.user === who.user && t.scram && principalOf(state, t));
    const ok = exchange.final(clientFinal, records.map((t) => ({ ...t.scram!, record: t })));
    const principal = ok && principalOf(state, ok.verifier.record);
    if (!ok || !principal) return null;
    io.send(authenticationSaslFinal(ok.serverFinal));
    return principal;
  } catch (e) {
    if (e instanceof ScramError) throw new AuthFailed(e.message, '08P01');
    throw e;
  }
}

/** Runs the authentication exchange; resolves with the principal or throws AuthFailed. */
export async function authenticate(io: AuthIo, state: () => CatalogState, userName: string, mode: PgAuthMode): Promise<Principal> {
  if (!userName) throw new AuthFailed('no user name given in the startup packet', '28000');
  const who = parseUserName(userName);
  const principal = mode === 'password' && io.loopback ? await cleartext(io, state(), who) : await scram(io, state(), who);
  if (!principal) throw new AuthFailed(`password authentication failed for user "${userName}"`);
  io.send(authenticationOk());
  return principal;
}
