// A leader operator's rows in pieces: one batch in memory, then files of rows (spill-file
// blocks) read back a block at a time, for a consumer that takes them piece by piece (a client's
// streamed result, a leader aggregate, sort, DISTINCT, set operation, join, window, shared
// result) instead of one batch holding them all. A shared result's pieces are kept for the
// run and every reader gets them (shared.ts). A Gather's slices
// write their rows past their share to files; a merge of sorted runs and a recursive UNION's
// rounds go to files past the budget; a sort's merged runs go to a file when it spilled (sort.ts),
// and so do a DISTINCT's, a UNION / INTERSECT / EXCEPT's, a GROUP BY's or a window's rows when it went by
// partitions or through the external sort, and
// an equi-join's with an input in pieces past a quarter of what is left (probe-pieces.ts);
// a CROSS or non-equi join's rows are made a block at a time (nested-loop.ts); a Project,
// Filter, LIMIT or UNION ALL over one of those works on its pieces. A consumer that takes
// pieces (forEachPiece) gets a nested loop's blocks, a sorted window's walked rows, and a
// Project's, Filter's, LIMIT's or UNION ALL's pieces, as they are made, never put in a file; one that needs one batch gets them
// put together (piecesWhole). Any other operator's rows are its one batch.
import { rmSync } from 'node:fs';
import type { Batch } from '../../types/vector.ts';
import type { SqlType } from '../../types/types.ts';
import type { RowsContext, RunContext } from './run-context.ts';
import type { LeaderOperator, PhysicalOperator } from './operator.ts';
import { GatherOp } from './gather.ts';
import { MergeSortedRunsOp } from './merge.ts';
import { RecursiveUnionOp, SetOp } from './set-op.ts';
import { ProjectOp } from './project.ts';
import { FilterOp } from './filter.ts';
import { LimitOp } from './limit.ts';
import { HashJoinOp } from './hash-join.ts';
import { SortOp } from './sort.ts';
import { DistinctOp } from './distinct.ts';
import { WindowOp } from './window.ts';
import { joinedPieces, joinPieces, joinsInPieces } from './probe-pieces.ts';
import { FinalAggregateOp, HashAggregateOp } from './hash-aggregate.ts';
import { SharedOp } from './shared.ts';
import { isNestedLoop, joinedBlocks, JoinedRows } from './nested-loop.ts';
import { batchBytes } from '../memory-budget.ts';
import { emptyBatch, sliceRows } from '../batches.ts';

/** Rows in pieces: one batch in memory, then files of rows (spill-file blocks), in order. */
export interface RowPieces { batch: Batch; files: string[]; fileRows: number }

/** Whether an operator's rows can come in pieces (rowPieces) rather than as one batch. */
export const streams = (op: PhysicalOperator): boolean => op instanceof GatherOp || op instanceof SharedOp || op instanceof HashAggregateOp || op instanceof FinalAggregateOp || op instanceof MergeSortedRunsOp || op instanceof RecursiveUnionOp || op instanceof SortOp
  || op instanceof DistinctOp || (op instanceof SetOp && !isUnionAll(op)) || op instanceof WindowOp
  || (op instanceof HashJoinOp && (isNestedLoop(op) || joinsInPieces(op)))
  || ((op instanceof ProjectOp || op instanceof FilterOp || op instanceof LimitOp) && streams(op.input))
  || (isUnionAll(op) && (streams(op.left) || streams(op.right)));
export const isUnionAll = (op: PhysicalOperator): op is SetOp => op instanceof SetOp && op.op === 'UNION' && op.all;

/** What a consumer of pieces may answer: it has all it wants, no more need be made or read. */
export const ENOUGH = 'enough';
/** A consumer of pieces: ENOUGH stops the producer (a LIMIT above a Filter has its rows). */
export type PieceConsumer = (b: Batch) => Promise<void | typeof ENOUGH>;

