// Window functions at the leader over the whole input (exec/window.ts computes them). When the
// input's rows and the windows' work would not fit in what is left of the statement's budget,
// and every call has a PARTITION BY key in common, the rows go to spill files by that key's hash
// (a window partition is whole in one file) and the windows run one file at a time, as in the
// slices; a file of one partition too big to compute goes through the external sort (below)
// straight from the file, as a slice's does (sorted-windows.ts filePieces). An
// input in pieces (row-pieces.ts) goes to those files a piece at a time once it would not fit
// (distinct.ts partitionedInput); rows computed by partitions go to a consumer that takes pieces
// (a GROUP BY, sort, join, ...) as each partition is done (pieces), and to a client through a
// file. Windows without a shared PARTITION BY that would not fit go through
// the external sort, a group of calls at a time (spill/sorted-windows.ts). Model calls a window
// reads are computed by a projection below it (plan/window-models.ts): calls here read values.
import type { Field, WindowCall } from '../../plan/logical.ts';
import type { BExpr } from '../../plan/bound.ts';
import type { Batch } from '../../types/vector.ts';
import { runWindows } from '../window.ts';
import { batchBytes } from '../memory-budget.ts';
import { byKeyPartitions, type RowsOrPartitions } from '../spill/spill-rows.ts';
import { partitionedInput } from './distinct.ts';
import type { RowPieces } from './row-pieces.ts';
import { LeaderOperator } from './operator.ts';
import { sharedPartitionKeys } from '../window.ts';
import { eachPiece, rowPieces, rowsInFile, wholeRows } from './row-pieces.ts';
import { filePieces, sortedWindows, sortedWindowsInto } from '../spill/sorted-windows.ts';
import { emptyBatch } from '../batches.ts';
import type { SpillWriter } from '../spill/spill-file.ts';
import type { RunContext } from './run-context.ts';

/** Inputs this small always compute in memory. */
const MIN_SPILL_ROWS = 1024;
/** Bytes of work per row and call: the row's values and its place in the order, and the result. */
const WINDOW_ROW_BYTES = 48;

export class WindowOp extends LeaderOperator {
  constructor(readonly input: LeaderOperator, readonly calls: WindowCall[], fields: Field[], estRows: number) {
    super(fields, [input], estRows);
  }

  explain(): string {
    return `Window: ${this.calls.map((c) => c.fn).join(', ')}`;
  }

  async run(ctx: RunContext): Promise<Batch> {
    return (await this.rows(ctx, false)).batch;
  }

  /** The rows as a batch and files, for a client or to be put together for a consumer that needs one batch (one that takes pieces gets them from `pieces`): computed by partitions, each file's rows go to a file. */
  async runForClient(ctx: RunContext): Promise<RowPieces> {
    return ctx.recordPieces(this, () => this.rows(ctx, true));
  }

  /** The rows: one batch; with `toFile`, in pieces (partitions' rows in a file); with `consume`, each partition's handed to it. */
  private async rows(ctx: RunContext, toFile: boolean, consume?: (b: Batch) => Promise<void>): Promise<RowPieces> {
    const keys = sharedPartitionKeys(this.calls);
    if (!keys.length) return this.sortedRows(ctx, toFile);
    const types = this.input.fields.map((f) => f.type);
    // an input in pieces goes to partition files by the keys' hash once its rows and work would not fit
    // (the input is only reachable through `held`, so spilling can let it be collected)
    const held: RowsOrPartitions = await partitionedInput(ctx, this.input, types, 'window', WINDOW_ROW_BYTES * this.calls.length * 2, keys);
    const n = held.batch?.length ?? 0;
    if (held.files || (n > MIN_SPILL_ROWS && this.work(n) + batchBytes(held.batch!) > ctx.guard.memory.availableBytes)) return this.byPartitions(ctx, held, keys, toFile, consume);
    return { batch: this.inMemory(ctx, held.batch!), files: [], fileRows: 0 };
  }

  /**
   * Windows without a shared PARTITION BY: in memory when the rows and the work fit, else
   * through the external sort, a group of calls at a time (spill/sorted-windows.ts).
   */
  private async sortedRows(ctx: RunContext, toFile: boolean): Promise<RowPieces> {
    const got = await rowPieces(ctx, this.input);
    if (this.fitsWhole(ctx, got)) return { batch: this.inMemory(ctx, got.batch), files: [], fileRows: 0 };
    const out = await sortedWindows(ctx, got, this.input.fields.map((f) => f.type), this.calls);
    return toFile ? out : { batch: await wholeRows(ctx, this.fields.map((f) => f.type), out), files: [], fileRows: 0 };
  }

