// A shared result: a plan with two parents (a decorrelated subquery's outer rows, read for its
// domain and joined back; an aggregate computed twice; a CTE read twice) runs once per
// execution; later readers get the rows the first kept in the run context. Its rows are pieces
// (row-pieces.ts) for a reader that takes them piece by piece: the first reader takes its input's
// pieces as they come. A result in files, or over a quarter of the statement's memory limit, is
// not kept in memory for the rest of the run: its batch goes to a spill file too, and every
// later reader reads the files a block at a time, through links of its own (a reader deletes
// what it read; the shared files go with the run's spill area). A reader that needs one batch
// puts the pieces together. A recursive query's step clears the ones it contains every round.
import type { SharedSlot } from '../../plan/logical.ts';
import type { Batch } from '../../types/vector.ts';
import { batchBytes } from '../memory-budget.ts';
import { CHUNK, emptyBatch, rowRange } from '../batches.ts';
import { LeaderOperator } from './operator.ts';
import type { RunContext } from './run-context.ts';
import { rowPieces, wholeRows, type RowPieces } from './row-pieces.ts';

/** Results with fewer rows are always kept in memory. */
const MIN_SPILL_ROWS = 1024;

/** A shared result kept for the run: its rows in memory, or its files of rows. */
export type KeptResult = Batch | { files: string[]; rows: number };

/** Per run (its map of kept results), the shared plans being computed now. */
const computing = new WeakMap<object, Map<SharedSlot, Promise<RowPieces>>>();

export class SharedOp extends LeaderOperator {
  constructor(readonly input: LeaderOperator, readonly slot: SharedSlot, readonly number: number) {
    super(input.fields, [input], input.estRows);
  }

  explain(): string {
    return `Shared result ${this.number} (runs once, read again below)`;
  }

  explainAgain(): string {
    return `Shared result ${this.number} (reused)`;
  }

  async run(ctx: RunContext): Promise<Batch> {
    return wholeRows(ctx, this.fields.map((f) => f.type), await this.pieces(ctx));
  }

  /** The rows for one reader: the first's as its input gives them, a later one's as they were kept. */
  async pieces(ctx: RunContext): Promise<RowPieces> {
    const kept = ctx.shared.get(this.slot);
    if (kept && 'files' in kept) return { batch: emptyBatch(this.fields.map((f) => f.type)), files: kept.files.map((f) => ctx.spill.link(f)), fileRows: kept.rows };
    if (kept) return { batch: kept, files: [], fileRows: 0 };
    // two readers at once (uncorrelated subqueries run concurrently): the later waits for the first's rows
    let now = computing.get(ctx.shared);
    if (!now) { now = new Map(); computing.set(ctx.shared, now); }
    const running = now.get(this.slot);
    if (running) { await running; return this.pieces(ctx); }
    const first = this.compute(ctx);
    now.set(this.slot, first);
    try {
      return await first;
    } finally {
      now.delete(this.slot);
    }
  }

  /**
   * Runs the plan and keeps its rows for later readers: in memory, or (in files, or over a
   * quarter of the limit) their files, the batch written to one first. The first reader takes
   * the batch in hand and links to the files.
   */
  private async compute(ctx: RunContext): Promise<RowPieces> {
    const got = await rowPieces(ctx, this.input);
    const rows = got.batch;
    if (!got.files.length && (rows.length <= MIN_SPILL_ROWS || batchBytes(rows) <= ctx.guard.memory.limitBytes / 4)) {
      ctx.keepForRun(rows);
      ctx.shared.set(this.slot, rows);
      return got;
    }
    const files = [...got.files];
    if (rows.length) {
      const file = ctx.spill.create('shared result');
      for (let start = 0; start < rows.length; start += CHUNK) {
        ctx.check();
        file.write(rowRange(rows, start, Math.min(CHUNK, rows.length - start)));
        await ctx.pause();
      }
      file.close();
      files.unshift(file.path);
    }
    ctx.shared.set(this.slot, { files, rows: rows.length + got.fileRows });
    return { batch: rows, files: got.files.map((f) => ctx.spill.link(f)), fileRows: got.fileRows };
  }
}