/**
 * Hands `consume` an operator's rows a piece at a time, each held while it runs, and stops
 * once it handed on `want` rows (what a LIMIT right above reads) or `consume` answered ENOUGH
 * (a LIMIT above a Filter: the rest is never made or read): a nested-loop join's blocks as they
 * are made, a sorted window's rows as its last walk makes them, and a Project, Filter, LIMIT or
 * UNION ALL over pieces applied to its input's pieces as they come (ownPieces), none of them kept; any other's pieces (eachPiece; one that does not
 * `stream`, its one batch). `limited`: a consumer above may stop it though `want` is unbounded.
 */
export async function forEachPiece(ctx: RunContext, op: PhysicalOperator, consume: PieceConsumer, want = Infinity, limited = want < Infinity): Promise<void> {
  let rows = 0, pieces = 0, stopped = false;
  // what the consumer does with a piece is its own time, not the operator's whose loop hands it on
  const consumer = ctx.timedOp;
  const enough = () => stopped || rows >= want;
  const counted = async (b: Batch) => {
    pieces++;
    rows += b.length;
    if (await ctx.timed(consumer, () => consume(b)) === ENOUGH) stopped = true;
  };
  if (!passesPieces(op)) {
    const got = await rowPieces(ctx, op, want);
    return ctx.timed(op, () => eachPiece(ctx, got, counted, enough));
  }
  await ctx.timed(op, () => ownPieces(ctx, op, counted, { want, limited, enough }));
  // a consumer sees one piece at least, if an empty one (a LIMIT 0 cuts every piece away)
  if (!pieces) await consume(emptyBatch(op.fields.map((f) => f.type)));
  ctx.record(op, rows);
}

/** Whether forEachPiece hands an operator's rows on as they are made from its input's pieces, with no file of its own. */
const passesPieces = (op: PhysicalOperator): op is HashJoinOp | ProjectOp | FilterOp | LimitOp | SetOp | WindowOp =>
  op instanceof WindowOp || (op instanceof HashJoinOp && (isNestedLoop(op) || joinsInPieces(op))) || ((op instanceof ProjectOp || op instanceof FilterOp || op instanceof LimitOp) && streams(op.input)) || (isUnionAll(op) && streams(op));

/**
 * How far the consumer of an operator's pieces reads: at most `want` rows; `enough()` once it
 * has all it wants (counted or said); `limited` when it may stop before the end.
 */
export interface Reach { want: number; limited: boolean; enough: () => boolean }
const WHOLE: Reach = { want: Infinity, limited: false, enough: () => false };

/** forEachPiece's pieces of an operator that passes pieces on, without recording its rows (its caller does). */
async function ownPieces(ctx: RunContext, op: HashJoinOp | ProjectOp | FilterOp | LimitOp | SetOp | WindowOp, consume: (b: Batch) => Promise<void>, reach = WHOLE): Promise<void> {
  const { want, limited, enough } = reach;
  // a window's sorted rows as its last sort's walk makes them (its sorts take every row)
  if (op instanceof WindowOp) return op.pieces(ctx, consume, enough);
  // after each piece handed on, the input stops once this operator's consumer has enough
  const handOn = async (b: Batch) => { await consume(b); return enough() ? ENOUGH : undefined; };
  // an equi-join's pieces as they are made (all of them: its grace partitions give rows in no order a LIMIT could cut)
  if (op instanceof HashJoinOp) return isNestedLoop(op) ? joinedBlocks(ctx, op, consume, reach) : joinedPieces(ctx, op, consume);
  if (op instanceof SetOp) {
    // UNION ALL: the left's pieces, then the right's (not run when the left gave all that is wanted)
    let left = 0;
    await forEachPiece(ctx, op.left, async (b) => { left += b.length; return handOn(b); }, want, limited);
    if (left < want && !enough()) await forEachPiece(ctx, op.right, handOn, want - left, limited);
    return;
  }
  if (op instanceof LimitOp) {
    const from = op.offset, to = op.offset + Math.min(want, op.limit ?? Infinity);
    let at = 0;
    return forEachPiece(ctx, op.input, async (b) => {
      const lo = Math.max(from - at, 0), hi = Math.min(to - at, b.length);
      at += b.length;
      if (hi <= lo) return;
      if (lo === 0 && hi === b.length) return handOn(b);
      const part = ctx.handOn(b, sliceRows(b, lo, hi - lo), 'rows in pieces');
      const said = await handOn(part);
      ctx.release(part);
      return said;
    }, to, limited || to < Infinity);
  }
  // a Filter passes on fewer rows than it reads: its input is read until its consumer has enough
  await forEachPiece(ctx, op.input, async (b) => {
    const out = ctx.handOn(b, await op.apply(ctx, b), 'rows in pieces');
    const said = await handOn(out);
    ctx.release(out);
    return said;
  }, op instanceof ProjectOp ? want : Infinity, limited);
}

