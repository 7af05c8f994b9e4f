// UNION / INTERSECT / EXCEPT [ALL] at the leader, and the recursive UNION of WITH RECURSIVE.
import type { Field, RecursiveWork, SharedSlot } from '../../plan/logical.ts';
import type { Batch } from '../../types/vector.ts';
import type { SqlType } from '../../types/types.ts';
import { SqlError } from '../../errors.ts';
import { KeyBatch, KeyTable, keyKind } from '../hash-table.ts';
import { concatBatches, emptyBatch, selectRows } from '../batches.ts';
import { batchBytes } from '../memory-budget.ts';
import type { SpillWriter } from '../spill/spill-file.ts';
import { LeaderOperator } from './operator.ts';
import type { RunContext } from './run-context.ts';
import { SeenRowsOnDisk } from '../spill/seen-rows.ts';
import { DISTINCT_ROW_BYTES, distinct, distinctWithin, firstOfEachKey, partitionedInput, rowsNotIn } from './distinct.ts';
import { piecesWhole, type RowPieces } from './row-pieces.ts';

/** Rounds of a WITH RECURSIVE query unless SET max_recursion_depth says otherwise. */
export const DEFAULT_MAX_RECURSION = 10_000;

export class SetOp extends LeaderOperator {
  constructor(readonly op: 'UNION' | 'INTERSECT' | 'EXCEPT', readonly all: boolean, readonly left: LeaderOperator, readonly right: LeaderOperator, fields: Field[], estRows: number) {
    super(fields, [left, right], estRows);
  }

  explain(): string {
    return `${this.op}${this.all ? ' ALL' : ''}`;
  }

  async run(ctx: RunContext): Promise<Batch> {
    // UNION ALL: each input's pieces as they come, put together (neither input is ever whole beside the copy)
    if (this.op === 'UNION' && this.all) return piecesWhole(ctx, this);
    return (await this.rows(ctx, false)).batch;
  }

  /** UNION / INTERSECT / EXCEPT's rows for a consumer that reads them a piece at a time: partitions' rows go to a file. */
  async runForClient(ctx: RunContext): Promise<RowPieces> {
    return ctx.recordPieces(this, () => this.rows(ctx, true));
  }

  /**
   * UNION keeps the first of each row, INTERSECT / EXCEPT count the right's rows per row: over
   * the budget, one partition of both inputs at a time (equal rows meet in the same partition).
   * An input in pieces goes to its partition files a piece at a time (partitionedInput).
   */
  private async rows(ctx: RunContext, toFile: boolean): Promise<RowPieces> {
    const types = this.fields.map((f) => f.type);
    const rowBytes = this.op === 'UNION' ? DISTINCT_ROW_BYTES : SET_ROW_BYTES;
    const inputs = [await partitionedInput(ctx, this.left, types, this.op, rowBytes), await partitionedInput(ctx, this.right, types, this.op, rowBytes)];
    if (this.op === 'UNION') return distinctWithin(ctx, inputs, types, 'UNION', ([l, r]) => distinct(concatBatches(types, [l, r]), ctx.tick), rowBytes, toFile);
    return distinctWithin(ctx, inputs, types, this.op, ([l, r]) => this.intersectOrExcept(ctx, l, r, types), rowBytes, toFile);
  }

  /** INTERSECT / EXCEPT [ALL] in memory: count right rows per key (NULLs equal), then walk the left through the same table. */
  private intersectOrExcept(ctx: RunContext, left: Batch, right: Batch, types: SqlType[]): Batch {
    const table = new KeyTable(types.map(keyKind), right.length);
    const rightIds = table.insert(new KeyBatch(right.columns, right.length, true));
    const counts = new Int32Array(table.size);
    for (let r = 0; r < right.length; r++) counts[rightIds[r]]++;
    ctx.tick();
    const leftIds = table.insert(new KeyBatch(left.columns, left.length, true));
    const keep: number[] = [];
    const seen = new Uint8Array(table.size);
    for (let r = 0; r < left.length; r++) {
      ctx.tick();
      const k = leftIds[r];
      const c = k < counts.length ? counts[k] : 0;
      if (this.op === 'INTERSECT') {
        if (c > 0 && (this.all ? true : !seen[k])) { keep.push(r); if (this.all) counts[k] = c - 1; }
      } else if (this.all ? c === 0 : c === 0 && !seen[k]) keep.push(r);
      else if (this.all) counts[k] = c - 1;
      seen[k] = 1;
    }
    const sel = Uint32Array.from(keep);
    return selectRows(left, sel, keep.length);
  }
}

