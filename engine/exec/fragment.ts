// A slice program: the pipeline each slice runs over its own segments (scan -> fused filter ->
// steps: filters, hash probes, model calls -> rows | partial aggregate), compiled from the
// physical plan's slice operators (operators/pipeline.ts). Plain data, sent to workers.
import type { SliceTiming } from './slice-timing.ts';
import type { BExpr, RemoteModelRef } from '../plan/bound.ts';
import type { SortKey, WindowCall } from '../plan/logical.ts';
import type { SqlType } from '../types/types.ts';
import type { AggSpec, PartialAgg } from './aggregate.ts';
import type { Vector } from '../types/vector.ts';
import type { WireColumn, WirePartial } from './wire.ts';
import type { RuntimeFilterCounters } from './runtime-filter.ts';

/** A committed segment as a scan sees it. */
export interface SegmentRef {
  file: string;
  rows: number;
  /** deletion vector file, if rows were deleted */
  deleted?: string;
}

/** One model call evaluated per batch before the fused loop; its result becomes column `index`. */
export interface ModelStep {
  model: string;
  onnx?: string; // file name of the ONNX graph in the data dir
  /** or the SageMaker endpoint that serves the model */
  remote?: RemoteModelRef;
  args: BExpr[];
  proba: boolean;
  type: SqlType;
  /** explain the prediction instead (argument names for the JSON) */
  explain?: string[];
}

/**
 * A hash join probed inside the slice. The build side arrives with the program (broadcast), or
 * with `local`, each slice computes it first from its own rows (co-located: both sides are
 * distributed on the join key) by running that nested program.
 */
export interface JoinStep {
  joinType: 'INNER' | 'LEFT' | 'SEMI' | 'ANTI';
  probeKeys: BExpr[];
  buildKeys: number[]; // columns of the build batch
  /** the build batch in the slice (decoded from `sent` on arrival, or computed by `local`) */
  build: Vector[];
  /** a broadcast build batch as it crosses threads (shared buffers every slice reads) */
  sent?: WireColumn[];
  /** a broadcast build side's rows past what the leader held: files every slice reads (the leader removes them) */
  sentFiles?: string[];
  /** the nested program that computes the build side in each slice, and its number */
  local?: { program: number; spec: FragmentSpec };
  /** residual predicate over (probe columns ++ build columns) */
  residual?: BExpr | null;
  /** keys where NULL matches NULL */
  nullEq?: boolean[];
  /**
   * an outer join that keeps its build side (FULL, or a LEFT join built on its left): once the
   * slice's probe rows are all through, the build rows none matched go on with NULL probe
   * columns, typed as the probe rows were (`probeTypes` when none came). Its sides are
   * co-located or redistributed by key, never broadcast: each build row lives in one slice.
   */
  keepsBuild?: { probeTypes: SqlType[] };
}

/**
 * Join filter pushdown (runtime-filter.ts): a join's build keys (min/max, Bloom filter) drop
 * rows at this program's scan, for a join where a probe row without a partner is dropped anyway.
 */
export interface JoinFilterSpec {
  /** the join step: this program's, or one of a program that reads this one's rows (the same object) */
  join: JoinStep;
  /** the join's probe keys over this program's batch (scan columns only) */
  keys: BExpr[];
  /** per key: its batch column when it is a bare numeric column (zone maps), else -1 */
  zoneCols: number[];
  /**
   * each slice holds only its part of the build keys (a redistributed build side): the slices
   * swap their filters (Bloom filters of power-of-two sizes for at least `keys` build keys, folded to the smallest) and use the union
   */
  merge?: { keys: number };
}

/** ORDER BY ... LIMIT n: each slice keeps only its first n rows in that order (keys index the output). */
export interface TopN {
  keys: SortKey[];
  limit: number;
}

/** One step of a slice pipeline after the scan, in order; joins and models append columns. */
export type PipelineStep =
  | { k: 'filter'; pred: BExpr }
  | { k: 'join'; join: JoinStep }
  | { k: 'model'; model: ModelStep }
  /** expressions computed into columns of their own, appended (the fields an outer join pads with NULL) */
  | { k: 'compute'; exprs: BExpr[] }
  /** each row `count` times (none for 0, less or NULL): INTERSECT ALL, EXCEPT ALL */
  | { k: 'repeat'; count: BExpr };