/**
 * Hands `consume` the pieces' rows, each held while it runs: the batch, then every file block by
 * block (each file deleted once read), until `enough` says the reader has all it wants (the
 * files not read then are deleted unread).
 */
export async function eachPiece(ctx: RowsContext, got: RowPieces, consume: (b: Batch) => Promise<void>, enough = () => false): Promise<void> {
  await consume(got.batch);
  ctx.release(got.batch);
  for (const path of got.files) {
    if (enough()) { rmSync(path, { force: true }); continue; }
    const r = ctx.spill.read(path);
    for (let b = r.next(); b && !enough(); b = r.next()) {
      ctx.check();
      ctx.hold(b, 'rows read back');
      await consume(b);
      ctx.release(b);
    }
    ctx.spill.done(r);
  }
}

/**
 * An operator's rows in pieces: a Gather's, a merge's, a sort's or a recursive UNION's in
 * memory and in files past the budget; a nested-loop join's, or a Project's or Filter's over
 * pieces, as forEachPiece makes them, held up to a quarter of what is left and then in one file
 * (however many Projects and Filters are stacked); a LIMIT over pieces cutting them (reading no
 * further than its last row); a UNION ALL with such an input both inputs' rows one after the
 * other; anything else's one batch.
 */
export async function rowPieces(ctx: RunContext, op: PhysicalOperator, want = Infinity): Promise<RowPieces> {
  if (!streams(op)) return { batch: await ctx.run(op as LeaderOperator), files: [], fileRows: 0 };
  if (op instanceof GatherOp) return op.gatherForClient(ctx);
  if (op instanceof SharedOp) return ctx.recordPieces(op, () => op.pieces(ctx));
  if (op instanceof MergeSortedRunsOp || op instanceof RecursiveUnionOp) return op.runForClient(ctx);
  if (op instanceof SortOp) return op.runForClient(ctx, want);
  if (op instanceof DistinctOp || (op instanceof SetOp && !isUnionAll(op)) || op instanceof WindowOp || op instanceof HashAggregateOp || op instanceof FinalAggregateOp) return op.runForClient(ctx);
  if (isUnionAll(op)) return ctx.recordPieces(op, () => unionAllRows(ctx, op, want));
  if (op instanceof HashJoinOp && !isNestedLoop(op)) return ctx.recordPieces(op, () => joinPieces(ctx, op, true));
  if (!(op instanceof LimitOp)) {
    // a nested loop, Project or Filter: its pieces as they are made, into one file past a quarter of what is left (its own time)
    return ctx.timed(op, async () => {
      const out = new JoinedRows(ctx, 'result rows');
      await forEachPiece(ctx, op, async (b) => out.add(b), want);
      return out.done(op.fields.map((f) => f.type));
    });
  }
  // the input's rows a LIMIT can read at most (through projections, a LIMIT above reads `want`)
  const got = await rowPieces(ctx, op.input, op.offset + Math.min(want, op.limit ?? Infinity));
  return ctx.recordPieces(op, async () => cutRows(ctx, got, op.offset, op.limit));
}

/**
 * The rows from `offset`, at most `limit` of them: a cut of the batch, then the files' blocks
 * in that range copied into new files; once past the last row the rest is deleted unread.
 */
