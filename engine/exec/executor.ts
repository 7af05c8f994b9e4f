// Runs a logical plan: its uncorrelated subqueries first (their results become constants), then
// the physical plan made from it (physical-planner.ts), operator by operator from the root; the
// slice pipelines inside it run in every slice. EXPLAIN ANALYZE runs the same way and prints
// the plan with what each operator did.
import { timelineLines } from './slice-timing.ts';
import type { LNode } from '../plan/logical.ts';
import type { Batch } from '../types/vector.ts';
import type { SlicePool } from './slice-pool.ts';
import { SubqueryResults } from './subqueries.ts';
import { physicalPlan } from './physical-planner.ts';
import { explainOperators } from './explain.ts';
import { RunContext, type ExecOptions, type ExecStats } from './operators/run-context.ts';
import type { PhysicalOperator } from './operators/operator.ts';
import { GatherOp } from './operators/gather.ts';
import { MergeSortedRunsOp } from './operators/merge.ts';
import { RecursiveUnionOp } from './operators/set-op.ts';
import { ProjectOp } from './operators/project.ts';
import { FilterOp } from './operators/filter.ts';
import { LimitOp } from './operators/limit.ts';
import { SetOp } from './operators/set-op.ts';
import type { LeaderOperator } from './operators/operator.ts';
import { batchBytes } from './memory-budget.ts';
import { sliceRows } from './batches.ts';

/** Rows for a client: one batch in memory, then files of rows (spill-file blocks), in order. */
interface ClientRows { batch: Batch; files: string[]; fileRows: number }

/** Whether an operator's rows can reach a client in pieces (Executor.clientRows). */
const streams = (op: PhysicalOperator): boolean => op instanceof GatherOp || op instanceof MergeSortedRunsOp || op instanceof RecursiveUnionOp
  || ((op instanceof ProjectOp || op instanceof FilterOp || op instanceof LimitOp) && streams(op.input))
  || (isUnionAll(op) && (streams(op.left) || streams(op.right)));