/**
 * Rows redistributed by key, the source of a program instead of a table scan: every slice runs
 * `spec` (program number `program`) over its own rows and sends each slice the rows whose key
 * columns (`keys`, of spec's output) hash to it; the program then reads what every slice sent.
 * When `spec` ends in a partial aggregate, its states move by group key instead and each slice
 * reads the groups it finished (key columns, then aggregates).
 */
export interface ExchangeSource {
  program: number;
  spec: FragmentSpec;
  keys: number[];
  /** rows go by a DISTKEY table's placement hash of the one key column, not the exchange's hash
   *  (partial states: of the group key `keys[0]`) */
  placement?: 'table';
  /** nothing moves: the rows (or finished groups) stay in the slice that computed them (already partitioned by the key) */
  local?: true;
  /** every row goes to every slice (a join's build side broadcast between the slices; `keys` unused) */
  everywhere?: true;
  /** window functions computed over all the rows the slice holds after the exchange, appended as columns */
  windows?: WindowCall[];
  /** UNION ALL: the rows of a second program (the same columns) follow these */
  union?: ExchangeSource;
}

/**
 * A semi or anti join built on its preserved side, the source of a program instead of a table
 * scan: the slice computes the preserved rows (`join.local`) and builds its table over them;
 * program `probe` streams the other side's rows through it and marks every preserved row some
 * row matches (keys equal and `join.residual` true); this program then reads the marked rows
 * (SEMI) or the unmarked ones (ANTI). Equal keys must meet in one slice (co-located sides, or
 * rows redistributed by key).
 */
export interface MarkedSource {
  join: JoinStep;
  probe: { program: number; spec: FragmentSpec };
}

export interface FragmentSpec {
  /** rows received from every slice instead of a scan (then tableTypes, columns are empty) */
  source?: ExchangeSource;
  /** or the preserved rows a semi or anti join keeps (then tableTypes, columns are empty) */
  marked?: MarkedSource;
  /** all column types of the scanned table, in table order */
  tableTypes: SqlType[];
  /** table columns to load; the batch seen by expressions has them in this order */
  columns: number[];
  /** the scan's filter over the loaded columns (fused into the scan loop; block zone maps use it) */
  filter: BExpr | null;
  /** join filters on the scan, applied after `filter` */
  joinFilters?: JoinFilterSpec[];
  steps: PipelineStep[];
  output:
    /** toFile: rows for a client; past the slice's share they go to a file handed on (`files`) */
    | { kind: 'rows'; exprs: BExpr[]; limit?: number; topN?: TopN; sort?: SortKey[]; toFile?: boolean }
    | { kind: 'agg'; spec: AggSpec }
    /** no rows: each row marks the rows of `join`'s table it matches (a MarkedSource's probe program) */
    | { kind: 'mark'; join: JoinStep };
}

/**
 * Lets a program's plain rows go to a file past the slice's share (`toFile`). A top-N's or a
 * sort's rows stay (they are ordered in memory or as sorted runs), and so do a LIMIT's, unless
 * the reader cuts them to it (`limitCut`: the leader's rows for a client).
 */
export function sendRowsToFile(out: FragmentSpec['output'], limitCut = false): void {
  if (out.kind === 'rows' && out.exprs.length && (limitCut || !out.limit) && !out.topN && !out.sort) out.toFile = true;
}

/** Rows out of and milliseconds spent in each part of a program: [scan, scan filter, ...steps, output]. */
export interface SliceMetrics { rows: number[]; ms: number[]; scanned: number; runtimeFilters?: RuntimeFilterCounters[] }

/** `metrics[p]`: program p's (0 the main one, then the nested programs of co-located joins). */
export type FragmentResult =
  /** runs: a sort over the slice's budget wrote its rows as sorted run files instead (external-sort.ts's writeSortedRuns) */
  | { kind: 'rows'; columns: Vector[]; rows: number; runs?: string[]; files?: string[]; fileRows?: number; scanned: number; metrics: SliceMetrics[] }
  /** spilled: the slice's groups went to disk; files of partial states by key hash (spill-aggregate.ts's handOff) */
  | { kind: 'agg'; partial: PartialAgg; spilled?: string[]; scanned: number; metrics: SliceMetrics[] };

/** A FragmentResult as a slice sends it: columns and partial states in wire form. */
export type SentResult =
  | { kind: 'rows'; columns: WireColumn[]; rows: number; runs?: string[]; files?: string[]; fileRows?: number; scanned: number; metrics: SliceMetrics[]; timing?: SliceTiming }
  | { kind: 'agg'; partial: WirePartial; spilled?: string[]; scanned: number; metrics: SliceMetrics[]; timing?: SliceTiming };
