// Grace hash join: when a join's build side would not fit in what is left of the statement's
// memory budget, both inputs are split by the hash of their join keys into partitions on disk
// (rows with equal keys land in the same partition on both sides), the inputs are given back,
// and the partitions are joined one pair at a time. A partition whose build side still does not
// fit (judged from its files before reading them) is split again with another hash, a block at a
// time, up to MAX_LEVEL times; past that (one key holding most rows) it is joined a chunk of build
// rows at a time against the probe file (chunked-join.ts).
import type { BExpr } from '../../plan/bound.ts';
import type { Batch } from '../../types/vector.ts';
import { BuildTable } from '../hash-join.ts';
import { FANOUT, MAX_LEVEL, readPartition, splitFile, writePartitions } from './hash-partition.ts';
import { joinInChunks, type ChunkedJoin } from './chunked-join.ts';
import { leaderHost } from './spill-aggregate.ts';
import type { RunContext } from '../operators/run-context.ts';
import type { SqlType } from '../../types/types.ts';
import type { SpillWriter } from './spill-file.ts';

export { FANOUT, MAX_LEVEL };

/** Takes joined rows held for the running operator: it keeps them or gives them back. */
export type JoinedInto = (joined: Batch) => Promise<void>;

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
  /** how a pair too big after MAX_LEVEL splits joins a chunk of build rows at a time (without it, whole) */
  chunked?: ChunkedJoin;
}

/** Bytes a build side of `rows` rows and `keys` key columns needs besides its rows. */
export const buildBytes = (rows: number, keys: number) => BuildTable.estimateBytes(rows, keys);

/**
 * Joins `inputs` partition by partition through spill files. It takes the batches out of
 * `inputs` (and gives back their reservations) once they are written, so they can be collected.
 */
export async function graceJoin(ctx: RunContext, inputs: GraceInputs, j: GraceJoin, level = 0, into?: JoinedInto): Promise<Batch[]> {
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
 * and joined in memory, split again (a block at a time) when its build table and rows would not
 * fit in what is left, or past the last level joined a chunk of build rows at a time. The outputs
 * are held and returned, or, with `into`, handed to it one at a time.
 */
export async function joinPartitions(ctx: RunContext, left: SpillWriter[], right: SpillWriter[], j: GraceJoin, level = 0, into?: JoinedInto): Promise<Batch[]> {
  const out: Batch[] = [];
  /** takes joined rows held for this operator */
  const take = async (joined: Batch) => { if (into) await into(joined); else out.push(joined); };
  for (let p = 0; p < FANOUT; p++) {
    ctx.check();
    const rf = right[p], lf = left[p];
    if (rf.rows > 0 && buildBytes(rf.rows, j.rightKeys.length) + rf.bytes + lf.bytes > ctx.guard.memory.availableBytes) {
      if (level < MAX_LEVEL && rf.rows > 1) {
        const rights = await splitFile(ctx, rf, j.rightKeys, j.nullEq, level + 1, 'hash join build partition');
        const lefts = await splitFile(ctx, lf, j.leftKeys, j.nullEq, level + 1, 'hash join probe partition');
        out.push(...await joinPartitions(ctx, lefts, rights, j, level + 1, into));
        continue;
      }
      if (j.chunked && level === MAX_LEVEL) {
        await joinInChunks(leaderHost(ctx), rf, lf, j.chunked, async (b) => { await take(ctx.hold(b, 'hash join')); return false; });
        continue;
      }
    }
    const part: GraceInputs = { right: readPartition(ctx, rf, j.rightTypes), left: readPartition(ctx, lf, j.leftTypes) };
    const rb = part.right!;
    if (rb.length + part.left!.length === 0) continue;
    ctx.hold(rb, 'hash join build partition');
    ctx.hold(part.left!, 'hash join probe partition');
    await take(ctx.hold(await j.joinPart(part.left!, rb), 'hash join'));
    ctx.release(part.left!);
    ctx.release(rb);
  }
  return out;
}
