// A cursor over rows in pieces (a batch, then spill files) that moves forward row by row and
// holds one block of them at a time, with the values of some expressions over that block
// computed when first asked for. Several cursors over the same rows read them at different
// places (a window's current row, the end of its frame, the end of its partition): each has its
// own reader of the files, and none deletes them.
import type { Batch } from '../../types/vector.ts';
import type { BExpr } from '../../plan/bound.ts';
import { projectBatch } from '../kernels.ts';
import { rowRange } from '../batches.ts';
import { valuesOf, type V } from '../window.ts';
import type { SpillReader } from './spill-file.ts';
import type { RowsContext } from '../operators/run-context.ts';
import type { RowPieces } from '../operators/row-pieces.ts';

/** Rows of the in-memory batch a cursor takes at a time. */
const BATCH_BLOCK = 8192;

export class RowCursor {
  /** the block holding the current row, and the position of its first row among all rows */
  block: Batch | null = null;
  blockStart = 0;
  /** the position of the next block's first row */
  private nextStart = 0;
  /** the next piece to read: the batch's blocks first, then each file's */
  private nextBatchRow = 0;
  private file = 0;
  private reader: SpillReader | null = null;
  private values: (V[] | undefined)[] = [];
  private readBlock = false;

  constructor(private readonly ctx: RowsContext, private readonly rows: RowPieces, private readonly exprs: BExpr[]) {}

  /** Moves to row `p` (forward; back starts over from the first row) and returns its index in `block`, or -1 past the last row. */
  to(p: number): number {
    if (p < this.blockStart) this.restart();
    while (!this.block || p >= this.blockStart + this.block.length) if (!this.load()) return -1;
    return p - this.blockStart;
  }

  /** The value of expression `e` at index `r` of the current block. */
  value(e: number, r: number): V {
    return (this.values[e] ??= valuesOf(projectBatch(this.block!, [this.exprs[e]], null, this.block!.length)[0]))[r];
  }

  /** Gives back the block and closes the reader (the files stay). */
  close(): void {
    this.drop();
    if (this.reader) this.ctx.spill.letGo(this.reader);
    this.reader = null;
  }

  private restart(): void {
    this.close();
    this.nextBatchRow = 0;
    this.file = 0;
    this.blockStart = this.nextStart = 0;
  }

  private drop(): void {
    if (this.block && this.readBlock) this.ctx.release(this.block);
    this.block = null;
    this.values = [];
  }

  /** Reads the next block into `block`; false at the end of the rows. */
  private load(): boolean {
    this.drop();
    this.ctx.check();
    this.blockStart = this.nextStart;
    const batch = this.rows.batch;
    if (this.nextBatchRow < batch.length) {
      const n = Math.min(BATCH_BLOCK, batch.length - this.nextBatchRow);
      this.block = rowRange(batch, this.nextBatchRow, n);
      this.nextBatchRow += n;
      this.nextStart += n;
      this.readBlock = false;
      return true;
    }
    while (this.file < this.rows.files.length) {
      this.reader ??= this.ctx.spill.read(this.rows.files[this.file]);
      const b = this.reader.next();
      if (b) {
        this.block = this.ctx.hold(b, 'window rows read back');
        this.nextStart += b.length;
        this.readBlock = true;
        return true;
      }
      this.ctx.spill.letGo(this.reader);
      this.reader = null;
      this.file++;
    }
    return false;
  }
}
