// A CROSS join, or any join on a condition without equal keys (INNER, LEFT, FULL, SEMI, ANTI,
// SINGLE), at the leader as a block nested loop over rows in pieces: the right input (the
// planner's build side) is held while it takes at most a quarter of what is left of the budget,
// else written to a file read again for each piece of the left; the left is read a piece at a
// time (the slices' rows, files read back block by block), and each block of left rows is paired
// with every right row, filtered by the condition (its model calls computed a block of pairs at a
// time) and handed on: to a consumer that takes pieces block by block and dropped
// (row-pieces.ts forEachPiece), or held while the joined rows fit in a quarter of what is left of
// the budget, then written to a file (a client). So the joined rows, which grow as the product of
// both inputs, are never whole in memory unless a consumer needs them as one batch.
// Every join but INNER and CROSS marks the left piece's rows that matched while they meet the
// right rows: once the piece met them all, LEFT, FULL and SINGLE add the unmarked ones NULL-padded,
// SEMI hands on the marked ones and ANTI the others (a row already marked meets no more right
// rows: its answer is known; of rows alike in the left columns the condition reads, only the
// first meets any, as the domain of a correlated subquery would); SINGLE fails on a row's second
// match. FULL marks the right's rows too (a byte a row, across all pieces) and adds the unmatched
// ones at the end.
import type { Batch } from '../../types/vector.ts';
import type { SpillWriter } from '../spill/spill-file.ts';
import { filterBatch } from '../kernels.ts';
import { groupIds } from '../hash-table.ts';
import { padBuildSide, padProbeSide, rowsMarked, takeRows, tooManyRows } from '../hash-join.ts';
import { batchBytes } from '../memory-budget.ts';
import { emptyBatch, rowRange } from '../batches.ts';
import { rmSync } from 'node:fs';
import { usedColumns } from '../../plan/bound.ts';
import { SqlError } from '../../errors.ts';
import type { RunContext } from './run-context.ts';
import type { HashJoinOp } from './hash-join.ts';
import { eachPiece, rowPieces, type Reach, type RowPieces } from './row-pieces.ts';

/** Joined rows made at a time (left rows × right rows in one block). */
const BLOCK_ROWS = 65_536;

/** CROSS joins refuse more joined rows than this (a forgotten join condition), unless a LIMIT above stops them first. */
export const MAX_CROSS_ROWS = 50_000_000;

/** Whether a leader join runs as a block nested loop in pieces: a CROSS join, or any join without equal keys. */
export const isNestedLoop = (op: HashJoinOp): boolean => op.join.joinType === 'CROSS' || op.join.leftKeys.length === 0;

/**
 * Hands `emit` the joined rows a block at a time (held while it runs), stopping once its
 * consumer has enough (`reach`): nothing of them is kept here (row-pieces.ts forEachPiece; the
 * caller records them).
 */
export async function joinedBlocks(ctx: RunContext, op: HashJoinOp, emit: (b: Batch) => Promise<void>, reach: Reach): Promise<void> {
  await nestedLoop(ctx, op, async (b) => {
    ctx.hold(b, 'joined rows');
    await emit(b);
    ctx.release(b);
  }, reach);
}

/**
 * The loop: every left piece's blocks paired with every right row (the right's batch, then its
 * file read again block by block for each left piece), until `want` rows are joined (a LIMIT
 * above); returns the rows joined. How each join type marks and adds rows: the file's comment.
 */
