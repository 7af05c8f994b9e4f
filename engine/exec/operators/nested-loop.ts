// A CROSS join, or an inner, LEFT or FULL join on a condition without equal keys, at the leader
// as a block nested loop over rows in pieces: the right input (the planner's build side) is held
// while it takes at most a quarter of what is left of the budget, else written to a file read
// again for each piece of the left; the left is read a piece at a time (the slices' rows, files
// read back block by block), and each block of left rows is paired with every right row,
// filtered by the condition and handed on: to a consumer that takes pieces block by block and
// dropped (row-pieces.ts forEachPiece), or held while the joined rows fit in a quarter of what is
// left of the budget, then written to a file (a client). So the joined rows, which grow as the
// product of both inputs, are never whole in memory unless a consumer needs them as one batch.
// An outer join marks which rows matched: the left piece's while it meets the right rows, the
// right's (a byte a row) across all pieces for FULL, and adds the unmatched ones NULL-padded.
import type { Batch } from '../../types/vector.ts';
import type { SpillWriter } from '../spill/spill-file.ts';
import { filterBatch } from '../kernels.ts';
import { padBuildSide, padProbeSide, takeRows } from '../hash-join.ts';
import { batchBytes } from '../memory-budget.ts';
import { emptyBatch, rowRange, selectRows } from '../batches.ts';
import { rmSync } from 'node:fs';
import { hasModelCall } from '../../plan/bound.ts';
import { SqlError } from '../../errors.ts';
import type { RunContext } from './run-context.ts';
import type { HashJoinOp } from './hash-join.ts';
import { eachPiece, rowPieces, type RowPieces } from './row-pieces.ts';

/** Joined rows made at a time (left rows × right rows in one block). */
const BLOCK_ROWS = 65_536;

/** CROSS joins refuse more joined rows than this (a forgotten join condition), as HashJoinOp does. */
export const MAX_CROSS_ROWS = 50_000_000;

/** Whether a leader join runs as a block nested loop in pieces: CROSS, or INNER, LEFT or FULL with a condition but no equal keys. */
export const isNestedLoop = (op: HashJoinOp): boolean => {
  const j = op.join;
  if (j.joinType === 'CROSS') return true;
  return (j.joinType === 'INNER' || j.joinType === 'LEFT' || j.joinType === 'FULL') && j.leftKeys.length === 0 && j.residual !== null && !hasModelCall(j.residual);
};

/**
 * Hands `emit` the joined rows a block at a time (held while it runs), stopping once it handed
 * on `want`: nothing of them is kept here (row-pieces.ts forEachPiece; the caller records them).
 */
export async function joinedBlocks(ctx: RunContext, op: HashJoinOp, emit: (b: Batch) => Promise<void>, want: number): Promise<void> {
  await nestedLoop(ctx, op, async (b) => {
    ctx.hold(b, 'joined rows');
    await emit(b);
    ctx.release(b);
  }, want);
}

/**
 * The loop: every left piece's blocks paired with every right row (the right's batch, then its
 * file read again block by block for each left piece), until `want` rows are joined (a LIMIT
 * above); returns the rows joined. A LEFT or FULL join marks the left piece's rows that matched
 * and adds the others, padded with NULLs, once the piece met every right row; a FULL join marks
 * the right's rows too (a byte a row, across all pieces) and adds those no piece matched at the end.
 */
