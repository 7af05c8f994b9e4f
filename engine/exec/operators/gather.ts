// Gather exchange: runs the slice pipeline below it in every slice, each over its own segments,
// and brings the results to the leader: rows (filtered, projected, top-N or limited per slice)
// or partial aggregate states for the final aggregate above. Before the slices start it runs
// the build sides of the pipeline's joins at the leader (their Broadcast exchanges).
import type { Batch, Vector } from '../../types/vector.ts';
import type { FragmentResult } from '../fragment.ts';
import type { PartialAgg } from '../aggregate.ts';
import { segmentsBySlice } from '../fragments.ts';
import { concatBatchesYielding, emptyBatch } from '../batches.ts';
import { LeaderOperator, SliceOperator, type PhysicalOperator } from './operator.ts';
import { PipelineBuilder } from './pipeline.ts';
import type { RunContext } from './run-context.ts';
import { HashProbeOp } from './hash-join.ts';
import { ScanOp } from './scan.ts';
import { SqlError } from '../../errors.ts';

/** What the slices returned for one run of a pipeline. */
export type Gathered =
  | { kind: 'rows'; batch: Batch }
  | { kind: 'agg'; partials: PartialAgg[]; spec: import('../aggregate.ts').AggSpec };

export class GatherOp extends LeaderOperator {
  constructor(readonly input: SliceOperator) {
    super(input.fields, [input], input.estRows);
  }

  explain(): string {
    return 'Gather (every slice -> leader)';
  }

  async run(ctx: RunContext): Promise<Batch> {
    const g = await this.gather(ctx);
    if (g.kind !== 'rows') throw new SqlError('INTERNAL_ERROR', 'partial aggregates gathered without a final aggregate');
    return ctx.hold(g.batch, 'rows from the slices');
  }

  /** Runs the pipeline in every slice and returns what they sent. */
  async gather(ctx: RunContext): Promise<Gathered> {
    // which fields each operator must produce, top-down, so scans and broadcasts carry only those
    const wanted = new Map<PhysicalOperator, Set<number>>();
    const probes: HashProbeOp[] = [];
    let scan: ScanOp | null = null;
    const visit = (op: PhysicalOperator, want: Set<number>) => {
      wanted.set(op, want);
      if (op instanceof ScanOp) scan = op;
      if (op instanceof HashProbeOp) probes.push(op);
      if (!(op instanceof SliceOperator)) return;
      const needs = op.needs(want);
      op.children.forEach((c, i) => visit(c, needs[i]));
    };
    visit(this.input, new Set(this.input.fields.map((_, i) => i)));
    if (!scan) throw new SqlError('INTERNAL_ERROR', 'slice pipeline without a scan');
    const table = (scan as ScanOp).table;
    // build sides first: the leader runs each and sends it with the pipeline
    const builds = new Map<PhysicalOperator, Batch>();
    let emptyInner = false;
    for (const p of probes) {
      const b = await ctx.run(p.build);
      const { columns } = p.buildColumns(b, wanted.get(p.build)!);
      builds.set(p, { length: b.length, columns });
      if (b.length === 0 && p.join.joinType === 'INNER') emptyInner = true;
    }
    const b = new PipelineBuilder(wanted, builds);
    const layout = b.input(this.input);
    if (!b.outputSet) b.spec.output = { kind: 'rows', exprs: layout.map((e) => e!) };
    const spec = b.spec;
    // an inner join against an empty build side is empty
    if (emptyInner && spec.output.kind === 'rows') return { kind: 'rows', batch: emptyBatch(this.fields.map((f) => f.type)) };
    const { bySlice, total, pruned } = segmentsBySlice(table, ctx.slices, b.tableFilter);
    ctx.stats.segmentsScanned += total - pruned;
    ctx.stats.segmentsPruned += pruned;
    const cancel = ctx.guard.token;
    const results = await Promise.all(bySlice.map((segments, s) => ctx.pool.call<FragmentResult>(s, { op: 'scan', fragment: spec, segments, cancel })));
    ctx.check();
    let scanned = 0;
    for (const r of results) scanned += r.scanned;
    ctx.stats.rowsScanned += scanned;
    const key = (scan as ScanOp).qualifiedName;
    ctx.stats.tables.set(key, (ctx.stats.tables.get(key) ?? 0) + scanned);
    for (const [op, slot] of b.metricOf) {
      const per = results.map((r) => ({ rows: r.metrics.rows[slot], ms: r.metrics.ms[slot] }));
      ctx.record(op, per.reduce((s, x) => s + x.rows, 0), per.reduce((s, x) => s + x.ms, 0), per);
    }
    if (spec.output.kind === 'agg') return { kind: 'agg', partials: results.map((r) => (r as { partial: PartialAgg }).partial), spec: spec.output.spec };
    const types = spec.output.exprs.map((e) => e.type);
    const parts = results.map((r) => ({ length: (r as { rows: number }).rows, columns: (r as { columns: Vector[] }).columns }));
    return { kind: 'rows', batch: await concatBatchesYielding(types, parts, ctx.pause) };
  }
}

