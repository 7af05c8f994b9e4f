// The leader's side of a sort in the slices: every slice sends its rows as one sorted run (a
// full sort, or its top-N) and the leader k-way merges the runs (exec/merge-runs.ts), stopping
// after `limit` rows when a LIMIT only needs those.
import type { SortKey } from '../../plan/logical.ts';
import type { Batch } from '../../types/vector.ts';
import { mergeSortedRuns } from '../merge-runs.ts';
import { LeaderOperator } from './operator.ts';
import type { GatherOp } from './gather.ts';
import type { RunContext } from './run-context.ts';
import { explainKeys } from './sort.ts';
import { batchBytes } from '../memory-budget.ts';
import { mergeRunsOnDisk } from '../spill/external-sort.ts';

/** Bytes per row the merge keeps besides the rows: the order and the sort keys. */
const MERGE_ROW_BYTES = 16;

export class MergeSortedRunsOp extends LeaderOperator {
  constructor(readonly input: GatherOp, readonly keys: SortKey[], readonly limit: number | null, estRows: number) {
    super(input.fields, [input], estRows);
  }

  explain(): string {
    return `Merge sorted runs (k-way, one run per slice${this.limit !== null ? `, first ${this.limit} rows` : ''}): ${explainKeys(this.keys, this.input.fields)}`;
  }

  async run(ctx: RunContext): Promise<Batch> {
    return (await this.merge(ctx, false)).batch;
  }

  /**
   * The merged rows for a client that reads them a piece at a time: when the runs are merged
   * from disk (they would not fit), the merged rows go to a file too, which the client reads
   * back, so the sorted result is never whole in memory.
   */
  async runForClient(ctx: RunContext): Promise<{ batch: Batch; files: string[]; fileRows: number }> {
    return ctx.recordPieces(this, () => this.merge(ctx, true));
  }

  private async merge(ctx: RunContext, toFile: boolean): Promise<{ batch: Batch; files: string[]; fileRows: number }> {
    const { runs, files } = await ctx.timed(this.input, () => this.input.gatherRuns(ctx));
    const starts = [0];
    for (const r of runs) starts.push(starts[starts.length - 1] + r.length);
    ctx.record(this.input, starts[starts.length - 1]);
    const types = this.fields.map((f) => f.type);
    // the runs, their concatenation and the merge's order do not fit: merge them from disk
    const rows = starts[starts.length - 1];
    // (or slices' sorts went over it and sent sorted run files instead of rows)
    if (files.length || (runs.length > 1 && runs.reduce((s, r) => s + batchBytes(r), 0) + rows * MERGE_ROW_BYTES > ctx.guard.memory.availableBytes)) {
      if (!toFile) return { batch: await mergeRunsOnDisk(ctx, runs, types, this.keys, this.limit ?? Infinity, files), files: [], fileRows: 0 };
      const into = ctx.spill.create('result rows');
      let written = 0;
      const batch = await mergeRunsOnDisk(ctx, runs, types, this.keys, this.limit ?? Infinity, files, (chunk) => { into.write(chunk); written += chunk.length; });
      into.close();
      return { batch, files: [into.path], fileRows: written };
    }
    const all = await ctx.concatHeld(types, runs, 'sorted runs');
    ctx.reserve(all.length * MERGE_ROW_BYTES, 'merge');
    const merged = await mergeSortedRuns(all, starts, this.keys, this.limit ?? all.length, ctx.tick, ctx.pause);
    return { batch: ctx.hold(merged, 'merge'), files: [], fileRows: 0 };
  }
}
