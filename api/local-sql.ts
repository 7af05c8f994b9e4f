// `POST /local/sql` on the control socket: how `strata sql` runs through the server that owns the
// data directory, so a CLI and a server never write one directory side by side.
//
// Only the control socket serves this route (the socket file is 0600 in a 0700 directory: whoever
// can connect is the directory's OS user, who could open the directory itself when no server runs),
// so the caller picks its account and user and keeps its own file access (relative to its cwd), as
// the one-shot CLI has. One session per connection: an interactive shell keeps BEGIN ... COMMIT
// across lines on one keep-alive connection, and its session ends when the connection closes.
//
// Request: {"sql": "...", "account"?, "user"?, "cwd"?, "waitForTraining"?, "stream"?}. Response:
// NDJSON lines, {"result": Result} per statement as it finishes, {"model": ModelEvent} for
// training progress, then {"error": {"code", "message"}} or {"end": true}. With "stream", a
// query's result comes as {"result": Result, "streamed": true} (no rows) and then its rows in
// {"rows": [...]} lines of PRINT_ROWS, read from the engine's stream as the socket drains, so
// the server holds a piece of formatted rows at a time, not the whole result; the next
// statement runs once they are sent.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { isAbsolute } from 'node:path';
import type { Session } from '../engine/database.ts';
import { SqlError, asSqlError } from '../engine/errors.ts';
import type { ApiServices } from './graphql/module.ts';
import type { ModelEvent } from './events.ts';
import { WAIT_FOR_TRAINING } from './cli-progress.ts';
import { PRINT_ROWS } from './output.ts';
import type { Result } from '../engine/result.ts';

export const LOCAL_SQL_PATH = '/local/sql';

/** The request body of POST /local/sql. */
export interface LocalSqlRequest {
  sql: string;
  account?: string;
  user?: string;
  /** the CLI's working directory: relative COPY/UNLOAD paths start there */
  cwd?: string;
  /** CREATE MODEL waits for its training (the CLI's one-shot mode), streaming progress */
  waitForTraining?: boolean;
  /** queries' rows a piece at a time, after a result line without them */
  stream?: boolean;
}

/** One line of the response stream. */
export type LocalSqlLine =
  | { result: Result; streamed?: true }
  | { rows: unknown[][] }
  | { model: ModelEvent }
  | { error: { code: string; message: string } }
  | { end: true; session: number };

interface ConnSession { session: Session; account: string; user: string; id: number }

/** Serves POST /local/sql for one control-socket server; `handle` returns false for other routes. */
export function localSql(services: ApiServices) {
  const sessions = new WeakMap<Socket, ConnSession>();
  let nextId = 1;

  const sessionFor = (socket: Socket, body: LocalSqlRequest): ConnSession => {
    const had = sessions.get(socket);
    if (had) {
      if ((body.account ?? had.account) !== had.account || (body.user ?? had.user) !== had.user) throw new SqlError('INVALID_PARAMETER', `this connection's session belongs to ${had.account}/${had.user}`);
      return had;
    }
    // the same defaults as a CLI that opens the directory itself
    const session = services.db.connect({ account: body.account, user: body.user, localFiles: true, cwd: body.cwd });
    const s = { session, account: session.info.account, user: session.info.user, id: nextId++ };
    sessions.set(socket, s);
    socket.once('close', () => void session.close());
    return s;
  };

  const run = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const line = (l: LocalSqlLine) => res.write(`${JSON.stringify(l)}\n`);
    // a line once the socket has taken the ones before it (the client prints as it reads)
    const sent = (l: LocalSqlLine) => new Promise<void>((resolve, reject) => {
      if (res.destroyed) { reject(new SqlError('QUERY_CANCELED', 'the CLI went away while its rows were sent')); return; }
      if (line(l)) { resolve(); return; }
      const done = (ok: boolean) => () => { res.off('drain', drained); res.off('close', gone); if (ok) resolve(); else reject(new SqlError('QUERY_CANCELED', 'the CLI went away while its rows were sent')); };
      const drained = done(true), gone = done(false);
      res.once('drain', drained);
      res.once('close', gone);
    });
    const sendResult = async (result: Result) => {
      const stream = result.stream;
      if (!stream) { line({ result }); return; }
      try {
        await sent({ result: { ...result, stream: undefined }, streamed: true });
        while (stream.remaining > 0) await sent({ rows: stream.next(PRINT_ROWS) });
      } finally {
        stream.close();
      }
    };
    let body: LocalSqlRequest;
    try {
      body = parseBody(await readBody(req));
    } catch (e) {
      res.writeHead(400, { 'content-type': 'application/x-ndjson' });
      line({ error: { code: 'INVALID_PARAMETER', message: asSqlError(e).message } });
      res.end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/x-ndjson' });
    let conn: ConnSession | null = null;
    const onModel = (e: ModelEvent) => { if (e.account === undefined || e.account === conn?.account) line({ model: e }); };
    try {
      conn = sessionFor(req.socket, body);
      const { session } = conn;
      if (body.waitForTraining) {
        session.info.settings.set(WAIT_FOR_TRAINING, 'on');
        services.db.events.on('model', onModel);
      } else {
        session.info.settings.delete(WAIT_FOR_TRAINING);
      }
      await services.wlm.submit({ account: conn.account, user: conn.user, sql: body.sql }, (signal) =>
        session.execute(body.sql, { signal, stream: body.stream, onResult: sendResult }));
      line({ end: true, session: conn.id });
    } catch (e) {
      const err = asSqlError(e);
      line({ error: { code: err.code, message: err.message } });
    } finally {
      services.db.events.off('model', onModel);
      res.end();
    }
  };

  return {
    handle(req: IncomingMessage, res: ServerResponse): boolean {
      if (req.url !== LOCAL_SQL_PATH) return false;
      if (req.method !== 'POST') {
        res.writeHead(405, { allow: 'POST' }).end();
        return true;
      }
      void run(req, res);
      return true;
    },
  };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function parseBody(text: string): LocalSqlRequest {
  const b = JSON.parse(text) as Partial<LocalSqlRequest>;
  const str = (v: unknown) => v === undefined || typeof v === 'string';
  if (typeof b !== 'object' || b === null || typeof b.sql !== 'string' || !str(b.account) || !str(b.user) || !str(b.cwd)) {
    throw new SqlError('INVALID_PARAMETER', 'POST /local/sql takes {"sql": string, "account"?: string, "user"?: string, "cwd"?: string}');
  }
  if (b.cwd !== undefined && !isAbsolute(b.cwd)) throw new SqlError('INVALID_PARAMETER', 'cwd must be an absolute path');
  return { sql: b.sql, account: b.account, user: b.user, cwd: b.cwd, waitForTraining: b.waitForTraining === true, stream: b.stream === true };
}
