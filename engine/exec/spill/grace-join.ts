// Grace hash join: when a join's build side would not fit in what is left of the statement's
// memory budget, both inputs are split by the hash of their join keys into partitions on disk
// (rows with equal keys land in the same partition on both sides), the inputs are given back,
// and the partitions are joined one pair at a time. A partition whose build side still does not
// fit is split again with another hash, up to MAX_LEVEL times; past that (one key holding most
// rows) the join runs anyway and the budget fails it with OUT_OF_MEMORY if it must.
import type { BExpr } from '../../plan/bound.ts';
import type { Batch } from '../../types/vector.ts';
import { BuildTable } from '../hash-join.ts';
import { FANOUT, MAX_LEVEL, readPartition, writePartitions } from './hash-partition.ts';
import type { RunContext } from '../operators/run-context.ts';
import type { SqlType } from '../../types/types.ts';
import type { SpillWriter } from './spill-file.ts';

export { FANOUT, MAX_LEVEL };

export interface GraceInputs {
  left: Batch | null;
  right: Batch | null;
}

export interface GraceJoin {
  leftKeys: BExpr[];
  rightKeys: BExpr[];
  nullEq?: boolean[];
  leftTypes: SqlType[];
  rightTypes: SqlType[];
  /** joins one pair of partitions that fits (the in-memory hash join) */
  joinPart(left: Batch, right: Batch): Promise<Batch>;
}

/** Bytes a build side of `rows` rows and `keys` key columns needs besides its rows. */
export const buildBytes = (rows: number, keys: number) => BuildTable.estimateBytes(rows, keys);

/**
 * Joins `inputs` partition by partition through spill files. It takes the batches out of
 * `inputs` (and gives back their reservations) once they are written, so they can be collected.
 */
export async function graceJoin(ctx: RunContext, inputs: GraceInputs, j: GraceJoin, level = 0, into?: (b: Batch) => void): Promise<Batch[]> {
  const right = writePartitions(ctx, inputs.right!, j.rightKeys, j.nullEq, level, 'hash join build partition');
  ctx.release(inputs.right!);
  inputs.right = null;
  await ctx.pause();
  const left = writePartitions(ctx, inputs.left!, j.leftKeys, j.nullEq, level, 'hash join probe partition');
  ctx.release(inputs.left!);
  inputs.left = null;
  await ctx.pause();
  return joinPartitions(ctx, left, right, j, level, into);
}

/**
 * Joins partition files pairwise (both sides split by key hash at `level`): each pair read back
 * and joined in memory, or split again when its build side still does not fit. The outputs are
 * held and returned, or, with `into`, handed to it one at a time and given back.
 */
export async function joinPartitions(ctx: RunContext, left: SpillWriter[], right: SpillWriter[], j: GraceJoin, level = 0, into?: (b: Batch) => void): Promise<Batch[]> {
  const out: Batch[] = [];
  for (let p = 0; p < FANOUT; p++) {
    ctx.check();
    const part: GraceInputs = { right: readPartition(ctx, right[p], j.rightTypes), left: readPartition(ctx, left[p], j.leftTypes) };
    const rb = part.right!;
    if (rb.length + part.left!.length === 0) continue;
    ctx.hold(rb, 'hash join build partition');
    ctx.hold(part.left!, 'hash join probe partition');
    if (level < MAX_LEVEL && rb.length > 1 && buildBytes(rb.length, j.rightKeys.length) > ctx.guard.memory.availableBytes) {
      out.push(...await graceJoin(ctx, part, j, level + 1, into));
      continue;
    }
    const joined = await j.joinPart(part.left!, rb);
    if (into) { into(joined); ctx.release(joined); } else out.push(ctx.hold(joined, 'hash join'));
    ctx.release(part.left!);
    ctx.release(rb);
  }
  return out;
}
