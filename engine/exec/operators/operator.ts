// The physical operator contract. A physical plan is an immutable tree of operators made once
// per statement by `exec/physical-planner.ts` from the optimized logical plan; everything a run
// changes (batches, hash tables, counters, timings) lives in the RunContext, so one tree can run
// again (the step of a recursive query) and EXPLAIN can print a tree it never ran.
//
// Every operator states its output fields, its children, where it runs and its estimated rows.
// Leader operators produce their whole output with `run`. Slice operators run inside every
// slice, over that slice's partition, as steps of one pipeline (scan -> filter -> hash probes
// -> project | partial aggregate | top-N | limit); the Gather exchange above them compiles the
// pipeline for the slices (`pipe`, see pipeline.ts), and the Broadcast exchange moves a leader
// result into every slice (a join's build side).
import type { Field } from '../../plan/logical.ts';
import type { Batch } from '../../types/vector.ts';
import type { RunContext } from './run-context.ts';
import type { PipelineBuilder, Layout } from './pipeline.ts';
import type { Partitioning } from '../partitioning.ts';

/** Where an operator runs: inside every slice on its own partition, or at the leader. */
export type Placement = 'slices' | 'leader';

export abstract class PhysicalOperator {
  abstract readonly placement: Placement;

  constructor(readonly fields: Field[], readonly children: PhysicalOperator[], readonly estRows: number) {}

  /**
   * One line for EXPLAIN: the operator and what it does (where it runs is added by the printer).
   * `whole`: it is inside a build side every slice computes whole by itself (`inputsWhole`), where
   * no rows move between the slices.
   */
  abstract explain(whole?: boolean): string;

  /** Whether every slice computes this operator's inputs whole by itself (a build side not broadcast: replicated.ts). */
  get inputsWhole(): boolean {
    return false;
  }

  /** Lines EXPLAIN prints under the operator's own (a scan's join filters). */
  details(): string[] {
    return [];
  }

  /** EXPLAIN's line where the same operator is read a second time (a shared result). */
  explainAgain(whole?: boolean): string {
    return `${this.explain(whole)} (again)`;
  }
}

/** An operator the leader runs over its children's whole outputs. */
export abstract class LeaderOperator extends PhysicalOperator {
  readonly placement = 'leader' as const;

  /** The operator's output for this run (the context records rows and time). */
  abstract run(ctx: RunContext): Promise<Batch>;

  /**
   * The output for a consumer that reads only the fields in `want`: a batch whose columns are
   * `fields` (at least those wanted). Operators that can skip work for the others override it.
   */
  async runFields(ctx: RunContext, want: Set<number>): Promise<{ batch: Batch; fields: number[] }> {
    void want;
    return { batch: await ctx.run(this), fields: this.fields.map((_, i) => i) };
  }
}

/**
 * An operator that runs inside every slice as a step of a pipeline. `needs` says which of its
 * input fields it reads, given which of its own output fields are read above it (so the scan
 * loads only those columns and a broadcast sends only those); `pipe` appends its step to the
 * slice program and returns where its output fields are in the slices' batches.
 */
export abstract class SliceOperator extends PhysicalOperator {
  readonly placement = 'slices' as const;
  /** whether this operator decides what the slices send back (aggregate, top-N, limit) */
  readonly decidesOutput: boolean = false;

  /**
   * Which slice every output row sits in, as a hash of some of its fields (rows with equal
   * values there sit in the same slice), or null when rows are spread otherwise. A join whose
   * sides are partitioned alike on its keys, or a GROUP BY over the partition keys, needs no
   * exchange (partitioning.ts).
   */
  abstract partitioning(slices: number): Partitioning | null;

  /** Input fields read, per child, given the output fields read above. */
  abstract needs(wanted: Set<number>): Set<number>[];

  /** Appends this operator's step to the pipeline; returns its output fields' layout. */
  abstract pipe(b: PipelineBuilder): Layout;
}

export const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
