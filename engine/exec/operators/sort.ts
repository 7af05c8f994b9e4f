// Sort at the leader: sorted runs merged with yields to the event loop (batch-sort.ts).
import type { Field, SortKey } from '../../plan/logical.ts';
import type { Batch } from '../../types/vector.ts';
import { sortBatchYielding } from '../batch-sort.ts';
import { explainExpr } from '../explain.ts';
import { LeaderOperator } from './operator.ts';
import type { RunContext } from './run-context.ts';

export function explainKeys(keys: SortKey[], fields: Field[]): string {
  return keys.map((k) => `${explainExpr(k.expr, fields)}${k.desc ? ' DESC' : ''}`).join(', ');
}

export class SortOp extends LeaderOperator {
  constructor(readonly input: LeaderOperator, readonly keys: SortKey[], estRows: number) {
    super(input.fields, [input], estRows);
  }

  explain(): string {
    return `Sort: ${explainKeys(this.keys, this.input.fields)}`;
  }

  async run(ctx: RunContext): Promise<Batch> {
    const input = await ctx.run(this.input);
    const m = await ctx.withModels(input, this.keys.map((k) => k.expr));
    ctx.reserve(input.length * 24, 'sort');
    const sorted = await sortBatchYielding(m.batch, this.keys.map((k, i) => ({ ...k, expr: m.exprs[i] })), ctx.tick, ctx.pause);
    return ctx.hold({ length: sorted.length, columns: sorted.columns.slice(0, input.columns.length) }, 'sort');
  }
}
