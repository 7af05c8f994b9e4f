// Splitting rows by the hash of their keys into FANOUT spill files, so rows with equal keys land
// in the same file and each file can be processed alone (grace hash join, spilled aggregation,
// DISTINCT and set operations). Each level remixes the hash with its own seed, so a file that is
// still too large splits again into different parts.
import type { BExpr } from '../../plan/bound.ts';
import type { Batch, Vector } from '../../types/vector.ts';
import type { SqlType } from '../../types/types.ts';
import { KeyBatch } from '../hash-table.ts';
import { projectBatch } from '../kernels.ts';
import { CHUNK, concatBatches, rowRange, selectRows } from '../batches.ts';
import type { SpillWriter } from './spill-file.ts';
import type { StatementSpill } from './spill-area.ts';

/** Partitions per split (a power of two: the partition is the top bits of a remixed hash). */
export const FANOUT = 16;
const FANOUT_BITS = 4;
/** Splits before a partition is processed whatever its size. */
export const MAX_LEVEL = 3;
/** Odd constants remixing the key hash per level, so a re-split spreads a partition's rows. */
const SEEDS = [0x9e3779b1, 0x85ebca77, 0xc2b2ae3d, 0x27d4eb2f];

/** What partitioning needs of its caller: the statement's spill files and its cancel check. */
export interface PartitionHost {
  readonly spill: StatementSpill;
  check(): void;
}

/**
 * Each partition file's key hash while every row written to it has that one hash, NaN once two
 * differ (PartitionWriter records it as it writes the file, from the hashes it partitions by).
 */
const keyHashOf = new WeakMap<SpillWriter, number>();

/**
 * Whether splitting files of rows again (a partition's, one per input) may part them: not when
 * they all hash alike (a row's partition at every level comes from its hash alone: one key's
 * rows, as a rule), known from writing them, so no file is read to decide. With `otherWay` (the
 * caller can take a partition no split parts some other way: a chunked join, a sort) also not
 * when the split that made them kept over 9/10 of its `parentRows` here: one key (or a few
 * hashing alike) holds them, and another split would only write them again as they are. Without
 * one, such a split is still tried: two heavy keys that fell together at one level likely part
 * at the next, and each half may fit.
 */
export function mayPart(files: SpillWriter[], parentRows: number, otherWay: boolean): boolean {
  if (otherWay && files.reduce((sum, f) => sum + f.rows, 0) > 0.9 * parentRows) return false;
  // a file written otherwise counts as mixed: a split is tried
  const hashes = files.filter((f) => f.rows > 0).map((f) => keyHashOf.get(f) ?? NaN);
  return !hashes.every((h) => h === hashes[0]);
}

/** Each row's partition at `level` from its key vectors, the rows per partition, and each row's key hash. */
export function partitionIds(keys: Vector[], n: number, nullEq: boolean | boolean[], level: number): { part: Uint8Array; counts: Int32Array; hashes: ArrayLike<number> } {
  const hashes = new KeyBatch(keys, n, nullEq).hashes;
  const seed = SEEDS[level];
  const part = new Uint8Array(n);
  const counts = new Int32Array(FANOUT);
  for (let i = 0; i < n; i++) { const p = Math.imul(hashes[i] ^ seed, 0x9e3779b1) >>> (32 - FANOUT_BITS); part[i] = p; counts[p]++; }
  return { part, counts, hashes };
}

/** The rows in partition `p`, in order. */
export function rowsIn(part: Uint8Array, counts: Int32Array, p: number): Uint32Array {
  const sel = new Uint32Array(counts[p]);
  for (let i = 0, k = 0; k < sel.length; i++) if (part[i] === p) sel[k++] = i;
  return sel;
}

/**
 * FANOUT new spill files that batches are split into by the hash of their key values at
 * `level`, batch after batch (a probe side streaming through a spilled join), until `close`.
 * Each file's rows' one key hash, while they have one, is recorded for `mayPart`.
 */
export class PartitionWriter {
  readonly files: SpillWriter[];
  /** each partition's key hash while its rows share one (NaN once they differ; undefined before its first row) */
  private readonly hashes: (number | undefined)[] = new Array(FANOUT);

  constructor(private readonly host: PartitionHost, private readonly keyExprs: BExpr[], private readonly nullEq: boolean | boolean[] | undefined, private readonly level: number, what: string) {
    this.files = Array.from({ length: FANOUT }, () => host.spill.create(what));
  }

  add(b: Batch): void {
    for (let start = 0; start < b.length; start += CHUNK) {
      this.host.check();
      const n = Math.min(CHUNK, b.length - start);
      const chunk = rowRange(b, start, n);
      const { part, counts, hashes } = partitionIds(projectBatch(chunk, this.keyExprs, null, n), n, this.nullEq ?? false, this.level);
      const known = this.hashes;
      for (let i = 0; i < n; i++) {
        const p = part[i], h = known[p];
        if (h === undefined) known[p] = hashes[i];
        else if (h !== hashes[i]) known[p] = NaN;
      }
      for (let p = 0; p < FANOUT; p++) {
        if (counts[p] === 0) continue;
        const sel = rowsIn(part, counts, p);
        this.files[p].write(selectRows(chunk, sel, sel.length));
      }
    }
  }

  /** Closes the files (to be read back) and returns them. */
  close(): SpillWriter[] {
    this.files.forEach((f, p) => {
      f.close();
      keyHashOf.set(f, this.hashes[p] ?? NaN);
    });
    return this.files;
  }
}

/** Writes a batch's rows to FANOUT new spill files by the hash of their key values at `level`. */
export function writePartitions(host: PartitionHost, b: Batch, keyExprs: BExpr[], nullEq: boolean | boolean[] | undefined, level: number, what: string): SpillWriter[] {
  const w = new PartitionWriter(host, keyExprs, nullEq, level, what);
  w.add(b);
  return w.close();
}

/** A file's rows (read back a block at a time, then deleted) split into FANOUT new files by the hash of their keys at `level`. */
export async function splitFile(host: PartitionHost & { pause(): Promise<void> }, f: SpillWriter, keyExprs: BExpr[], nullEq: boolean | boolean[] | undefined, level: number, what: string): Promise<SpillWriter[]> {
  const w = new PartitionWriter(host, keyExprs, nullEq, level, what);
  const r = host.spill.read(f.path);
  for (let b = r.next(); b; b = r.next()) { w.add(b); await host.pause(); }
  host.spill.done(r);
  return w.close();
}

/** A partition's rows, read back and deleted. */
export function readPartition(host: PartitionHost, f: SpillWriter, types: SqlType[]): Batch {
  const r = host.spill.read(f.path);
  const blocks = r.all();
  host.spill.done(r);
  return concatBatches(types, blocks);
}

/** Plain references to every column of a batch of `types` (whole-row keys). */
export function allColumns(types: SqlType[]): BExpr[] {
  return types.map((type, index) => ({ k: 'col', index, type }) as BExpr);
}
