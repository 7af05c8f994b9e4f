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
import { eachPiece, forEachPiece, piecesWhole, wholeRows, type RowPieces } from './row-pieces.ts';

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
 * round adds none (for UNION, rows seen before do not count). Bounded in rounds and in memory:
 * the anchor and the step's rows come a piece at a time; a round's rows past a quarter of what
 * is left go to a file when the step is linear in the working table (`plan/linear-step.ts`),
 * and the step then runs over the round a piece at a time (else it reads the round whole).
 */
export class RecursiveUnionOp extends LeaderOperator {
  constructor(readonly anchor: LeaderOperator, readonly step: LeaderOperator, readonly all: boolean, readonly work: RecursiveWork, fields: Field[], estRows: number,
    /** shared plans inside the step: they may read the working table, so each round computes them anew */
    readonly perRound: SharedSlot[] = [],
    /** step(A ∪ B) = step(A) ∪ step(B): the step may run over the working table a piece at a time */
    readonly linear = false) {
    super(fields, [anchor, step], estRows);
  }

  explain(): string {
    return `Recursive UNION${this.all ? ' ALL' : ''} ${this.work.name} (the second input repeats over the rows each round adds${this.linear ? ', a piece at a time' : ''})`;
  }

  async run(ctx: RunContext): Promise<Batch> {
    const types = this.fields.map((f) => f.type);
    const parts: Batch[] = [];
    await this.rounds(ctx, async (round) => { parts.push(await wholeRows(ctx, types, round)); });
    return ctx.concatHeld(types, parts, `recursive query "${this.work.name}"`);
  }

  /**
   * The rows for a consumer that reads them a piece at a time: once the rounds held pass a
   * quarter of what is left of the budget, they go to a file, and a round kept in a file of its
   * own is handed on as it is; the consumer reads the files back.
   */
  async runForClient(ctx: RunContext): Promise<RowPieces> {
    return ctx.recordPieces(this, async () => {
      const types = this.fields.map((f) => f.type);
      const held: Batch[] = [];
      let heldBytes = 0;
      const files: string[] = [];
      let fileRows = 0;
      let file: SpillWriter | null = null;
      const toFile = () => {
        for (const b of held.splice(0)) { (file ??= ctx.spill.create('result rows')).write(b); fileRows += b.length; ctx.release(b); }
        heldBytes = 0;
      };
      // the rounds keep their order (a file of held rounds ends before a round's own file); a
      // round that spilled gives its rows held last before its file's (SQL promises no order)
      const endFile = () => { if (file) { file.close(); files.push(file.path); file = null; } };
      await this.rounds(ctx, async (round) => {
        held.push(round.batch);
        heldBytes += batchBytes(round.batch);
        if (file || files.length || round.files.length || heldBytes > ctx.guard.memory.availableBytes / 4) toFile();
        if (round.files.length) { endFile(); files.push(...round.files); fileRows += round.fileRows; }
      });
      if (!file && !files.length) return { batch: await ctx.concatHeld(types, held, 'result rows'), files: [], fileRows: 0 };
      toFile();
      endFile();
      return { batch: emptyBatch(types), files, fileRows };
    });
  }