/** Bytes INTERSECT / EXCEPT need per input row (the key table and per-key counts). */
const SET_ROW_BYTES = 24;

/**
 * WITH RECURSIVE: the anchor's rows, then the step over the rows the last round added, until a
 * round adds none (for UNION, rows seen before do not count). Bounded in rounds and in memory.
 */
export class RecursiveUnionOp extends LeaderOperator {
  constructor(readonly anchor: LeaderOperator, readonly step: LeaderOperator, readonly all: boolean, readonly work: RecursiveWork, fields: Field[], estRows: number,
    /** shared plans inside the step: they may read the working table, so each round computes them anew */
    readonly perRound: SharedSlot[] = []) {
    super(fields, [anchor, step], estRows);
  }

  explain(): string {
    return `Recursive UNION${this.all ? ' ALL' : ''} ${this.work.name} (the second input repeats over the rows each round adds)`;
  }

  async run(ctx: RunContext): Promise<Batch> {
    const parts: Batch[] = [];
    await this.rounds(ctx, (added) => parts.push(added));
    return concatBatches(this.fields.map((f) => f.type), parts);
  }

  /**
   * The rows for a client that reads them a piece at a time: once the rounds held pass a
   * quarter of what is left of the budget, they go to a file as each next round is computed
   * (the last round stays: the step reads it), and the client reads the file back.
   */
  async runForClient(ctx: RunContext): Promise<{ batch: Batch; files: string[]; fileRows: number }> {
    return ctx.recordPieces(this, async () => {
      const held: Batch[] = [];
      let file: SpillWriter | null = null;
      let fileRows = 0;
      const toFile = (keepLast: boolean) => {
        const n = keepLast ? held.length - 1 : held.length;
        file ??= ctx.spill.create('result rows');
        for (const b of held.splice(0, n)) { file.write(b); fileRows += b.length; ctx.release(b); }
      };
      await this.rounds(ctx, (added) => {
        held.push(added);
        if (file || held.reduce((s, b) => s + batchBytes(b), 0) > ctx.guard.memory.availableBytes / 4) toFile(true);
      });
      const types = this.fields.map((f) => f.type);
      if (!file) return { batch: concatBatches(types, held), files: [], fileRows: 0 };
      toFile(false);
      (file as SpillWriter).close();
      return { batch: emptyBatch(types), files: [(file as SpillWriter).path], fileRows };
    });
  }

  /** Runs the anchor, then the step round after round; `keep` takes each round's new rows (held). */
  private async rounds(ctx: RunContext, keep: (added: Batch) => void): Promise<void> {
    const { name, work } = this.work;
    const limit = ctx.opts.maxRecursion ?? DEFAULT_MAX_RECURSION;
    const types = this.fields.map((f) => f.type);
    const what = `recursive query "${name}"`;
    const seen = this.all ? null : new KeyTable(types.map(keyKind));
    // past a quarter of what is left, rows seen after that go to files by hash (the table keeps what it has)
    let onDisk: SeenRowsOnDisk | null = null;
    const fresh = (b: Batch): Batch => {
      if (!seen) return b;
      if (!onDisk && b.length * DISTINCT_ROW_BYTES <= ctx.guard.memory.availableBytes / 4) {
        const out = firstOfEachKey(b, seen);
        // UNION keeps every row it added in its table of rows seen
        ctx.reserve(out.length * DISTINCT_ROW_BYTES, what);
        return out;
      }
      onDisk ??= new SeenRowsOnDisk(ctx, types, what);
      // rows the table holds are not new; the files decide for the rest
      return onDisk.fresh(seen.size ? rowsNotIn(seen, b) : b);
    };
    const anchor = ctx.hold(await ctx.run(this.anchor), what);
    let added = fresh(anchor);
    if (added !== anchor) ctx.release(anchor);
    for (let round = 1; added.length > 0; round++) {
      ctx.hold(added, what);
      keep(added);
      if (round > limit) throw new SqlError('RECURSION_LIMIT', `recursive query "${name}" still adds rows after ${limit} rounds; raise SET max_recursion_depth if it is meant to go deeper`);
      // a round over leader-held rows may never wait on I/O: give a cancel (and other clients) its turn
      await ctx.pause();
      work.length = added.length;
      work.columns = added.columns;
      for (const slot of this.perRound) ctx.forgetShared(slot);
      const candidates = ctx.hold(await ctx.run(this.step), what);
      added = fresh(candidates);
      if (added !== candidates) ctx.release(candidates);
    }
  }
}
