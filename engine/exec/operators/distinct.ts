// DISTINCT at the leader: the first row of each distinct value (NULLs equal), in input order;
// over the memory budget, partition by partition of the rows' hash (spill/spill-rows.ts).
import type { Batch } from '../../types/vector.ts';
import type { SqlType } from '../../types/types.ts';
import { gather } from '../../types/vector.ts';
import { KeyBatch, KeyTable, keyKind } from '../hash-table.ts';
import { byRowPartitions } from '../spill/spill-rows.ts';
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
    const types = this.fields.map((f) => f.type);
    // no reference to the input here: spilling gives it back to be collected
    return distinctWithin(ctx, [await ctx.run(this.input)], types, 'DISTINCT', (parts) => distinct(parts[0], ctx.tick));
  }
}

/** Bytes a table of distinct rows needs per input row (its hash slots, ids and stored keys). */
export const DISTINCT_ROW_BYTES = 64;

/**
 * `distinctOf` over the inputs in memory when their table fits in what is left of the budget,
 * else over each partition of their rows by hash (equal rows are in the same partition).
 */
export async function distinctWithin(ctx: RunContext, inputs: Batch[], types: SqlType[], what: string, distinctOf: (parts: Batch[]) => Batch, rowBytes = DISTINCT_ROW_BYTES): Promise<Batch> {
  const fits = (rows: number[]) => rows.reduce((s, n) => s + n, 0) * rowBytes <= ctx.guard.memory.availableBytes;
  const run = (parts: Batch[]) => {
    const working = ctx.reserve(parts.reduce((s, b) => s + b.length, 0) * rowBytes, what);
    const out = distinctOf(parts);
    ctx.release(working);
    return out;
  };
  if (fits(inputs.map((b) => b.length))) return run(inputs);
  const parts = await byRowPartitions(ctx, inputs.map((batch) => ({ batch })), types, what, fits, run);
  inputs.length = 0;
  return ctx.concatHeld(types, parts, what);
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