const isUnionAll = (op: PhysicalOperator): op is SetOp => op instanceof SetOp && op.op === 'UNION' && op.all;
import { renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';

export type { ExecOptions, ExecStats };
export { DEFAULT_MAX_RECURSION } from './operators/set-op.ts';

export class Executor {
  private readonly ctx: RunContext;
  /** uncorrelated subqueries' results, computed once per run */
  private readonly subqueries = new SubqueryResults((plan) => this.runSubquery(plan), () => this.ctx.guard.stop(), (rows, bytes) => {
    // the rows are done with; their values stay, as constants of the plan, until the run ends
    this.ctx.release(rows);
    this.ctx.reserve(bytes, 'a subquery\'s result');
  });
  /** the physical plans the subqueries ran as, in the order they ran (EXPLAIN ANALYZE prints them) */
  private readonly subqueryPlans: PhysicalOperator[] = [];

  constructor(pool: SlicePool, opts: ExecOptions) {
    this.ctx = new RunContext(pool, opts);
  }

  get stats(): ExecStats {
    return this.ctx.stats;
  }

  async run(node: LNode): Promise<Batch> {
    this.ctx.check();
    return this.ctx.whole(async () => {
      const resolved = await this.subqueries.resolve(node);
      return this.ctx.run(physicalPlan(resolved, this.ctx.slices));
    });
  }

  /**
   * Runs the plan for a client that reads its rows a piece at a time: when the root is a Gather,
   * slices whose rows pass their share of the budget write them to files instead of sending
   * them, and those files are moved to `resultDir()` (a new directory the caller then owns),
   * since the run's spill area is removed when the run ends. Otherwise the root's batch alone.
   */
  async runForClient(node: LNode, resultDir: () => string): Promise<ClientRows> {
    this.ctx.check();
    return this.ctx.whole(async () => {
      const root = physicalPlan(await this.subqueries.resolve(node), this.ctx.slices);
      const got = await this.clientRows(root);
      if (!got.files.length) return got;
      const dir = resultDir();
      try {
        return { ...got, files: got.files.map((f, i) => { const to = join(dir, String(i)); renameSync(f, to); return to; }) };
      } catch (e) {
        rmSync(dir, { recursive: true, force: true });
        throw e;
      }
    });
  }

  /**
   * An operator's rows for a client: a Gather's, a merge's or a recursive UNION's in memory and
   * in files past the budget; a Project or Filter over one of those applied to its batch and to
   * its files block by block (into new files); a LIMIT over one cutting them (reading no further
   * than its last row); a UNION ALL with such an input both inputs' rows one after the other;
   * anything else's one batch.
   */
  private async clientRows(op: PhysicalOperator): Promise<ClientRows> {
    const ctx = this.ctx;
    if (!streams(op)) return { batch: await ctx.run(op as LeaderOperator), files: [], fileRows: 0 };
    if (op instanceof GatherOp) return op.gatherForClient(ctx);
    if (op instanceof MergeSortedRunsOp || op instanceof RecursiveUnionOp) return op.runForClient(ctx);
    if (isUnionAll(op)) return this.unionAllRows(op);
    const step = op as ProjectOp | FilterOp | LimitOp;
    const got = await this.clientRows(step.input);
    const t0 = performance.now();
    const out = step instanceof LimitOp ? this.cutRows(got, step.offset, step.limit) : await this.applyToRows(step, got);
    ctx.record(op, out.batch.length + out.fileRows, performance.now() - t0);
    return out;
  }

  /** A Project's or Filter's rows over its input's: the batch, then each file block by block into a new one. */
  private async applyToRows(op: ProjectOp | FilterOp, got: ClientRows): Promise<ClientRows> {
    const ctx = this.ctx;
    const batch = ctx.hold(await op.apply(ctx, got.batch), 'rows for a client');
    ctx.release(got.batch);
    const files: string[] = [];
    let fileRows = 0;
    for (const path of got.files) {
      const w = ctx.spill.create('result rows');
      const r = ctx.spill.read(path);
      for (let b = r.next(); b; b = r.next()) {
        ctx.check();
        ctx.hold(b, 'rows for a client');
        const out = ctx.hold(await op.apply(ctx, b), 'rows for a client');
        w.write(out);
        fileRows += out.length;
        ctx.release(out);
        ctx.release(b);
      }
      ctx.spill.done(r);
      w.close();
      files.push(w.path);
    }
    return { batch, files, fileRows };
  }

  /**
   * The rows from `offset`, at most `limit` of them: a cut of the batch, then the files' blocks
   * in that range copied into new files; once past the last row the rest is deleted unread.
   */
  private cutRows(got: ClientRows, offset: number, limit: number | null): ClientRows {
    const ctx = this.ctx;
    const total = got.batch.length + got.fileRows;
    const end = limit === null ? total : Math.min(total, offset + limit);
    if (offset === 0 && end === total) return got;
    const batch = ctx.hold(sliceRows(got.batch, Math.min(offset, got.batch.length), Math.max(0, Math.min(end, got.batch.length) - offset)), 'rows for a client');
    if (batch !== got.batch) ctx.release(got.batch);
    const files: string[] = [];
    let fileRows = 0;
    let at = got.batch.length;
    for (const path of got.files) {
      if (at >= end) { rmSync(path, { force: true }); continue; }
      const w = ctx.spill.create('result rows');
      const r = ctx.spill.read(path);
      for (let b = r.next(); b && at < end; b = r.next()) {
        ctx.check();
        const from = Math.max(offset - at, 0), to = Math.min(end - at, b.length);
        if (to > from) {
          const part = sliceRows(b, from, to - from);
          w.write(part);
          fileRows += part.length;
        }
        at += b.length;
      }
      ctx.spill.done(r);
      w.close();
      files.push(w.path);
    }
    return { batch, files, fileRows };
  }

  /**
   * UNION ALL's rows for a client: the left input's, then the right's. The right's batch goes
   * to a file after the left's files, unless neither input has files and both batches fit in
   * what is left of the budget together, when they are put together in memory.
   */
  private async unionAllRows(op: SetOp): Promise<ClientRows> {
    const ctx = this.ctx;
    const left = await this.clientRows(op.left);
    const right = await this.clientRows(op.right);
    const t0 = performance.now();
    const inMemory = !left.files.length && !right.files.length && batchBytes(right.batch) <= ctx.guard.memory.availableBytes;
    let batch: Batch;
    const files = [...left.files];
    if (inMemory || right.batch.length === 0) {
      batch = inMemory ? await ctx.concatHeld(op.fields.map((f) => f.type), [left.batch, right.batch], 'rows for a client') : left.batch;
      if (!inMemory) ctx.release(right.batch);
    } else {
      batch = left.batch;
      const w = ctx.spill.create('result rows');
      w.write(right.batch);
      w.close();
      ctx.release(right.batch);
      files.push(w.path);
    }
    files.push(...right.files);
    const fileRows = left.fileRows + right.fileRows + (files.length > left.files.length + right.files.length ? right.batch.length : 0);
    ctx.record(op, batch.length + fileRows, performance.now() - t0);
    return { batch, files, fileRows };
  }

  private async runSubquery(node: LNode): Promise<Batch> {
    this.ctx.check();
    const resolved = await this.subqueries.resolve(node);
    const root = physicalPlan(resolved, this.ctx.slices);
    this.subqueryPlans.push(root);
    return this.ctx.run(root);
  }

  /** Runs the plan and returns its result with the EXPLAIN ANALYZE lines of its physical plan. */
  async analyze(node: LNode): Promise<{ batch: Batch; lines: string[] }> {
    const { root, batch } = await this.ctx.whole(async () => {
      const root = physicalPlan(await this.subqueries.resolve(node), this.ctx.slices);
      return { root, batch: await this.ctx.run(root) };
    });
    const lines = explainOperators(root, this.ctx.slices, this.ctx.metrics);
    // what each uncorrelated subquery did when it ran, before the plan (its result is a constant above)
    this.subqueryPlans.forEach((sub, i) => {
      lines.push(`Subquery ${i + 1} (ran once, before the plan that uses it)`);
      lines.push(...explainOperators(sub, this.ctx.slices, this.ctx.metrics, 1));
    });
    // when each slice request ran, and how its slices spent that time
    lines.push(...timelineLines(this.ctx.sliceRequests, this.ctx.began));
    return { batch, lines };
  }
}

