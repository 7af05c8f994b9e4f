// Broadcast between the slices: every slice runs a join's build side pipeline over its own rows
// and sends them to every other slice directly (worker to worker, slice-peers.ts), so each slice
// holds the whole build side without the leader gathering it and sending it back. The build side
// and the pipeline that probes it are then one slice request: no round trip to the leader, no
// copy of the rows there, and no wait for the slowest slice before the probe side's request can
// even be sent. A build side the slices cannot compute (one that needs the leader: an aggregate
// finished there, a set operation, ...) still goes through the leader (BroadcastOp).
import { SliceOperator } from './operator.ts';
import type { Layout, PipelineBuilder } from './pipeline.ts';
import type { Partitioning } from '../partitioning.ts';

export class SliceBroadcastOp extends SliceOperator {
  constructor(readonly input: SliceOperator, readonly slices: number) {
    super(input.fields, [input], input.estRows);
  }

  explain(): string {
    return this.slices > 1 ? 'Broadcast (every slice -> every slice)' : 'Broadcast (one slice: its rows stay where they are)';
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
   */
  pipe(b: PipelineBuilder): Layout {
    const wanted = [...b.wantedOf(this)].sort((x, y) => x - y);
    const nb = b.nested();
    const layout = nb.input(this.input);
    nb.output({ kind: 'rows', exprs: wanted.map((i) => layout[i]!) });
    b.spec.source = { program: nb.program, spec: nb.spec, keys: [], ...(this.slices > 1 ? { everywhere: true as const } : { local: true as const }) };
    b.width = wanted.length;
    const out: Layout = this.fields.map(() => null);
    wanted.forEach((f, j) => { out[f] = { k: 'col', index: j, type: this.fields[f].type }; });
    return out;
  }
}
