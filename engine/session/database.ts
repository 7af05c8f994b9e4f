// A Strata database: one data directory, its slice workers, the manifest store and the commit
// protocol. Sessions run statements against it; extensions (ML, sharing, the API) plug in here.
import { EventEmitter } from 'node:events';
import { join, resolve } from 'node:path';
import { availableParallelism } from 'node:os';
import { ManifestStore, notWritable } from '../storage/manifest.ts';
import { tightenTree } from '../storage/private-tree.ts';
import { DataDirLock, type OwnerRecord } from '../storage/dir-lock.ts';
import { mkdirPrivate, writeFileDurable } from '../storage/durable.ts';
import { attachSegmentsDir, detachSegmentsDir, encodeSketches, rememberSketches } from '../catalog/sketch-files.ts';
import { SlicePool } from '../exec/slice-pool.ts';
import { ModelRunner } from '../exec/model-runner.ts';
import { type CatalogState, initialCatalog, referencedFiles, DEFAULT_ACCOUNT } from '../catalog/catalog.ts';
import { Transaction } from '../txn/transaction.ts';
import { findTableById } from '../catalog/lookup.ts';
import { migrateOwnerIds } from '../catalog/owners.ts';
import { dropAllOrphanGrants, migrateObjectGrants, migrateObjectIds, migratePublicSchemaUsage, migrateViewIds } from '../catalog/object-grants.ts';
import { Session, type SessionOptions } from './session.ts';
import { type Extension, ExtensionSet, type Hooks, type StatementHandler } from './extension.ts';
import type { StatementKind } from '../sql/ast.ts';
import { HANDLERS } from './statements/index.ts';
import { SqlError } from '../errors.ts';
import { FileAccess, type FileAccessConfig } from './file-access.ts';
import { defaultMemoryLimit, defaultQueryMemoryLimit } from '../exec/memory-budget.ts';
import { MemoryGovernor } from '../exec/memory-governor.ts';
import { publishRss } from '../exec/column-cache.ts';
import { openSpillRoot } from '../exec/spill/spill-area.ts';
import { TABLE_STATS_VIEW } from './statements/analyze.ts';
import { COLUMN_PRIVILEGES_VIEW } from './column-privileges-view.ts';
import { RELATION_PRIVILEGES_VIEW } from './relation-privileges-view.ts';

export interface OpenOptions {
  dataDir: string;
  slices?: number;
  /** injectable clock (tests jump ahead in time) */
  now?: () => Date;
  /** which server files COPY/UNLOAD/CREATE MODEL may touch (default: the local user's, as the CLI) */
  files?: FileAccessConfig;
  /** start each slice's worker with its first request rather than at open (short-lived processes) */
  lazySlices?: boolean;
  /** what holds the directory's lock, shown to other processes (default "strata") */
  owner?: string;
  /** how long to wait for another process to release the directory (default 0: fail at once) */
  lockWaitMs?: number;
  /** which owners to wait for (default: any); e.g. a server waits for a CLI, never for a server */
  lockWaitFor?: (owner: OwnerRecord) => boolean;
  /** bytes one statement may hold (`--query-memory-limit`); default a quarter of RAM */
  queryMemoryLimit?: number;
  /** bytes the whole process may use (`--memory-limit`): all statements together, the slices' caches; default half of RAM */
  memoryLimit?: number;
  /** nice levels the slice threads run below the leader (Linux; default 0): a server's leader answers clients while slices compute */
  sliceNiceness?: number;
}

/** Emitted after every commit: the new version, its state and what the transaction touched. */
export interface CommitEvent {
  version: number;
  state: CatalogState;
  tables: string[];
  account: string;
}

export class Database {
  readonly events = new EventEmitter();
  /** the engine's statement handlers with every extension's wraps applied (rebuilt by use()) */
  private ext = new ExtensionSet([], HANDLERS);
  private commitChain: Promise<unknown> = Promise.resolve();
  private readonly pinned = new Map<number, { state: CatalogState; refs: number }>();
  private readonly inflight = new Set<Transaction>();
  private commitsSinceGc = 0;
  private closed = false;
  private leaderModels: ModelRunner | null = null;
  /** the default per-statement memory limit; a session may lower or raise it with SET query_memory_limit */
  queryMemoryLimit = defaultQueryMemoryLimit();
  /** the process-wide memory limit: statements reserve into its total, its watchdog stops the largest when the process is over */
  governor!: MemoryGovernor;

  private constructor(
    readonly dataDir: string,
    readonly pool: SlicePool,
    private readonly store: ManifestStore,
    readonly now: () => Date,
    /** the file-access policy of statements run on this database */
    readonly files: FileAccess,
    private readonly lock: DataDirLock,
  ) {
    this.events.setMaxListeners(0);
  }