async function nestedLoop(ctx: RunContext, op: HashJoinOp, emit: (b: Batch) => Promise<void>, { want, limited, enough: stop }: Reach): Promise<number> {
  // LIMIT 0, or a LIMIT above already met: neither input is read
  if (want <= 0 || stop()) return 0;
  const type = op.join.joinType;
  const right = await rightRows(ctx, op);
  const rightCount = right.batch.length + right.fileRows;
  const dropRight = () => {
    ctx.release(right.batch);
    for (const path of right.files) rmSync(path, { force: true });
  };
  const pads = type === 'LEFT' || type === 'FULL' || type === 'SINGLE';
  // no right rows: a join that pads or keeps unmatched left rows hands them all on unpaired;
  // any other has no rows, and its left input is not even read
  if (rightCount === 0 && !pads && type !== 'ANTI') {
    dropRight();
    return 0;
  }
  const left = await rowPieces(ctx, op.left);
  const pairs = (left.batch.length + left.fileRows) * rightCount;
  const tooMany = () => {
    for (const path of right.files) rmSync(path, { force: true });
    return new SqlError('INVALID_PARAMETER', `cross join would produce ${pairs} rows; add a join condition`);
  };
  // under a LIMIT only the rows it reads are made: refused up front unless a consumer may stop it, else once it made too many
  if (type === 'CROSS' && !limited && pairs > MAX_CROSS_ROWS) throw tooMany();
  let made = 0;
  // SEMI and ANTI hand on left rows only, decided by their marks; the others hand on the pairs
  const decides = type === 'SEMI' || type === 'ANTI';
  const marks = pads || decides;
  const rightMatched = type === 'FULL' ? new Uint8Array(rightCount) : null;
  const marking = rightMatched && ctx.reserve(rightCount, 'nested loop matched rows');
  let leftMatched = new Uint8Array(0);
  let rows = 0;
  const enough = () => rows >= want || stop();
  const out = async (b: Batch) => {
    rows += b.length;
    if (b.length) await emit(b);
  };
  const residual = op.join.residual;
  // the condition is tested over the columns it reads; only the pairs passing it are gathered whole
  const read = residual ? usedColumns(residual) : new Set<number>();
  const nl = op.left.fields.length;
  const matched = (l: number, r: number) => {
    if (type === 'SINGLE' && leftMatched[l]) throw tooManyRows();
    leftMatched[l] = 1;
    if (rightMatched) rightMatched[r] = 1;
  };
  /** joins the left rows `leftRows` (every row without it) of left piece `l` with right block `r`, whose first row is the right's row `base` */
  const pairRows = async (l: Batch, r: Batch, base: number, leftRows: Int32Array | null) => {
    const count = leftRows ? leftRows.length : l.length;
    const step = Math.max(1, Math.floor(BLOCK_ROWS / Math.max(1, r.length)));
    for (let start = 0; start < count && !enough(); start += step) {
      ctx.check();
      const n = Math.min(step, count - start) * r.length;
      made += n;
      if (type === 'CROSS' && made > MAX_CROSS_ROWS) throw tooMany();
      let lr = new Int32Array(n), rr = new Int32Array(n);
      let k = 0;
      for (let i = start; i < start + n / r.length; i++) for (let j = 0; j < r.length; j++) { lr[k] = leftRows ? leftRows[i] : i; rr[k] = j; k++; }
      let passed = n;
      if (residual) {
        const tested: Batch = { length: n, columns: [...l.columns.map((c, i) => (read.has(i) ? takeRows(c, lr, n) : c)), ...r.columns.map((c, i) => (read.has(nl + i) ? takeRows(c, rr, n) : c))] };
        const m = await ctx.withModels(tested, [residual]);
        const f = filterBatch(m.batch, m.exprs[0]);
        passed = f.count;
        const pl = new Int32Array(passed), pr = new Int32Array(passed);
        for (let x = 0; x < passed; x++) { pl[x] = lr[f.sel[x]]; pr[x] = rr[f.sel[x]]; }
        lr = pl; rr = pr;
      }
      if (marks) for (let x = 0; x < passed; x++) matched(lr[x], base + rr[x]);
      if (!decides) await out({ length: passed, columns: [...l.columns.map((c) => takeRows(c, lr, passed)), ...r.columns.map((c) => takeRows(c, rr, passed))] });
      await ctx.pause();
    }
  };
  // SEMI, ANTI: the piece's rows still undecided: a marked row meets no more right rows, and of
  // rows alike in the left columns the condition reads only the first meets any (the others take its answer)
  let pending = new Int32Array(0);
  const leftRead = [...read].filter((i) => i < nl);
  /** whether the piece needs more right rows: not when enough rows are joined, nor for a decided SEMI or ANTI piece */
  const open = () => !enough() && !(decides && pending.length === 0);
  const pair = async (l: Batch, r: Batch, base: number) => {
    if (!decides) return pairRows(l, r, base, null);
    // the block in parts growing from one row: rows most right rows match are decided by the first few
    for (let at = 0, size = 1; at < r.length && open(); at += size, size *= 2) {
      const part = Math.min(size, r.length - at);
      await pairRows(l, part === r.length ? r : rowRange(r, at, part), base + at, pending);
      pending = pending.filter((row) => !leftMatched[row]);
    }
  };
  const rightTypes = op.right.fields.map((f) => f.type);
  await eachPiece(ctx, left, async (l) => {
    if (l.length === 0) return;
    if (marks) leftMatched = new Uint8Array(l.length);
    const alike = decides ? alikeRows(l, leftRead) : null;
    if (alike) pending = alike.first.slice();
    if (right.batch.length) await pair(l, right.batch, 0);
    let base = right.batch.length;
    for (const path of right.files) {
      if (!open()) break;
      const r = ctx.spill.read(path);
      for (let b = r.next(); b && open(); b = r.next()) {
        ctx.hold(b, 'right rows read back');
        await pair(l, b, base);
        base += b.length;
        ctx.release(b);
      }
      ctx.spill.letGo(r);
    }
    if (alike) for (let i = 0; i < l.length; i++) leftMatched[i] = leftMatched[alike.first[alike.ids[i]]];
    // the piece's rows no right row matched (padded), or kept by their marks (the loop above stops
    // early only once enough are joined, or a SEMI or ANTI piece is decided)
    if (marks && !enough()) {
      for (const b of rowsMarked(l.columns, leftMatched, l.length, type === 'SEMI' ? 1 : 0)) await out(pads ? padBuildSide(b.columns, rightTypes, b.length) : b);
    }
  }, enough);
  if (rightMatched && !enough()) {
    // the right's rows no left row matched, its batch then its files' blocks
    const leftTypes = op.left.fields.map((f) => f.type);
    let base = 0;
    const padUnmatched = async (b: Batch) => {
      for (const un of rowsMarked(b.columns, rightMatched.subarray(base), b.length)) await out(padProbeSide(leftTypes, un.columns, un.length));
      base += b.length;
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
  dropRight();
  return rows;
}

/** Each row of `b`'s group of rows alike in columns `cols` (all alike without any), and each group's first row. */
function alikeRows(b: Batch, cols: number[]): { ids: Int32Array; first: Int32Array } {
  if (!cols.length) return { ids: new Int32Array(b.length), first: new Int32Array(1) };
  const { ids, groups } = groupIds(cols.map((i) => b.columns[i]), b.length);
  const first = new Int32Array(groups).fill(-1);
  for (let i = 0; i < b.length; i++) if (first[ids[i]] < 0) first[ids[i]] = i;
  return { ids, first };
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
