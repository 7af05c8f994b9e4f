// Redistribute exchange: moves the rows of a slice pipeline between the slices by the hash of a
// key, so that rows with equal keys meet in one slice (both inputs of a join too large to
// broadcast). Each slice runs the input pipeline over its own rows, keeps its own part and
// sends every other slice its part directly (worker to worker, slice-peers.ts); the pipeline
// above then runs over what the slice received.
import type { BExpr } from '../../plan/bound.ts';
import { usedColumns } from '../../plan/bound.ts';
import { explainExpr } from '../explain.ts';
import { SliceOperator } from './operator.ts';
import type { Layout, PipelineBuilder } from './pipeline.ts';

export class RedistributeOp extends SliceOperator {
  constructor(readonly input: SliceOperator, readonly keys: BExpr[]) {
    super(input.fields, [input], input.estRows);
  }

  explain(): string {
    return `Redistribute by key ${this.keys.map((k) => explainExpr(k, this.input.fields)).join(', ')} (every slice -> every slice)`;
  }

  /** Rows sit by a hash of their own, not by any table's distribution: nothing else is co-located with them. */
  partitionedBy(): number | null {
    return null;
  }

  needs(wanted: Set<number>): Set<number>[] {
    const need = new Set(wanted);
    for (const k of this.keys) usedColumns(k, need);
    return [need];
  }

  /**
   * The input becomes a program of its own whose output is the wanted fields and the key
   * values; this program reads the rows the slices sent it, in that order.
   */
  pipe(b: PipelineBuilder): Layout {
    const wanted = [...b.wantedOf(this)].sort((x, y) => x - y);
    const nb = b.nested();
    const layout = nb.input(this.input);
    // a key that is a field sent anyway is not sent twice
    const exprs = wanted.map((i) => layout[i]!);
    const keyCols = this.keys.map((k) => {
      const at = k.k === 'col' ? wanted.indexOf(k.index) : -1;
      if (at >= 0) return at;
      exprs.push(nb.lift(nb.at(layout, k)));
      return exprs.length - 1;
    });
    nb.output({ kind: 'rows', exprs });
    b.spec.source = { program: nb.program, spec: nb.spec, keys: keyCols };
    b.width = exprs.length;
    const out: Layout = this.fields.map(() => null);
    wanted.forEach((f, j) => { out[f] = { k: 'col', index: j, type: this.fields[f].type }; });
    return out;
  }
}
