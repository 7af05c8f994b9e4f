// A session: one user's connection. Runs scripts statement by statement, each in its own
// transaction unless inside BEGIN ... COMMIT; an error inside a block aborts the block.
import { parse } from '../sql/parser.ts';
import type { Statement } from '../sql/ast.ts';
import type { Result } from '../result.ts';
import { SqlError, asSqlError } from '../errors.ts';
import type { Database } from './database.ts';
import type { Transaction } from '../txn/transaction.ts';
import { StatementContext, type SessionInfo } from './context.ts';
import { DEFAULT_DATABASE, DEFAULT_USER } from '../catalog/catalog.ts';

export interface SessionOptions {
  account?: string;
  user?: string;
  database?: string;
  /** trust this session with the local user's files even on a restricted server (control socket) */
  localFiles?: boolean;
  /** where relative file paths start for a local-files session (default: this process's cwd) */
  cwd?: string;
}

/** Statements that only read (allowed by the API's read-only `query` field). */
export const READ_ONLY_KINDS = new Set(['Query', 'ShowTables', 'ShowSchemas', 'ShowDatabases', 'ShowColumns', 'Show', 'Describe', 'Explain', 'ShowModel', 'ShowMonitor', 'ShowDatashares', 'DescribeDatashare', 'ShowProducts', 'ShowSubscriptions', 'ShowSubscribers']);

/** Which statement produced a query's result, and where it ran (for `authorize`). */
const origins = new WeakMap<Result, { stmt: Statement; database: string; searchPath: string[] }>();

export class Session {
  readonly info: SessionInfo;
  private txn: Transaction | null = null;
  /** inside BEGIN ... COMMIT; the block's transaction (and snapshot) starts at its first statement */
  private inBlock = false;
  private aborted = false;
  private closed = false;

  constructor(readonly db: Database, opts: SessionOptions & { account: string }) {
    const user = opts.user ?? DEFAULT_USER;
    const acct = db.catalog.accounts[opts.account];
    if (!acct.users[user]) throw new SqlError('UNDEFINED_OBJECT', `user "${user}" does not exist in account "${opts.account}"`);
    this.info = { account: opts.account, user, userId: acct.users[user].id, database: opts.database ?? DEFAULT_DATABASE, searchPath: ['public'], settings: new Map(), localFiles: opts.localFiles, cwd: opts.cwd };
  }

  get inTransaction(): boolean {
    return this.inBlock;
  }

  /**
   * Runs a script of `;`-separated statements and returns one result per statement. Throws a
   * SqlError at the first failing statement (earlier statements stay committed).
   */
  async execute(sql: string, opts: { readOnly?: boolean; signal?: AbortSignal; deadline?: number; onResult?: (r: Result) => void | Promise<void>; admit?: (statements: number) => void; stream?: boolean } = {}): Promise<Result[]> {
    if (this.closed) throw new SqlError('INTERNAL_ERROR', 'session is closed');
    const stmts = parse(sql);
    opts.admit?.(stmts.length); // a caller's statement budget may refuse the script before it runs
    if (opts.readOnly) {
      for (const s of stmts) if (!READ_ONLY_KINDS.has(s.kind) || (s.kind === 'Explain' && s.analyze)) throw new SqlError('READ_ONLY', `${s.kind} is not allowed in a read-only query; use execute`, s.pos);
    }
    const results: Result[] = [];
    try {
      for (const s of stmts) {
        const r = await this.run(s, opts.signal, opts.deadline, { stream: opts.stream });
        results.push(r);
        // a caller that sends the rows on (a server for the CLI) reads them before the next statement runs
        await opts.onResult?.(r);
      }
    } catch (e) {
      // a later statement failed: the caller gets no results, so earlier streams are closed here
      for (const r of results) r.stream?.close();
      throw e;
    }
    return results;
  }

