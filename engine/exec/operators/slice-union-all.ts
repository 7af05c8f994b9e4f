// UNION ALL inside the slices, when both inputs are slice pipelines: each slice runs both inputs
// over its own rows and the program above reads the rows of the one, then of the other; nothing
// moves. UNION, INTERSECT and EXCEPT [ALL] in the slices are aggregates over it (physical-planner.ts).
import type { Field } from '../../plan/logical.ts';
import { SliceOperator } from './operator.ts';
import type { Layout, PipelineBuilder } from './pipeline.ts';
import type { Partitioning } from '../partitioning.ts';
import type { ExchangeSource } from '../fragment.ts';

export class SliceUnionAllOp extends SliceOperator {
  constructor(readonly left: SliceOperator, readonly right: SliceOperator, fields: Field[], estRows: number) {
    super(fields, [left, right], estRows);
  }

  explain(): string {
    return 'UNION ALL per slice (each slice adds its own rows of both inputs)';
  }

  /** A row's slice is wherever its input computed it: no known partitioning. */
  partitioning(): Partitioning | null {
    return null;
  }

  needs(wanted: Set<number>): Set<number>[] {
    // count(*) over the union still needs each input's rows: one field at least
    const w = wanted.size ? wanted : new Set([0]);
    return [new Set(w), new Set(w)];
  }

  /** Each input becomes a nested program whose rows (the wanted fields) this slice keeps; this program reads both. */
  pipe(b: PipelineBuilder): Layout {
    const wanted = [...b.wantedOf(this)].sort((x, y) => x - y);
    if (!wanted.length) wanted.push(0);
    const side = (input: SliceOperator): ExchangeSource => {
      const nb = b.nested();
      const layout = nb.input(input);
      nb.output({ kind: 'rows', exprs: wanted.map((i) => layout[i] ?? { k: 'const', value: null, type: this.fields[i].type }) });
      return { program: nb.program, spec: nb.spec, keys: [], local: true };
    };
    b.spec.source = { ...side(this.left), union: side(this.right) };
    b.width = wanted.length;
    const out: Layout = this.fields.map(() => null);
    wanted.forEach((f, j) => { out[f] = { k: 'col', index: j, type: this.fields[f].type }; });
    return out;
  }
}
