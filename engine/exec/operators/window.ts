// Window functions at the leader over the whole input (exec/window.ts computes them).
import type { Field, WindowCall } from '../../plan/logical.ts';
import { aggInputs, mapAggInputs } from '../../plan/bound.ts';
import type { Batch } from '../../types/vector.ts';
import { runWindows } from '../window.ts';
import { LeaderOperator } from './operator.ts';
import type { RunContext } from './run-context.ts';

export class WindowOp extends LeaderOperator {
  constructor(readonly input: LeaderOperator, readonly calls: WindowCall[], fields: Field[], estRows: number) {
    super(fields, [input], estRows);
  }

  explain(): string {
    return `Window: ${this.calls.map((c) => c.fn).join(', ')}`;
  }

  async run(ctx: RunContext): Promise<Batch> {
    const input = await ctx.run(this.input);
    const exprs = this.calls.flatMap((c) => [...c.args, ...(c.agg ? aggInputs(c.agg) : []), ...c.partitionBy, ...c.orderBy.map((k) => k.expr)]);
    const m = await ctx.withModels(input, exprs);
    ctx.reserve(input.length * 48 * this.calls.length, 'window');
    if (m.batch === input) return runWindows(input, this.calls, ctx.tick);
    let i = 0;
    const next = () => m.exprs[i++];
    const calls = this.calls.map((c) => ({
      ...c, args: c.args.map(next), agg: c.agg ? mapAggInputs(c.agg, next) : c.agg,
      partitionBy: c.partitionBy.map(next), orderBy: c.orderBy.map((k) => ({ ...k, expr: next() })),
    }));
    // drop the model columns again: the window results follow the input's own columns
    const out = runWindows(m.batch, calls, ctx.tick);
    return { length: out.length, columns: [...input.columns, ...out.columns.slice(m.batch.columns.length)] };
  }
}
