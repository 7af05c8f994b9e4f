// Sort inside every slice (ORDER BY without LIMIT over a slice pipeline): each slice sorts its
// own partition and sends it as one sorted run; the leader k-way merges the runs
// (MergeSortedRunsOp) instead of sorting every row itself.
import type { SortKey } from '../../plan/logical.ts';
import { SliceOperator, type PhysicalOperator } from './operator.ts';
import type { Layout, PipelineBuilder } from './pipeline.ts';
import type { Partitioning } from '../partitioning.ts';
import { explainKeys, sortNeeds } from './sort.ts';

export class SliceSortOp extends SliceOperator {
  readonly decidesOutput = true;

  constructor(readonly input: PhysicalOperator, readonly keys: SortKey[], estRows: number) {
    super(input.fields, [input], estRows);
  }

  explain(): string {
    return `Sort per slice: ${explainKeys(this.keys, this.input.fields)}`;
  }

  /** The rows stay where they were; only their order changes. */
  partitioning(slices: number): Partitioning | null {
    return (this.input as SliceOperator).partitioning(slices);
  }

  needs(): Set<number>[] {
    return sortNeeds(this.fields, this.keys);
  }

  pipe(b: PipelineBuilder): Layout {
    const layout = b.input(this.input);
    b.output({ kind: 'rows', exprs: layout.map((e) => e!), sort: this.keys });
    return layout;
  }
}
