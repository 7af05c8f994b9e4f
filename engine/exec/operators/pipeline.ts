// Compiles the slice side of a physical plan (a chain of slice operators under a Gather) into the
// program every slice runs (`FragmentSpec`): the scan's columns and fused filter, then steps
// (filters, hash probes against broadcast build sides, model calls) and the output (rows,
// partial aggregate, top-N or limit). Expressions are rewritten from each operator's logical
// fields to positions in the slice's batch through a Layout.
import { type BExpr, BOOL, mapCols, mapChildren, hasModelCall } from '../../plan/bound.ts';
import type { FragmentSpec, PipelineStep, SliceMetrics } from '../fragment.ts';
import { modelStep, modelStepKey } from '../fragments.ts';
import { SqlError } from '../../errors.ts';
import type { SliceOperator, PhysicalOperator } from './operator.ts';
import type { ScanOp } from './scan.ts';
import type { RowPieces } from './row-pieces.ts';

/** Where each of an operator's output fields is in the slice batch (null: not computed, not needed). */
export type Layout = (BExpr | null)[];

export const and = (a: BExpr | null, b: BExpr): BExpr => (a ? { k: 'and', args: [a, b], type: BOOL } : b);

/** Metric slots of a slice program: 0 the scan, 1 its fused filter, 2 + i step i, then the output. */
export const SCAN_METRIC = 0, SCAN_FILTER_METRIC = 1;

/**
 * Each slice operator's rows and own time per slice, from the slices' metric slots (`slices[s][p]`:
 * slice s's metrics of program p). An operator with no step of its own (a Project, whose
 * expressions the steps reading them compute) shares its input's slot: the time is counted once.
 * A scan's join filters run in the fused filter's slot; with no Filter fused into that scan, their
 * time is the scan's (EXPLAIN prints them under it), not lost: TPC-H Q5's Bloom filter over 6M
 * lineitem rows, about 55 of a slice's 125-145 ms of CPU at SF 1, showed under no operator.
 */
export function operatorMetrics(metricOf: Map<PhysicalOperator, [number, number]>, slices: (SliceMetrics | undefined)[][]): Map<PhysicalOperator, { rows: number; ms: number }[]> {
  const mapped = new Set([...metricOf.values()].map(([program, slot]) => `${program}:${slot}`));
  const timed = new Set<string>();
  const out = new Map<PhysicalOperator, { rows: number; ms: number }[]>();
  for (const [op, [program, slot]] of metricOf) {
    const own = !timed.has(`${program}:${slot}`);
    timed.add(`${program}:${slot}`);
    const filters = slot === SCAN_METRIC && !mapped.has(`${program}:${SCAN_FILTER_METRIC}`);
    out.set(op, slices.map((ms) => {
      const m = ms[program];
      return { rows: m?.rows[slot] ?? 0, ms: own && m ? (m.ms[slot] ?? 0) + (filters ? m.ms[SCAN_FILTER_METRIC] ?? 0 : 0) : 0 };
    }));
  }
  return out;
}

export class PipelineBuilder {
  readonly spec: FragmentSpec;
  /** columns of the slice batch at the current step */
  width = 0;
  /** the scan filter over table columns (zone maps prune segments with it) */
  tableFilter: BExpr | null = null;
  /** the scan this program reads */
  scan: ScanOp | null = null;
  /** every slice reads all of the scan's segments (an ALL table's copy, or a small table's, replicated.ts: the program computes its rows whole) */
  whole = false;
  /** metric slot of the last step appended */
  last = SCAN_METRIC;
  /** whether an operator set the output (partial aggregate, top-N, limit); else rows of every field */
  outputSet = false;
  /** batch columns holding model calls already computed, by call */
  private readonly modelColumns = new Map<string, number>();

  constructor(
    /** output fields read above each operator (from the top-down `needs` pass) */
    private readonly wanted: Map<PhysicalOperator, Set<number>>,
    /** the build sides, already run at the leader and cut to the columns sent */
    readonly builds: Map<PhysicalOperator, RowPieces>,
    /** every program of the slice request: this one and the nested ones of co-located joins */
    readonly programs: PipelineBuilder[] = [],
    /** which program and metric slot report each slice operator's rows and time */
    readonly metricOf = new Map<PhysicalOperator, [number, number]>(),
  ) {
    this.spec = { tableTypes: [], columns: [], filter: null, steps: [], output: { kind: 'rows', exprs: [] } };
    this.program = programs.length;
    programs.push(this);
  }

