// Top-N inside every slice (ORDER BY ... LIMIT n): each slice keeps only its first n rows in the
// sort order, so the leader sorts at most n rows per slice. The leader's Sort and Limit above
// finish the job.
import type { SortKey } from '../../plan/logical.ts';
import { SliceOperator, type PhysicalOperator } from './operator.ts';
import type { Layout, PipelineBuilder } from './pipeline.ts';
import type { Partitioning } from '../partitioning.ts';
import { explainKeys, sortNeeds } from './sort.ts';

export class SliceTopNOp extends SliceOperator {
  readonly decidesOutput = true;

  partitioning(): Partitioning | null {
    return null;
  }

  constructor(readonly input: PhysicalOperator, readonly keys: SortKey[], readonly limit: number, estRows: number) {
    super(input.fields, [input], estRows);
  }

  explain(): string {
    return `Top-N ${this.limit} per slice: ${explainKeys(this.keys, this.input.fields)}`;
  }

  needs(): Set<number>[] {
    return sortNeeds(this.fields, this.keys);
  }

  pipe(b: PipelineBuilder): Layout {
    const layout = b.input(this.input);
    b.output({ kind: 'rows', exprs: layout.map((e) => e!), topN: { keys: this.keys, limit: this.limit } });
    return layout;
  }
}
