// One PostgreSQL-protocol connection: startup, authentication, then the simple and extended
// query protocols over one Strata session (so BEGIN ... COMMIT spans messages). Statements run
// through the workload manager as the authenticated user, like GraphQL requests do.
import type { Socket } from 'node:net';
import { randomInt } from 'node:crypto';
import { parse } from '../../engine/sql/parser.ts';
import type * as A from '../../engine/sql/ast.ts';
import { DEFAULT_DATABASE } from '../../engine/catalog/catalog.ts';
import { READ_ONLY_KINDS, type Result, type Session } from '../../engine/database.ts';
import type { ApiServices } from '../graphql/module.ts';
import type { Principal } from '../tokens.ts';
import { BodyReader, CANCEL_REQUEST, FrameReader, FrameTooLarge, GSSENC_REQUEST, MalformedFrame, PROTOCOL_3_0, SSL_REQUEST, type Frame } from './framing.ts';
import * as M from './messages.ts';
import type { ErrorFields } from './messages.ts';
import { AuthFailed, authenticate, principalStands, type PgAuthMode } from './auth.ts';
import { errorFields } from './sqlstate.ts';
import { ResultShape, commandTag, resultFormats } from './results.ts';
import { bindParameters, parameterCount, substituteParameters } from './params.ts';
import { argumentFor, parsePreparedSql, shiftPosition, type PreparedSql } from './prepare-sql.ts';
import { decodeParameter, OID, wireTypeOf } from './types.ts';
import { parameterProbes } from './infer.ts';
import { CatalogQueries } from './catalog.ts';
import { withSystemViews } from './system-views.ts';
import { copyFromStdin, parseCopyFromStdin } from './copy.ts';

/** Limits and settings of the protocol listener. */
export interface PgOptions {
  auth: PgAuthMode;
  /** startup and authentication must finish within this */
  authTimeoutMs: number;
  /** the largest message a client may send */
  maxMessageBytes: number;
  /** prepared statements and portals one connection may hold */
  maxPrepared: number;
}

export const DEFAULT_PG_OPTIONS: PgOptions = { auth: 'scram', authTimeoutMs: 10_000, maxMessageBytes: 4 * 1024 * 1024, maxPrepared: 1000 };

/** What the listener shares with its connections: services, options, the cancel-key registry. */
export interface PgServerContext {
  services: ApiServices;
  options: PgOptions;
  register(conn: PgConnection): void;
  unregister(conn: PgConnection): void;
  cancel(pid: number, secret: number): void;
}

/** A protocol error the server answers with a given SQLSTATE (not a Strata engine error). */
export class ProtocolError extends Error {
  constructor(readonly sqlstate: string, message: string) { super(message); }
}

interface Prepared {
  text: string;
  /** the parsed statement, or null for an empty query or one the catalog layer answers */
  stmt: A.Statement | null;
  catalog: boolean;
  oids: number[];
}

interface Portal {
  prepared: Prepared;
  values: (string | null)[];
  formatCodes: number[];
  result?: Result;
  shape?: ResultShape;
  sent: number;
}

const isLoopback = (addr: string | undefined) => !!addr && (addr === '::1' || addr.startsWith('127.') || addr.startsWith('::ffff:127.'));

export class PgConnection {
  readonly pid = randomInt(1, 2 ** 31 - 1);
  readonly secret = randomInt(0, 2 ** 31 - 1);
  private readonly reader: FrameReader;
  private readonly queue: Frame[] = [];
  private waiter: ((f: Frame | null) => void) | null = null;
  private ended = false;
  private out: Buffer[] = [];
  private principal!: Principal;
  private session!: Session;
  private readonly statements = new Map<string, Prepared>();
  private readonly portals = new Map<string, Portal>();
  private running: AbortController | null = null;
  /** after an error in the extended protocol, messages are skipped until Sync */
  private skipToSync = false;
  private txFailed = false;
  private catalog!: CatalogQueries;
  readonly params = new Map<string, string>();

