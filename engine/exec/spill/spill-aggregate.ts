// Hash aggregation over its memory budget. Groups are added to an in-memory table as usual;
// when the table's next growth would not fit in what is left of the statement's budget, its
// groups (keys and partial aggregate states) are written to FANOUT spill files by the hash of
// their keys and the table starts empty. At the end, each file is merged alone into a fresh
// table (all states of one group are in one file) and handed on; a file whose groups still do
// not fit splits again with another hash, up to MAX_LEVEL times. The same code runs at the
// leader (final aggregation, GROUP BY over a leader input) and in the slices (partial and final
// aggregation), each with its own spill files.
import { GroupTable, partialRows, type AggSpec, type PartialAgg } from '../aggregate.ts';
import type { Batch } from '../../types/vector.ts';
import { SqlError } from '../../errors.ts';
import type { SpillReader, SpillWriter } from './spill-file.ts';
import { FANOUT, MAX_LEVEL, partitionIds, rowsIn, type PartitionHost } from './hash-partition.ts';
import type { RunContext } from '../operators/run-context.ts';
import { vectorBytes } from '../memory-budget.ts';
import type { ArrayLease } from '../array-pool.ts';

/** Estimated bytes of one group's key and aggregate states in a table. */
export const GROUP_BYTES = 128;
/** Groups of a partial state merged between pauses. */
export const MERGE_STEP = 4096;

/** What a spilling operator needs of where it runs (the leader's RunContext, or a slice's request). */
export interface SpillHost extends PartitionHost {
  tick(): void;
  pause(): Promise<void>;
  /** bytes the statement may still reserve */
  available(): number;
  /** reserves bytes for `what`; the returned function gives them back */
  reserve(bytes: number, what: string): () => void;
}

/** The leader's view of a run for spilling operators. */
export function leaderHost(ctx: RunContext): SpillHost {
  return {
    get spill() { return ctx.spill; },
    check: () => ctx.check(),
    tick: ctx.tick,
    pause: ctx.pause,
    available: () => ctx.guard.memory.availableBytes,
    reserve: (bytes, what) => { const t = ctx.reserve(bytes, what); return () => ctx.release(t); },
  };
}

/** Groups being aggregated, in memory while they fit and in partition files past that. */
export class SpillingGroups {
  private table: GroupTable;
  /** groups of the table reserved so far, and the reservations to give back */
  private reserved = 0;
  private releases: (() => void)[] = [];
  private files: SpillWriter[] | null = null;
  /** per partition, files of partial states partitioned the same way elsewhere (a slice's, see handOff) */
  private adopted: string[][] | null = null;

  /** `arrays`: a slice's statement lease, for the first table's arrays (GroupTable) */
  constructor(private readonly host: SpillHost, readonly spec: AggSpec, private readonly what: string, private readonly level = 0, private readonly arrays: ArrayLease | null = null) {
    this.table = this.newTable();
  }

  /**
   * An empty table. Its array of group ids by key value (spec.keyRange), which the budget does
   * not count, only while nothing went to disk and it takes at most a quarter of what is left;
   * the rows its key buckets hold (key-buckets.ts), in what is left of that quarter.
   */
  private newTable(): GroupTable {
    const r = this.spec.keyRange;
    // only the first table takes pooled arrays: a spilled one's would stay leased, unused, until the statement ends
    const arrays = this.files ? null : this.arrays;
    const quarter = this.host.available() / 4, array = r ? (r[1] - r[0] + 1) * 4 : 0;
    if (!r || (this.level === 0 && !this.files && array <= quarter)) return new GroupTable(this.spec, arrays, quarter - array);
    return new GroupTable({ ...this.spec, keyRange: undefined }, arrays);
  }

  /** Whether groups went to disk. */
  get spilled(): boolean {
    return this.files !== null;
  }

  /** Whether the groups held now would not fit in what is left of the budget a second time (sent on as partial states). */
  get tooBigToSend(): boolean {
    return this.spec.keys.length > 0 && this.table.groups * GROUP_BYTES > this.host.available();
  }

  /**
   * Writes the groups (the rest of them, when some went to disk already) to the partition
   * files and gives up the files instead of merging them: FANOUT closed files of partial states
   * by the level's key hash, for another thread to `adopt` (or to read) partition by partition.
   */
  handOff(): string[] {
    if (this.table.groups > 0 || !this.files) this.flush();
    const files = this.files!;
    for (const f of files) f.close();
    const paths = files.map((f) => f.path);
    this.files = null;
    return paths;
  }

