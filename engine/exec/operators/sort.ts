// Sort at the leader: sorted runs merged with yields to the event loop (batch-sort.ts); over the
// statement's memory budget, runs sorted and written to disk, then merged (spill/external-sort.ts).
// An input that comes in pieces (the slices' rows through a LIMIT, Filter, Project or UNION ALL,
// row-pieces.ts) is read a piece at a time: pieces are held while sorting them would fit, then
// written out as sorted runs, so the input is never whole in memory past the budget. For a client
// or another piece-at-a-time consumer, merged rows from disk go to a file, not a batch.
import type { Field, SortKey } from '../../plan/logical.ts';
import type { Batch } from '../../types/vector.ts';
import type { SqlType } from '../../types/types.ts';
import { sortBatchYielding } from '../batch-sort.ts';
import { explainExpr } from '../explain.ts';
import { usedColumns } from '../../plan/bound.ts';
import { LeaderOperator } from './operator.ts';
import { batchBytes } from '../memory-budget.ts';
import { mergeRunFiles, SORT_ROW_BYTES, writeRuns } from '../spill/external-sort.ts';
import type { RowsContext, RunContext } from './run-context.ts';
import { forEachPiece, type RowPieces } from './row-pieces.ts';

/** Inputs this small always sort in memory. */
const MIN_SPILL_ROWS = 4096;

export function explainKeys(keys: SortKey[], fields: Field[]): string {
  return keys.map((k) => `${explainExpr(k.expr, fields)}${k.desc ? ' DESC' : ''}`).join(', ');
}

/** What a slice sort needs from its input: every field in order (the keys index them) and what the keys read. */
export function sortNeeds(fields: Field[], keys: SortKey[]): Set<number>[] {
  const used = new Set(fields.map((_, i) => i));
  for (const k of keys) usedColumns(k.expr, used);
  return [used];
}

export class SortOp extends LeaderOperator {
  constructor(readonly input: LeaderOperator, readonly keys: SortKey[], estRows: number) {
    super(input.fields, [input], estRows);
  }

  explain(): string {
    return `Sort: ${explainKeys(this.keys, this.input.fields)}`;
  }

  async run(ctx: RunContext): Promise<Batch> {
    return (await this.sorted(ctx, false, Infinity)).batch;
  }

  /**
   * The sorted rows (the first `want` at least) for a consumer that reads them a piece at a
   * time (a client, a GROUP BY): rows merged from disk go to a file, read back block by block.
   */
  async runForClient(ctx: RunContext, want = Infinity): Promise<RowPieces> {
    return ctx.recordPieces(this, () => this.sorted(ctx, true, want));
  }

  private async sorted(ctx: RunContext, toFile: boolean, limit: number): Promise<RowPieces> {
    // (the keys read columns: the binder computes every ORDER BY expression, model calls too, in a projection below)
    const runs = new SortRuns(ctx, this.keys, this.input.fields.map((f) => f.type), 'sort run');
    await forEachPiece(ctx, this.input, (b) => runs.add(b));
    return runs.finish(toFile, limit);
  }
}

/** Bytes a row takes to sort in memory: its order besides a sorted copy of the row. */
const sortRowBytes = (b: Batch) => SORT_ROW_BYTES + batchBytes(b) / Math.max(1, b.length);

/** Rows per sorted run: what sorts in half of what is left of the budget (each run is sorted into a copy). */
const runRowsFor = (ctx: RowsContext, b: Batch) => Math.max(MIN_SPILL_ROWS, Math.floor(ctx.available() / 2 / sortRowBytes(b)));

/**
 * A sort's input taken a piece at a time: pieces are held while they, their sorted copy and
 * their order fit in what is left of the budget; past that the held pieces are written out as
 * sorted runs and given back. At the end, rows that never left memory sort there; otherwise
 * the last pieces become runs too and every run is merged k ways from disk.
 */
export class SortRuns {
  private parts: Batch[] = [];
  private bytes = 0;
  private rows = 0;
  private readonly files: string[] = [];

  /** `what`: whose sort, the name of its run files (a window's sort apart from an ORDER BY's) */
  constructor(private readonly ctx: RowsContext, private readonly keys: SortKey[], private readonly types: SqlType[], private readonly what: string) {}

  /** Takes a piece (held by the caller, who gives it back after: it moves to the sort here). */
  async add(b: Batch): Promise<void> {
    if (b.length === 0) return;
    const bytes = batchBytes(b);
    // sorting the held pieces with this one needs their copy and order besides them
    if (this.parts.length && this.bytes + 2 * bytes + (this.rows + b.length) * SORT_ROW_BYTES > this.ctx.available()) await this.writeHeld();
    // a new batch over the same columns, held in the piece's place (so the caller's release leaves it)
    this.parts.push(this.ctx.handOn(b, { length: b.length, columns: [...b.columns] }, 'sort input'));
    this.bytes += bytes;
    this.rows += b.length;
  }

  /** Writes the held pieces as sorted runs and gives them back. */
  private async writeHeld(): Promise<void> {
    if (!this.parts.length) return;
    const all = await this.ctx.concatHeld(this.types, this.parts, 'sort input');
    this.parts = [];
    this.bytes = this.rows = 0;
    this.files.push(...await writeRuns(this.ctx, all, this.keys, runRowsFor(this.ctx, all), this.what));
    this.ctx.release(all);
  }

  /** The sorted rows: in memory when nothing went to disk and they sort there, else merged from the runs (into a file with `toFile`). */
  async finish(toFile: boolean, limit: number): Promise<RowPieces> {
    const { ctx, types, keys } = this;
    if (!this.files.length) {
      const all = await ctx.concatHeld(types, this.parts, 'sort input');
      this.parts = [];
      if (all.length <= MIN_SPILL_ROWS || all.length * sortRowBytes(all) <= ctx.available()) {
        // the order is given back once sorted: a sorted window sorts each partition and group in turn
        const working = ctx.reserve(all.length * SORT_ROW_BYTES, 'sort');
        const sorted = await sortBatchYielding(all, keys, ctx.tick, ctx.pause);
        ctx.release(working);
        ctx.release(all);
        return { batch: ctx.hold(sorted, 'sort'), files: [], fileRows: 0 };
      }
      this.parts = [all];
    }
    await this.writeHeld();
    if (!toFile) return { batch: await mergeRunFiles(ctx, this.files, types, keys, limit), files: [], fileRows: 0 };
    const into = ctx.spill.create('result rows');
    let fileRows = 0;
    const batch = await mergeRunFiles(ctx, this.files, types, keys, limit, (chunk) => { into.write(chunk); fileRows += chunk.length; });
    into.close();
    return { batch, files: [into.path], fileRows };
  }
}
