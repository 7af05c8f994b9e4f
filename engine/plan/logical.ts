// The logical plan: relational operators over bound expressions. Each node lists its output
// fields; expressions refer to the input's fields by index.
import type { SqlType } from '../types/types.ts';
import { type BAgg, type BExpr, aggInputs, mapAggInputs } from './bound.ts';
import type { TableState } from '../catalog/catalog.ts';
import type { Batch } from '../types/vector.ts';

/** An output column: name, type and the qualifier (table alias) it can be referenced by. */
export interface Field {
  name: string;
  type: SqlType;
  qualifier?: string;
  /** the table's full name parts, for three-part references */
  path?: string[];
  hidden?: boolean;
  /** a copy of an outer query's column inside a decorrelated subquery (resolved after the
   *  subquery's own columns, never expanded by `*`) */
  corr?: boolean;
  /** a table column the user may not read (column-level privileges): naming it fails with this message */
  denied?: string;
}

/** Where a scanned table lives, and whose it is (for shares and the usage log). */
export interface TableRef {
  account: string;
  database: string;
  schema: string;
  name: string;
  /** set when read through a datashare: the consumer's view of it */
  share?: { producer: string; datashare: string; consumer: string };
}

export interface SortKey {
  expr: BExpr;
  desc: boolean;
  nullsFirst: boolean;
}

export type WindowFn = 'row_number' | 'rank' | 'dense_rank' | 'percent_rank' | 'cume_dist' | 'ntile' | 'lag' | 'lead' | 'first_value' | 'last_value' | 'nth_value' | 'agg';

export interface WindowCall {
  fn: WindowFn;
  agg?: BAgg;
  args: BExpr[];
  partitionBy: BExpr[];
  orderBy: SortKey[];
  /** ROWS frame as offsets from the current row (null = unbounded); absent = SQL default */
  frame?: { start: number | null; end: number | null; units: 'ROWS' | 'RANGE' };
  type: SqlType;
}

export type LNode =
  | { k: 'scan'; table: TableState; ref: TableRef; fields: Field[] }
  | { k: 'batch'; batch: Batch; fields: Field[]; label: string }
  | { k: 'values'; rows: BExpr[][]; fields: Field[] }
  | { k: 'filter'; input: LNode; pred: BExpr; fields: Field[] }
  /** `barrier`: a view read with its owner's rights; only leakproof filters move below it (optimize.ts) */
  | { k: 'project'; input: LNode; exprs: BExpr[]; fields: Field[]; barrier?: true }
  | { k: 'aggregate'; input: LNode; keys: BExpr[]; aggs: BAgg[]; fields: Field[] }
  /** SINGLE: a LEFT join where a left row matching two right rows is an error (scalar subqueries).
   *  nullEq[i]: key i matches NULL with NULL (IS NOT DISTINCT FROM), as subqueries' outer columns do.
   *  outerKeys: a decorrelated subquery's SEMI join with the outer query's keys, which only
   *  narrows what the subquery reads (plan/subquery-windows.ts may drop it) */
  | { k: 'join'; joinType: JoinType; left: LNode; right: LNode; leftKeys: BExpr[]; rightKeys: BExpr[]; residual: BExpr | null; fields: Field[]; nullEq?: boolean[]; outerKeys?: true; est?: JoinEstimate }
  | { k: 'sort'; input: LNode; keys: SortKey[]; fields: Field[] }
  | { k: 'limit'; input: LNode; limit: number | null; offset: number; fields: Field[] }
  | { k: 'distinct'; input: LNode; fields: Field[] }
  /** with `recursive`, a WITH RECURSIVE query: left is the anchor; right, run again and again over
   *  the rows the last round added (`recursive.work`), until it adds none */
  | { k: 'setop'; op: 'UNION' | 'INTERSECT' | 'EXCEPT'; all: boolean; left: LNode; right: LNode; fields: Field[]; recursive?: RecursiveWork }
  | { k: 'window'; input: LNode; calls: WindowCall[]; fields: Field[] }
  /** a plan with two parents (a decorrelated subquery's outer rows: read for its domain and
   *  joined back): it runs once per execution and both read the rows kept in `slot` */
  | { k: 'shared'; input: LNode; slot: SharedSlot; fields: Field[] };

/** Identifies one shared plan across the copies plan rewrites make of the nodes above it. */
export interface SharedSlot { readonly id: number }

