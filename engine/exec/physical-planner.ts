// Turns an optimized logical plan into a tree of physical operators (operators/). The part of
// the plan that can run inside the slices becomes one pipeline per table scan: the scan, its
// filters and projections, hash probes against broadcast build sides, and at the top a partial
// aggregate, a per-slice top-N or limit; a Gather brings its output to the leader. The rest
// runs at the leader over its inputs' results.
import { type Field, type JoinExchange, type LNode, type SharedSlot, sharedSlotsOf } from '../plan/logical.ts';
import { type BAgg, type BExpr, BOOL, hasModelCall, mapCols, usedColumns } from '../plan/bound.ts';
import { modelsBelowJoin } from '../plan/model-columns.ts';
import type { SqlType } from '../types/types.ts';
import { estimateRows as estimateFromStats } from '../plan/cardinality.ts';
import { denseKeyRange } from './integer-group-ids.ts';
import { SqlError } from '../errors.ts';
import { type PhysicalOperator, LeaderOperator, SliceOperator } from './operators/operator.ts';
import { ScanOp } from './operators/scan.ts';
import { FilterOp, SliceFilterOp } from './operators/filter.ts';
import { ProjectOp, SliceProjectOp } from './operators/project.ts';
import { HashJoinOp, HashProbeOp } from './operators/hash-join.ts';
import { HashAggregateOp, PartialAggregateOp, FinalAggregateOp, SliceFinalAggregateOp } from './operators/hash-aggregate.ts';
import { SortOp } from './operators/sort.ts';
import { SliceTopNOp } from './operators/top-n.ts';
import { SliceSortOp } from './operators/slice-sort.ts';
import { MergeSortedRunsOp } from './operators/merge.ts';
import { SliceWindowOp } from './operators/slice-window.ts';
import { sharedPartitionKeys } from './window.ts';
import { SliceUnionAllOp } from './operators/slice-union-all.ts';
import { SliceRepeatOp } from './operators/slice-repeat.ts';
import { LimitOp, SliceLimitOp } from './operators/limit.ts';
import { DistinctOp } from './operators/distinct.ts';
import { WindowOp } from './operators/window.ts';
import { SetOp, RecursiveUnionOp } from './operators/set-op.ts';
import { isLinearIn } from '../plan/linear-step.ts';
import { ValuesOp, BatchSourceOp } from './operators/values.ts';
import { GatherOp } from './operators/gather.ts';
import { SharedOp } from './operators/shared.ts';
import { BroadcastOp } from './operators/broadcast.ts';
import { RedistributeOp } from './operators/redistribute.ts';
import { SliceBroadcastOp } from './operators/slice-broadcast.ts';
import { computedWhole } from './operators/replicated.ts';
import { planRuntimeFilters } from './runtime-filter-plan.ts';
import { alignKeys, hashCompatible, type Partitioning } from './partitioning.ts';

/**
 * Estimated groups from which the slices finish an aggregate themselves: below it, merging at
 * the leader is cheap and saves the exchange between the slices.
 */
const SLICE_FINAL_GROUPS = 4096;

const INT = { id: 'INTEGER' } as SqlType, BIG = { id: 'BIGINT' } as SqlType;

/** Estimated output rows of a logical node (from table statistics; plan/cardinality.ts). */
export const estimateRows = (n: LNode): number => estimateFromStats(n);

/** The physical plan of a logical plan for `slices` slices; its root runs at the leader. */
export function physicalPlan(node: LNode, slices: number): LeaderOperator {
  const root = new PhysicalPlanner(slices).leader(node);
  planRuntimeFilters(root);
  return root;
}

class PhysicalPlanner {
  constructor(private readonly slices: number) {}

  /** working tables of the recursive queries being planned */
  private readonly work = new Set<unknown>();
  /** one operator per shared plan, read by both its parents */
  private readonly shared = new Map<SharedSlot, SharedOp>();

