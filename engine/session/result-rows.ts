// A query's result read by a client a piece at a time (Result.stream): the rows the leader holds
// (one batch, what the slices kept in memory or what a leader operator produced) and then the
// files of rows slices wrote once their rows passed their share of the statement's budget. Rows
// are formatted only as they are read, so a client paging through a large result holds a page
// of formatted rows, never the whole result; the files live in a directory of their own in the
// data directory's temp area, deleted when the stream is closed (the temp area is emptied when
// the database opens, for what a crash left).
import { rmSync, statSync } from 'node:fs';
import type { Batch } from '../types/vector.ts';
import type { RowStream } from '../result.ts';
import { SpillReader } from '../exec/spill/spill-file.ts';
import { batchBytes } from '../exec/memory-budget.ts';
import { rowRange } from '../exec/batches.ts';
import { formatAt } from './format.ts';
import { SqlError } from '../errors.ts';

export class ResultRows implements RowStream {
  private block: Batch | null;
  /** the next row of `block` to read */
  private at = 0;
  private read = 0;
  private file = 0;
  private reader: SpillReader | null = null;
  private closed = false;
  readonly heldBytes: number;

  /**
   * `batch`: the rows in memory, read first; `files`: files of rows in `dir`, read in order;
   * `width`: the visible columns (the first ones); `total`: rows in both.
   */
  constructor(batch: Batch, private readonly files: string[], private readonly dir: string | null, private readonly width: number, readonly total: number) {
    this.block = batch.length ? batch : null;
    let bytes = batchBytes(batch);
    for (const f of files) bytes += statSync(f).size;
    this.heldBytes = bytes;
  }

  get remaining(): number {
    return this.total - this.read;
  }

  next(n: number): unknown[][] {
    if (this.closed) {
      if (this.remaining === 0) return [];
      throw new SqlError('INTERNAL_ERROR', 'a result was read after it was closed');
    }
    const out: unknown[][] = [];
    while (out.length < n) {
      const b = this.current();
      if (!b) break;
      const to = Math.min(b.length, this.at + n - out.length);
      for (let r = this.at; r < to; r++) {
        const row: unknown[] = new Array(this.width);
        for (let c = 0; c < this.width; c++) row[c] = formatAt(b.columns[c], r);
        out.push(row);
      }
      this.at = to;
    }
    this.read += out.length;
    if (this.remaining === 0) this.close();
    return out;
  }

  /** The next rows, at most `n`, as a batch of all the columns (unformatted); null at the end. */
  nextBatch(n: number): Batch | null {
    if (this.closed && this.remaining > 0) throw new SqlError('INTERNAL_ERROR', 'a result was read after it was closed');
    const b = this.closed ? null : this.current();
    if (!b) return null;
    const len = Math.min(n, b.length - this.at);
    const out = this.at === 0 && len === b.length ? b : rowRange(b, this.at, len);
    this.at += len;
    this.read += len;
    if (this.remaining === 0) this.close();
    return out;
  }

  /** The block rows are read from now, the next file's next block once one is read through. */
  private current(): Batch | null {
    while (!this.block || this.at >= this.block.length) {
      this.block = null;
      this.at = 0;
      if (!this.reader) {
        if (this.file >= this.files.length) return null;
        this.reader = new SpillReader(this.files[this.file++]);
      }
      const b = this.reader.next();
      if (b) this.block = b;
      else { this.reader.close(); rmSync(this.reader.path, { force: true }); this.reader = null; }
    }
    return this.block;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.block = null;
    try { this.reader?.close(); } catch { /* already closed */ }
    this.reader = null;
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
  }
}
