// SCRAM-SHA-256 (RFC 5802 / RFC 7677) for the server side, as PostgreSQL uses it: verifiers
// (StoredKey, ServerKey) are kept, never the secret. Strata tokens get a verifier when they
// are created; every token of a user shares that user's salt, so the server can send the salt
// before it knows which of the user's tokens the client holds, then check the proof against each.
import { createHash, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';

export const SCRAM_ITERATIONS = 4096;

/** What the server keeps for one secret (base64). */
export interface ScramVerifier { storedKey: string; serverKey: string }

const hmac = (key: Buffer, data: string | Buffer) => createHmac('sha256', key).update(data).digest();
const sha256 = (data: Buffer) => createHash('sha256').update(data).digest();

/** The salt of a user's verifiers: fixed per account and user (tokens carry 256 random bits). */
export function scramSalt(account: string, user: string): Buffer {
  return createHash('sha256').update(`strata pgwire scram\0${account}\0${user}`).digest().subarray(0, 16);
}

/** The verifier of a secret (a token) for a user. */
export function scramVerifier(secret: string, account: string, user: string): ScramVerifier {
  const salted = pbkdf2Sync(secret.normalize('NFKC'), scramSalt(account, user), SCRAM_ITERATIONS, 32, 'sha256');
  return {
    storedKey: sha256(hmac(salted, 'Client Key')).toString('base64'),
    serverKey: hmac(salted, 'Server Key').toString('base64'),
  };
}

/** Parses `a=1,b=2` SCRAM attributes. */
function attributes(s: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const part of s.split(',')) {
    const eq = part.indexOf('=');
    if (eq > 0) m.set(part.slice(0, eq), part.slice(eq + 1));
  }
  return m;
}

export class ScramError extends Error {}

/**
 * One server-side exchange. `first` answers the client-first message; `final` checks the
 * client-final message against candidate verifiers and returns the one that matched with the
 * server-final message, or null when none did.
 */
export class ScramExchange {
  private clientFirstBare = '';
  private serverFirst = '';
  private nonce = '';

  constructor(private readonly salt: Buffer) {}

  first(clientFirst: string): string {
    // gs2 header: no channel binding ("n,,"), or "y,," (client could but thinks we cannot)
    const m = /^([ny]),(?:a=[^,]*)?,(.*)$/.exec(clientFirst);
    if (!m) throw new ScramError(clientFirst.startsWith('p=') ? 'channel binding is not supported' : 'malformed SCRAM client-first message');
    this.clientFirstBare = m[2];
    const clientNonce = attributes(this.clientFirstBare).get('r');
    if (!clientNonce || !/^[\x21-\x2b\x2d-\x7e]+$/.test(clientNonce)) throw new ScramError('malformed SCRAM client nonce');
    this.nonce = clientNonce + randomBytes(18).toString('base64');
    this.serverFirst = `r=${this.nonce},s=${this.salt.toString('base64')},i=${SCRAM_ITERATIONS}`;
    return this.serverFirst;
  }

  final<V extends ScramVerifier>(clientFinal: string, candidates: V[]): { verifier: V; serverFinal: string } | null {
    const proofAt = clientFinal.lastIndexOf(',p=');
    if (proofAt < 0) throw new ScramError('malformed SCRAM client-final message');
    const withoutProof = clientFinal.slice(0, proofAt);
    const attrs = attributes(withoutProof);
    if (attrs.get('r') !== this.nonce) throw new ScramError('SCRAM nonce does not match');
    const cbind = attrs.get('c');
    if (cbind !== 'biws' && cbind !== 'eSws') throw new ScramError('unexpected SCRAM channel binding');
    const proof = Buffer.from(clientFinal.slice(proofAt + 3), 'base64');
    if (proof.length !== 32) throw new ScramError('malformed SCRAM proof');
    const authMessage = `${this.clientFirstBare},${this.serverFirst},${withoutProof}`;
    let match: V | null = null;
    // check every candidate (no early exit) so timing does not tell how many tokens a user has
    for (const v of candidates) {
      const stored = Buffer.from(v.storedKey, 'base64');
      const signature = hmac(stored, authMessage);
      const clientKey = Buffer.alloc(32);
      for (let i = 0; i < 32; i++) clientKey[i] = proof[i] ^ signature[i];
      if (timingSafeEqual(sha256(clientKey), stored) && !match) match = v;
    }
    if (!match) return null;
    const serverSignature = hmac(Buffer.from(match.serverKey, 'base64'), authMessage);
    return { verifier: match, serverFinal: `v=${serverSignature.toString('base64')}` };
  }
}
