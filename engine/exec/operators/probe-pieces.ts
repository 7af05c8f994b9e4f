// A leader hash join with an input in pieces (the slices' rows through a LIMIT, Filter, Project
// or UNION ALL: row-pieces.ts), taken a piece at a time so that input is never whole in memory.
// The build (right) side comes first: its pieces are held while their table fits in half of
// what is left, and past that those pieces and every later one go to the build side's partition
// files by key hash (distinct.ts partitionedInput); a build side that is one batch goes there
// whole when its table does not fit. With the table in memory, each probe (left) piece is probed
// against it as it comes; otherwise every piece goes to the probe side's files by the same hash,
// then the pairs are joined one at a time (as a grace join: a pair's probe file a block at a
// time). A probe side that is one batch is its one piece; each probe goes through JoinTable,
// whose joined rows come in pieces of at most PROBE_PIECE rows. The joined rows are held and put together for a consumer that needs one batch;
// for a client, held up to a quarter of what is left and then written to a file (nested-loop.ts
// JoinedRows); for a consumer that takes pieces (a GROUP BY, sort, ...), handed to it as they come. A FULL join adds the build rows no piece matched once the pieces
// are done (by partition pair when it went to files). A condition calling a model on both
// inputs is computed over each probe's pairs of equal keys (JoinTable).
import type { Batch } from '../../types/vector.ts';
import { BuildTable } from '../hash-join.ts';
import { PartitionWriter, writePartitions } from '../spill/hash-partition.ts';
import { joinPartitions } from '../spill/grace-join.ts';
import type { RunContext } from './run-context.ts';
import { JoinTable, MIN_SPILL_ROWS, type HashJoinOp } from './hash-join.ts';
import { JoinedRows } from './nested-loop.ts';
import { forEachPiece, streams, type RowPieces } from './row-pieces.ts';
import { partitionedInput } from './distinct.ts';

/** Whether a leader join takes its inputs a piece at a time: an equi-join with an input in pieces. */
export const joinsInPieces = (op: HashJoinOp): boolean => {
  const j = op.join;
  return ['INNER', 'LEFT', 'FULL', 'SEMI', 'ANTI', 'SINGLE'].includes(j.joinType) && j.leftKeys.length > 0 && (streams(op.left) || streams(op.right));
};

/** The joined rows, each input taken a piece at a time; with `toFile`, in pieces (a batch, then a file). */
export async function joinPieces(ctx: RunContext, op: HashJoinOp, toFile: boolean): Promise<RowPieces> {
  const types = op.fields.map((f) => f.type);
  const out = toFile ? new JoinedRows(ctx) : null;
  const held: Batch[] = [];
  await joinEach(ctx, op, async (b) => {
    if (!out) { held.push(b); return; }
    out.add(b);
    ctx.release(b);
  });
  return out ? out.done(types) : { batch: await ctx.concatHeld(types, held, 'hash join'), files: [], fileRows: 0 };
}

/**
 * Hands `consume` the joined rows a piece at a time (held while it runs), for a consumer that
 * keeps only what it computes from them or copies what it keeps (a GROUP BY, a sort's runs):
 * nothing of them is kept here, and none goes to a file first.
 */
export function joinedPieces(ctx: RunContext, op: HashJoinOp, consume: (b: Batch) => Promise<void>): Promise<void> {
  return joinEach(ctx, op, async (b) => {
    await consume(b);
    ctx.release(b);
  });
}

/** The join itself: hands `emit` each piece of joined rows as it is made, held (emit keeps or releases it). */
async function joinEach(ctx: RunContext, op: HashJoinOp, emit: (b: Batch) => Promise<void>): Promise<void> {
  const j = op.join;
  const tableRowBytes = BuildTable.estimateBytes(1, j.rightKeys.length);
  const build = await partitionedInput(ctx, op.right, op.right.fields.map((f) => f.type), 'hash join build', 2 * tableRowBytes, j.rightKeys, j.nullEq ?? false);
  const right = build.batch;
  if (right && (right.length <= MIN_SPILL_ROWS || 2 * right.length * tableRowBytes <= ctx.guard.memory.availableBytes)) {
    const table = new JoinTable(ctx, op, right);
    await forEachPiece(ctx, op.left, (piece) => table.probe(piece, emit));
    // given back now: read by a client or a GROUP BY, this runs among the reader's holdings
    await table.finish(emit);
    ctx.release(right);
    return;
  }
  let buildFiles = build.files;
  if (right) {
    buildFiles = writePartitions(ctx, right, j.rightKeys, j.nullEq, 0, 'hash join build partition');
    ctx.release(right);
  }
  const probeFiles = new PartitionWriter(ctx, j.leftKeys, j.nullEq, 0, 'hash join probe partition');
  await forEachPiece(ctx, op.left, async (piece) => { probeFiles.add(piece); await ctx.pause(); });
  // each pair's rows as it is joined
  await joinPartitions(ctx, probeFiles.close(), buildFiles!, op.graceSpec(ctx), emit);
}
