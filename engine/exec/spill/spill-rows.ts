// DISTINCT and set operations (UNION, INTERSECT, EXCEPT) over their memory budget: every input
// is split by the hash of its whole row into FANOUT spill files (equal rows land in the same
// file of every input), the inputs are given back, and the operation runs on one file of each
// input at a time. Windows at the leader split the same way by their PARTITION BY keys (a window
// partition is whole in one file). A partition still too large splits again with another hash,
// up to MAX_LEVEL times (not when all its rows hash alike: no split parts them); past that it
// runs anyway and the budget fails it if it must.
import type { Batch } from '../../types/vector.ts';
import type { SqlType } from '../../types/types.ts';
import type { BExpr } from '../../plan/bound.ts';
import type { RunContext } from '../operators/run-context.ts';
import { FANOUT, MAX_LEVEL, allColumns, oneKeyHash, readPartition, writePartitions } from './hash-partition.ts';
import type { SpillWriter } from './spill-file.ts';

/**
 * An input of a partitioned operation: its rows as one batch, or already split into FANOUT
 * files by whole-row hash at level 0 (an input taken a piece at a time, `PartitionWriter`).
 */
export interface RowsOrPartitions { batch: Batch | null; files?: SpillWriter[] }

/**
 * Runs `each` over matching partitions of `inputs` (by whole-row hash) and returns its outputs,
 * each held for the running operator (or, with `into`, hands each to it and keeps none).
 * Takes the batches out of `inputs` once they are written.
 * `fits` says whether partitions of these row counts may run in memory.
 */
export function byRowPartitions(ctx: RunContext, inputs: RowsOrPartitions[], types: SqlType[], what: string,
  fits: (rows: number[]) => boolean, each: (parts: Batch[]) => Batch | Promise<Batch>, into?: (b: Batch) => void): Promise<Batch[]> {
  return byKeyPartitions(ctx, inputs, allColumns(types), types, what, fits, each, 0, into);
}

/** `byRowPartitions` by the hash of `keys` (expressions over every input's rows; NULLs equal). */
export async function byKeyPartitions(ctx: RunContext, inputs: RowsOrPartitions[], keys: BExpr[], types: SqlType[], what: string,
  fits: (rows: number[]) => boolean, each: (parts: Batch[]) => Batch | Promise<Batch>, level = 0, into?: (b: Batch) => void): Promise<Batch[]> {
  const files = [];
  for (const input of inputs) {
    if (input.files) { files.push(input.files); continue; }
    files.push(writePartitions(ctx, input.batch!, keys, true, level, `${what} partition`));
    ctx.release(input.batch!);
    input.batch = null;
    await ctx.pause();
  }
  const out: Batch[] = [];
  for (let p = 0; p < FANOUT; p++) {
    ctx.check();
    const parts = files.map((f) => ctx.hold(readPartition(ctx, f[p], types), `${what} partition`));
    if (parts.every((b) => b.length === 0)) continue;
    // rows that all hash alike would only be written again whole, level after level
    if (level < MAX_LEVEL && !fits(parts.map((b) => b.length)) && parts.some((b) => b.length > 1) && !oneKeyHash(parts, keys, true)) {
      out.push(...await byKeyPartitions(ctx, parts.map((batch) => ({ batch })), keys, types, what, fits, each, level + 1, into));
      continue;
    }
    const result = await each(parts);
    if (into) {
      into(result);
      ctx.release(result);
      for (const b of parts) ctx.release(b);
    } else {
      out.push(ctx.hold(result, what));
      for (const b of parts) if (b !== result) ctx.release(b);
    }
    await ctx.pause();
  }
  return out;
}
