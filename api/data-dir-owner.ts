// Who runs `strata sql` on a data directory: this process, holding the directory's lock, or the
// server that owns the directory, through its control socket (api/local-sql.ts). Never both, so a
// CLI next to a running server neither loses its commits nor rewinds the server's.
import { request, Agent } from 'node:http';
import { EventEmitter } from 'node:events';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { Database, DataDirLockedError, SqlError, describeOwner, findOwner, type ErrorCode, type OwnerRecord, type Result } from '../engine/database.ts';
import { LOCAL_SQL_PATH, type LocalSqlLine, type LocalSqlRequest } from './local-sql.ts';
import { ArrivingRows } from './output.ts';

/** What the CLI runs statements on: a Session here, or the same calls through the server. */
export interface SqlSession {
  /** `stream`: queries' rows as Result.stream (read a piece at a time here; from a server, ArrivingRows as it sends them) */
  execute(sql: string, opts?: { onResult?: (r: Result) => void; stream?: boolean }): Promise<Result[]>;
}

export type SqlTarget =
  | { kind: 'local'; db: Database }
  | { kind: 'server'; owner: OwnerRecord; session: ServerSession };

/** How long `strata sql` waits for another one-shot command (or a starting server) before it gives up. */
export const OWNER_WAIT_MS = 30_000;

/**
 * Opens the data directory here (`openLocal`, which takes its lock) when no process owns it, or
 * connects to the server that owns it. Waits while another CLI holds it (or a server is still
 * starting); fails naming the owner when it cannot be reached (a server without a control socket,
 * another host).
 */
export async function sqlTarget(
  opts: { data: string; account?: string; user?: string; waitForTraining: boolean; waitMs?: number },
  openLocal: () => Promise<Database>,
): Promise<SqlTarget> {
  const dir = resolve(opts.data);
  const deadline = Date.now() + (opts.waitMs ?? OWNER_WAIT_MS);
  for (;;) {
    const owner = await findOwner(dir);
    if (owner?.socket && owner.host === hostname()) {
      const session = new ServerSession(owner, { account: opts.account, user: opts.user, cwd: process.cwd(), waitForTraining: opts.waitForTraining });
      // an empty script opens the session: it checks the account and user, and that the server answers
      if (await session.open()) return { kind: 'server', owner, session };
      session.close(); // it died a moment ago: its lock is stale now
    } else if (owner) {
      // a listening server without a control socket here will not grow one: say so at once
      const settled = owner.host !== hostname() || owner.port !== undefined;
      if (settled || Date.now() >= deadline) throw unreachable(owner, dir);
    } else {
      try {
        return { kind: 'local', db: await openLocal() };
      } catch (e) {
        if (!(e instanceof DataDirLockedError)) throw e; // else someone took it first: look again
      }
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

function unreachable(owner: OwnerRecord, dir: string): SqlError {
  const how = owner.command === 'strata serve' ? 'run the SQL through that server (its API or a CLI on its host) or stop it' : 'wait for it to finish';
  return new DataDirLockedError(owner, dir, how);
}

/** A session in the server that owns the directory, on one keep-alive connection to its control socket. */
export class ServerSession implements SqlSession {
  /** training progress of CREATE MODEL, as 'model' events (for showModelProgress) */
  readonly events = new EventEmitter();
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 1 });
  private sessionId: number | null = null;

  constructor(readonly owner: OwnerRecord, private readonly base: Omit<LocalSqlRequest, 'sql'>) {}

  /** Starts the session; false when nothing listens on the socket any more. */
  async open(): Promise<boolean> {
    try {
      await this.execute('');
      return true;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ECONNREFUSED' || code === 'ENOENT') return false;
      throw e;
    }
  }

  async execute(sql: string, opts: { onResult?: (r: Result) => void; stream?: boolean } = {}): Promise<Result[]> {
    const results: Result[] = [];
    let outcome: LocalSqlLine | null = null;
    /** the streamed result whose rows are arriving */
    let arriving: ArrivingRows | null = null;
    try {
      await this.post({ ...this.base, sql, stream: opts.stream }, (l) => {
        if ('rows' in l) arriving?.push(l.rows);
        else if ('result' in l) {
          arriving = l.streamed ? new ArrivingRows(l.result.rowCount) : null;
          const r = arriving ? { ...l.result, stream: arriving } : l.result;
          results.push(r);
          opts.onResult?.(r);
        } else if ('model' in l) this.events.emit('model', l.model);
        else outcome = l;
      });
    } catch (e) {
      if (this.sessionId === null) throw e; // open() tells a dead server from other errors
      throw new SqlError('QUERY_CANCELED', `${describeOwner(this.owner)} is not running any more; the statement was not run`);
    }
    const end = outcome as LocalSqlLine | null;
    if (end && 'error' in end) throw Object.assign(new SqlError(end.error.code as ErrorCode, ''), { message: end.error.message });
    if (!end || !('end' in end)) {
      throw new SqlError('QUERY_CANCELED', `the connection to ${describeOwner(this.owner)} was lost while the statement ran; it may or may not have committed`);
    }
    if (this.sessionId !== null && end.session !== this.sessionId) {
      process.stderr.write('NOTICE: the connection to the server was reset; this ran in a new session (an open transaction was rolled back)\n');
    }
    this.sessionId = end.session;
    return results;
  }

  close(): void {
    this.agent.destroy();
  }

  /** POSTs one request and feeds each NDJSON line of the response to `onLine` as it arrives. */
  private post(body: LocalSqlRequest, onLine: (l: LocalSqlLine) => void): Promise<void> {
    const text = JSON.stringify(body);
    return new Promise((resolvePost, reject) => {
      const req = request({
        socketPath: this.owner.socket, path: LOCAL_SQL_PATH, method: 'POST', agent: this.agent,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) },
      }, (res) => {
        let buf = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          buf += chunk;
          let nl: number;
          while ((nl = buf.indexOf('\n')) >= 0) {
            const line = buf.slice(0, nl);
            buf = buf.slice(nl + 1);
            if (line) onLine(JSON.parse(line) as LocalSqlLine);
          }
        });
        res.on('end', () => resolvePost());
        res.on('error', () => resolvePost()); // a cut-off stream: execute reports the missing end
        res.on('aborted', () => resolvePost());
      });
      // refused: nothing was sent, so nothing ran; any other failure may come after the server got it
      req.on('error', (e) => {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'ECONNREFUSED' || code === 'ENOENT' || this.sessionId === null) reject(e);
        else resolvePost();
      });
      req.end(text);
    });
  }
}
