// DISTINCT and set operations (UNION, INTERSECT, EXCEPT) over their memory budget: every input
// is split by the hash of its whole row into FANOUT spill files (equal rows land in the same
// file of every input), the inputs are given back, and the operation runs on one file of each
// input at a time. Windows at the leader split the same way by their PARTITION BY keys (a window
// partition is whole in one file). A partition still too large splits again with another hash,
// from its files, up to MAX_LEVEL times (not when no split would part its rows: hash-partition.ts
// mayPart); past that it runs anyway and the budget fails it if it must, or a window hands its
// files to the external sort.
import type { Batch } from '../../types/vector.ts';
import type { SqlType } from '../../types/types.ts';
import type { BExpr } from '../../plan/bound.ts';
import type { RunContext } from '../operators/run-context.ts';
import { FANOUT, MAX_LEVEL, allColumns, mayPart, readPartition, splitFile, writePartitions } from './hash-partition.ts';
import type { SpillWriter } from './spill-file.ts';

/**
 * An input of a partitioned operation: its rows as one batch, or already split into FANOUT
 * files by whole-row hash at level 0 (an input taken a piece at a time, `PartitionWriter`).
 */
export interface RowsOrPartitions { batch: Batch | null; files?: SpillWriter[] }

/** How `byKeyPartitions` hands on what it computes. */
export interface PartitionsTo {
  /** takes each partition's output (held while it runs; none is kept), instead of returning them held */
  into?: (b: Batch) => void | Promise<void>;
  /**
   * computes a partition too big that no split parts (one key's rows) from its files, one per
   * input, never read whole here (a window's external sort); without it the partition is read
   * back and run anyway, and the budget fails it if it must
   */
  tooBig?: (files: SpillWriter[]) => Promise<Batch>;
}

/**
 * Runs `each` over matching partitions of `inputs` (by whole-row hash) and returns its outputs,
 * each held for the running operator (or hands each to `to.into` and keeps none).
 * Takes the batches out of `inputs` once they are written.
 * `fits` says whether partitions of these row counts may run in memory.
 */
export function byRowPartitions(ctx: RunContext, inputs: RowsOrPartitions[], types: SqlType[], what: string,
  fits: (rows: number[]) => boolean, each: (parts: Batch[]) => Batch | Promise<Batch>, to: PartitionsTo = {}): Promise<Batch[]> {
  return byKeyPartitions(ctx, inputs, allColumns(types), types, what, fits, each, to);
}

/**
 * `byRowPartitions` by the hash of `keys` (expressions over every input's rows; NULLs equal).
 * Each partition is judged from its files before they are read: one that does not fit is split
 * again from its files, a block at a time, while a split may part its rows (`mayPart`).
 */
export async function byKeyPartitions(ctx: RunContext, inputs: RowsOrPartitions[], keys: BExpr[], types: SqlType[], what: string,
  fits: (rows: number[]) => boolean, each: (parts: Batch[]) => Batch | Promise<Batch>, to: PartitionsTo = {}): Promise<Batch[]> {
  const files: SpillWriter[][] = [];
  for (const input of inputs) {
    if (input.files) { files.push(input.files); continue; }
    files.push(writePartitions(ctx, input.batch!, keys, true, 0, `${what} partition`));
    ctx.release(input.batch!);
    input.batch = null;
    await ctx.pause();
  }
  const out: Batch[] = [];
  /** takes a partition's output, and gives back its rows read */
  const take = async (result: Batch, read: Batch[]) => {
    if (to.into) {
      await to.into(result);
      ctx.release(result);
      for (const b of read) ctx.release(b);
    } else {
      out.push(ctx.hold(result, what));
      for (const b of read) if (b !== result) ctx.release(b);
    }
  };
  /** one partition: its file of each input, split from a file of `parentRows` rows */
  const partition = async (parts: SpillWriter[], level: number, parentRows: number): Promise<void> => {
    ctx.check();
    const rows = parts.map((f) => f.rows);
    if (rows.every((n) => n === 0)) { for (const f of parts) ctx.spill.done(f); return; }
    if (!fits(rows) && rows.some((n) => n > 1)) {
      if (level < MAX_LEVEL && mayPart(parts, parentRows, to.tooBig !== undefined)) {
        const split: SpillWriter[][] = [];
        for (const f of parts) split.push(await splitFile(ctx, f, keys, true, level + 1, `${what} partition`));
        const total = rows.reduce((sum, n) => sum + n, 0);
        for (let p = 0; p < FANOUT; p++) await partition(split.map((s) => s[p]), level + 1, total);
        return;
      }
      if (to.tooBig) { await take(await to.tooBig(parts), []); return; }
    }
    const read = parts.map((f) => ctx.hold(readPartition(ctx, f, types), `${what} partition`));
    await take(await each(read), read);
    await ctx.pause();
  };
  for (let p = 0; p < FANOUT; p++) await partition(files.map((f) => f[p]), 0, Infinity);
  return out;
}
