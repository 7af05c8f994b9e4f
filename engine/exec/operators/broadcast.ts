// Broadcast exchange: the leader runs its input (a small side of a join) and sends the result,
// cut to the columns the slices read plus the join keys, to every slice with the pipeline that
// probes it. An input in pieces (row-pieces.ts) is cut a piece at a time and held up to a quarter
// of what is left; the rest goes to a file every slice reads a block at a time, into its grace
// join (slice-worker.ts buildOrSpill), and the leader removes once the slices are done.
import type { Batch } from '../../types/vector.ts';
import type { SqlType } from '../../types/types.ts';
import { LeaderOperator } from './operator.ts';
import type { RunContext } from './run-context.ts';
import { forEachPiece, type RowPieces } from './row-pieces.ts';
import { JoinedRows } from './nested-loop.ts';

export class BroadcastOp extends LeaderOperator {
  constructor(readonly input: LeaderOperator) {
    super(input.fields, [input], input.estRows);
  }

  explain(): string {
    return 'Broadcast (leader -> every slice)';
  }

  async run(ctx: RunContext): Promise<Batch> {
    return ctx.run(this.input);
  }

  /** The build side with only the fields the slices read (the input skips the others if it can). */
  async runFields(ctx: RunContext, want: Set<number>): Promise<{ batch: Batch; fields: number[] }> {
    ctx.check();
    const out = await ctx.timed(this, () => this.input.runFields(ctx, want));
    ctx.record(this, out.batch.length);
    return out;
  }

  /** The rows of an input in pieces, each piece cut by `cut` (to columns of `types`): held, then in a file. */
  async runPieces(ctx: RunContext, types: SqlType[], cut: (piece: Batch) => Batch): Promise<RowPieces> {
    ctx.check();
    return ctx.recordPieces(this, async () => {
      const rows = new JoinedRows(ctx, 'broadcast rows');
      await forEachPiece(ctx, this.input, async (piece) => rows.add(cut(piece)));
      return rows.done(types);
    });
  }
}