  /** Runs one parsed statement with transaction handling. */
  /**
   * With `stream`, a query's rows come as `Result.stream` (read a piece at a time, never whole
   * in memory; the caller closes it) instead of `rows`.
   */
  async run(stmt: Statement, signal?: AbortSignal, deadline?: number, opts: { stream?: boolean } = {}): Promise<Result> {
    switch (stmt.kind) {
      case 'Begin':
        if (!this.inBlock) { this.inBlock = true; this.aborted = false; }
        return done('BEGIN');
      case 'Commit': {
        const t = this.txn;
        this.txn = null;
        this.inBlock = false;
        if (!t) return done('COMMIT');
        try {
          if (this.aborted) return done('ROLLBACK');
          await this.db.commit(t, this.info.account);
          return done('COMMIT');
        } finally {
          this.aborted = false;
          this.db.release(t);
        }
      }
      case 'Rollback': {
        if (this.txn) this.db.release(this.txn);
        this.txn = null;
        this.inBlock = false;
        this.aborted = false;
        return done('ROLLBACK');
      }
    }
    if (this.aborted) throw new SqlError('INVALID_TRANSACTION_STATE', 'current transaction is aborted, commands ignored until end of transaction block', stmt.pos);
    this.checkStillUser(stmt);
    const handler = this.db.handler(stmt.kind);
    if (this.inBlock && !this.txn) this.txn = this.begin(true);
    const txn = this.txn ?? this.begin(false);
    const ctx = new StatementContext(this.db, this.info, txn, signal, deadline, true);
    ctx.streamResult = !!opts.stream;
    let result: Result | undefined;
    try {
      result = await handler(stmt, ctx);
      if (stmt.kind === 'Query') origins.set(result, { stmt, database: this.info.database, searchPath: [...this.info.searchPath] });
      if (!this.txn) await this.db.commit(txn, this.info.account);
      this.db.hooks.afterQuery(ctx, ctx.stats);
      return result;
    } catch (e) {
      result?.stream?.close();
      if (this.txn) this.aborted = true;
      throw asSqlError(e);
    } finally {
      ctx.dispose();
      if (!this.txn) this.db.release(txn);
    }
  }

  /**
   * Checks that this session's user may still read `result` (of a query run earlier, possibly by
   * another session of the same user): binds its statement again, with the database and search
   * path it ran with, against the latest catalog, which checks names and privileges and runs
   * nothing. Open cursors call it before every page, so a REVOKE or DROP reaches them.
   */
  async authorize(result: Result): Promise<void> {
    const origin = origins.get(result);
    if (!origin || origin.stmt.kind !== 'Query') return;
    const txn = this.db.begin(false);
    try {
      const info = { ...this.info, database: origin.database, searchPath: origin.searchPath };
      await new StatementContext(this.db, info, txn).bindQuery(origin.stmt.query);
    } catch (e) {
      throw asSqlError(e);
    } finally {
      this.db.release(txn);
    }
  }

  /** A transaction that the commit refuses once this session's user is dropped. */
  private begin(explicit: boolean): Transaction {
    const txn = this.db.begin(explicit);
    const { account, user, userId } = this.info;
    if (userId !== undefined) txn.actor = { account, user, userId };
    return txn;
  }

  /** A session outlives neither its user nor its account: a re-created namesake is someone else. */
  private checkStillUser(stmt: Statement): void {
    const { account, user, userId } = this.info;
    const u = this.db.catalog.accounts[account]?.users[user];
    if (!u || u.id !== userId) throw new SqlError('PERMISSION_DENIED', `user "${user}" of account "${account}" no longer exists; this session has ended`, stmt.pos);
  }

  async close(): Promise<void> {
    if (this.txn) this.db.release(this.txn);
    this.txn = null;
    this.inBlock = false;
    this.closed = true;
  }
}

export function done(command: string, rowCount = 0): Result {
  return { command, rowCount, columns: [], rows: [] };
}
