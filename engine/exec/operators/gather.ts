// Gather exchange: runs the slice pipeline below it in every slice, each over its own segments,
// and brings the results to the leader: rows (filtered, projected, top-N or limited per slice)
// or partial aggregate states for the final aggregate above. Before the slices start it runs
// the build sides of the pipeline's joins at the leader (their Broadcast exchanges), all at once.
import type { Batch } from '../../types/vector.ts';
import { sendRowsToFile, type SentResult } from '../fragment.ts';
import { fromWire, partialFromWire } from '../wire.ts';
import type { PartialAgg } from '../aggregate.ts';
import { segmentsBySlice } from '../fragments.ts';
import { emptyBatch } from '../batches.ts';
import { LeaderOperator, SliceOperator, type PhysicalOperator } from './operator.ts';
import { operatorMetrics, PipelineBuilder } from './pipeline.ts';
import type { RunContext } from './run-context.ts';
import { HashProbeOp } from './hash-join.ts';
import type { RowPieces } from './row-pieces.ts';
import { rmSync } from 'node:fs';
import { SqlError } from '../../errors.ts';
import { allPhases } from '../concurrent-phases.ts';
import { epochMs } from '../slice-timing.ts';

/** What the slices returned for one run of a pipeline. */
export type Gathered =
  /** files: rows for a client that slices wrote to disk past their share (with `toFile`) */
  | { kind: 'rows'; batch: Batch; fields?: number[]; files?: string[]; fileRows?: number }
  /** files: sorted run files of slices whose sort went over the budget */
  | { kind: 'runs'; runs: Batch[]; files: string[] }
  /** spilled: per slice whose groups went to disk, its files of partial states by key hash */
  | { kind: 'agg'; partials: PartialAgg[]; spilled: string[][]; spec: import('../aggregate.ts').AggSpec };

/** How long a failed statement waits for its other slices to stop before it answers anyway (a slice stops at its next batch). */
const SLICE_STOP_WAIT_MS = 10_000;

/** One slice's part of a request; its timing notes when the leader had the result (EXPLAIN ANALYZE's timeline). */
async function callSlice(ctx: RunContext, slice: number, msg: Record<string, unknown>): Promise<SentResult> {
  const r = await ctx.pool.call<SentResult>(slice, msg);
  if (r.timing) r.timing.seen = epochMs();
  return r;
}

export class GatherOp extends LeaderOperator {
  /**
   * Sends the request to every slice. When slices exchange rows with each other, every worker
   * runs first (they talk directly) and the request carries an exchange id; if one slice fails,
   * the others are told to stop waiting for its rows.
   */
  private async callSlices(ctx: RunContext, b: PipelineBuilder, msg: (slice: number) => Record<string, unknown>): Promise<SentResult[]> {
    const exchanges = b.programs.some((p) => p.spec.source && !p.spec.source.local);
    const exchange = exchanges ? { id: ctx.pool.exchangeId(), slices: ctx.slices } : null;
    if (exchange) ctx.pool.startAll();
    // when one slice fails (or all are canceled) the statement's flag stops the others, a slice
    // waiting for the failed one's rows at once, and the error waits for their answers: each
    // has removed its own files by then, so nothing of the statement outlives it
    const stop = () => { ctx.guard.stop(); if (exchange) ctx.pool.abortExchange(exchange.id); };
    const slices = Array.from({ length: ctx.slices }, (_, s) => () => callSlice(ctx, s, exchange ? { ...msg(s), exchange } : msg(s)));
    return allPhases(stop, slices, SLICE_STOP_WAIT_MS);
  }

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

  /**
   * Only the fields in `want`, for a consumer that reads no others (a broadcast build side):
   * the slices load and send just those. The batch's columns are the wanted fields in order.
   */
  async runFields(ctx: RunContext, want: Set<number>): Promise<{ batch: Batch; fields: number[] }> {
    const g = await ctx.timed(this, () => this.gather(ctx, want));
    if (g.kind !== 'rows') throw new SqlError('INTERNAL_ERROR', 'partial aggregates gathered without a final aggregate');
    ctx.record(this, g.batch.length);
    return { batch: ctx.hold(g.batch, 'rows from the slices'), fields: g.fields ?? this.fields.map((_, i) => i) };
  }

