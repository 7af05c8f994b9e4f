// A shared result: a plan with two parents (a decorrelated subquery's outer rows, read for its
// domain and joined back) runs once per execution; the second reader gets the rows the first
// kept in the run context. A recursive query's step clears the ones it contains every round.
import type { SharedSlot } from '../../plan/logical.ts';
import type { Batch } from '../../types/vector.ts';
import { LeaderOperator } from './operator.ts';
import type { RunContext } from './run-context.ts';

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
    const kept = ctx.shared.get(this.slot);
    if (kept) return kept;
    const rows = await ctx.run(this.input);
    ctx.keepForRun(rows);
    ctx.shared.set(this.slot, rows);
    return rows;
  }
}
