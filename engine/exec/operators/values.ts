// Leaf operators of the leader: VALUES rows (expressions, possibly model calls, evaluated per
// row) and a batch the plan carries (a system view, or the working table of a recursive query,
// read when the operator runs, so each round sees that round's rows).
import type { BExpr } from '../../plan/bound.ts';
import type { Field } from '../../plan/logical.ts';
import type { Batch } from '../../types/vector.ts';
import { concatBatches } from '../batches.ts';
import { LeaderOperator, plural } from './operator.ts';
import type { RunContext } from './run-context.ts';

export class ValuesOp extends LeaderOperator {
  constructor(readonly rows: BExpr[][], fields: Field[]) {
    super(fields, [], rows.length);
  }

  explain(): string {
    return `Values (${plural(this.rows.length, 'row')})`;
  }

  async run(ctx: RunContext): Promise<Batch> {
    const parts: Batch[] = [];
    for (const row of this.rows) {
      const m = await ctx.withModels({ length: 1, columns: [] }, row);
      parts.push({ length: 1, columns: await ctx.project(m.batch, m.exprs) });
    }
    return concatBatches(this.fields.map((f) => f.type), parts);
  }
}

export class BatchSourceOp extends LeaderOperator {
  constructor(readonly source: { batch: Batch; label: string }, fields: Field[], readonly workTable = false) {
    super(fields, [], source.batch.length);
  }

  explain(): string {
    return this.workTable ? `Working table ${this.source.label} (the rows the last round added)` : `System view ${this.source.label}`;
  }

  async run(): Promise<Batch> {
    return this.source.batch;
  }
}
