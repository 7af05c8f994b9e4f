// The one contract every aggregate function implements. The binder asks it for the result type,
// the grouped path (exec/aggregate.ts) inlines its update code into the generated kernel and
// calls merge/finish, and windows (exec/window.ts) feed frames through the same update code.
import type { BAgg } from '../../plan/bound.ts';
import type { SqlType } from '../../types/types.ts';

/** A physical result value: numbers (DECIMAL as a scaled integer), strings, booleans; bigint for exact wide sums. */
export type AggValue = number | string | boolean | bigint | null;

/**
 * Per-aggregate state for a set of groups: Float64 slots (fast, kept in typed arrays inside the
 * kernel), the count of non-NULL inputs, and, for aggregates that need one, a JS value per group
 * (lists, sketches, exact BigInt sums). It crosses threads by structured clone as it is.
 */
export interface GroupStates {
  slots: Float64Array[];
  count: Float64Array;
  objs: unknown[] | null;
}

/** What the binder knows about a call beyond its argument type. */
export interface AggCallInfo {
  /** the function name as written (aliases resolved) */
  name: string;
  distinct: boolean;
  /** WITHIN GROUP (ORDER BY ...) was given */
  withinGroup: boolean;
  /** PERCENTILE_CONT/DISC: the constant fraction */
  fraction?: number;
}

/**
 * How the generated kernel names a state's parts, for `update` to read and write. Slots and
 * count are the current group's values as assignable JS expressions (`A[b + 3]` where a group's
 * numbers lie side by side, or a local), so the kernel chooses the layout, not the aggregate.
 */
export interface StateRefs {
  /** the current group's value of each Float64 slot */
  slots: string[];
  /** the per-group object array, indexed by `g` */
  objs: string;
  /** the current group's count of non-NULL inputs so far (before this one) */
  count: string;
  /** the current group id */
  g: string;
}

export interface Aggregate {
  readonly name: string;
  /** Its result depends on the order rows come in (LISTAGG's text), so nothing may reorder them. */
  readonly rowOrderMatters?: boolean;
  /**
   * The result type for an argument of type `arg` (null for count(*)), or a message saying why
   * the argument is not accepted (the binder turns it into UNDEFINED_FUNCTION).
   */
  resultType(arg: SqlType | null, call: AggCallInfo): SqlType | string;
  /** Initial value of each Float64 slot of a new group (the array's length is the slot count). */
  slotInit(agg: BAgg): number[];
  /** A new group's object, when the aggregate keeps one. */
  newObject?(agg: BAgg): unknown;
  /**
   * JS statements that add one non-NULL input `v` (a JS expression, evaluated once) to group
   * `refs.g`. `keys` are the WITHIN GROUP sort keys' values (null for NULL). The framework
   * counts non-NULL inputs itself; count(*) calls update with `v` = 1.
   */
  update(agg: BAgg, v: string, refs: StateRefs, keys: string[]): string;
  /** Combines the partial state `src[pg]` (another slice's) into `dst[g]`. */
  merge(agg: BAgg, dst: GroupStates, g: number, src: GroupStates, pg: number): void;
  /** The group's result; `count` is its number of non-NULL inputs. Never mutates the state. */
  finish(agg: BAgg, st: GroupStates, g: number): AggValue;
  /**
   * Every result of groups 0..n-1 as doubles into `values`, a NULL as 0 in `valid` (all 1 on the
   * way in), without a JS value a group: false, when some result is not a double (an exact value
   * past 2^53), leaves the caller to `finish` group by group.
   */
  finishNumbers?(agg: BAgg, st: GroupStates, n: number, values: Float64Array, valid: Uint8Array): boolean;
}
