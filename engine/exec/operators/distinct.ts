// DISTINCT at the leader: the first row of each distinct value (NULLs equal), in input order;
// over the memory budget, partition by partition of the rows' hash (spill/spill-rows.ts). An
// input that comes in pieces (row-pieces.ts) is taken a piece at a time: held while its table
// would fit, then every piece goes to the partition files, so it is never whole in memory; for
// a client, partitions' distinct rows go to a file as each is done.
import type { Batch } from '../../types/vector.ts';
import type { SqlType } from '../../types/types.ts';
import type { BExpr } from '../../plan/bound.ts';
import { selectRows } from '../batches.ts';
import { KeyBatch, KeyTable, keyKind } from '../hash-table.ts';
import { byRowPartitions, type RowsOrPartitions } from '../spill/spill-rows.ts';
import { PartitionWriter, allColumns } from '../spill/hash-partition.ts';
import { LeaderOperator } from './operator.ts';
import type { RunContext } from './run-context.ts';
import { forEachPiece, rowsInFile, streams, type RowPieces } from './row-pieces.ts';

export class DistinctOp extends LeaderOperator {
  constructor(readonly input: LeaderOperator, estRows: number) {
    super(input.fields, [input], estRows);
  }

  explain(): string {
    return 'Distinct';
  }

  async run(ctx: RunContext): Promise<Batch> {
    return (await this.rows(ctx, false)).batch;
  }

  /** The distinct rows for a consumer that reads them a piece at a time: partitions' rows go to a file. */
  async runForClient(ctx: RunContext): Promise<RowPieces> {
    return ctx.recordPieces(this, () => this.rows(ctx, true));
  }

  private async rows(ctx: RunContext, toFile: boolean): Promise<RowPieces> {
    const types = this.fields.map((f) => f.type);
    const input = await partitionedInput(ctx, this.input, types, 'DISTINCT', DISTINCT_ROW_BYTES);
    return distinctWithin(ctx, [input], types, 'DISTINCT', (parts) => distinct(parts[0], ctx.tick), DISTINCT_ROW_BYTES, toFile);
  }
}

/** Bytes a table of distinct rows needs per input row (its hash slots, ids and stored keys). */
export const DISTINCT_ROW_BYTES = 64;

/**
 * An input of DISTINCT or a set operation: its one batch; or, when it comes in pieces
 * (row-pieces.ts), its pieces held while a table of `rowBytes` a row over them fits in what is
 * left of the budget, and past that every piece written to partition files by whole-row hash
 * (as `byRowPartitions` splits a batch; a window's input: by the hash of its PARTITION BY
 * `keys`, NULLs equal; a join's build input: by its join keys, NULLs equal as `nullEq` says),
 * so the input is never whole in memory.
 */
export async function partitionedInput(ctx: RunContext, op: LeaderOperator, types: SqlType[], what: string, rowBytes: number,
  keys: BExpr[] = allColumns(types), nullEq: boolean | boolean[] = true): Promise<RowsOrPartitions> {
  if (!streams(op)) return { batch: await ctx.run(op) };
  const held: Batch[] = [];
  let rows = 0;
  let files: PartitionWriter | null = null;
  await forEachPiece(ctx, op, async (b) => {
    if (b.length === 0) return;
    if (!files && (rows + b.length) * rowBytes <= ctx.guard.memory.availableBytes) {
      // a new batch over the piece's columns, held in its place (the caller's release leaves it)
      held.push(ctx.handOn(b, { length: b.length, columns: [...b.columns] }, what));
      rows += b.length;
      return;
    }
    if (!files) {
      files = new PartitionWriter(ctx, keys, nullEq, 0, `${what} partition`);
      for (const h of held.splice(0)) { files.add(h); ctx.release(h); }
    }
    files.add(b);
    await ctx.pause();
  });
  if (files) return { batch: null, files: (files as PartitionWriter).close() };
  return { batch: await ctx.concatHeld(types, held, what) };
}

/**
 * `distinctOf` over the inputs in memory when they are batches whose table fits in what is left
 * of the budget, else over each partition of their rows by hash (equal rows are in the same
 * partition); with `toFile`, each partition's rows go to a file instead of the one batch.
 */
export async function distinctWithin(ctx: RunContext, inputs: RowsOrPartitions[], types: SqlType[], what: string, distinctOf: (parts: Batch[]) => Batch, rowBytes = DISTINCT_ROW_BYTES, toFile = false): Promise<RowPieces> {
  const fits = (rows: number[]) => rows.reduce((s, n) => s + n, 0) * rowBytes <= ctx.guard.memory.availableBytes;
  const run = (parts: Batch[]) => {
    const working = ctx.reserve(parts.reduce((s, b) => s + b.length, 0) * rowBytes, what);
    const out = distinctOf(parts);
    ctx.release(working);
    return out;
  };
  if (inputs.every((i) => i.batch) && fits(inputs.map((i) => i.batch!.length))) return { batch: run(inputs.map((i) => i.batch!)), files: [], fileRows: 0 };
  if (!toFile) {
    const parts = await byRowPartitions(ctx, inputs, types, what, fits, run);
    inputs.length = 0;
    return { batch: await ctx.concatHeld(types, parts, what), files: [], fileRows: 0 };
  }
  const got = await rowsInFile(ctx, types, async (put) => { await byRowPartitions(ctx, inputs, types, what, fits, run, { into: put }); });
  inputs.length = 0;
  return got;
}

export function distinct(b: Batch, tick: () => void = () => {}): Batch {
  const out = firstOfEachKey(b, new KeyTable(b.columns.map((c) => keyKind(c.type)), b.length));
  tick();
  return out;
}

/** The rows of `b` whose whole-row key `table` does not hold (NULLs equal); `b` itself when it holds none. */
export function rowsNotIn(table: KeyTable, b: Batch): Batch {
  const found = table.find(new KeyBatch(b.columns, b.length, true));
  const sel = new Uint32Array(b.length);
  let k = 0;
  for (let r = 0; r < b.length; r++) if (found[r] === -1) sel[k++] = r;
  if (k === b.length) return b;
  return selectRows(b, sel, k);
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
  return selectRows(b, sel, k);
}
