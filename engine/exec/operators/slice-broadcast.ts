// Broadcast between the slices: every slice runs a join's build side pipeline over its own rows
// and sends them to every other slice directly (worker to worker, slice-peers.ts), so each slice
// holds the whole build side without the leader gathering it and sending it back. The build side
// and the pipeline that probes it are then one slice request: no round trip to the leader, no
// copy of the rows there, and no wait for the slowest slice before the probe side's request can
// even be sent. A build side the slices cannot compute (one that needs the leader: an aggregate
// finished there, a set operation, ...) still goes through the leader (BroadcastOp). A build side
// every slice can compute whole by itself (from DISTSTYLE ALL tables or small tables,
// replicated.ts) is not broadcast at all: each slice computes every row itself.
import { SliceOperator } from './operator.ts';
import type { Layout, PipelineBuilder } from './pipeline.ts';
import type { Partitioning } from '../partitioning.ts';

export class SliceBroadcastOp extends SliceOperator {
  /** `whole`: every slice computes all the input's rows itself (replicated.ts's `computedWhole`), so nothing moves */
  constructor(readonly input: SliceOperator, readonly slices: number, readonly whole = false) {
    super(input.fields, [input], input.estRows);
  }

  explain(): string {
    if (this.slices < 2) return 'Broadcast (one slice: its rows stay where they are)';
    return this.whole ? 'Broadcast (none: every slice computes every row, reading its tables whole)' : 'Broadcast (every slice -> every slice)';
  }

  /** Every slice computes every row itself (with one slice, its rows stay where they are anyway). */
  get inputsWhole(): boolean {
    return this.whole && this.slices > 1;
  }

  /** Every slice holds every row: rows are not partitioned by anything. */
  partitioning(): Partitioning | null {
    return null;
  }

  needs(wanted: Set<number>): Set<number>[] {
    return [new Set(wanted)];
  }

  /**
   * The input becomes a program of its own whose output is the wanted fields; this program
   * reads its own rows and every other slice's (with one slice, only its own: nothing moves).
   * Computed whole, its programs (and those nested in them) read every segment of their table
   * (an ALL table's one copy) in every slice, and each slice keeps its rows.
   */
  pipe(b: PipelineBuilder): Layout {
    const wanted = [...b.wantedOf(this)].sort((x, y) => x - y);
    const first = b.programs.length;
    const nb = b.nested();
    const layout = nb.input(this.input);
    nb.output({ kind: 'rows', exprs: wanted.map((i) => layout[i]!) });
    const moves = this.slices > 1 && !this.whole;
    if (this.whole) for (let p = first; p < b.programs.length; p++) b.programs[p].whole = true;
    b.spec.source = { program: nb.program, spec: nb.spec, keys: [], ...(moves ? { everywhere: true as const } : { local: true as const }) };
    b.width = wanted.length;
    const out: Layout = this.fields.map(() => null);
    wanted.forEach((f, j) => { out[f] = { k: 'col', index: j, type: this.fields[f].type }; });
    return out;
  }
}