  /** A node's plan as a leader operator: a slice pipeline below it ends in a Gather. */
  leader(n: LNode): LeaderOperator {
    // a join condition's model calls on one input's columns: computed below the join
    const lifted = n.k === 'join' && modelsBelowJoin(n);
    if (lifted) return this.leader(lifted);
    const est = estimateRows(n);
    if (n.k === 'limit' && n.limit !== null) {
      const want = n.limit + n.offset;
      if (n.input.k === 'sort') {
        // ORDER BY ... LIMIT: every slice sorts its own rows and sends only the first ones
        const sort = n.input;
        const below = this.pipeline(sort.input);
        if (below && !(below instanceof PartialAggregateOp)) {
          // each slice's first rows come sorted: the leader merges the runs up to the rows it needs
          const topN = new GatherOp(new SliceTopNOp(below, sort.keys, want, Math.min(want, est)));
          return new LimitOp(new MergeSortedRunsOp(topN, sort.keys, want, Math.min(want, estimateRows(sort))), n.limit, n.offset, est);
        }
      } else {
        const below = this.pipeline(n.input);
        if (below && !(below instanceof PartialAggregateOp)) return new LimitOp(new GatherOp(new SliceLimitOp(below, want, est)), n.limit, n.offset, est);
        const u = n.input;
        if (u.k === 'setop' && u.op === 'UNION' && u.all && !u.recursive) {
          // a UNION ALL at the leader: neither input needs more than LIMIT + OFFSET rows, so
          // each gets that LIMIT (its slices stop there)
          const cap = (x: LNode): LNode => (x.k === 'limit' && x.limit !== null && x.limit + x.offset <= want ? x : { k: 'limit', input: x, limit: want, offset: 0, fields: x.fields });
          return new LimitOp(this.leader({ ...u, left: cap(u.left), right: cap(u.right) }), n.limit, n.offset, est);
        }
      }
    }
    if (n.k === 'sort') {
      // every slice sorts its own rows; the leader merges the sorted runs
      const below = this.pipeline(n.input);
      if (below && !(below instanceof PartialAggregateOp)) return new MergeSortedRunsOp(new GatherOp(new SliceSortOp(below, n.keys, est)), n.keys, null, est);
    }
    const pipeline = this.pipeline(n);
    if (pipeline) return this.gather(pipeline);
    switch (n.k) {
      case 'scan': throw new SqlError('INTERNAL_ERROR', 'scan outside a slice pipeline');
      case 'batch': return new BatchSourceOp(n, n.fields, this.work.has(n.batch));
      case 'values': return new ValuesOp(n.rows, n.fields);
      case 'filter': return new FilterOp(this.leader(n.input), n.pred, est);
      case 'project': return new ProjectOp(this.leader(n.input), n.exprs, n.fields, est);
      case 'aggregate': return new HashAggregateOp(this.leader(n.input), n.keys, n.aggs, n.fields, est);
      case 'join': {
        const j = filterRightInput(n);
        return new HashJoinOp(this.leader(j.left), this.leader(j.right), j, j.fields, est);
      }
      case 'sort': return new SortOp(this.leader(n.input), n.keys, est);
      case 'limit': return new LimitOp(this.leader(n.input), n.limit, n.offset, est);
      case 'distinct': return new DistinctOp(this.leader(n.input), est);
      case 'window': return new WindowOp(this.leader(n.input), n.calls, n.fields, est);
      case 'shared': {
        let op = this.shared.get(n.slot);
        if (!op) { op = new SharedOp(this.leader(n.input), n.slot, this.shared.size + 1); this.shared.set(n.slot, op); }
        return op;
      }
      case 'setop':
        if (n.recursive) {
          this.work.add(n.recursive.work);
          return new RecursiveUnionOp(this.leader(n.left), this.leader(n.right), n.all, n.recursive, n.fields, est, [...sharedSlotsOf(n.right)], isLinearIn(n.right, n.recursive.work));
        }
        return new SetOp(n.op, n.all, this.leader(n.left), this.leader(n.right), n.fields, est);
    }
  }

  /** The exchange that brings a pipeline's output to the leader (and finishes a partial aggregate). */
  private gather(p: SliceOperator): LeaderOperator {
    const g = new GatherOp(p);
    return p instanceof PartialAggregateOp ? new FinalAggregateOp(g, p) : g;
  }

