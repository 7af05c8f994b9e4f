// Redistribute exchange: moves the rows of a slice pipeline between the slices by the hash of a
// key, so that rows with equal keys meet in one slice (both inputs of a join too large to
// broadcast). Each slice runs the input pipeline over its own rows, keeps its own part and
// sends every other slice its part directly (worker to worker, slice-peers.ts); the pipeline
// above then runs over what the slice received. Rows go by the exchange's hash of the keys, or,
// to meet a DISTKEY table's rows where they already sit, by that table's placement hash.
// Afterwards the rows are known to be partitioned by the keys (partitioning.ts).
import type { BExpr } from '../../plan/bound.ts';
import { usedColumns } from '../../plan/bound.ts';
import { explainExpr } from '../explain.ts';
import { SliceOperator } from './operator.ts';
import type { Layout, PipelineBuilder } from './pipeline.ts';
import type { Partitioning, PartitionScheme } from '../partitioning.ts';

export class RedistributeOp extends SliceOperator {
  constructor(readonly input: SliceOperator, readonly keys: BExpr[], readonly scheme: PartitionScheme = 'hash') {
    super(input.fields, [input], input.estRows);
  }

  explain(): string {
    const how = this.scheme === 'table' ? ', placed as the DISTKEY table it joins' : '';
    return `Redistribute by key ${this.keys.map((k) => explainExpr(k, this.input.fields)).join(', ')} (every slice -> every slice${how})`;
  }

  /** Rows sit by the hash of the key fields (a key computed from an expression is no field: unknown). */
  partitioning(): Partitioning | null {
    if (!this.keys.every((k) => k.k === 'col')) return null;
    return { scheme: this.scheme, keys: this.keys.map((k) => [(k as { index: number }).index]) };
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
    b.spec.source = { program: nb.program, spec: nb.spec, keys: keyCols, ...(this.scheme === 'table' ? { placement: 'table' as const } : {}) };
    b.width = exprs.length;
    const out: Layout = this.fields.map(() => null);
    wanted.forEach((f, j) => { out[f] = { k: 'col', index: j, type: this.fields[f].type }; });
    return out;
  }
}
