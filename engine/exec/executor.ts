// Runs a logical plan: its uncorrelated subqueries first (their results become constants), then
// the physical plan made from it (physical-planner.ts), operator by operator from the root; the
// slice pipelines inside it run in every slice. EXPLAIN ANALYZE runs the same way and prints
// the plan with what each operator did.
import type { LNode } from '../plan/logical.ts';
import type { Batch } from '../types/vector.ts';
import type { SlicePool } from './slice-pool.ts';
import { SubqueryResults } from './subqueries.ts';
import { physicalPlan } from './physical-planner.ts';
import { explainOperators } from './explain.ts';
import { RunContext, type ExecOptions, type ExecStats } from './operators/run-context.ts';

export type { ExecOptions, ExecStats };
export { DEFAULT_MAX_RECURSION } from './operators/set-op.ts';

export class Executor {
  private readonly ctx: RunContext;
  /** uncorrelated subqueries' results, computed once per run */
  private readonly subqueries = new SubqueryResults((plan) => this.run(plan));

  constructor(pool: SlicePool, opts: ExecOptions) {
    this.ctx = new RunContext(pool, opts);
  }

  get stats(): ExecStats {
    return this.ctx.stats;
  }

  async run(node: LNode): Promise<Batch> {
    this.ctx.check();
    const resolved = await this.subqueries.resolve(node);
    return this.ctx.run(physicalPlan(resolved, this.ctx.slices));
  }

  /** Runs the plan and returns its result with the EXPLAIN ANALYZE lines of its physical plan. */
  async analyze(node: LNode): Promise<{ batch: Batch; lines: string[] }> {
    const resolved = await this.subqueries.resolve(node);
    const root = physicalPlan(resolved, this.ctx.slices);
    const batch = await this.ctx.run(root);
    return { batch, lines: explainOperators(root, this.ctx.slices, this.ctx.metrics) };
  }
}