  /**
   * A node's plan as a slice pipeline, or null when it must run at the leader: a scan with
   * filters, projections and joins whose other side is broadcast, with an aggregate on top.
   * `inSlices`: its rows stay in the slices (a join input), so a grouped aggregate on top is
   * finished there whatever its estimate, keeping the join in the same slice request instead of
   * sending its rows to the leader to merge and back.
   */
  pipeline(n: LNode, inSlices = false): SliceOperator | null {
    const lifted = n.k === 'join' && modelsBelowJoin(n);
    if (lifted) return this.pipeline(lifted, inSlices);
    const est = estimateRows(n);
    switch (n.k) {
      case 'scan': return new ScanOp(n.table, n.ref, n.fields, est);
      case 'filter': {
        const input = this.pipeline(n.input, inSlices);
        return input && !(input instanceof PartialAggregateOp) ? new SliceFilterOp(input, n.pred, est) : null;
      }
      case 'project': {
        const input = this.pipeline(n.input, inSlices);
        return input && !(input instanceof PartialAggregateOp) ? new SliceProjectOp(input, n.exprs, n.fields, est) : null;
      }
      case 'aggregate': {
        const input = this.pipeline(n.input);
        if (!input || input instanceof PartialAggregateOp) return null;
        const partial = new PartialAggregateOp(input, n.keys, n.aggs, n.fields, est);
        partial.keyRange = denseKeyRange(n, est);
        return inSlices && n.keys.length ? this.finishInSlices(partial) : this.aggregate(partial);
      }
      case 'distinct': {
        // DISTINCT is a GROUP BY every column without aggregates
        const input = this.pipeline(n.input);
        const keys: BExpr[] = n.input.fields.map((f, i) => ({ k: 'col', index: i, type: f.type }));
        if (!input || input instanceof PartialAggregateOp) return null;
        const partial = new PartialAggregateOp(input, keys, [], n.fields, est);
        return inSlices && keys.length ? this.finishInSlices(partial) : this.aggregate(partial);
      }
      case 'join': return this.probe(filterRightInput(n), est);
      case 'setop': return n.recursive ? null : this.setOp(n, est);
      case 'window': {
        // with a PARTITION BY every call shares, each slice computes the partitions it holds
        const input = this.pipeline(n.input);
        const keys = sharedPartitionKeys(n.calls);
        if (!input || input instanceof PartialAggregateOp || !keys.length) return null;
        const p = input.partitioning(this.slices);
        const colocated = p && alignKeys(p, keys) ? p : null;
        // one slice holds every row: nothing to move
        const single: Partitioning | null = this.slices === 1 && !colocated ? { scheme: 'hash', keys: [] } : colocated;
        return new SliceWindowOp(input, n.calls, n.fields, est, keys, single);
      }
      default: return null;
    }
  }

  /**
   * A set operation over two slice pipelines: UNION ALL adds both inputs' rows where they are;
   * the others are aggregates over that, grouped by every column (NULLs equal, as set operations
   * compare rows), so they spill like any aggregate in the slices: UNION keeps each group;
   * INTERSECT and EXCEPT count each row's copies per input and keep a row once, or (ALL) as
   * often as the counts say (the lesser count; the left's less the right's).
   */
  private setOp(n: Extract<LNode, { k: 'setop' }>, est: number): SliceOperator | null {
    const usable = (p: SliceOperator | null) => (p && !(p instanceof PartialAggregateOp) ? p : null);
    const left = usable(this.pipeline(n.left));
    const right = left && usable(this.pipeline(n.right));
    if (!left || !right) return null;
    const width = n.fields.length;
    const col = (index: number, type: SqlType): BExpr => ({ k: 'col', index, type });
    const cols = n.fields.map((f, i) => col(i, f.type));
    const unionEst = left.estRows + right.estRows;
    if (n.op === 'UNION') {
      const both = new SliceUnionAllOp(left, right, n.fields, unionEst);
      return n.all ? both : this.finishInSlices(new PartialAggregateOp(both, cols, [], n.fields, est, 'UNION: each row once'));
    }
    // each input's rows with a 1 in its own count column and NULL in the other's
    const one: BExpr = { k: 'const', value: 1, type: INT }, none: BExpr = { k: 'const', value: null, type: INT };
    const tagged: Field[] = [...n.fields, { name: 'left_rows', type: INT }, { name: 'right_rows', type: INT }];
    const tag = (input: SliceOperator, isLeft: boolean) => new SliceProjectOp(input, [...cols, isLeft ? one : none, isLeft ? none : one], tagged, input.estRows);
    const both = new SliceUnionAllOp(tag(left, true), tag(right, false), tagged, unionEst);
    const counts: Field[] = [...n.fields, { name: 'left_rows', type: BIG }, { name: 'right_rows', type: BIG }];
    const aggs: BAgg[] = [width, width + 1].map((i) => ({ fn: 'count', arg: col(i, INT), distinct: false, type: BIG }));
    const name = `${n.op}${n.all ? ' ALL' : ''}`;
    const grouped = this.finishInSlices(new PartialAggregateOp(both, cols, aggs, counts, est, `${name}: each row's copies per input`));
    const l = col(width, BIG), r = col(width + 1, BIG), zero: BExpr = { k: 'const', value: 0, type: BIG };
    const cmp = (op: '>' | '=' | '<', a: BExpr, b: BExpr): BExpr => ({ k: 'cmp', op, left: a, right: b, type: BOOL });
    const pred: BExpr = n.op === 'INTERSECT' ? { k: 'and', args: [cmp('>', l, zero), cmp('>', r, zero)], type: BOOL }
      : n.all ? cmp('>', l, r) : { k: 'and', args: [cmp('>', l, zero), cmp('=', r, zero)], type: BOOL };
    let kept: SliceOperator = new SliceFilterOp(grouped, pred, est);
    if (n.all) {
      const times: BExpr = n.op === 'INTERSECT' ? { k: 'case', whens: [{ when: cmp('<', l, r), then: l }], else: r, type: BIG } : { k: 'arith', op: '-', left: l, right: r, type: BIG };
      kept = new SliceRepeatOp(kept, times, est);
    }
    return new SliceProjectOp(kept, cols, n.fields, est);
  }

