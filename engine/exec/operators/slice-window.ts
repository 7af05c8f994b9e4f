// Window functions inside the slices: with PARTITION BY, every window partition must be whole in
// one slice, so the input rows are redistributed by the partition keys the calls share (or stay
// where they are when the input is already partitioned on them: `colocated`), and each slice
// computes the windows over the rows it holds (exec/window.ts). The pipeline above continues in
// the slices. Windows without PARTITION BY see every row at once and run at the leader.
import type { Field, WindowCall } from '../../plan/logical.ts';
import { type BExpr, mapAggInputs, mapCols, usedColumns } from '../../plan/bound.ts';
import { callExprs } from '../../plan/window-models.ts';
import { explainExpr } from '../explain.ts';
import { SliceOperator } from './operator.ts';
import type { Layout, PipelineBuilder } from './pipeline.ts';
import { explainPartitioning, type Partitioning } from '../partitioning.ts';

export class SliceWindowOp extends SliceOperator {
  constructor(
    readonly input: SliceOperator, readonly calls: WindowCall[], fields: Field[], estRows: number,
    /** the partition keys rows are redistributed by */
    readonly keys: BExpr[],
    /** the input's partitioning when it already holds each partition in one slice (nothing moves) */
    readonly colocated: Partitioning | null,
  ) {
    super(fields, [input], estRows);
  }

  explain(): string {
    const names = this.calls.map((c) => c.fn).join(', ');
    const how = this.colocated && !this.colocated.keys.length ? 'one slice holds every row'
      : this.colocated ? `co-located: input ${explainPartitioning(this.colocated, (f) => this.input.fields[f].name)}`
      : `rows redistributed by ${this.keys.map((k) => explainExpr(k, this.input.fields)).join(', ')}`;
    return `Window per slice: ${names} (${how}; each slice computes its own partitions)`;
  }

  partitioning(slices: number): Partitioning | null {
    if (this.colocated) return this.input.partitioning(slices);
    if (!this.keys.every((k) => k.k === 'col')) return null;
    return { scheme: 'hash', keys: this.keys.map((k) => [(k as { index: number }).index]) };
  }

  needs(wanted: Set<number>): Set<number>[] {
    const n = this.input.fields.length;
    const need = new Set([...wanted].filter((i) => i < n));
    for (const c of this.calls) for (const e of callExprs(c)) usedColumns(e, need);
    for (const k of this.keys) usedColumns(k, need);
    return [need];
  }

  /**
   * The input becomes a program of its own whose output is the fields read here and above (and
   * the key values); this program reads the rows each slice holds after the exchange, with the
   * window results appended as columns.
   */
  pipe(b: PipelineBuilder): Layout {
    const n = this.input.fields.length;
    const sent = [...this.needs(b.wantedOf(this))[0]].sort((x, y) => x - y);
    const nb = b.nested();
    const layout = nb.input(this.input);
    const exprs = sent.map((i) => layout[i]!);
    const keyCols = this.colocated ? [] : this.keys.map((k) => {
      const at = k.k === 'col' ? sent.indexOf(k.index) : -1;
      if (at >= 0) return at;
      exprs.push(nb.lift(nb.at(layout, k)));
      return exprs.length - 1;
    });
    nb.output({ kind: 'rows', exprs });
    const to = (e: BExpr) => mapCols(e, (i, c) => ({ ...c, index: sent.indexOf(i) }));
    const windows = this.calls.map((c) => ({
      ...c, args: c.args.map(to), agg: c.agg ? mapAggInputs(c.agg, to) : c.agg,
      partitionBy: c.partitionBy.map(to), orderBy: c.orderBy.map((k) => ({ ...k, expr: to(k.expr) })),
    }));
    b.spec.source = { program: nb.program, spec: nb.spec, keys: keyCols, windows, ...(this.colocated ? { local: true as const } : {}) };
    b.width = exprs.length + windows.length;
    const out: Layout = this.fields.map(() => null);
    sent.forEach((f, j) => { out[f] = { k: 'col', index: j, type: this.fields[f].type }; });
    this.calls.forEach((c, i) => { out[n + i] = { k: 'col', index: exprs.length + i, type: c.type }; });
    return out;
  }
}