  constructor(private readonly socket: Socket, private readonly ctx: PgServerContext) {
    this.reader = new FrameReader(ctx.options.maxMessageBytes);
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('close', () => this.onEnd());
    socket.on('error', () => this.onEnd());
  }

  // ------------------------------------------------------------------ I/O

  private onData(chunk: Buffer): void {
    this.reader.push(chunk);
    try {
      for (let f = this.reader.next(); f; f = this.reader.next()) this.deliver(f);
    } catch (e) {
      const msg = e instanceof FrameTooLarge || e instanceof MalformedFrame ? e.message : 'invalid message framing';
      this.fatal(e instanceof FrameTooLarge ? '54000' : '08P01', msg);
      return;
    }
    // a client that floods the server is paused until the backlog is handled
    if (this.queue.length > 256) this.socket.pause();
  }

  private deliver(f: Frame): void {
    if (this.waiter) { const w = this.waiter; this.waiter = null; w(f); } else this.queue.push(f);
  }

  private onEnd(): void {
    if (this.ended) return;
    this.ended = true;
    this.running?.abort('user');
    if (this.waiter) { const w = this.waiter; this.waiter = null; w(null); }
  }

  /** The next frontend message; rejects once the client is gone. */
  private read(): Promise<Frame> {
    const f = this.queue.shift();
    if (this.queue.length < 64 && this.socket.isPaused()) this.socket.resume();
    if (f) return Promise.resolve(f);
    if (this.ended) return Promise.reject(new ConnectionClosed());
    return new Promise((resolve, reject) => { this.waiter = (x) => (x ? resolve(x) : reject(new ConnectionClosed())); });
  }

  private send(b: Buffer): void { this.out.push(b); }

  private flush(): void {
    if (!this.out.length || this.ended) { this.out = []; return; }
    this.socket.write(this.out.length === 1 ? this.out[0] : Buffer.concat(this.out));
    this.out = [];
  }

  /** Flushes and waits while the socket's buffer is full (large results). */
  private async flushAndDrain(): Promise<void> {
    this.flush();
    if (this.socket.writableNeedDrain && !this.ended) await new Promise<void>((r) => { this.socket.once('drain', r); this.socket.once('close', r); });
  }

  private fatal(sqlstate: string, message: string): void {
    this.send(M.errorResponse({ severity: 'FATAL', code: sqlstate, message }));
    this.flush();
    this.socket.end();
    this.onEnd();
  }

  // ------------------------------------------------------------------ lifecycle

  /** Runs the connection to its end. Never throws. */
  async run(): Promise<void> {
    const timer = setTimeout(() => this.fatal('08P01', 'authentication timed out'), this.ctx.options.authTimeoutMs);
    try {
      const ok = await this.startup();
      clearTimeout(timer);
      if (!ok) return;
      this.ctx.register(this);
      await this.loop();
    } catch (e) {
      if (!(e instanceof ConnectionClosed)) {
        if (e instanceof AuthFailed) this.fatal(e.sqlstate, e.message);
        else if (e instanceof Revoked) this.fatal('28000', e.message);
        else if (e instanceof MalformedFrame) this.fatal('08P01', e.message);
        else this.fatal('XX000', `internal error: ${(e as Error).message}`);
      }
    } finally {
      clearTimeout(timer);
      this.ctx.unregister(this);
      this.running?.abort('user');
      this.dropPortals();
      await this.session?.close().catch(() => undefined);
      if (!this.socket.destroyed) this.socket.end();
    }
  }

  /** Cancels the statement running now, if any (CancelRequest). */
  cancel(): void {
    this.running?.abort('user');
  }

