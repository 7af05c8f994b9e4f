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
import type { LeaderOperator } from './operators/operator.ts';

/** Rows for a client: one batch in memory, then files of rows (spill-file blocks), in order. */
interface ClientRows { batch: Batch; files: string[]; fileRows: number }

/** Whether an operator's rows can reach a client in pieces (Executor.clientRows). */
const streams = (op: PhysicalOperator): boolean => op instanceof GatherOp || op instanceof MergeSortedRunsOp || op instanceof RecursiveUnionOp
  || ((op instanceof ProjectOp || op instanceof FilterOp) && streams(op.input));
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
   * its files block by block (into new files); anything else's one batch.
   */
  private async clientRows(op: PhysicalOperator): Promise<ClientRows> {
    const ctx = this.ctx;
    if (op instanceof GatherOp) return op.gatherForClient(ctx);
    if (op instanceof MergeSortedRunsOp || op instanceof RecursiveUnionOp) return op.runForClient(ctx);
    if (!((op instanceof ProjectOp || op instanceof FilterOp) && streams(op.input))) return { batch: await ctx.run(op as LeaderOperator), files: [], fileRows: 0 };
    const got = await this.clientRows(op.input);
    const t0 = performance.now();
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

