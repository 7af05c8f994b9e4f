// Broadcast exchange: the leader runs its input (a small side of a join) and sends the whole
// result, cut to the columns the slices read plus the join keys, to every slice with the
// pipeline that probes it.
import type { Batch } from '../../types/vector.ts';
import { LeaderOperator } from './operator.ts';
import type { RunContext } from './run-context.ts';

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
    const t0 = performance.now();
    const out = await this.input.runFields(ctx, want);
    ctx.record(this, out.batch.length, performance.now() - t0);
    return out;
  }
}