async function nestedLoop(ctx: RunContext, op: HashJoinOp, emit: (b: Batch) => Promise<void>, want: number): Promise<number> {
  // LIMIT 0, or a LIMIT above already met: neither input is read
  if (want <= 0) return 0;
  const type = op.join.joinType;
  const right = await rightRows(ctx, op);
  const rightCount = right.batch.length + right.fileRows;
  const left = await rowPieces(ctx, op.left);
  const pairs = (left.batch.length + left.fileRows) * rightCount;
  // under a LIMIT only the rows it reads are made
  if (type === 'CROSS' && Math.min(pairs, want) > MAX_CROSS_ROWS) {
    for (const path of right.files) rmSync(path, { force: true });
    throw new SqlError('INVALID_PARAMETER', `cross join would produce ${pairs} rows; add a join condition`);
  }
  const outer = type === 'LEFT' || type === 'FULL';
  const rightMatched = type === 'FULL' ? new Uint8Array(rightCount) : null;
  const marking = rightMatched && ctx.reserve(rightCount, 'nested loop matched rows');
  let leftMatched = new Uint8Array(0);
  let rows = 0;
  const enough = () => rows >= want;
  const out = async (b: Batch) => {
    rows += b.length;
    if (b.length) await emit(b);
  };
  const residual = op.join.residual;
  /** joins left piece `l` with right block `r`, whose first row is the right's row `base` */
  const pair = async (l: Batch, r: Batch, base: number) => {
    const step = Math.max(1, Math.floor(BLOCK_ROWS / Math.max(1, r.length)));
    for (let start = 0; start < l.length && !enough(); start += step) {
      ctx.check();
      const n = Math.min(step, l.length - start) * r.length;
      const lr = new Int32Array(n), rr = new Int32Array(n);
      let k = 0;
      for (let i = start; i < start + n / r.length; i++) for (let j = 0; j < r.length; j++) { lr[k] = i; rr[k] = j; k++; }
      let joined: Batch = { length: n, columns: [...l.columns.map((c) => takeRows(c, lr, n)), ...r.columns.map((c) => takeRows(c, rr, n))] };
      if (residual) {
        const m = await ctx.withModels(joined, [residual]);
        const { sel, count } = filterBatch(m.batch, m.exprs[0]);
        joined = selectRows(joined, sel, count);
        // (an outer join always has a condition: isNestedLoop)
        if (outer) for (let x = 0; x < count; x++) { leftMatched[lr[sel[x]]] = 1; if (rightMatched) rightMatched[base + rr[sel[x]]] = 1; }
      }
      await out(joined);
      await ctx.pause();
    }
  };
  await eachPiece(ctx, left, async (l) => {
    if (l.length === 0 || (rightCount === 0 && !outer)) return;
    if (outer) leftMatched = new Uint8Array(l.length);
    if (right.batch.length) await pair(l, right.batch, 0);
    let base = right.batch.length;
    for (const path of right.files) {
      if (enough()) break;
      const r = ctx.spill.read(path);
      for (let b = r.next(); b && !enough(); b = r.next()) {
        ctx.hold(b, 'right rows read back');
        await pair(l, b, base);
        base += b.length;
        ctx.release(b);
      }
      ctx.spill.letGo(r);
    }
    // the piece's rows no right row matched (all of them: the loop above stops only once enough are joined)
    if (outer && !enough()) {
      const un = unmarked(l, leftMatched);
      await out(padBuildSide(un.columns, op.right.fields.map((f) => f.type), un.length));
    }
  }, enough);
  if (rightMatched && !enough()) {
    // the right's rows no left row matched, its batch then its files' blocks
    const leftTypes = op.left.fields.map((f) => f.type);
    let base = 0;
    const padUnmatched = async (b: Batch) => {
      const un = unmarked(b, rightMatched.subarray(base));
      base += b.length;
      await out(padProbeSide(leftTypes, un.columns, un.length));
    };
    await padUnmatched(right.batch);
    for (const path of right.files) {
      const r = ctx.spill.read(path);
      for (let b = r.next(); b && !enough(); b = r.next()) {
        ctx.hold(b, 'right rows read back');
        await padUnmatched(b);
        ctx.release(b);
      }
      ctx.spill.letGo(r);
    }
  }
  if (marking) ctx.release(marking);
  ctx.release(right.batch);
  for (const path of right.files) rmSync(path, { force: true });
  return rows;
}

/** The rows of `b` whose mark is 0 (marks[i] for row i). */
function unmarked(b: Batch, marks: Uint8Array): Batch {
  const sel = new Uint32Array(b.length);
  let count = 0;
  for (let i = 0; i < b.length; i++) if (!marks[i]) sel[count++] = i;
  return count === b.length ? b : selectRows(b, sel, count);
}

/** Rows of a right-input file block. */
const RIGHT_BLOCK = 8192;

/**
 * The right input's rows: in memory while they take at most a quarter of what is left of the
 * budget; past that (or when they come in pieces past the slices' share) in files, read again
 * for each piece of the left.
 */
async function rightRows(ctx: RunContext, op: HashJoinOp): Promise<RowPieces> {
  const got = await rowPieces(ctx, op.right);
  if (batchBytes(got.batch) <= ctx.guard.memory.availableBytes / 4) return got;
  const w = ctx.spill.create('nested loop right rows');
  for (let s = 0; s < got.batch.length; s += RIGHT_BLOCK) w.write(rowRange(got.batch, s, Math.min(RIGHT_BLOCK, got.batch.length - s)));
  w.close();
  ctx.release(got.batch);
  return { batch: emptyBatch(op.right.fields.map((f) => f.type)), files: [w.path, ...got.files], fileRows: got.fileRows + got.batch.length };
}

/**
 * Joined rows as they are made (or other rows handed on in pieces, named by `what`): held up to a
 * quarter of what is left of the budget, then into a file. A batch added is held here in its own
 * right (the caller may give its own hold back).
 */
export class JoinedRows {
  private readonly parts: Batch[] = [];
  private held = 0;
  private file: SpillWriter | null = null;
  private fileRows = 0;

  constructor(private readonly ctx: RunContext, private readonly what = 'joined rows') {}

  add(b: Batch): void {
    if (b.length === 0) return;
    const bytes = batchBytes(b);
    if (!this.file && this.held + bytes <= this.ctx.guard.memory.availableBytes / 4) {
      this.parts.push(this.ctx.handOn(b, { length: b.length, columns: [...b.columns] }, this.what));
      this.held += bytes;
      return;
    }
    this.file ??= this.ctx.spill.create(this.what);
    this.file.write(b);
    this.fileRows += b.length;
  }

  async done(types: Parameters<RunContext['concatHeld']>[0]): Promise<RowPieces> {
    this.file?.close();
    const batch = await this.ctx.concatHeld(types, this.parts, this.what);
    return { batch, files: this.file ? [this.file.path] : [], fileRows: this.fileRows };
  }
}