  /**
   * The rows for a client: what the slices kept in memory, concatenated, and the files of rows a
   * slice wrote once its rows passed its share of the budget (read back a block at a time).
   */
  async gatherForClient(ctx: RunContext): Promise<{ batch: Batch; files: string[]; fileRows: number }> {
    const g = await ctx.timed(this, () => this.gather(ctx, undefined, false, true));
    if (g.kind !== 'rows') throw new SqlError('INTERNAL_ERROR', 'partial aggregates gathered without a final aggregate');
    ctx.record(this, g.batch.length + (g.fileRows ?? 0));
    return { batch: ctx.hold(g.batch, 'rows from the slices'), files: g.files ?? [], fileRows: g.fileRows ?? 0 };
  }

  /** Each slice's rows as it sent them, one batch per slice (sorted runs to merge). */
  async gatherRuns(ctx: RunContext): Promise<{ runs: Batch[]; files: string[] }> {
    const g = await this.gather(ctx, undefined, true);
    if (g.kind !== 'runs') throw new SqlError('INTERNAL_ERROR', 'expected rows from the slices');
    return g;
  }

  /**
   * Runs the pipeline in every slice and returns what they sent (with `want`, only those fields
   * when the pipeline ends in plain rows; with `runs`, rows as one batch per slice).
   */
  async gather(ctx: RunContext, want?: Set<number>, runs = false, toFile = false): Promise<Gathered> {
    // which fields each operator must produce, top-down, so scans and broadcasts carry only those
    const wanted = new Map<PhysicalOperator, Set<number>>();
    const probes: HashProbeOp[] = [];
    const visit = (op: PhysicalOperator, want: Set<number>) => {
      wanted.set(op, want);
      if (op instanceof HashProbeOp && !op.colocated) probes.push(op);
      if (!(op instanceof SliceOperator)) return;
      const needs = op.needs(want);
      op.children.forEach((c, i) => visit(c, needs[i]));
    };
    const all = new Set(this.input.fields.map((_, i) => i));
    // a top operator that sets the output (aggregate, top-N, limit) sends every field
    const narrow = want && !this.input.decidesOutput ? want : null;
    visit(this.input, narrow ?? all);
    // build sides first, all at once (they do not depend on each other): the leader runs each and sends it with the pipeline
    const builds = new Map<PhysicalOperator, RowPieces>();
    let emptyInner = false;
    const built = await allPhases(() => ctx.guard.stop(), probes.map((p) => () => p.buildSide(ctx, wanted.get(p.build)!)));
    probes.forEach((p, i) => {
      builds.set(p, built[i]);
      if (built[i].batch.length + built[i].fileRows === 0 && p.join.joinType === 'INNER') emptyInner = true;
    });
    const b = new PipelineBuilder(wanted, builds);
    const layout = b.input(this.input);
    const sent = narrow ? [...narrow].sort((x, y) => x - y) : null;
    if (!b.outputSet) b.spec.output = { kind: 'rows', exprs: sent ? sent.map((i) => layout[i]!) : layout.map((e) => e!) };
    const spec = b.spec;
    // the leader cuts a LIMIT's rows itself (row-pieces.ts), so they may go to files too
    if (toFile) sendRowsToFile(spec.output, true);
    // an inner join against an empty build side is empty
    if (emptyInner && spec.output.kind === 'rows') {
      const empty = emptyBatch(spec.output.exprs.map((e) => e.type));
      return runs ? { kind: 'runs', runs: [empty], files: [] } : { kind: 'rows', batch: empty, fields: sent ?? undefined };
    }
    // every program's segments, per slice (zone maps of its scan filter prune them)
    const segments = b.programs.map((p) => {
      // a program over rows redistributed between the slices reads no segments
      if (!p.scan) return Array.from({ length: ctx.slices }, () => []);
      if (p.whole) {
        // every slice reads every segment (an ALL table's one copy)
        const { bySlice, total, pruned } = segmentsBySlice(p.scan.table, 1, p.tableFilter);
        ctx.stats.segmentsScanned += total - pruned;
        ctx.stats.segmentsPruned += pruned;
        return Array.from({ length: ctx.slices }, () => bySlice[0]);
      }
      const { bySlice, total, pruned } = segmentsBySlice(p.scan.table, ctx.slices, p.tableFilter);
      ctx.stats.segmentsScanned += total - pruned;
      ctx.stats.segmentsPruned += pruned;
      return bySlice;
    });
    const cancel = ctx.guard.token;
    const sentAt = epochMs();
    // a LIMIT in the slices: they count the rows they keep together, and each stops once the
    // count reaches it (not only once it has as many itself)
    const limitRows = spec.output.kind === 'rows' && spec.output.limit !== undefined && ctx.slices > 1 ? new SharedArrayBuffer(8) : undefined;
    const results = await this.callSlices(ctx, b, (s) => ({ op: 'scan', fragment: spec, segments: segments.map((p) => p[s]), cancel, spill: ctx.spillName, slices: ctx.slices, limitRows }))
      // every slice has read the broadcast files (on a failure they go with the run's files)
      .finally(() => { for (const built of builds.values()) for (const f of built.files) rmSync(f, { force: true }); });
    ctx.guard.resumed();
    ctx.sliceRequests.push({ what: this.input.explain().split(/ \(|:/)[0], sentAt, slices: results.map((r) => r.timing) });
    ctx.check();
    b.programs.forEach((p, i) => {
      if (!p.scan) return;
      let scanned = 0;
      // a table every slice read whole counts its rows once
      for (const r of p.whole ? results.slice(0, 1) : results) scanned += r.metrics[i]?.scanned ?? 0;
      ctx.stats.rowsScanned += scanned;
      const key = p.scan!.qualifiedName;
      ctx.stats.tables.set(key, (ctx.stats.tables.get(key) ?? 0) + scanned);
    });
    for (const [op, per] of operatorMetrics(b.metricOf, results.map((r) => r.metrics))) ctx.record(op, per.reduce((s, x) => s + x.rows, 0), per);
    b.programs.forEach((p, i) => {
      if (p.scan && results.some((r) => r.metrics[i]?.runtimeFilters)) ctx.recordRuntimeFilters(p.scan, results.map((r) => r.metrics[i]?.runtimeFilters ?? []));
    });
    if (spec.output.kind === 'agg') {
      const aggs = results as Extract<SentResult, { kind: 'agg' }>[];
      return { kind: 'agg', partials: aggs.map((r) => partialFromWire(r.partial)), spilled: aggs.flatMap((r) => (r.spilled ? [r.spilled] : [])), spec: spec.output.spec };
    }
    if (spec.output.kind !== 'rows') throw new SqlError('INTERNAL_ERROR', 'a marking program gathered');
    const types = spec.output.exprs.map((e) => e.type);
    const parts = results.map((r) => ctx.hold({ length: (r as { rows: number }).rows, columns: fromWire((r as Extract<SentResult, { kind: 'rows' }>).columns) }, 'rows from the slices'));
    if (runs) return { kind: 'runs', runs: parts, files: results.flatMap((r) => (r.kind === 'rows' && r.runs ? r.runs : [])) };
    const files = results.flatMap((r) => (r.kind === 'rows' && r.files ? r.files : []));
    const fileRows = results.reduce((n, r) => n + (r.kind === 'rows' ? r.fileRows ?? 0 : 0), 0);
    return { kind: 'rows', batch: await ctx.concatHeld(types, parts, 'rows from the slices'), fields: sent ?? undefined, files, fileRows };
  }
}