  /** this program's number in the request */
  readonly program: number;

  /** A program the slices run before this one, over their own rows (a co-located build side). */
  nested(): PipelineBuilder {
    return new PipelineBuilder(this.wanted, this.builds, this.programs, this.metricOf);
  }

  wantedOf(op: PhysicalOperator): Set<number> {
    return this.wanted.get(op) ?? new Set();
  }

  /** Compiles a child operator (it appends its own steps first) and returns its layout. */
  input(child: PhysicalOperator): Layout {
    const layout = (child as SliceOperator).pipe(this);
    if (!this.metricOf.has(child)) this.metricOf.set(child, [this.program, this.last]);
    return layout;
  }

  /** An expression over an operator's input fields, rewritten to slice batch positions. */
  at(layout: Layout, e: BExpr): BExpr {
    return mapCols(e, (i) => {
      const x = layout[i];
      if (!x) throw new SqlError('INTERNAL_ERROR', `slice pipeline: field ${i} is not available`);
      return x;
    });
  }

  /** The same expression with model calls computed first, as columns appended to the batch. */
  lift(e: BExpr): BExpr {
    if (!hasModelCall(e)) return e;
    if (e.k !== 'model') return mapChildren(e, (x) => this.lift(x));
    const model = modelStep(e, e.args.map((a) => this.lift(a)));
    const key = modelStepKey(model);
    let index = this.modelColumns.get(key);
    if (index === undefined) {
      // a model call computed once per batch, its result appended as a column
      index = this.width;
      this.step({ k: 'model', model }, 1);
      this.modelColumns.set(key, index);
    }
    return { k: 'col', index, type: e.type };
  }

  /** Appends a step; `added` is how many columns it appends to the batch. */
  step(s: PipelineStep, added = 0): void {
    this.spec.steps.push(s);
    this.width += added;
    this.last = 2 + this.spec.steps.length - 1;
  }

  /**
   * The layout with every field that is an expression (or a constant) computed into a column of
   * its own: an outer join pads those columns with NULL, where the expression would be
   * evaluated again over the NULL inputs (a constant, or coalesce(x, 0), would not be NULL).
   */
  materialize(layout: Layout): Layout {
    const exprs: BExpr[] = [];
    const out = layout.map((e): BExpr | null => {
      if (!e || e.k === 'col') return e;
      exprs.push(e);
      return { k: 'col', index: this.width + exprs.length - 1, type: e.type };
    });
    if (exprs.length) this.step({ k: 'compute', exprs }, exprs.length);
    return out;
  }

  /** A filter: fused into the scan while no step ran yet, else a step of its own. */
  filter(pred: BExpr): void {
    if (pred.k === 'and' && hasModelCall(pred) && !pred.args.every(hasModelCall)) {
      // the terms without a model call filter first: a model (a remote endpoint above all) sees only the rows they pass
      const plain = pred.args.filter((t) => !hasModelCall(t)), calls = pred.args.filter(hasModelCall);
      this.filter(plain.length === 1 ? plain[0] : { ...pred, args: plain });
      this.filter(calls.length === 1 ? calls[0] : { ...pred, args: calls });
      return;
    }
    if (this.spec.steps.length === 0 && !hasModelCall(pred)) {
      this.spec.filter = and(this.spec.filter, pred);
      const cols = this.spec.columns;
      // over a table's columns, zone maps prune with it (rows received from other slices have none)
      if (this.scan) this.tableFilter = and(this.tableFilter, mapCols(pred, (i, c) => ({ ...c, index: cols[i] })));
      this.last = SCAN_FILTER_METRIC;
      return;
    }
    this.step({ k: 'filter', pred: this.lift(pred) });
  }

  /** Sets what the slices send back; the operator's rows and time are the output's. */
  output(o: FragmentSpec['output']): void {
    this.spec.output = o;
    this.outputSet = true;
    this.last = this.outputMetric;
  }

  /** The metric slot of the program's output. */
  get outputMetric(): number {
    return 2 + this.spec.steps.length;
  }
}
