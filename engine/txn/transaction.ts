// Snapshot-isolated transactions over catalog versions. A transaction pins the version current at
// its first statement; its writes go to a private copy of the catalog and are recorded as a log
// of mutations, so that at commit they can be replayed onto a newer version when no conflict.
import type { CatalogState } from '../catalog/catalog.ts';
import { SqlError } from '../errors.ts';

/** A change to the catalog, applied to the transaction's copy and replayed at commit if needed. */
export type Mutation = (state: CatalogState) => void;

export interface TableWrite {
  /** 'append' never conflicts with other writers; 'modify' conflicts with any concurrent change */
  kind: 'append' | 'modify';
  /** the table's version in the snapshot */
  baseVersion: number;
}

export class Transaction {
  private working: CatalogState | null = null;
  private readonly log: Mutation[] = [];
  readonly tableWrites = new Map<string, TableWrite>();
  /** files this transaction created that are not yet committed (protected from GC) */
  readonly newFiles = new Set<string>();
  /** called after commit (events, e.g. share updates) */
  readonly afterCommit: ((version: number, state: CatalogState) => void)[] = [];
  ddl = false;
  /** the user whose statements wrote it: the commit is refused once that identity is gone */
  actor?: { account: string; user: string; userId: string };

  constructor(readonly base: CatalogState, readonly explicit: boolean) {}

  /** What this transaction's statements see: its own writes over its snapshot. */
  get state(): CatalogState {
    return this.working ?? this.base;
  }

  get hasWrites(): boolean {
    return this.log.length > 0;
  }

  /** Applies a catalog change now (to the private copy) and records it for commit. */
  apply(m: Mutation, opts: { ddl?: boolean } = {}): void {
    this.working ??= structuredClone(this.base);
    m(this.working);
    this.log.push(m);
    if (opts.ddl) this.ddl = true;
  }

  /** Marks a table written; `modify` (UPDATE/DELETE/DDL) must not race with other writers. */
  touchTable(id: string, version: number, kind: 'append' | 'modify'): void {
    const prev = this.tableWrites.get(id);
    if (!prev || (prev.kind === 'append' && kind === 'modify')) this.tableWrites.set(id, { kind, baseVersion: prev?.baseVersion ?? version });
  }

  /**
   * The state to commit on top of `latest`. If nothing else committed since our snapshot, that is
   * our copy; otherwise our log is replayed onto a copy of `latest` after checking conflicts.
   */
  rebase(latest: CatalogState, tableVersion: (s: CatalogState, id: string) => number | undefined): CatalogState {
    if (latest.version === this.base.version) return this.working!;
    for (const [id, w] of this.tableWrites) {
      const now = tableVersion(latest, id);
      if (w.kind === 'modify' && now !== undefined && now !== w.baseVersion) {
        throw new SqlError('SERIALIZATION_FAILURE', 'could not serialize access due to concurrent update: another transaction changed the same table; retry the transaction');
      }
    }
    const next = structuredClone(latest);
    try {
      for (const m of this.log) m(next);
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      throw new SqlError('SERIALIZATION_FAILURE', `could not serialize access due to a concurrent change: ${msg}`);
    }
    return next;
  }
}
