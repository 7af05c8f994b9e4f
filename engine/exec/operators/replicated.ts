// Build sides every slice can compute whole by itself: pipelines over DISTSTYLE ALL tables
// (every slice holds all their rows) or over small tables of any distribution (every slice
// reads every slice's segments: the files are shared), through filters, projections and probes
// of other such sides. Broadcasting one has each slice compute its share, send it to every
// other slice and wait at the exchange for theirs (TPC-H's region and nation, supplier, the
// customers of a market segment: a wait per exchange before the query's scan can start, for
// the slowest slice); computed whole in every slice, it costs each slice a small table's scan
// and moves nothing, so no slice waits for another.
import { walk, type BExpr } from '../../plan/bound.ts';
import { isVolatileFunction } from '../../functions/registry.ts';
import { liveRows } from '../../catalog/table-stats.ts';
import type { PhysicalOperator } from './operator.ts';
import { ScanOp } from './scan.ts';
import { SliceFilterOp } from './filter.ts';
import { SliceProjectOp } from './project.ts';
import { HashProbeOp } from './hash-join.ts';
import { BroadcastOp } from './broadcast.ts';
import { SliceBroadcastOp } from './slice-broadcast.ts';

/** The most rows of an ALL table every slice reads whole instead of its share (duplicate work stays small). */
export const REPLICATED_MAX_ROWS = 100_000;

/** An expression every slice evaluates to the same values: no volatile call (random()), no model. */
function sameEverywhere(e: BExpr): boolean {
  let ok = true;
  walk(e, (x) => { if (x.k === 'model' || (x.k === 'call' && isVolatileFunction(x.name))) ok = false; });
  return ok;
}

/**
 * The most rows of a table of another distribution every slice reads whole instead of its
 * share: the rows past its share cost each slice a scan (a few ms at this size), where a
 * broadcast cost it a copy of the rows it received and the wait for the slowest slice's.
 */
export const SMALL_TABLE_ROWS = 250_000;

/**
 * Whether every slice computes all of `op`'s rows by itself, the same rows in each: only
 * scans of ALL tables (of at most REPLICATED_MAX_ROWS rows) or, with `smallTables`, of other
 * tables of at most SMALL_TABLE_ROWS rows, filters and projections without volatile calls, and
 * inner, left, semi and anti probes (never marking or keeping their build rows) whose build
 * side is itself whole everywhere (such a pipeline, or one the leader sends). `smallTables` is
 * off when SET join_distribution forces a broadcast: then the rows move as it says.
 */
export function computedWhole(op: PhysicalOperator, smallTables = true): boolean {
  if (op instanceof ScanOp) return op.table.distStyle === 'ALL' ? liveRows(op.table) <= REPLICATED_MAX_ROWS : smallTables && liveRows(op.table) <= SMALL_TABLE_ROWS;
  if (op instanceof SliceFilterOp) return sameEverywhere(op.pred) && computedWhole(op.input, smallTables);
  if (op instanceof SliceProjectOp) return op.exprs.every(sameEverywhere) && computedWhole(op.input, smallTables);
  if (op instanceof SliceBroadcastOp) return op.whole;
  if (op instanceof HashProbeOp) {
    if (op.marksBuild || op.keepsBuild || (op.join.residual && !sameEverywhere(op.join.residual))) return false;
    if (![...op.join.leftKeys, ...op.join.rightKeys].every(sameEverywhere)) return false;
    return computedWhole(op.probeSide, smallTables) && (op.build instanceof BroadcastOp || computedWhole(op.build, smallTables));
  }
  return false;
}