let slots = 0;
/** A new slot for a shared plan (compared by identity; the id is for reading plans). */
export function newSlot(): SharedSlot { return { id: ++slots }; }

/** The working table of a recursive query: the batch its step reads, refilled every round. */
export interface RecursiveWork { name: string; work: Batch }

/**
 * What the optimizer expects of a join (set once the plan is optimized): its output rows, and
 * how its inputs should meet across slices: the build (right) side in every slice, or both
 * sides redistributed by the join key. `exchange` is the choice for a build side the slices
 * send each other, `exchangeIfWhole` for one every slice computes whole by itself (only the
 * physical planner knows which: `operators/replicated.ts`); `forced` when SET
 * join_distribution chose both.
 */
export interface JoinEstimate { rows: number; buildRows: number; probeRows: number; exchange: JoinExchange; exchangeIfWhole: JoinExchange; forced: boolean }

/** How a join's inputs meet across slices: the build side in every slice, or both sides redistributed by key. */
export type JoinExchange = 'broadcast' | 'redistribute';

export type JoinType = 'INNER' | 'LEFT' | 'FULL' | 'CROSS' | 'SEMI' | 'ANTI' | 'SINGLE';

/** The same plan with every expression of every node replaced by f(expression). */
export function mapPlanExprs(n: LNode, f: (e: BExpr) => BExpr): LNode {
  const sub = (x: LNode) => mapPlanExprs(x, f);
  switch (n.k) {
    case 'scan': case 'batch': return n;
    case 'values': return { ...n, rows: n.rows.map((r) => r.map(f)) };
    case 'filter': return { ...n, input: sub(n.input), pred: f(n.pred) };
    case 'project': return { ...n, input: sub(n.input), exprs: n.exprs.map(f) };
    case 'aggregate': return { ...n, input: sub(n.input), keys: n.keys.map(f), aggs: n.aggs.map((a) => mapAggInputs(a, f)) };
    case 'join': return { ...n, left: sub(n.left), right: sub(n.right), leftKeys: n.leftKeys.map(f), rightKeys: n.rightKeys.map(f), residual: n.residual ? f(n.residual) : null };
    case 'sort': return { ...n, input: sub(n.input), keys: n.keys.map((k) => ({ ...k, expr: f(k.expr) })) };
    case 'limit': case 'distinct': case 'shared': return { ...n, input: sub(n.input) };
    case 'setop': return { ...n, left: sub(n.left), right: sub(n.right) };
    case 'window': return {
      ...n, input: sub(n.input),
      calls: n.calls.map((c) => ({ ...c, args: c.args.map(f), agg: c.agg ? mapAggInputs(c.agg, f) : c.agg, partitionBy: c.partitionBy.map(f), orderBy: c.orderBy.map((k) => ({ ...k, expr: f(k.expr) })) })),
    };
  }
}

/**
 * A node's own expressions (not its inputs'), in the order mapPlanExprs visits them: for
 * reading them without copying the node.
 */
export function ownExprs(n: LNode): BExpr[] {
  switch (n.k) {
    case 'scan': case 'batch': case 'limit': case 'distinct': case 'shared': case 'setop': return [];
    case 'values': return n.rows.flat();
    case 'filter': return [n.pred];
    case 'project': return n.exprs;
    case 'aggregate': return [...n.keys, ...n.aggs.flatMap(aggInputs)];
    case 'join': return [...n.leftKeys, ...n.rightKeys, ...(n.residual ? [n.residual] : [])];
    case 'sort': return n.keys.map((k) => k.expr);
    case 'window': return n.calls.flatMap((c) => [...c.args, ...(c.agg ? aggInputs(c.agg) : []), ...c.partitionBy, ...c.orderBy.map((k) => k.expr)]);
  }
}

export function inputsOf(n: LNode): LNode[] {
  switch (n.k) {
    case 'scan': case 'batch': case 'values': return [];
    case 'join': case 'setop': return [n.left, n.right];
    default: return [n.input];
  }
}

/** The slots of the shared plans in a plan. */
export function sharedSlotsOf(n: LNode, out = new Set<SharedSlot>()): Set<SharedSlot> {
  if (n.k === 'shared') {
    if (out.has(n.slot)) return out;
    out.add(n.slot);
  }
  for (const c of inputsOf(n)) sharedSlotsOf(c, out);
  return out;
}
