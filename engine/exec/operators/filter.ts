// Filter: keeps the rows where a predicate is TRUE. In the slices, a filter right above the scan
// is fused into the scan's loop (and its zone maps skip segments and blocks); later ones are
// steps of the slice pipeline. At the leader it filters a batch in chunks.
import type { BExpr } from '../../plan/bound.ts';
import { usedColumns } from '../../plan/bound.ts';
import type { Batch } from '../../types/vector.ts';
import { explainExpr } from '../explain.ts';
import { LeaderOperator, SliceOperator, type PhysicalOperator } from './operator.ts';
import type { Layout, PipelineBuilder } from './pipeline.ts';
import type { Partitioning } from '../partitioning.ts';
import type { RunContext } from './run-context.ts';
import { piecesWhole, streams } from './row-pieces.ts';
import { ScanOp } from './scan.ts';

export class FilterOp extends LeaderOperator {
  constructor(readonly input: LeaderOperator, readonly pred: BExpr, estRows: number) {
    super(input.fields, [input], estRows);
  }

  explain(): string {
    return `Filter: ${explainExpr(this.pred, this.input.fields)}`;
  }

  async run(ctx: RunContext): Promise<Batch> {
    if (streams(this.input)) return piecesWhole(ctx, this);
    return this.apply(ctx, await ctx.run(this.input));
  }

  /** The rows of one batch of the input that pass (a piece of rows for a client, executor.ts). */
  async apply(ctx: RunContext, input: Batch): Promise<Batch> {
    return ctx.keep(input, this.pred);
  }
}

export class SliceFilterOp extends SliceOperator {
  constructor(readonly input: PhysicalOperator, readonly pred: BExpr, estRows: number) {
    super(input.fields, [input], estRows);
  }

  /** Whether the filter sits right on the scan, so it is fused into it. */
  get onScan(): boolean {
    return this.input instanceof ScanOp;
  }

  explain(): string {
    return `Filter${this.onScan ? ' (fused into the scan; zone maps prune segments)' : ''}: ${explainExpr(this.pred, this.input.fields)}`;
  }

  partitioning(slices: number): Partitioning | null {
    return (this.input as SliceOperator).partitioning(slices);
  }

  needs(wanted: Set<number>): Set<number>[] {
    return [usedColumns(this.pred, new Set(wanted))];
  }

  pipe(b: PipelineBuilder): Layout {
    const layout = b.input(this.input);
    b.filter(b.at(layout, this.pred));
    return layout;
  }
}