  /** Takes files another table handed off at this level: each is merged with this table's own partition. */
  adopt(paths: string[]): void {
    if (this.level !== 0 || paths.length !== FANOUT) throw new Error('handed-off partitions must be level 0, FANOUT of them');
    this.adopted ??= Array.from({ length: FANOUT }, () => []);
    paths.forEach((p, q) => this.adopted![q].push(p));
  }

  /** Adds input rows (all of the batch, or those in `sel`). */
  consume(batch: Batch, sel: Uint32Array | null, n: number): void {
    this.table.consume(batch, sel, n);
    this.account();
  }

  /** Merges partial states (groups `from`..`to` of `p`), pausing every MERGE_STEP groups. */
  async merge(p: PartialAgg, from = 0, to = p.groups): Promise<void> {
    for (let start = from; start < to || start === from; start += MERGE_STEP) {
      this.table.merge(p, this.host.tick, start, Math.min(to, start + MERGE_STEP));
      this.account();
      await this.host.pause();
    }
  }

  /** Counts the table's new groups into the budget, or writes the table out when they do not fit. */
  private account(): void {
    const grown = this.table.groupsSoFar - this.reserved;
    if (grown <= 0) return;
    const bytes = grown * GROUP_BYTES;
    const canSpill = this.level < MAX_LEVEL && this.spec.keys.length > 0;
    if (canSpill && bytes > this.host.available()) { this.flush(); return; }
    try {
      this.releases.push(this.host.reserve(bytes, this.what));
    } catch (e) {
      // another slice of the statement took what was left since it was read: spill instead
      if (!canSpill || !(e instanceof SqlError) || e.code !== 'OUT_OF_MEMORY') throw e;
      this.flush();
      return;
    }
    this.reserved = this.table.groupsSoFar;
  }

  /** Writes the table's groups to the partition files by key hash and starts an empty table. */
  private flush(): void {
    this.host.check();
    const p = this.table.toPartial();
    this.files ??= Array.from({ length: FANOUT }, () => this.host.spill.create(`${this.what} partition`));
    const { part, counts } = partitionIds(p.keys, p.groups, true, this.level);
    for (let q = 0; q < FANOUT; q++) if (counts[q] > 0) writePartial(this.files[q], partialRows(p, rowsIn(part, counts, q)));
    this.table = this.newTable();
    this.giveBack();
  }

  private giveBack(): void {
    for (const r of this.releases) r();
    this.releases = [];
    this.reserved = 0;
  }

  /**
   * Hands every group, once, to `out` as tables of whole groups: the in-memory table when
   * nothing spilled, else one table per partition (or sub-partition). A table's reservation is
   * given back once `out` returns, so `out` keeps only what it makes of it.
   */
  async finish(out: (t: GroupTable) => void | Promise<void>): Promise<void> {
    if (!this.files && !this.adopted) {
      await out(this.table);
      this.giveBack();
      return;
    }
    if (this.table.groups > 0) this.flush();
    const files = this.files;
    this.files = null;
    this.table = this.newTable();
    for (const f of files ?? []) f.close();
    for (let q = 0; q < FANOUT; q++) {
      this.host.check();
      const sub = new SpillingGroups(this.host, this.spec, this.what, this.level + 1);
      for (const path of [...(files ? [files[q].path] : []), ...(this.adopted?.[q] ?? [])]) await mergeFile(this.host, path, sub);
      await sub.finish(out);
    }
    this.adopted = null;
  }

  /** Gives back what the table holds (a run that failed or stopped early). */
  dispose(): void {
    this.giveBack();
  }
}

/** Merges a file of partial states into `groups` and deletes it. */
export async function mergeFile(host: SpillHost, path: string, groups: SpillingGroups): Promise<void> {
  const r = host.spill.read(path);
  for (let p = readPartial(r); p; p = readPartial(r)) await groups.merge(p);
  host.spill.done(r);
}

/** Appends partial states: the key columns as a block, then the states as one value. */
export function writePartial(w: SpillWriter, p: PartialAgg): void {
  w.write({ length: p.groups, columns: p.keys });
  w.writeValue(p.states);
}

export function readPartial(r: SpillReader): PartialAgg | null {
  const keys = r.next();
  if (!keys) return null;
  return { groups: keys.length, keys: keys.columns, states: r.nextValue() as PartialAgg['states'] };
}

/** Estimated bytes of partial states: key columns, state arrays, and a header per state object or set. */
export function partialBytes(p: PartialAgg): number {
  let bytes = 0;
  for (const v of p.keys) bytes += vectorBytes(v);
  for (const s of p.states) bytes += (s.slots.length + 1) * 8 * p.groups + (s.objs ? 64 * p.groups : 0) + (s.sets ? 64 * p.groups : 0);
  return bytes;
}
