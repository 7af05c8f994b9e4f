// Grace hash join: when a join's build side would not fit in what is left of the statement's
// memory budget, both inputs are split by the hash of their join keys into partitions on disk
// (rows with equal keys land in the same partition on both sides), the inputs are given back,
// and the partitions are joined one pair at a time: the build file as a hash table, the probe file
// read a block at a time, each block's joined rows handed on in pieces as they are made. A
// partition whose build side still does not fit (judged from its files before reading them) is
// split again with another hash, a block at a time, up to MAX_LEVEL times; past that, or at once
// when no split would part its rows (one key holding them or nearly all of them: hash-partition.ts
// mayPart; each split would only write them again), it is joined a chunk of build rows at a time
// against the probe file (chunked-join.ts).
import type { BExpr } from '../../plan/bound.ts';
import type { Batch } from '../../types/vector.ts';
import { BuildTable } from '../hash-join.ts';
import { FANOUT, MAX_LEVEL, mayPart, readPartition, splitFile, writePartitions } from './hash-partition.ts';
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
  /** a table over the build rows of a pair that fits (the in-memory hash join) */
  pairTable(right: Batch): PairTable;
  /** how a pair too big that no split parts joins a chunk of build rows at a time (without it, whole) */
  chunked?: ChunkedJoin;
  /** a FULL join: a pair's build rows come out (padded) without any probe row; any other join's pair without probe rows has nothing to give */
  keepsBuild?: boolean;
}

/** A hash table over a pair's build rows: probed a block of probe rows at a time, then finished (what its build rows add). */
export interface PairTable {
  probe(left: Batch, take: JoinedInto): Promise<void>;
  finish(take: JoinedInto): Promise<void>;
}

/** Bytes a build side of `rows` rows and `keys` key columns needs besides its rows. */
export const buildBytes = (rows: number, keys: number) => BuildTable.estimateBytes(rows, keys);

/**
 * Joins `inputs` partition by partition through spill files. It takes the batches out of
 * `inputs` (and gives back their reservations) once they are written, so they can be collected.
 */
export async function graceJoin(ctx: RunContext, inputs: GraceInputs, j: GraceJoin): Promise<Batch[]> {
  const right = writePartitions(ctx, inputs.right!, j.rightKeys, j.nullEq, 0, 'hash join build partition');
  ctx.release(inputs.right!);
  inputs.right = null;
  await ctx.pause();
  const left = writePartitions(ctx, inputs.left!, j.leftKeys, j.nullEq, 0, 'hash join probe partition');
  ctx.release(inputs.left!);
  inputs.left = null;
  await ctx.pause();
  return joinPartitions(ctx, left, right, j);
}

/**
 * Joins partition files (both sides split by key hash at level 0) pair by pair. The joined rows
 * are held and returned, or, with `into`, handed to it a piece at a time.
 */
export async function joinPartitions(ctx: RunContext, left: SpillWriter[], right: SpillWriter[], j: GraceJoin, into?: JoinedInto): Promise<Batch[]> {
  const out: Batch[] = [];
  /** takes joined rows held for this operator */
  const take = async (joined: Batch) => { if (into) await into(joined); else out.push(joined); };
  for (let p = 0; p < FANOUT; p++) await joinPair(ctx, left[p], right[p], j, 0, Infinity, take);
  return out;
}

/**
 * One pair of partition files: the build file read back as a table and probed with the probe
 * file a block at a time; when its build table and rows would take over half of what is left,
 * split again (a block at a time) while a split may part its rows (`mayPart`), else joined a
 * chunk of build rows at a time. `parentRows`: the build rows of the file this one was split from.
 */
async function joinPair(ctx: RunContext, lf: SpillWriter, rf: SpillWriter, j: GraceJoin, level: number, parentRows: number, take: JoinedInto): Promise<void> {
  ctx.check();
  // no probe rows: nothing comes out unless the build rows do; the build file is not even read
  if (rf.rows + lf.rows === 0 || (lf.rows === 0 && !j.keepsBuild)) { ctx.spill.done(rf); ctx.spill.done(lf); return; }
  if (rf.rows > 1 && buildBytes(rf.rows, j.rightKeys.length) + rf.bytes > ctx.guard.memory.availableBytes / 2) {
    if (level < MAX_LEVEL && mayPart([rf], parentRows, j.chunked !== undefined)) {
      const rights = await splitFile(ctx, rf, j.rightKeys, j.nullEq, level + 1, 'hash join build partition');
      const lefts = await splitFile(ctx, lf, j.leftKeys, j.nullEq, level + 1, 'hash join probe partition');
      for (let p = 0; p < FANOUT; p++) await joinPair(ctx, lefts[p], rights[p], j, level + 1, rf.rows, take);
      return;
    }
    if (j.chunked) {
      await joinInChunks(leaderHost(ctx), rf, lf, j.chunked, async (b) => { await take(ctx.hold(b, 'hash join')); return false; });
      return;
    }
  }
  const build = ctx.hold(readPartition(ctx, rf, j.rightTypes), 'hash join build partition');
  const table = j.pairTable(build);
  const r = ctx.spill.read(lf.path);
  try {
    for (let b = r.next(); b; b = r.next()) {
      ctx.check();
      await table.probe(ctx.hold(b, 'hash join probe partition'), take);
      ctx.release(b);
    }
  } finally {
    ctx.spill.done(r);
  }
  await table.finish(take);
  ctx.release(build);
}
