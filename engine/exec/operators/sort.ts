// Sort at the leader: sorted runs merged with yields to the event loop (batch-sort.ts); over the
// statement's memory budget, runs sorted and written to disk, then merged (spill/external-sort.ts).
import type { Field, SortKey } from '../../plan/logical.ts';
import type { Batch } from '../../types/vector.ts';
import { sortBatchYielding } from '../batch-sort.ts';
import { explainExpr } from '../explain.ts';
import { usedColumns } from '../../plan/bound.ts';
import { LeaderOperator } from './operator.ts';
import { batchBytes } from '../memory-budget.ts';
import { externalSort, SORT_ROW_BYTES } from '../spill/external-sort.ts';

/** Inputs this small always sort in memory. */
const MIN_SPILL_ROWS = 4096;
import type { RunContext } from './run-context.ts';

export function explainKeys(keys: SortKey[], fields: Field[]): string {
  return keys.map((k) => `${explainExpr(k.expr, fields)}${k.desc ? ' DESC' : ''}`).join(', ');
}

/** What a slice sort needs from its input: every field in order (the keys index them) and what the keys read. */
export function sortNeeds(fields: Field[], keys: SortKey[]): Set<number>[] {
  const used = new Set(fields.map((_, i) => i));
  for (const k of keys) usedColumns(k.expr, used);
  return [used];
}

export class SortOp extends LeaderOperator {
  constructor(readonly input: LeaderOperator, readonly keys: SortKey[], estRows: number) {
    super(input.fields, [input], estRows);
  }

  explain(): string {
    return `Sort: ${explainKeys(this.keys, this.input.fields)}`;
  }

  async run(ctx: RunContext): Promise<Batch> {
    // the input is only reachable through `input`, so an external sort can let it be collected
    const input: { batch: Batch | null } = { batch: await ctx.run(this.input) };
    const width = input.batch!.columns.length;
    const keys = await this.keysOver(ctx, input);
    const n = input.batch!.length;
    // sorting in memory needs the indices and a sorted copy of the rows besides the input
    const rowBytes = SORT_ROW_BYTES + batchBytes(input.batch!) / Math.max(1, n);
    let sorted: Batch;
    if (n > MIN_SPILL_ROWS && n * rowBytes > ctx.guard.memory.availableBytes) {
      // runs that fit in half of what is left, as each run is sorted into a copy
      sorted = await externalSort(ctx, input, keys, Math.max(MIN_SPILL_ROWS, Math.floor(ctx.guard.memory.availableBytes / 2 / rowBytes)));
    } else {
      ctx.reserve(n * SORT_ROW_BYTES, 'sort');
      sorted = await sortBatchYielding(input.batch!, keys, ctx.tick, ctx.pause);
    }
    return ctx.hold({ length: sorted.length, columns: sorted.columns.slice(0, width) }, 'sort');
  }

  /** The sort keys over the input, with model calls in them computed as columns appended to it. */
  private async keysOver(ctx: RunContext, input: { batch: Batch | null }): Promise<SortKey[]> {
    const m = await ctx.withModels(input.batch!, this.keys.map((k) => k.expr));
    input.batch = m.batch;
    return this.keys.map((k, i) => ({ ...k, expr: m.exprs[i] }));
  }
}