  /** Reads the startup packet (answering SSL/GSS requests with 'N'), authenticates, opens the session. */
  private async startup(): Promise<boolean> {
    let body: BodyReader;
    for (;;) {
      const f = await this.read();
      body = new BodyReader(f.body);
      const code = body.int32();
      if (code === SSL_REQUEST || code === GSSENC_REQUEST) { this.socket.write('N'); continue; }
      if (code === CANCEL_REQUEST) {
        this.ctx.cancel(body.int32(), body.int32());
        this.socket.end();
        return false;
      }
      if (code !== PROTOCOL_3_0 && code >> 16 !== 3) {
        this.fatal('0A000', `unsupported frontend protocol ${code >> 16}.${code & 0xffff}: server supports 3.0`);
        return false;
      }
      break;
    }
    const startupParams = new Map<string, string>();
    while (body.remaining > 1) {
      const k = body.cstring();
      startupParams.set(k, body.cstring());
    }
    const userName = startupParams.get('user') ?? '';
    const services = this.ctx.services;
    this.principal = await authenticate(
      { send: (b) => this.send(b), flush: () => this.flush(), read: () => this.read(), loopback: isLoopback(this.socket.remoteAddress) },
      () => services.db.catalog, userName, this.ctx.options.auth,
    );
    // libpq defaults the database to the user name; that means the default database here
    const requested = startupParams.get('database');
    const database = !requested || requested === userName ? DEFAULT_DATABASE : requested;
    if (!services.db.catalog.accounts[this.principal.account]?.databases[database]) {
      this.fatal('3D000', `database "${database}" does not exist`);
      return false;
    }
    this.session = services.db.connect({ account: this.principal.account, user: this.principal.user, database });
    withSystemViews(this.session.info);
    this.catalog = new CatalogQueries(this.session, (sql) => this.runText(sql), this.params);
    const application = startupParams.get('application_name') ?? '';
    const status: [string, string][] = [
      ['server_version', '15.0'], ['server_encoding', 'UTF8'], ['client_encoding', 'UTF8'],
      ['DateStyle', 'ISO, MDY'], ['IntervalStyle', 'postgres'], ['TimeZone', 'UTC'],
      ['integer_datetimes', 'on'], ['standard_conforming_strings', 'on'],
      ['is_superuser', this.principal.superuser ? 'on' : 'off'], ['session_authorization', userName],
      ['application_name', application],
    ];
    for (const [k, v] of status) { this.params.set(k.toLowerCase(), v); this.send(M.parameterStatus(k, v)); }
    this.send(M.backendKeyData(this.pid, this.secret));
    this.ready();
    return true;
  }

  private status(): M.TxStatus {
    if (!this.session.inTransaction) { this.txFailed = false; return 'I'; }
    return this.txFailed ? 'E' : 'T';
  }

  private ready(): void {
    this.send(M.readyForQuery(this.status()));
    this.flush();
  }

  private async loop(): Promise<void> {
    for (;;) {
      const f = await this.read();
      const type = String.fromCharCode(f.type);
      if (type === 'X') return;
      if (this.skipToSync && type !== 'S') continue;
      try {
        await this.dispatch(type, new BodyReader(f.body));
      } catch (e) {
        if (e instanceof ConnectionClosed || e instanceof Revoked) throw e;
        if (e instanceof MalformedFrame) { this.fatal('08P01', e.message); return; }
        this.error(e);
        if (type === 'Q') this.ready();
        else this.skipToSync = true;
      }
    }
  }

  private error(e: unknown): void {
    if (this.session.inTransaction) this.txFailed = true;
    const fields: ErrorFields = e instanceof ProtocolError ? { severity: 'ERROR', code: e.sqlstate, message: e.message } : errorFields(e);
    // like the GraphQL API, no absolute server paths reach the client
    this.send(M.errorResponse({ ...fields, message: this.ctx.services.scrub(fields.message) }));
  }