  /** Opens (creating if new) a data directory and starts its slice workers. */
  static async open(opts: OpenOptions): Promise<Database> {
    const dir = resolve(opts.dataDir);
    const slices = opts.slices ?? availableParallelism();
    if (!Number.isInteger(slices) || slices < 1 || slices > 256) throw new SqlError('INVALID_PARAMETER', `--slices must be an integer from 1 to 256, got ${opts.slices}`);
    // one process owns the directory from here until close(): nobody else commits or collects garbage
    const lock = await (async () => {
      await mkdirPrivate(dir);
      return DataDirLock.acquire(dir, { command: opts.owner ?? 'strata', waitMs: opts.lockWaitMs, waitFor: opts.lockWaitFor });
    })().catch((e) => notWritable(e, dir));
    try {
      // an existing directory may predate owner-only creation (or be a copy): tighten it first
      await tightenTree(dir);
      const files = FileAccess.of(dir, opts.files);
      const store = await ManifestStore.open(dir);
      await mkdirPrivate(join(dir, 'segments'));
      await mkdirPrivate(join(dir, 'models'));
      await openSpillRoot(dir);
      if (store.current().version === 0 && !isCatalog(store.current().state)) {
        const init = initialCatalog();
        init.version = 1;
        await store.commit(init);
      }
      // a catalog written before ownership was by id: migrated in memory, written by the next commit
      migrateOwnerIds(store.current().state as CatalogState);
      // grants on databases, schemas and models by the name as typed: qualified once, likewise
      migrateObjectGrants(store.current().state as CatalogState);
      // databases, schemas and models get ids, and grants by qualified name are keyed by them
      migrateObjectIds(store.current().state as CatalogState);
      // schema USAGE enforced: PUBLIC keeps USAGE on each public schema (the default), likewise
      migratePublicSchemaUsage(store.current().state as CatalogState);
      // views get ids (grants on them are keyed by it) and no grant: they now need SELECT (views.ts)
      migrateViewIds(store.current().state as CatalogState);
      // grants on objects dropped before their grants went with them
      dropAllOrphanGrants(store.current().state as CatalogState);
      const memoryLimit = opts.memoryLimit ?? defaultMemoryLimit();
      const pool = new SlicePool(dir, slices, opts.lazySlices, memoryLimit, opts.sliceNiceness);
      const db = new Database(dir, pool, store, opts.now ?? (() => new Date()), files, lock);
      if (opts.queryMemoryLimit !== undefined) db.queryMemoryLimit = opts.queryMemoryLimit;
      // the slices read the process size the watchdog samples (publishRss), never /proc themselves
      db.governor = new MemoryGovernor({ limitBytes: memoryLimit, onSample: (bytes) => publishRss(pool.cache, bytes) });
      db.governor.start();
      attachSegmentsDir(join(dir, 'segments'));
      await db.collectGarbage();
      return db;
    } catch (e) {
      await lock.release();
      return notWritable(e, dir);
    }
  }

  /** The process holding this directory, as other processes see it. */
  get owner(): OwnerRecord {
    return this.lock.owner;
  }

  /** Tells processes that find the directory locked how to reach this one (a server's port and socket). */
  announce(fields: Pick<OwnerRecord, 'port' | 'url' | 'socket'>): Promise<void> {
    return this.lock.update(fields);
  }

  get slices(): number {
    return this.pool.size;
  }

  /** The latest committed catalog. */
  get catalog(): CatalogState {
    return this.store.current().state as CatalogState;
  }

  /** Model sessions of the leader, for model calls that do not run inside a slice. */
  get modelRunner(): ModelRunner {
    return (this.leaderModels ??= new ModelRunner(this.dataDir));
  }

  /** The extensions, in the order their wraps apply (not the order they were added). */
  get extensions(): readonly Extension[] {
    return this.ext.ordered;
  }

  /** Every extension's hooks composed over the engine's defaults: what statements call. */
  get hooks(): Hooks {
    return this.ext.hooks;
  }

  /** The handler of a statement kind, with every extension's wraps applied. */
  handler(kind: StatementKind): StatementHandler {
    return this.ext.handler(kind);
  }

  /** The engine's system views and those extensions answer (the CLI lists them). */
  get systemViews(): readonly string[] {
    return [TABLE_STATS_VIEW, COLUMN_PRIVILEGES_VIEW, RELATION_PRIVILEGES_VIEW, ...this.ext.systemViews];
  }

  /**
   * Adds an extension: every wrap is composed again over the engine's handlers in the one
   * order ExtensionSet defines, so which extension was added first never matters.
   */
  use(ext: Extension): void {
    this.ext = new ExtensionSet([...this.ext.ordered, ext], HANDLERS);
    ext.attach?.(this);
  }

  connect(opts: SessionOptions = {}): Session {
    if (this.closed) throw new SqlError('INTERNAL_ERROR', 'database is closed');
    const account = opts.account ?? DEFAULT_ACCOUNT;
    if (!this.catalog.accounts[account]) throw new SqlError('UNDEFINED_OBJECT', `account "${account}" does not exist`);
    return new Session(this, { ...opts, account });
  }