  /**
   * The rows a piece at a time for a consumer that takes pieces (row-pieces.ts forEachPiece):
   * without a shared PARTITION BY and over the budget, the last group's walk hands its blocks on
   * as it makes them, with no file of them (a sort of the rows writes its runs and merged file
   * as this does, not also a third copy); otherwise the pieces a client gets.
   */
  async pieces(ctx: RunContext, consume: (b: Batch) => Promise<void>, enough: () => boolean): Promise<void> {
    // computed by partitions, each partition's rows as they are computed; else the one batch
    if (sharedPartitionKeys(this.calls).length) return eachPiece(ctx, await this.rows(ctx, false, consume), consume, enough);
    const got = await rowPieces(ctx, this.input);
    if (this.fitsWhole(ctx, got)) return eachPiece(ctx, { batch: this.inMemory(ctx, got.batch), files: [], fileRows: 0 }, consume);
    return sortedWindowsInto(ctx, got, this.input.fields.map((f) => f.type), this.calls, consume);
  }

  /** Whether the input's rows and the windows' work fit in memory (an input with files never does). */
  private fitsWhole(ctx: RunContext, got: RowPieces): boolean {
    const n = got.batch.length;
    return !got.files.length && (n <= MIN_SPILL_ROWS || this.work(n) + batchBytes(got.batch) <= ctx.guard.memory.availableBytes);
  }

  private work(rows: number): number {
    return rows * WINDOW_ROW_BYTES * this.calls.length;
  }

  /**
   * The input through spill files by the hash of `keys`, each file's windows computed alone; a
   * file too big that no split parts (one key's rows) goes through the external sort from the
   * file, never read whole. Each partition's rows go, with `consume`, to it as they are computed
   * (a sorted one's as its walk makes them), with `toFile` to a file (a sorted one's file handed
   * on as it is), else into one batch.
   */
  private async byPartitions(ctx: RunContext, held: RowsOrPartitions, keys: BExpr[], toFile: boolean, consume?: (b: Batch) => Promise<void>): Promise<RowPieces> {
    const types = this.input.fields.map((f) => f.type);
    const outTypes = this.fields.map((f) => f.type);
    // a partition fits when its work and its output's window columns do
    const fits = ([rows]: number[]) => rows <= MIN_SPILL_ROWS || this.work(rows) * 2 <= ctx.guard.memory.availableBytes;
    const sortedFiles: RowPieces[] = [];
    const tooBig = async ([file]: SpillWriter[]) => {
      if (consume) { await sortedWindowsInto(ctx, filePieces(file, types), types, this.calls, consume); return emptyBatch(outTypes); }
      const sorted = await sortedWindows(ctx, filePieces(file, types), types, this.calls);
      if (!toFile) return wholeRows(ctx, outTypes, sorted);
      sortedFiles.push(sorted);
      return sorted.batch;
    };
    const each = ([rows]: Batch[]) => {
      const working = ctx.reserve(this.work(rows.length), 'window');
      const out = runWindows(rows, this.calls, ctx.tick);
      ctx.release(working);
      return out;
    };
    if (consume) {
      await byKeyPartitions(ctx, [held], keys, types, 'window', fits, each, { into: consume, tooBig });
      return { batch: emptyBatch(outTypes), files: [], fileRows: 0 };
    }
    if (!toFile) return { batch: await ctx.concatHeld(outTypes, await byKeyPartitions(ctx, [held], keys, types, 'window', fits, each, { tooBig }), 'window'), files: [], fileRows: 0 };
    const out = await rowsInFile(ctx, outTypes, async (put) => { await byKeyPartitions(ctx, [held], keys, types, 'window', fits, each, { into: put, tooBig }); });
    for (const f of sortedFiles) { out.files.push(...f.files); out.fileRows += f.fileRows; }
    return out;
  }

  private inMemory(ctx: RunContext, input: Batch): Batch {
    ctx.reserve(this.work(input.length), 'window');
    return runWindows(input, this.calls, ctx.tick);
  }
}