  private async dispatch(type: string, body: BodyReader): Promise<void> {
    switch (type) {
      case 'Q': return this.simpleQuery(body.cstring());
      case 'P': return this.parseMessage(body);
      case 'B': return this.bind(body);
      case 'D': return this.describe(body);
      case 'E': return this.execute(body);
      case 'C': return this.close(body);
      case 'S':
        this.skipToSync = false;
        if (!this.session.inTransaction) this.dropPortals();
        return this.ready();
      case 'H': return this.flush();
      // CopyData/CopyDone/CopyFail outside COPY are ignored, as PostgreSQL does
      case 'd': case 'c': case 'f': return;
      default: throw new ProtocolError('08P01', `unexpected message type "${type}"`);
    }
  }

  // ------------------------------------------------------------------ running statements

  private checkSize(text: string): void {
    const limit = this.ctx.services.limits.maxSqlBytes;
    if (Buffer.byteLength(text, 'utf8') > limit) throw new ProtocolError('54000', `SQL text is larger than ${limit} bytes`);
  }

  /**
   * Runs one parsed statement as the user through the workload manager; cancelable. With
   * `stream`, a query's rows come as Result.stream, sent as they are read (sendResult, execute).
   */
  private async runStatement(stmt: A.Statement, text: string, stream = false): Promise<Result> {
    // a revoked token or dropped user ends the connection, as it ends GraphQL subscriptions
    if (!principalStands(this.ctx.services.db.catalog, this.principal)) throw new Revoked();
    const ctl = new AbortController();
    this.running = ctl;
    try {
      const { wlm } = this.ctx.services;
      return await wlm.submit({ account: this.principal.account, user: this.principal.user, sql: text }, (signal) => this.session.run(stmt, AbortSignal.any([signal, ctl.signal]), undefined, { stream }));
    } finally {
      this.running = null;
    }
  }

  /** Runs SQL text (for the catalog layer): one result per statement. */
  private async runText(text: string): Promise<Result[]> {
    const out: Result[] = [];
    for (const s of parse(text)) out.push(await this.runStatement(s, text));
    return out;
  }

  private async sendResult(r: Result, shape: ResultShape | null, withDescription: boolean): Promise<void> {
    if (shape && withDescription) this.send(shape.description());
    if (r.stream) {
      // a piece of rows at a time: formatted, sent and dropped before the next is read
      let sent = 0;
      try {
        while (r.stream.remaining > 0) {
          const rows = r.stream.next(1024);
          if (shape) for (const row of rows) this.send(shape.row(row));
          sent += rows.length;
          await this.flushAndDrain();
        }
      } finally {
        r.stream.close();
      }
      this.send(M.commandComplete(commandTag(r, sent)));
      return;
    }
    if (shape) {
      for (let i = 0; i < r.rows.length; i++) {
        this.send(shape.row(r.rows[i]));
        if ((i & 1023) === 1023) await this.flushAndDrain();
      }
    }
    this.send(M.commandComplete(commandTag(r)));
  }

  private async simpleQuery(text: string): Promise<void> {
    this.checkSize(text);
    const copy = parseCopyFromStdin(text);
    if (copy) {
      const r = await copyFromStdin(copy, {
        session: this.session,
        send: (b) => this.send(b), flush: () => this.flush(), read: () => this.read(),
        run: (stmt) => this.runStatement(stmt, text),
      });
      this.send(M.commandComplete(commandTag(r)));
      return this.ready();
    }
    const sqlPrepared = parsePreparedSql(text);
    if (sqlPrepared) {
      await this.preparedSql(sqlPrepared);
      return this.ready();
    }
    const answered = await this.catalog.answer(text);
    if (answered) {
      for (const r of answered) await this.sendResult(r, r.columns.length ? new ResultShape(r.columns, resultFormats([], r.columns.length)) : null, true);
      return this.ready();
    }
    const stmts = parse(text);
    const { maxStatements } = this.ctx.services.limits;
    if (stmts.length > maxStatements) throw new ProtocolError('54000', `a query may hold at most ${maxStatements} statements, this one has ${stmts.length}`);
    if (!stmts.length) this.send(M.emptyQueryResponse());
    for (const s of stmts) {
      const r = await this.runStatement(s, text, true);
      await this.sendResult(r, r.columns.length ? new ResultShape(r.columns, resultFormats([], r.columns.length)) : null, true);
    }
    this.ready();
  }

