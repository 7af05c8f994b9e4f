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
}