export function cutRows(ctx: RunContext, got: RowPieces, offset: number, limit: number | null): RowPieces {
  const total = got.batch.length + got.fileRows;
  const end = limit === null ? total : Math.min(total, offset + limit);
  if (offset === 0 && end === total) return got;
  const batch = ctx.handOn(got.batch, sliceRows(got.batch, Math.min(offset, got.batch.length), Math.max(0, Math.min(end, got.batch.length) - offset)), 'rows in pieces');
  const files: string[] = [];
  let fileRows = 0;
  let at = got.batch.length;
  for (const path of got.files) {
    if (at >= end) { rmSync(path, { force: true }); continue; }
    const w = ctx.spill.create('result rows');
    const r = ctx.spill.read(path);
    for (let b = r.next(); b && at < end; b = r.next()) {
      ctx.check();
      const from = Math.max(offset - at, 0), to = Math.min(end - at, b.length);
      if (to > from) {
        const part = sliceRows(b, from, to - from);
        w.write(part);
        fileRows += part.length;
      }
      at += b.length;
    }
    ctx.spill.done(r);
    w.close();
    files.push(w.path);
  }
  return { batch, files, fileRows };
}

/**
 * UNION ALL's rows in pieces: the left input's, then the right's (unless the left's are all
 * `want`, what a LIMIT above reads). The right's batch goes
 * to a file after the left's files, unless neither input has files and both batches fit in
 * what is left of the budget together, when they are put together in memory.
 */
async function unionAllRows(ctx: RunContext, op: SetOp, want: number): Promise<RowPieces> {
  const left = await rowPieces(ctx, op.left, want);
  // under a LIMIT the left's rows may be all it reads: the right is not run
  const leftRows = left.batch.length + left.fileRows;
  if (leftRows >= want) return left;
  const right = await rowPieces(ctx, op.right, want - leftRows);
  const inMemory = !left.files.length && !right.files.length && batchBytes(right.batch) <= ctx.guard.memory.availableBytes;
  let batch = left.batch;
  let fileRows = left.fileRows + right.fileRows;
  const files = [...left.files];
  if (inMemory) batch = await ctx.concatHeld(op.fields.map((f) => f.type), [left.batch, right.batch], 'rows in pieces');
  else if (right.batch.length === 0) ctx.release(right.batch);
  else {
    const w = ctx.spill.create('result rows');
    w.write(right.batch);
    w.close();
    ctx.release(right.batch);
    files.push(w.path);
    fileRows += right.batch.length;
  }
  files.push(...right.files);
  return { batch, files, fileRows };
}

/** Rows for a consumer in pieces in one file: `write` puts each batch of them there as it is made. */
export async function rowsInFile(ctx: RunContext, types: SqlType[], write: (put: (b: Batch) => void) => Promise<void>): Promise<RowPieces> {
  const w = ctx.spill.create('result rows');
  let fileRows = 0;
  await write((b) => { w.write(b); fileRows += b.length; });
  w.close();
  return { batch: emptyBatch(types), files: [w.path], fileRows };
}

/**
 * The rows of a nested-loop join, or of a Project, Filter, LIMIT or UNION ALL over pieces, as one
 * batch (held), for a consumer that needs one: its pieces are put together as forEachPiece hands
 * them on, so only the output is ever whole, never its input.
 */
export async function piecesWhole(ctx: RunContext, op: HashJoinOp | ProjectOp | FilterOp | LimitOp | SetOp): Promise<Batch> {
  const parts: Batch[] = [];
  await ownPieces(ctx, op, async (b) => {
    // a new batch over the piece's columns, held in its place (the producer's release leaves it)
    parts.push(ctx.handOn(b, { length: b.length, columns: [...b.columns] }, 'rows in pieces'));
  });
  return ctx.concatHeld(op.fields.map((f) => f.type), parts, 'rows in pieces');
}

/** The pieces' rows as one batch (held): the files read back and put together with the batch. */
export async function wholeRows(ctx: RunContext, types: SqlType[], got: RowPieces): Promise<Batch> {
  if (!got.files.length) return got.batch;
  const parts = [got.batch];
  for (const path of got.files) {
    const r = ctx.spill.read(path);
    for (let b = r.next(); b; b = r.next()) parts.push(ctx.hold(b, 'rows read back'));
    ctx.spill.done(r);
  }
  return ctx.concatHeld(types, parts, 'rows read back');
}