  /** An aggregate the slices finish themselves (each group whole in one slice), whatever the estimate says. */
  private finishInSlices(partial: PartialAggregateOp): SliceOperator {
    const p = (partial.input as SliceOperator).partitioning(this.slices);
    if (p && alignKeys(p, partial.keys)) return new SliceFinalAggregateOp(partial, p);
    // one slice holds every group: nothing moves
    return new SliceFinalAggregateOp(partial, this.slices === 1 ? { scheme: 'hash', keys: [] } : null);
  }

  /**
   * With many groups, the slices finish the aggregate themselves (partial states redistributed
   * by group key), else the leader merges the partial states (FinalAggregateOp above a Gather).
   */
  private aggregate(partial: PartialAggregateOp): SliceOperator {
    // input rows partitioned on group keys: every group is whole in one slice
    const p = partial.keys.length > 0 ? (partial.input as SliceOperator).partitioning(this.slices) : null;
    if (p && alignKeys(p, partial.keys)) return new SliceFinalAggregateOp(partial, p);
    if (partial.keys.length === 0 || partial.estRows < SLICE_FINAL_GROUPS) return partial;
    // one slice holds every row: it finishes every group where it is, nothing goes to the leader to merge
    return new SliceFinalAggregateOp(partial, this.slices === 1 ? { scheme: 'hash', keys: [] } : null);
  }