  /** PREPARE, EXECUTE and DEALLOCATE in SQL, over the same statements Parse creates. */
  private async preparedSql(p: PreparedSql): Promise<void> {
    if (p.kind === 'prepare') {
      if (this.statements.has(p.name)) throw new ProtocolError('42P05', `prepared statement "${p.name}" already exists`);
      if (this.statements.size >= this.ctx.options.maxPrepared) throw new ProtocolError('54000', `too many prepared statements on this connection (limit ${this.ctx.options.maxPrepared}); deallocate some`);
      let stmts: A.Statement[];
      try { stmts = parse(p.statement); } catch (e) { throw shiftPosition(e, p.offset); }
      if (stmts.length !== 1) throw new ProtocolError('42601', 'PREPARE takes exactly one statement');
      const count = Math.max(parameterCount(stmts[0]), p.oids.length);
      this.statements.set(p.name, { text: p.statement, stmt: stmts[0], catalog: false, oids: Array.from({ length: count }, (_, i) => p.oids[i] ?? 0) });
      this.send(M.commandComplete('PREPARE'));
      return;
    }
    if (p.kind === 'deallocate') {
      if (p.name === null) this.statements.clear();
      else if (!this.statements.delete(p.name)) throw new ProtocolError('26000', `prepared statement "${p.name}" does not exist`);
      this.send(M.commandComplete(p.name === null ? 'DEALLOCATE ALL' : 'DEALLOCATE'));
      return;
    }
    const prepared = this.statements.get(p.name);
    if (!prepared || !prepared.stmt) throw new ProtocolError('26000', `prepared statement "${p.name}" does not exist`);
    if (p.args.length !== prepared.oids.length) throw new ProtocolError('42601', `wrong number of parameters for prepared statement "${p.name}": expected ${prepared.oids.length}, got ${p.args.length}`);
    // an argument is any constant expression, cast to the parameter's declared type if it has one
    const stmt = substituteParameters(prepared.stmt, p.args.length, (i, pos) => argumentFor(p.args[i - 1], prepared.oids[i - 1], pos));
    const r = await this.runStatement(stmt, prepared.text, true);
    await this.sendResult(r, r.columns.length ? new ResultShape(r.columns, resultFormats([], r.columns.length)) : null, true);
  }

  // ------------------------------------------------------------------ extended protocol

  private parseMessage(body: BodyReader): void {
    const name = body.cstring();
    const text = body.cstring();
    const n = body.int16();
    const oids = Array.from({ length: n }, () => body.int32());
    this.checkSize(text);
    if (name && this.statements.has(name)) throw new ProtocolError('42P05', `prepared statement "${name}" already exists`);
    if (name && this.statements.size >= this.ctx.options.maxPrepared) throw new ProtocolError('54000', `too many prepared statements on this connection (limit ${this.ctx.options.maxPrepared}); close some`);
    if (parseCopyFromStdin(text)) throw new ProtocolError('0A000', 'COPY FROM STDIN is supported in the simple query protocol only');
    let prepared: Prepared;
    if (this.catalog.recognizes(text)) prepared = { text, stmt: null, catalog: true, oids };
    else {
      const stmts = parse(text);
      if (stmts.length > 1) throw new ProtocolError('42601', 'cannot insert multiple commands into a prepared statement');
      const stmt = stmts[0] ?? null;
      const count = stmt ? parameterCount(stmt) : 0;
      prepared = { text, stmt, catalog: false, oids: Array.from({ length: Math.max(count, n) }, (_, i) => oids[i] ?? 0) };
    }
    this.statements.set(name, prepared);
    this.send(M.parseComplete());
  }

