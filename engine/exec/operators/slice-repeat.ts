// Each row as many times as a count says (none for a count of 0, NULL or less), inside the
// slices: INTERSECT ALL and EXCEPT ALL keep a row as often as its copies' counts say.
import { type BExpr, usedColumns } from '../../plan/bound.ts';
import { explainExpr } from '../explain.ts';
import { SliceOperator, type PhysicalOperator } from './operator.ts';
import type { Layout, PipelineBuilder } from './pipeline.ts';
import type { Partitioning } from '../partitioning.ts';

export class SliceRepeatOp extends SliceOperator {
  constructor(readonly input: PhysicalOperator, readonly count: BExpr, estRows: number) {
    super(input.fields, [input], estRows);
  }

  explain(): string {
    return `Repeat each row ${explainExpr(this.count, this.input.fields)} times`;
  }

  /** Copies stay in their row's slice. */
  partitioning(slices: number): Partitioning | null {
    return (this.input as SliceOperator).partitioning(slices);
  }

  needs(wanted: Set<number>): Set<number>[] {
    return [usedColumns(this.count, new Set(wanted))];
  }

  pipe(b: PipelineBuilder): Layout {
    const layout = b.input(this.input);
    b.step({ k: 'repeat', count: b.lift(b.at(layout, this.count)) });
    return layout;
  }
}
