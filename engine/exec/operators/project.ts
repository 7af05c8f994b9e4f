// Project: computes the output columns from expressions over the input. In the slices it adds no
// step of its own: later steps read its expressions in place of its columns.
import type { BExpr } from '../../plan/bound.ts';
import { usedColumns } from '../../plan/bound.ts';
import type { Field } from '../../plan/logical.ts';
import type { Batch } from '../../types/vector.ts';
import { LeaderOperator, SliceOperator, type PhysicalOperator } from './operator.ts';
import type { Layout, PipelineBuilder } from './pipeline.ts';
import { projectPartitioning, type Partitioning } from '../partitioning.ts';
import type { RunContext } from './run-context.ts';
import { piecesWhole, streams } from './row-pieces.ts';

const names = (fields: Field[]) => fields.filter((f) => !f.hidden).map((f) => f.name).join(', ');

export class ProjectOp extends LeaderOperator {
  constructor(readonly input: LeaderOperator, readonly exprs: BExpr[], fields: Field[], estRows: number) {
    super(fields, [input], estRows);
  }

  explain(): string {
    return `Project: ${names(this.fields)}`;
  }

  async run(ctx: RunContext): Promise<Batch> {
    if (streams(this.input)) return piecesWhole(ctx, this);
    return this.apply(ctx, await ctx.run(this.input));
  }

  /** The projection of one batch of the input (a piece of rows for a client, executor.ts). */
  async apply(ctx: RunContext, input: Batch): Promise<Batch> {
    const m = await ctx.withModels(input, this.exprs);
    return { length: input.length, columns: await ctx.project(m.batch, m.exprs) };
  }
}

export class SliceProjectOp extends SliceOperator {
  constructor(readonly input: PhysicalOperator, readonly exprs: BExpr[], fields: Field[], estRows: number) {
    super(fields, [input], estRows);
  }

  explain(): string {
    return `Project: ${names(this.fields)}`;
  }

  partitioning(slices: number): Partitioning | null {
    return projectPartitioning((this.input as SliceOperator).partitioning(slices), this.exprs);
  }

  needs(wanted: Set<number>): Set<number>[] {
    const used = new Set<number>();
    for (const i of wanted) usedColumns(this.exprs[i], used);
    return [used];
  }

  pipe(b: PipelineBuilder): Layout {
    const layout = b.input(this.input);
    const wanted = b.wantedOf(this);
    return this.exprs.map((e, i) => (wanted.has(i) ? b.lift(b.at(layout, e)) : null));
  }
}