  private bind(body: BodyReader): void {
    const portalName = body.cstring();
    const stmtName = body.cstring();
    const prepared = this.statements.get(stmtName);
    if (!prepared) throw new ProtocolError('26000', `prepared statement "${stmtName}" does not exist`);
    const formats = Array.from({ length: body.int16() }, () => body.int16());
    const n = body.int16();
    if (n !== prepared.oids.length && !prepared.catalog) throw new ProtocolError('08P01', `bind message supplies ${n} parameters, but prepared statement "${stmtName}" requires ${prepared.oids.length}`);
    const values: (string | null)[] = [];
    for (let i = 0; i < n; i++) {
      const len = body.int32();
      if (len < 0) { values.push(null); continue; }
      const format = formats.length === 1 ? formats[0] : formats[i] ?? 0;
      values.push(decodeParameter(prepared.oids[i] ?? 0, format, body.bytes(len), i + 1));
    }
    const formatCodes = Array.from({ length: body.int16() }, () => body.int16());
    if (portalName && this.portals.has(portalName)) throw new ProtocolError('42P03', `cursor "${portalName}" already exists`);
    if (this.portals.size >= this.ctx.options.maxPrepared) throw new ProtocolError('54000', `too many open portals on this connection (limit ${this.ctx.options.maxPrepared})`);
    this.dropPortal(portalName);
    this.portals.set(portalName, { prepared, values, formatCodes, sent: 0 });
    this.send(M.bindComplete());
  }

  /** Runs a portal's statement once; its rows are then sent by one or more Executes. */
  private async materialize(p: Portal): Promise<void> {
    if (p.result) return;
    const { prepared } = p;
    if (prepared.catalog) {
      const rs = await this.catalog.answer(prepared.text);
      p.result = rs?.[rs.length - 1] ?? { command: 'SELECT', rowCount: 0, columns: [], rows: [] };
    } else if (!prepared.stmt) {
      p.result = { command: '', rowCount: 0, columns: [], rows: [] };
    } else {
      const stmt = bindParameters(prepared.stmt, prepared.oids, p.values);
      p.result = await this.runStatement(stmt, prepared.text, true);
    }
    p.shape = p.result.columns.length ? new ResultShape(p.result.columns, resultFormats(p.formatCodes, p.result.columns.length)) : undefined;
  }

  private async describe(body: BodyReader): Promise<void> {
    const what = String.fromCharCode(body.byte());
    const name = body.cstring();
    if (what === 'P') {
      const p = this.portals.get(name);
      if (!p) throw new ProtocolError('34000', `portal "${name}" does not exist`);
      await this.materialize(p);
      this.send(p.shape ? p.shape.description() : M.noData());
      return;
    }
    const prepared = this.statements.get(name);
    if (!prepared) throw new ProtocolError('26000', `prepared statement "${name}" does not exist`);
    this.send(M.parameterDescription(await this.parameterTypes(prepared)));
    const columns = await this.statementColumns(prepared);
    this.send(columns.length ? new ResultShape(columns, resultFormats([], columns.length)).description() : M.noData());
  }

  /**
   * Parameter types for ParameterDescription: as given, else inferred from what each parameter
   * meets (infer.ts), else text (the value is then a string constant taking its context's type).
   */
  private async parameterTypes(prepared: Prepared): Promise<number[]> {
    const oids = [...prepared.oids];
    if (!prepared.stmt || oids.every((o) => o !== 0)) return oids.map((o) => o || OID.text);
    for (const [index, probe] of parameterProbes(prepared.stmt)) {
      if (oids[index - 1] !== 0) continue;
      try {
        const r = await this.runStatement(bindParameters(probe.stmt, oids, oids.map(() => null)), prepared.text);
        const col = r.columns[probe.column];
        if (col) oids[index - 1] = wireTypeOf(col.type).type.oid;
      } catch {
        // a peer the engine cannot type leaves the parameter as text
      }
    }
    // as in PostgreSQL, the statement's parameters now have these types (binary values decode by them)
    prepared.oids = oids;
    return oids.map((o) => o || OID.text);
  }

