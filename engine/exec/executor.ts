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
import { ANALYZE_TIMES, explainOperators } from './explain.ts';
import { RunContext, type ExecOptions, type ExecStats } from './operators/run-context.ts';
import type { PhysicalOperator } from './operators/operator.ts';
import { rowPieces, type RowPieces } from './operators/row-pieces.ts';
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
  async runForClient(node: LNode, resultDir: () => string): Promise<RowPieces> {
    this.ctx.check();
    return this.ctx.whole(async () => {
      const root = physicalPlan(await this.subqueries.resolve(node), this.ctx.slices);
      const got = await rowPieces(this.ctx, root);
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
    const lines = [ANALYZE_TIMES, ...explainOperators(root, this.ctx.slices, this.ctx.metrics)];
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