  /** Starts a transaction on the latest version, pinning it against garbage collection. */
  begin(explicit: boolean): Transaction {
    const state = this.catalog;
    const p = this.pinned.get(state.version);
    if (p) p.refs++;
    else this.pinned.set(state.version, { state, refs: 1 });
    const txn = new Transaction(state, explicit);
    this.inflight.add(txn);
    return txn;
  }

  /** Ends a transaction (committed or not): unpins its snapshot. */
  release(txn: Transaction): void {
    if (!this.inflight.delete(txn)) return;
    const p = this.pinned.get(txn.base.version);
    if (p && --p.refs === 0) this.pinned.delete(txn.base.version);
  }

  /**
   * Commits a transaction's writes atomically: rebases onto the latest version (conflicting
   * writes fail with SERIALIZATION_FAILURE), then writes the next manifest durably.
   */
  async commit(txn: Transaction, account: string): Promise<number | null> {
    if (!txn.hasWrites) return null;
    const run = this.commitChain.then(async () => {
      const latest = this.catalog;
      const next = txn.rebase(latest, (s, id) => findTableById(s, id)?.version);
      checkActor(txn, next);
      next.version = latest.version + 1;
      for (const id of txn.tableWrites.keys()) {
        const t = findTableById(next, id);
        if (t) t.version = next.version;
      }
      const sketchFiles = await this.writeSketchFiles(next);
      try {
        await this.store.commit(next, { newFiles: txn.newFiles.size > 0 || sketchFiles.length > 0 });
      } finally {
        // committed: the catalog references them; failed: garbage collection may take them
        this.store.releaseFiles(sketchFiles);
      }
      return next;
    });
    this.commitChain = run.catch(() => undefined);
    const next = await run;
    for (const f of txn.afterCommit) f(next.version, next);
    this.events.emit('commit', { version: next.version, state: next, tables: [...txn.tableWrites.keys()], account } satisfies CommitEvent);
    if (++this.commitsSinceGc >= 20) {
      this.commitsSinceGc = 0;
      void this.collectGarbage().catch(() => undefined);
    }
    return next.version;
  }

  /**
   * Writes each table's statistics sketches that this commit changed to a new immutable file
   * under segments/ and points the table's stats at it; tables whose stats this commit left alone
   * keep their file. Returns the new names (protected from GC until the commit is done).
   */
  private async writeSketchFiles(next: CatalogState): Promise<string[]> {
    const names: string[] = [];
    for (const a of Object.values(next.accounts)) for (const d of Object.values(a.databases)) for (const s of Object.values(d.schemas)) {
      for (const t of Object.values(s.tables)) {
        const pending = t.stats?.pendingSketches;
        if (!t.stats || !pending) continue;
        const sketches = new Map(Object.entries(pending));
        const name = this.store.newFileName('stats', 'json');
        names.push(name);
        try {
          await writeFileDurable(this.store.segmentPath(name), encodeSketches(sketches));
        } catch (e) {
          this.store.releaseFiles(names);
          notWritable(e, this.dataDir);
          throw new SqlError('INTERNAL_ERROR', `commit failed: could not write the statistics of table ${s.name}.${t.name} (${(e as Error).message}); nothing was committed`);
        }
        rememberSketches(join(this.dataDir, 'segments'), name, sketches);
        t.stats.sketchFile = name;
        delete t.stats.pendingSketches;
      }
    }
    return names;
  }

  /**
   * Deletes files no live version references: live = the current catalog, every snapshot still
   * pinned by a running transaction, and files written by transactions not yet committed.
   */
  async collectGarbage(): Promise<string[]> {
    const live = referencedFiles(this.catalog);
    for (const p of this.pinned.values()) referencedFiles(p.state, live);
    const protect = new Set<string>();
    for (const t of this.inflight) for (const f of t.newFiles) protect.add(f);
    const { removed } = await this.store.collectGarbage(live, { protect });
    if (removed.length && !this.closed) await this.pool.started(() => ({ op: 'drop', files: removed })).catch(() => undefined);
    return removed;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.governor.stop();
    detachSegmentsDir(join(this.dataDir, 'segments'));
    await this.commitChain;
    try {
      // dependents first: an extension may still use what it wraps while it closes
      for (const e of [...this.extensions].reverse()) await e.close?.();
      await this.pool.close();
    } finally {
      await this.lock.release();
    }
  }
}

/** A transaction commits only while the user who made it still exists (not a re-created namesake). */
function checkActor(txn: Transaction, next: CatalogState): void {
  const a = txn.actor;
  if (a && next.accounts[a.account]?.users[a.user]?.id !== a.userId) {
    throw new SqlError('PERMISSION_DENIED', `user "${a.user}" was dropped; its transaction was not committed`);
  }
}

function isCatalog(s: unknown): s is CatalogState {
  return !!s && typeof s === 'object' && 'accounts' in (s as object);
}
