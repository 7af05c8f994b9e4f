// A plan fragment: the part of a query each slice runs over its own segments
// (scan -> filter -> [join probe] -> project | partial aggregate). Plain JSON, sent to workers.
import type { BExpr } from '../plan/bound.ts';
import type { SortKey } from '../plan/logical.ts';
import type { SqlType } from '../types/types.ts';
import type { AggSpec, PartialAgg } from './aggregate.ts';
import type { Vector } from '../types/vector.ts';

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
  args: BExpr[];
  proba: boolean;
  type: SqlType;
  /** explain the prediction instead (argument names for the JSON) */
  explain?: string[];
}

/** A broadcast hash join probed inside the slice: the build side arrives with the fragment. */
export interface JoinStep {
  joinType: 'INNER' | 'LEFT' | 'SEMI' | 'ANTI';
  probeKeys: BExpr[];
  buildKeys: number[]; // columns of the build batch
  build: Vector[];
  /** residual predicate over (probe columns ++ build columns) */
  residual?: BExpr | null;
  /** keys where NULL matches NULL */
  nullEq?: boolean[];
}

/** ORDER BY ... LIMIT n: each slice keeps only its first n rows in that order (keys index the output). */
export interface TopN {
  keys: SortKey[];
  limit: number;
}

export interface FragmentSpec {
  /** all column types of the scanned table, in table order */
  tableTypes: SqlType[];
  /** table columns to load; the batch seen by expressions has them in this order */
  columns: number[];
  filter: BExpr | null;
  joins: JoinStep[];
  /** model outputs appended as extra columns after the (joined) columns, in order */
  models: ModelStep[];
  /** predicate over the joined batch and model outputs */
  postFilter?: BExpr | null;
  output:
    | { kind: 'rows'; exprs: BExpr[]; limit?: number; topN?: TopN }
    | { kind: 'agg'; spec: AggSpec };
}

export type FragmentResult =
  | { kind: 'rows'; columns: Vector[]; rows: number; scanned: number }
  | { kind: 'agg'; partial: PartialAgg; scanned: number };
