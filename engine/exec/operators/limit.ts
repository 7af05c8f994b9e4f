// LIMIT / OFFSET. At the leader it cuts the rows; in the slices (a LIMIT without ORDER BY) the
// slices count the rows they keep together (gather.ts sends them a shared counter) and each stops
// scanning once the count reaches limit + offset.
import type { Batch } from '../../types/vector.ts';
import { sliceRows } from '../batches.ts';
import { LeaderOperator, SliceOperator, type PhysicalOperator } from './operator.ts';
import type { Layout, PipelineBuilder } from './pipeline.ts';
import type { Partitioning } from '../partitioning.ts';
import type { RunContext } from './run-context.ts';
import { piecesWhole, streams } from './row-pieces.ts';

export class LimitOp extends LeaderOperator {
  constructor(readonly input: LeaderOperator, readonly limit: number | null, readonly offset: number, estRows: number) {
    super(input.fields, [input], estRows);
  }

  explain(): string {
    return `Limit ${this.limit ?? 'ALL'}${this.offset ? ` OFFSET ${this.offset}` : ''}`;
  }

  async run(ctx: RunContext): Promise<Batch> {
    // an input in pieces is read only as far as the LIMIT needs (a UNION ALL's input it does not reach is not run)
    if (streams(this.input)) return piecesWhole(ctx, this);
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