  /**
   * The result columns of a prepared statement before it has parameter values: a query runs
   * with NULL parameters and LIMIT 0; other statements that return rows are read-only and run.
   */
  private async statementColumns(prepared: Prepared): Promise<Result['columns']> {
    if (prepared.catalog) return (await this.catalog.answer(prepared.text))?.at(-1)?.columns ?? [];
    const stmt = prepared.stmt;
    if (!stmt || !READ_ONLY_KINDS.has(stmt.kind) || (stmt.kind === 'Explain' && stmt.analyze)) return [];
    const nulls = prepared.oids.map(() => null);
    let bound = bindParameters(stmt, prepared.oids, nulls);
    if (bound.kind === 'Query') {
      const zero: A.Literal = { kind: 'Literal', pos: stmt.pos, value: 0, literalType: 'integer', text: '0' };
      bound = { ...bound, query: { ...bound.query, limit: zero } };
    }
    return (await this.runStatement(bound, prepared.text)).columns;
  }

  private async execute(body: BodyReader): Promise<void> {
    const name = body.cstring();
    const maxRows = body.int32();
    const p = this.portals.get(name);
    if (!p) throw new ProtocolError('34000', `portal "${name}" does not exist`);
    if (!p.prepared.stmt && !p.prepared.catalog) { this.send(M.emptyQueryResponse()); return; }
    await this.materialize(p);
    const r = p.result!;
    // more rows of a suspended portal: its query must still bind for this user (REVOKE, DROP)
    if (p.sent > 0) await this.session.authorize(r);
    const first = p.sent;
    if (r.stream) {
      // rows are read from the stream as they are sent; a suspended portal keeps the rest there
      const stream = r.stream;
      let left = maxRows > 0 ? maxRows : Infinity;
      while (left > 0 && stream.remaining > 0) {
        const rows = stream.next(Math.min(1024, left));
        if (p.shape) for (const row of rows) this.send(p.shape.row(row));
        p.sent += rows.length;
        left -= rows.length;
        await this.flushAndDrain();
      }
      if (stream.remaining > 0) { this.send(M.portalSuspended()); return; }
      this.send(M.commandComplete(commandTag(r, p.sent - first)));
      return;
    }
    const end = maxRows > 0 ? Math.min(r.rows.length, p.sent + maxRows) : r.rows.length;
    if (p.shape) {
      for (let i = p.sent; i < end; i++) {
        this.send(p.shape.row(r.rows[i]));
        if ((i & 1023) === 1023) await this.flushAndDrain();
      }
    }
    p.sent = end;
    if (end < r.rows.length) { this.send(M.portalSuspended()); return; }
    // like PostgreSQL, the tag counts the rows this Execute sent
    this.send(M.commandComplete(commandTag(r, end - first)));
  }

  private close(body: BodyReader): void {
    const what = String.fromCharCode(body.byte());
    const name = body.cstring();
    if (what === 'S') this.statements.delete(name);
    else this.dropPortal(name);
    this.send(M.closeComplete());
  }

  /** Forgets a portal, closing the rows it had not sent (their files are deleted). */
  private dropPortal(name: string): void {
    this.portals.get(name)?.result?.stream?.close();
    this.portals.delete(name);
  }

  private dropPortals(): void {
    for (const name of [...this.portals.keys()]) this.dropPortal(name);
  }
}

/** The client went away while the connection waited for a message. */
class ConnectionClosed extends Error {}

/** The connection's token was revoked or its user dropped. */
class Revoked extends Error {
  constructor() { super('the token of this connection was revoked or its user dropped; reconnect with a valid token'); }
}

