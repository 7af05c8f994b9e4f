// DISTINCT at the leader: the first row of each distinct value (NULLs equal), in input order.
import type { Batch } from '../../types/vector.ts';
import { gather } from '../../types/vector.ts';
import { KeyBatch, KeyTable, keyKind } from '../hash-table.ts';
import { LeaderOperator } from './operator.ts';
import type { RunContext } from './run-context.ts';

export class DistinctOp extends LeaderOperator {
  constructor(readonly input: LeaderOperator, estRows: number) {
    super(input.fields, [input], estRows);
  }

  explain(): string {
    return 'Distinct';
  }

  async run(ctx: RunContext): Promise<Batch> {
    const input = await ctx.run(this.input);
    ctx.reserve(input.length * 64, 'DISTINCT');
    return distinct(input, ctx.tick);
  }
}

export function distinct(b: Batch, tick: () => void = () => {}): Batch {
  const out = firstOfEachKey(b, new KeyTable(b.columns.map((c) => keyKind(c.type)), b.length));
  tick();
  return out;
}

/** The rows of `b` whose whole-row key `seen` did not hold yet (NULLs equal); adds those keys to it. */
export function firstOfEachKey(b: Batch, seen: KeyTable): Batch {
  const before = seen.size;
  const ids = seen.insert(new KeyBatch(b.columns, b.length, true));
  const sel = new Uint32Array(b.length);
  let k = 0;
  // ids are handed out in row order: a row holding the next new id is its key's first
  for (let r = 0, next = before; r < b.length; r++) if (ids[r] === next) { sel[k++] = r; next++; }
  if (k === b.length) return b;
  return { length: k, columns: b.columns.map((c) => gather(c, sel, k)) };
}