  /**
   * Runs the anchor, then the step round after round; `keep` takes each round's rows (held, and
   * its file) once the step has read them.
   */
  private async rounds(ctx: RunContext, keep: (round: RowPieces) => Promise<void>): Promise<void> {
    const { name, work } = this.work;
    const limit = ctx.opts.maxRecursion ?? DEFAULT_MAX_RECURSION;
    const types = this.fields.map((f) => f.type);
    const what = `recursive query "${name}"`;
    const seen = this.all ? null : new KeyTable(types.map(keyKind));
    // once the table would take over a quarter of what is left (and what it holds), rows seen
    // after that go to files by hash (the table keeps what it has)
    let onDisk: SeenRowsOnDisk | null = null;
    let seenBytes = 0;
    const fresh = (b: Batch): Batch => {
      if (!seen) return b;
      if (!onDisk && seenBytes + b.length * DISTINCT_ROW_BYTES <= (ctx.guard.memory.availableBytes + seenBytes) / 4) {
        const out = firstOfEachKey(b, seen);
        // UNION keeps every row it added in its table of rows seen
        ctx.reserve(out.length * DISTINCT_ROW_BYTES, what);
        seenBytes += out.length * DISTINCT_ROW_BYTES;
        return out;
      }
      onDisk ??= new SeenRowsOnDisk(ctx, types, what);
      // rows the table holds are not new; the files decide for the rest
      return onDisk.fresh(seen.size ? rowsNotIn(seen, b) : b);
    };
    // a piece's new rows join the round (in a batch of their own: the piece's holder gives it back)
    const addTo = async (round: Round, piece: Batch) => {
      const added = fresh(piece);
      if (added.length) await round.add(added === piece ? ctx.handOn(piece, { length: piece.length, columns: [...piece.columns] }, what) : ctx.hold(added, what));
    };
    let round = new Round(ctx, types, this.linear, what);
    await forEachPiece(ctx, this.anchor, (b) => addTo(round, b));
    for (let n = 1; round.rows > 0; n++) {
      if (n > limit) throw new SqlError('RECURSION_LIMIT', `recursive query "${name}" still adds rows after ${limit} rounds; raise SET max_recursion_depth if it is meant to go deeper`);
      // a round over leader-held rows may never wait on I/O: give a cancel (and other clients) its turn
      await ctx.pause();
      for (const slot of this.perRound) ctx.forgetShared(slot);
      const rows = await round.done();
      const next = new Round(ctx, types, this.linear, what);
      // the step reads the round's batch and its file through a link of its own (the file stays for `keep`)
      const pieces: RowPieces = { batch: { length: rows.batch.length, columns: [...rows.batch.columns] }, files: rows.files.map((f) => ctx.spill.link(f)), fileRows: rows.fileRows };
      await eachPiece(ctx, pieces, async (piece) => {
        // a linear step adds nothing over no rows
        if (!piece.length) return;
        work.length = piece.length;
        work.columns = [...piece.columns];
        // one batch a piece (ctx.run gives back what the step held: a Broadcast's rows in pieces would stay)
        await eachPiece(ctx, { batch: await ctx.run(this.step), files: [], fileRows: 0 }, (b) => addTo(next, b));
      });
      await keep(rows);
      round = next;
    }
  }
}

/**
 * One round's new rows, the next round's working table: held batches; when the step can run a
 * piece at a time, past a quarter of what is left they are put together and go to a file, whose
 * blocks are then the step's pieces.
 */
class Round {
  private readonly held: Batch[] = [];
  private heldBytes = 0;
  private file: SpillWriter | null = null;
  rows = 0;

  constructor(private readonly ctx: RunContext, private readonly types: SqlType[], private readonly inPieces: boolean, private readonly what: string) {}

  /** Adds rows the running operator holds: the round keeps them. */
  async add(b: Batch): Promise<void> {
    this.held.push(b);
    this.heldBytes += batchBytes(b);
    this.rows += b.length;
    if (!this.inPieces || this.heldBytes <= this.ctx.guard.memory.availableBytes / 4) return;
    const rows = await this.ctx.concatHeld(this.types, this.held.splice(0), this.what);
    (this.file ??= this.ctx.spill.create('recursive working table')).write(rows);
    this.ctx.release(rows);
    this.heldBytes = 0;
  }

  /** The round's rows: the held ones as one batch (held), then the file. */
  async done(): Promise<RowPieces> {
    const batch = await this.ctx.concatHeld(this.types, this.held.splice(0), this.what);
    this.file?.close();
    return { batch, files: this.file ? [this.file.path] : [], fileRows: this.file?.rows ?? 0 };
  }
}