  /**
   * A join inside the slices: probe one side's pipeline; build from the other side's pipeline in
   * every slice when both are distributed on the join key (co-located); redistribute both sides
   * by the join key when the estimate says broadcasting the build side moves more rows; else
   * broadcast it.
   */
  private probe(n: Extract<LNode, { k: 'join' }>, est: number): SliceOperator | null {
    if (n.joinType === 'CROSS' || n.joinType === 'SINGLE' || n.leftKeys.length === 0) return null;
    // a condition calling a model over both inputs filters an INNER join's pairs after it; the
    // leader marks the rows an outer, semi or anti join's passing pairs met (JoinTable)
    if (n.joinType !== 'INNER' && n.residual && hasModelCall(n.residual)) return null;
    // a grouped aggregate the leader would merge is finished in the slices instead: the join
    // then stays in the same slice request, with no round trip through the leader for its rows
    const usable = (p: SliceOperator | null) => (p && !(p instanceof PartialAggregateOp) ? p : null);
    const left = usable(this.pipeline(n.left, true));
    const right = usable(this.pipeline(n.right, true));
    let probeIsLeft: boolean;
    if (n.joinType === 'FULL') {
      // both sides' unmatched rows are kept: it builds on the smaller, whose rows meet their
      // partners by key (never broadcast: each slice adds the build rows it alone holds)
      if (!left || !right) return null;
      const buildLeft = estimateRows(n.left) < estimateRows(n.right);
      return buildLeft ? this.keyedJoin(n, false, right, left, est) : this.keyedJoin(n, true, left, right, est);
    }
    if (n.joinType !== 'INNER') {
      // outer, semi and anti joins keep every row of their left side: it must be the probe,
      // unless it is the smaller side and builds: a semi or anti join's right side marks the
      // left rows it matches, a LEFT join adds the left rows nothing matched at the end
      if (!left) return null;
      // (they never broadcast, so not when SET join_distribution = broadcast forces that)
      const keyed = right && (this.slices < 2 || this.exchange(n, right) !== 'broadcast');
      if (keyed && estimateRows(n.left) < estimateRows(n.right)) return this.keyedJoin(n, false, right, left, est);
      probeIsLeft = true;
    } else if (left && right) probeIsLeft = estimateRows(n.left) >= estimateRows(n.right);
    else if (left) probeIsLeft = true;
    else if (right) probeIsLeft = false;
    else return null;
    const probe = (probeIsLeft ? left : right)!;
    const other = probeIsLeft ? right : left;
    const [probeKeys, buildKeys] = probeIsLeft ? [n.leftKeys, n.rightKeys] : [n.rightKeys, n.leftKeys];
    const placed = other && this.partitionedJoin(n, probeIsLeft, probe, other, probeKeys, buildKeys, est);
    if (placed) return placed;
    if (other && this.exchange(n, other) === 'redistribute' && this.slices > 1) {
      // both sides too large to broadcast: rows with equal keys meet in one slice
      return new HashProbeOp(new RedistributeOp(probe, probeKeys), new RedistributeOp(other, buildKeys), probeIsLeft, n, n.fields, est);
    }
    // a build side the slices compute is broadcast between them (or computed whole in each, from
    // ALL tables or small ones); one only the leader can finish, from there
    const build = other ? new SliceBroadcastOp(other, this.slices, computedWhole(other, !n.est?.forced)) : new BroadcastOp(this.leader(probeIsLeft ? n.right : n.left));
    return new HashProbeOp(probe, build, probeIsLeft, n, n.fields, est);
  }

  /**
   * What the estimate chose for a join built from `build`: its choice for a build side every
   * slice computes whole by itself (nothing moves) or for one the slices send each other.
   */
  private exchange(n: Join, build: SliceOperator): JoinExchange | undefined {
    if (!n.est) return undefined;
    return computedWhole(build, !n.est.forced) ? n.est.exchangeIfWhole : n.est.exchange;
  }

  /**
   * A join whose build rows must each be in one slice: a semi or anti join built on its left
   * side (a slice marks only the rows it holds), a FULL join, or a LEFT join built on its left
   * (a slice adds the build rows none of its probe rows matched). Equal keys meet in one slice:
   * the sides are co-located, or one side (the other being partitioned on the keys) or both are
   * redistributed by key; never broadcast.
   */
  private keyedJoin(n: Join, probeIsLeft: boolean, probe: SliceOperator, build: SliceOperator, est: number): SliceOperator {
    const [probeKeys, buildKeys] = probeIsLeft ? [n.leftKeys, n.rightKeys] : [n.rightKeys, n.leftKeys];
    const placed = this.partitionedJoin(n, probeIsLeft, probe, build, probeKeys, buildKeys, est, true);
    if (placed) return placed;
    if (this.slices < 2) return new HashProbeOp(probe, build, probeIsLeft, n, n.fields, est);
    return new HashProbeOp(new RedistributeOp(probe, probeKeys), new RedistributeOp(build, buildKeys), probeIsLeft, n, n.fields, est);
  }

