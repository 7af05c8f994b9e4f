// A shared result: a plan with two parents (a decorrelated subquery's outer rows, read for its
// domain and joined back; an aggregate computed twice) runs once per execution; later readers
// get the rows the first kept in the run context. A result over a quarter of the statement's
// memory limit is not kept in memory for the rest of the run: it goes to a spill file, the first
// reader takes the rows in hand, and a later one shares them while a reader still holds them (a
// join of the result with itself) or else reads the file back (removed with the run's spill area). A recursive query's step clears the ones it contains every round.
import type { SharedSlot } from '../../plan/logical.ts';
import type { Batch } from '../../types/vector.ts';
import { batchBytes } from '../memory-budget.ts';
import { CHUNK, rowRange } from '../batches.ts';
import { LeaderOperator } from './operator.ts';
import type { RunContext } from './run-context.ts';

/** Results with fewer rows are always kept in memory. */
const MIN_SPILL_ROWS = 1024;

/** Per run (its map of kept results), the shared plans being computed now. */
const computing = new WeakMap<object, Map<SharedSlot, Promise<Batch>>>();

export class SharedOp extends LeaderOperator {
  constructor(readonly input: LeaderOperator, readonly slot: SharedSlot, readonly number: number) {
    super(input.fields, [input], input.estRows);
  }

  explain(): string {
    return `Shared result ${this.number} (runs once, read again below)`;
  }

  explainAgain(): string {
    return `Shared result ${this.number} (reused)`;
  }

  async run(ctx: RunContext): Promise<Batch> {
    const kept = ctx.shared.get(this.slot);
    if (kept && 'path' in kept) {
      // a reader still holds the rows (a join of the result with itself): no second copy
      const first = kept.first.deref();
      return first && ctx.isHeld(first) ? first : this.readBack(ctx, kept.path);
    }
    if (kept) return kept;
    // two readers at once (uncorrelated subqueries run concurrently): the later waits for the first's rows
    let now = computing.get(ctx.shared);
    if (!now) { now = new Map(); computing.set(ctx.shared, now); }
    const running = now.get(this.slot);
    if (running) { await running; return this.run(ctx); }
    const first = this.compute(ctx);
    now.set(this.slot, first);
    try {
      return await first;
    } finally {
      now.delete(this.slot);
    }
  }

  /** Runs the plan and keeps its rows (or their spill file) for later readers. */
  private async compute(ctx: RunContext): Promise<Batch> {
    const rows = await ctx.run(this.input);
    if (rows.length > MIN_SPILL_ROWS && batchBytes(rows) > ctx.guard.memory.limitBytes / 4) {
      const file = ctx.spill.create('shared result');
      for (let start = 0; start < rows.length; start += CHUNK) {
        ctx.check();
        file.write(rowRange(rows, start, Math.min(CHUNK, rows.length - start)));
        await ctx.pause();
      }
      file.close();
      ctx.shared.set(this.slot, { path: file.path, first: new WeakRef(rows) });
      return rows;
    }
    ctx.keepForRun(rows);
    ctx.shared.set(this.slot, rows);
    return rows;
  }

  /** The result as it was written, for a later reader (the file stays for the next one). */
  private async readBack(ctx: RunContext, path: string): Promise<Batch> {
    const r = ctx.spill.read(path);
    try {
      const blocks: Batch[] = [];
      for (let b = r.next(); b; b = r.next()) {
        blocks.push(ctx.hold(b, 'a shared result read back'));
        await ctx.pause();
      }
      return await ctx.concatHeld(this.fields.map((f) => f.type), blocks, 'a shared result read back');
    } finally {
      r.close();
    }
  }
}
