// What a statement handler works with: the session's identity and defaults, its transaction's
// catalog view, name resolution, binding, and running plans on the slices.
import type { Pos, Query } from '../sql/ast.ts';
import type { CatalogState, TableState, AccountState, DatabaseState, OwnerRef, ViewState } from '../catalog/catalog.ts';
import { ownerIdOf, type Owned } from '../catalog/owners.ts';
import { splitName } from '../catalog/lookup.ts';
import type { Transaction } from '../txn/transaction.ts';
import type { Database } from './database.ts';
import { QueryBinder, type Relation } from '../plan/bind-query.ts';
import type { LNode, Field } from '../plan/logical.ts';
import { Executor, DEFAULT_MAX_RECURSION } from '../exec/executor.ts';
import type { Batch } from '../types/vector.ts';
import { SqlError } from '../errors.ts';
import { physicalRows, formatRowsYielding } from './format.ts';
import { ResultRows } from './result-rows.ts';
import { spillRoot } from '../exec/spill/spill-area.ts';
import { mkdtempSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { optimize } from '../plan/optimize.ts';
import { checkTablePrivilege, columnDenied, hasAnyColumnPrivilege, hasSchemaUsage, hasTablePrivilege, mayLookIn } from './privileges.ts';
import type { JoinDistribution } from '../plan/join-order.ts';
import type { ModelFunction } from './extension.ts';
import type { FileAccess } from './file-access.ts';
import { didYouMean } from '../plan/did-you-mean.ts';
import { QueryGuard } from '../exec/query-guard.ts';
import { parseMemorySize } from '../exec/memory-budget.ts';
import { tableStatsView } from './statements/analyze.ts';
import { columnPrivilegesView } from './column-privileges-view.ts';
import { relationPrivilegesView } from './relation-privileges-view.ts';
import { viewRelation, type ViewReads } from './views.ts';

export interface SessionInfo {
  account: string;
  user: string;
  /** the user's immutable id (sessions made by the engine always have it) */
  userId?: string;
  database: string;
  searchPath: string[];
  settings: Map<string, string>;
  localFiles?: boolean;
  cwd?: string;
}

export class StatementContext {
  stats = { rowsScanned: 0, segmentsScanned: 0, segmentsPruned: 0, tables: new Map<string, number>() };
  /** The views this statement read with their owners' rights (views.ts); shared with the contexts those views bound in. */
  viewReads: ViewReads = { borrowed: [], asInvoker: false };
  /** Who wrote the statement, when this context checks privileges as a view's owner: current_user stays the caller. */
  private invoker?: string;

  constructor(
    readonly db: Database,
    readonly session: SessionInfo,
    readonly txn: Transaction,
    readonly signal?: AbortSignal,
    /** epoch ms the caller (e.g. the API's timeoutMs) wants the statement stopped by */
    private readonly deadline?: number,
    /** a statement the session runs (and disposes): it counts into the server's memory limit */
    private readonly governed = false,
  ) {
    this.clock = db.now();
  }

  private readonly startedAt = Date.now();
  private guardValue?: QueryGuard;

  /** The statement's stop flag, deadline and memory budget (statement_timeout, query_memory_limit). */
  get guard(): QueryGuard {
    if (!this.guardValue) {
      const settings = this.session.settings;
      const timeoutMs = Number(settings.get('statement_timeout') ?? 0);
      const own = timeoutMs > 0 ? this.startedAt + timeoutMs : Infinity;
      const limit = settings.get('query_memory_limit');
      this.guardValue = new QueryGuard({
        signal: this.signal,
        deadline: Math.min(own, this.deadline ?? Infinity),
        memoryLimitBytes: limit && limit !== '0' ? parseMemorySize(limit) : this.db.queryMemoryLimit,
        governor: this.governed ? this.db.governor : undefined,
      });
    }
    return this.guardValue;
  }

  /** Ends the statement's guard: clears its timer and stops any slice work still running. */
  dispose(): void {
    this.guardValue?.dispose();
  }

  get state(): CatalogState {
    return this.txn.state;
  }

  get account(): AccountState {
    const a = this.state.accounts[this.session.account];
    if (!a) throw new SqlError('PERMISSION_DENIED', `account "${this.session.account}" no longer exists`);
    return a;
  }

  /** The policy for server files this statement may read or write. */
  get files(): FileAccess {
    return this.session.localFiles ? this.db.files.asLocal(this.session.cwd) : this.db.files;
  }

  /** The session user's immutable id: what ownership and per-user grants are keyed by. */
  get userId(): string | undefined {
    return this.session.userId ?? this.account.users[this.session.user]?.id;
  }

  /** Whether the session's user owns `o` (by id: a re-created namesake owns nothing of the old one). */
  owns(o: Owned): boolean {
    const id = this.userId;
    return id !== undefined && ownerIdOf(this.state, this.session.account, o) === id;
  }

  /** The owner new objects of this statement record: the user's name (shown) and id (checked). */
  get ownerRef(): OwnerRef {
    const id = this.userId;
    return { owner: this.session.user, ...(id !== undefined ? { ownerId: id } : {}) };
  }

  /** current_user and session_user: the session's user, also inside a view that reads as its owner. */
  get currentUser(): string {
    return this.invoker ?? this.session.user;
  }

  /**
   * The same statement with privileges checked as `user` of `account` (a view's owner), naming
   * objects in `resolveIn`: it shares the statement's clock, guard, stats and view reads, and keeps
   * current_user the caller's, as PostgreSQL does.
   */
  actingAs(user: { name: string; id?: string }, resolveIn: { database: string; searchPath: string[] }, account = this.session.account): StatementContext {
    const session: SessionInfo = { ...this.session, account, user: user.name, userId: user.id, database: resolveIn.database, searchPath: resolveIn.searchPath };
    const c = new StatementContext(this.db, session, this.txn, this.signal, this.deadline, this.governed);
    c.clock = this.clock;
    c.guardValue = this.guard;
    c.stats = this.stats;
    c.viewReads = this.viewReads;
    c.invoker = this.currentUser;
    return c;
  }

  get isSuperuser(): boolean {
    return this.account.users[this.session.user]?.superuser ?? false;
  }

  currentDatabase(): DatabaseState {
    const db = this.account.databases[this.session.database];
    if (!db) throw new SqlError('UNDEFINED_OBJECT', `database "${this.session.database}" does not exist`);
    return db;
  }

  /** Resolves a table/view name in FROM (own catalog first, then extensions: shares, system views). */
  resolveRelation(name: string[], pos: Pos): Relation {
    const r = this.db.hooks.relation(this, name, pos) ?? tableStatsView(this, name) ?? columnPrivilegesView(this, name) ?? relationPrivilegesView(this, name);
    if (r) return r;
    const loc = this.findTable(name, pos);
    if (loc.kind === 'table') {
      const ref = { account: this.session.account, database: loc.database, schema: loc.schema, name: loc.table.name };
      if (hasTablePrivilege(this, loc.table, 'SELECT')) return { kind: 'table', table: loc.table, ref };
      // SELECT on some columns only: the binder refuses the others where the query names them
      if (!hasAnyColumnPrivilege(this, loc.table, 'SELECT')) checkTablePrivilege(this, loc.table, loc.schema, 'SELECT', pos);
      return { kind: 'table', table: loc.table, ref, denied: (column) => columnDenied(this, loc.table, loc.schema, column, 'SELECT') };
    }
    return viewRelation(this, loc.database, loc.schema, loc.view, pos);
  }

  /** Finds a table or view of this account by name, following the search path. */
  findTable(name: string[], pos?: Pos):
    | { kind: 'table'; database: string; schema: string; table: TableState }
    | { kind: 'view'; database: string; schema: string; view: ViewState } {
    const paths = name.length === 1 ? this.session.searchPath : [undefined];
    const skipped: string[] = [];
    for (const schemaName of paths) {
      const n = splitName(name, this.session.database, schemaName ?? 'public', pos);
      const db = this.account.databases[n.database];
      if (!db) throw new SqlError('UNDEFINED_OBJECT', `database "${n.database}" does not exist`, pos);
      const schema = db.schemas[n.schema];
      if (!schema) { if (name.length === 1) continue; throw new SqlError('UNDEFINED_TABLE', `relation "${name.join('.')}" does not exist (no schema "${n.schema}")`, pos); }
      if (!mayLookIn(this, db, schema, name.length > 1, pos)) { skipped.push(schema.name); continue; }
      const t = schema.tables[n.name];
      if (t) return { kind: 'table', database: n.database, schema: n.schema, table: t };
      const v = schema.views[n.name];
      if (v) return { kind: 'view', database: n.database, schema: n.schema, view: v };
    }
    // what a schema the user may not use holds is not told, only that the search path passed it
    const passed = skipped.length ? ` (the search path passed over schema ${skipped.join(', ')}: user "${this.session.user}" lacks USAGE on it)` : '';
    throw new SqlError('UNDEFINED_TABLE', `relation "${name.join('.')}" does not exist${passed}${this.closestRelation(name)}`, pos);
  }

  /** A did-you-mean hint among the tables and views where `name` was looked for (in schemas the user may use). */
  private closestRelation(name: string[]): string {
    const known: string[] = [];
    for (const schemaName of name.length === 1 ? this.session.searchPath : [name[name.length - 2]]) {
      const db = this.account.databases[name.length === 3 ? name[0] : this.session.database];
      const schema = db?.schemas[schemaName];
      if (schema && hasSchemaUsage(this, db, schema)) known.push(...Object.keys(schema.tables), ...Object.keys(schema.views));
    }
    return didYouMean(name[name.length - 1], known);
  }

  /** A table this statement will write, checked for the privilege. */
  writableTable(name: string[], privilege: 'INSERT' | 'UPDATE' | 'DELETE', pos?: Pos): { database: string; schema: string; table: TableState } {
    const r = this.db.hooks.relation(this, name, pos ?? { line: 0, column: 0, offset: 0 });
    if (r && r.kind === 'table' && r.ref.share) throw new SqlError('READ_ONLY', `cannot ${privilege} into "${name.join('.')}": objects shared through a datashare are read-only`, pos);
    const loc = this.findTable(name, pos);
    if (loc.kind !== 'table') throw new SqlError('FEATURE_NOT_SUPPORTED', `cannot ${privilege} into view "${name.join('.')}"`, pos);
    // UPDATE may be held on some columns only: each SET column is checked by the UPDATE
    if (privilege !== 'UPDATE' || !hasAnyColumnPrivilege(this, loc.table, 'UPDATE')) checkTablePrivilege(this, loc.table, loc.schema, privilege, pos);
    return loc;
  }

  resolveModelFunction(name: string[], pos: Pos): ModelFunction | null {
    return this.db.hooks.modelFunction(this, name, pos);
  }

  binder(): QueryBinder {
    return new QueryBinder({
      resolveRelation: (n, p) => this.resolveRelation(n, p),
      resolveModelFunction: (n, p) => this.resolveModelFunction(n, p),
      now: () => this.now().getTime() * 1000,
      currentUser: this.currentUser,
      runQuery: async (plan) => {
        const b = await this.run(plan);
        const fields = plan.fields.filter((f) => !f.hidden);
        const physical = physicalRows(b, fields.length);
        return { rows: physical, physical, fields };
      },
    });
  }

  async bindQuery(q: Query): Promise<LNode> {
    const joinDistribution = (this.session.settings.get('join_distribution') ?? 'auto') as JoinDistribution;
    return optimize(await this.binder().query(q), { slices: this.db.slices, joinDistribution, memoryLimitBytes: this.guard.memory.limitBytes });
  }

  /** Executes a plan and returns its batch. */
  async run(plan: LNode): Promise<Batch> {
    const ex = this.executor();
    const b = await ex.run(plan);
    this.addStats(ex);
    return b;
  }

  /** Executes a plan for EXPLAIN ANALYZE: its batch and the physical plan with what each operator did. */
  async analyze(plan: LNode): Promise<{ batch: Batch; lines: string[] }> {
    const ex = this.executor();
    const out = await ex.analyze(plan);
    this.addStats(ex);
    return out;
  }

  private executor(): Executor {
    return new Executor(this.db.pool, {
      models: this.db.modelRunner,
      signal: this.signal,
      guard: this.guard,
      maxRecursion: Number(this.session.settings.get('max_recursion_depth') ?? DEFAULT_MAX_RECURSION),
    });
  }

  private addStats(ex: Executor): void {
    this.stats.rowsScanned += ex.stats.rowsScanned;
    this.stats.segmentsScanned += ex.stats.segmentsScanned;
    this.stats.segmentsPruned += ex.stats.segmentsPruned;
    for (const [k, v] of ex.stats.tables) this.stats.tables.set(k, (this.stats.tables.get(k) ?? 0) + v);
  }

  /** Runs a plan and formats its visible columns as result rows. */
  async query(plan: LNode): Promise<{ fields: Field[]; rows: unknown[][] }> {
    const b = await this.run(plan);
    const fields = plan.fields.filter((f) => !f.hidden);
    // result rows are JS arrays of values: about 32 bytes a row and 16 a value, strings apart
    this.guard.memory.reserve(b.length * (32 + 16 * fields.length), 'result set');
    return { fields, rows: await formatRowsYielding(b, fields.length, () => this.guard.pause()) };
  }

  /**
   * Runs a plan for a client that reads its rows a piece at a time (ResultRows): they are
   * formatted as read, and rows slices wrote to files past their share of the budget are read
   * back from there, so the result is never whole in memory, formatted or not.
   */
  async queryStream(plan: LNode): Promise<{ fields: Field[]; rows: ResultRows }> {
    const ex = this.executor();
    const root = spillRoot(this.db.pool.dataDir);
    const got = await ex.runForClient(plan, () => mkdtempSync(join(root, 'result-')));
    this.addStats(ex);
    const fields = plan.fields.filter((f) => !f.hidden);
    return { fields, rows: new ResultRows(got.batch, got.files, got.files.length ? dirname(got.files[0]) : null, fields.length, got.batch.length + got.fileRows) };
  }

  /** Whether the statement's caller reads a query's rows a piece at a time (Result.stream). */
  streamResult = false;

  private clock: Date;

  /** The statement's clock: the time it started, the same for every read within it. */
  now(): Date {
    return this.clock;
  }
}