  /**
   * A join that moves at most one side, by the sides' partitioning (partitioning.ts): both
   * partitioned alike on join keys (co-located: nothing moves); the probe side partitioned on
   * join keys (the build side is redistributed to where the probe rows sit, which costs less
   * than broadcasting it); or the build side partitioned and the estimate preferring
   * redistribution, or `moveProbe` (only the probe side moves). Null when neither side is
   * partitioned on the keys.
   */
  private partitionedJoin(n: Join, probeIsLeft: boolean, probe: SliceOperator, other: SliceOperator, probeKeys: BExpr[], buildKeys: BExpr[], est: number, moveProbe = this.exchange(n, other) === 'redistribute'): SliceOperator | null {
    const pp = probe.partitioning(this.slices), bp = other.partitioning(this.slices);
    const alike = (i: number) => hashCompatible(probeKeys[i].type, buildKeys[i].type);
    const join = (p: SliceOperator, b: SliceOperator) => new HashProbeOp(p, b, probeIsLeft, n, n.fields, est);
    if (pp && bp && pp.scheme === bp.scheme && pp.keys.length === bp.keys.length) {
      const pairs = alignKeys(pp, probeKeys, (i, j) => {
        const bk = buildKeys[i];
        return alike(i) && bk.k === 'col' && bp.keys[j].includes(bk.index);
      });
      if (pairs) return join(probe, other);
    }
    if (this.slices < 2) return null;
    // groups the slices finish, joined on a group key to a KEY table's rows: their states go where
    // the table keeps that key instead of by their own hash, and nothing moves again to meet it
    for (let i = 0; i < probeKeys.length; i++) {
      if (!alike(i)) continue;
      const build = placedAs(other, buildKeys[i], pp, probeKeys[i]);
      if (build) return join(probe, build);
      const probing = placedAs(probe, probeKeys[i], bp, buildKeys[i]);
      if (probing) return join(probing, other);
    }
    // a DISTKEY table's placement hashes one column: rows moved to meet it must hash that one key
    const movable = (p: Partitioning) => p.scheme === 'hash' || p.keys.length === 1;
    const probePairs = pp && movable(pp) ? alignKeys(pp, probeKeys, alike) : null;
    if (probePairs) return join(probe, new RedistributeOp(other, probePairs.map((i) => buildKeys[i]), pp!.scheme));
    const buildPairs = bp && movable(bp) && moveProbe ? alignKeys(bp, buildKeys, alike) : null;
    if (buildPairs) return join(new RedistributeOp(probe, buildPairs.map((i) => probeKeys[i]), bp!.scheme), other);
    return null;
  }
}

type Join = Extract<LNode, { k: 'join' }>;

/**
 * `op`, groups the slices finish after moving their states by hash, as groups whose states move
 * by the DISTKEY placement of the group key `key`, when the other side's rows are placed by that
 * table key (`theirs`, in partitioning `p`); else null.
 */
function placedAs(op: SliceOperator, key: BExpr, p: Partitioning | null, theirs: BExpr): SliceOperator | null {
  if (!p || p.scheme !== 'table' || p.keys.length !== 1 || theirs.k !== 'col' || !p.keys[0].includes(theirs.index) || key.k !== 'col') return null;
  // through projections that pass the key on
  if (op instanceof SliceProjectOp) {
    const e = op.exprs[key.index];
    const input = e?.k === 'col' && op.input instanceof SliceOperator ? placedAs(op.input, e, p, theirs) : null;
    return input && new SliceProjectOp(input, op.exprs, op.fields, op.estRows);
  }
  if (!(op instanceof SliceFinalAggregateOp) || op.colocated || op.placedBy !== undefined || key.index >= op.partial.keys.length) return null;
  return new SliceFinalAggregateOp(op.partial, null, key.index);
}

/**
 * The join with the terms of its ON condition that read only the right input applied to that
 * input first: a right row failing them can match no left row, so the join answers the same
 * (for every join type but FULL, whose unmatched right rows are part of the answer). The
 * build side then filters in its own scan, and the columns only those terms read stay there.
 */
function filterRightInput(n: Join): Join {
  if (!n.residual || n.joinType === 'FULL') return n;
  const nl = n.left.fields.length;
  const terms = n.residual.k === 'and' ? n.residual.args : [n.residual];
  const right: BExpr[] = [], stay: BExpr[] = [];
  for (const t of terms) {
    const cols = [...usedColumns(t)];
    if (cols.length && cols.every((i) => i >= nl) && !hasModelCall(t)) right.push(mapCols(t, (i, c) => ({ ...c, index: i - nl })));
    else stay.push(t);
  }
  if (!right.length) return n;
  const pred: BExpr = right.length === 1 ? right[0] : { k: 'and', args: right, type: BOOL };
  const residual: BExpr | null = stay.length === 0 ? null : stay.length === 1 ? stay[0] : { k: 'and', args: stay, type: BOOL };
  return { ...n, right: { k: 'filter', input: n.right, pred, fields: n.right.fields }, residual };
}

export type { PhysicalOperator };
