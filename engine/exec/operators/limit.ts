// LIMIT / OFFSET. At the leader it cuts the rows; in the slices (a LIMIT without ORDER BY) each
// slice stops scanning once it has limit + offset rows.
import type { Batch } from '../../types/vector.ts';
import { sliceRows } from '../batches.ts';
import { LeaderOperator, SliceOperator, type PhysicalOperator } from './operator.ts';
import type { Layout, PipelineBuilder } from './pipeline.ts';
import type { Partitioning } from '../partitioning.ts';
import type { RunContext } from './run-context.ts';

export class LimitOp extends LeaderOperator {
  constructor(readonly input: LeaderOperator, readonly limit: number | null, readonly offset: number, estRows: number) {
    super(input.fields, [input], estRows);
  }

  explain(): string {
    return `Limit ${this.limit ?? 'ALL'}${this.offset ? ` OFFSET ${this.offset}` : ''}`;
  }

  async run(ctx: RunContext): Promise<Batch> {
    return sliceRows(await ctx.run(this.input), this.offset, this.limit);
  }
}

export class SliceLimitOp extends SliceOperator {
  readonly decidesOutput = true;

  partitioning(): Partitioning | null {
    return null;
  }

  constructor(readonly input: PhysicalOperator, readonly limit: number, estRows: number) {
    super(input.fields, [input], estRows);
  }

  explain(): string {
    return `Limit ${this.limit} per slice`;
  }

  needs(wanted: Set<number>): Set<number>[] {
    return [wanted];
  }

  pipe(b: PipelineBuilder): Layout {
    const layout = b.input(this.input);
    b.output({ kind: 'rows', exprs: layout.map((e) => e!), limit: this.limit });
    return layout;
  }
}
