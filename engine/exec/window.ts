// Window functions at the leader: rows are ordered by (partition, order keys) once per call,
// then each partition is walked computing ranks, offsets or framed aggregates.
import { valueAt, type Batch, type Vector } from '../types/vector.ts';
import type { WindowCall } from '../plan/logical.ts';
import { projectBatch } from './kernels.ts';
import { groupIds } from './hash-table.ts';
import { vectorFromValues } from './aggregate.ts';
import { Accumulator } from './accumulator.ts';
import { aggInputs, type BExpr } from '../plan/bound.ts';

/**
 * The PARTITION BY expressions every call has (a row's slice must decide all of its calls'
 * partitions), or none when some call has no PARTITION BY. (Model calls are never here: a
 * projection below the window computes them, plan/window-models.ts.)
 */
export function sharedPartitionKeys(calls: WindowCall[]): BExpr[] {
  if (calls.some((c) => c.partitionBy.length === 0)) return [];
  const same = (a: BExpr, b: BExpr) => JSON.stringify(a) === JSON.stringify(b);
  return calls[0].partitionBy.filter((k) => calls.every((c) => c.partitionBy.some((x) => same(x, k))));
}

/** One row's value of a window argument or key. */
export type V = number | string | boolean | bigint | null;

export function valuesOf(v: Vector): V[] {
  const out: V[] = new Array(v.length);
  for (let i = 0; i < v.length; i++) {
    out[i] = valueAt(v, i);
  }
  return out;
}

export function compare(a: V, b: V, desc: boolean, nullsFirst: boolean): number {
  if (a === null || b === null) return a === b ? 0 : (a === null) === nullsFirst ? -1 : 1;
  const r = a < b ? -1 : a > b ? 1 : 0;
  return desc ? -r : r;
}

/** Appends one column per window call to the batch. */
export function runWindows(batch: Batch, calls: WindowCall[], tick: () => void = () => {}): Batch {
  const out = [...batch.columns];
  for (const call of calls) out.push(runWindow(batch, call, tick));
  return { length: batch.length, columns: out };
}

function runWindow(batch: Batch, call: WindowCall, tick: () => void): Vector {
  const n = batch.length;
  const orderVals = projectBatch(batch, call.orderBy.map((o) => o.expr), null, n).map(valuesOf);
  const args = projectBatch(batch, call.args, null, n).map(valuesOf);
  const aggArgs = call.agg ? projectBatch(batch, aggInputs(call.agg), null, n).map(valuesOf) : [];
  // partition ids in order of first appearance; unlike join keys, NULLs share a partition
  const pnum = call.partitionBy.length ? groupIds(projectBatch(batch, call.partitionBy, null, n), n).ids : new Int32Array(n);
  const rows = Array.from({ length: n }, (_, r) => r);
  const cmpOrder = (x: number, y: number) => {
    for (let k = 0; k < call.orderBy.length; k++) {
      const c = compare(orderVals[k][x], orderVals[k][y], call.orderBy[k].desc, call.orderBy[k].nullsFirst);
      if (c) return c;
    }
    return 0;
  };
  rows.sort((x, y) => { tick(); return pnum[x] - pnum[y] || cmpOrder(x, y) || x - y; });
  const result: V[] = new Array(n).fill(null);
  let start = 0;
  while (start < n) {
    let end = start;
    while (end < n && pnum[rows[end]] === pnum[rows[start]]) end++;
    computePartition(call, rows.slice(start, end), args, aggArgs, cmpOrder, result);
    start = end;
  }
  return vectorFromValues(call.type, result, n);
}

function computePartition(call: WindowCall, rows: number[], args: V[][], aggArgs: V[][], cmpOrder: (x: number, y: number) => number, out: V[]): void {
  const m = rows.length;
  // peers: rows equal under ORDER BY share ranks and (by default) frames
  const peerEnd = new Int32Array(m);
  for (let i = m - 1; i >= 0; i--) peerEnd[i] = i + 1 < m && cmpOrder(rows[i], rows[i + 1]) === 0 ? peerEnd[i + 1] : i + 1;
  switch (call.fn) {
    case 'row_number': rows.forEach((r, i) => { out[r] = i + 1; }); return;
    case 'rank': case 'dense_rank': case 'percent_rank': case 'cume_dist': {
      let rank = 1, dense = 0;
      for (let i = 0; i < m; i++) {
        if (i === 0 || cmpOrder(rows[i - 1], rows[i]) !== 0) { rank = i + 1; dense++; }
        out[rows[i]] = rankValue(call.fn, rank, dense, m, peerEnd[i]);
      }
      return;
    }
    case 'ntile': {
      const buckets = Number(args[0][rows[0]]);
      for (let i = 0; i < m; i++) out[rows[i]] = ntileOf(i, m, buckets);
      return;
    }
    case 'lag': case 'lead': {
      const off = args[1] ? Number(args[1][rows[0]] ?? 1) : 1;
      for (let i = 0; i < m; i++) {
        const j = call.fn === 'lag' ? i - off : i + off;
        out[rows[i]] = j >= 0 && j < m ? args[0][rows[j]] : args[2] ? args[2][rows[i]] : null;
      }
      return;
    }
    default: break;
  }
  // framed functions: first_value, last_value, nth_value, aggregates
  const bounds = frameBounds(call);
  // where each row's peers start, for frames from CURRENT ROW in RANGE mode
  const peerStart = new Int32Array(bounds.start === 'peers' ? m : 0);
  for (let i = 1; i < peerStart.length; i++) peerStart[i] = peerEnd[i - 1] === peerEnd[i] ? peerStart[i - 1] : i;
  const frameOf = (i: number): [number, number] => frameAt(bounds, i, m, peerStart[i] ?? 0, peerEnd[i]);
  const a = args[0];
  if (call.fn !== 'agg') {
    for (let i = 0; i < m; i++) {
      const [s, e] = frameOf(i);
      const r = rows[i];
      if (call.fn === 'first_value') out[r] = s < e ? a[rows[s]] : null;
      else if (call.fn === 'last_value') out[r] = s < e ? a[rows[e - 1]] : null;
      else if (call.fn === 'nth_value') { const k = Number(args[1][r]) - 1; out[r] = s + k < e ? a[rows[s + k]] : null; }
    }
    return;
  }
  // aggregates: the aggregate's own update/finish over the frame's non-NULL inputs; a frame that
  // starts at the partition's first row only grows, so one accumulator serves the whole walk
  const agg = call.agg!;
  const input = agg.arg ? aggArgs[0] : null;
  const keys = agg.arg ? aggArgs.slice(1) : aggArgs;
  const acc = new Accumulator(agg);
  let fed = 0;
  let seen: Set<V> | null = agg.distinct ? new Set() : null;
  let last: [number, number] = [-1, -1];
  for (let i = 0; i < m; i++) {
    const [s, e] = frameOf(i);
    // peers share a RANGE frame: its aggregate is taken once
    if (s === last[0] && e === last[1]) { out[rows[i]] = out[rows[i - 1]]; continue; }
    last = [s, e];
    if (s !== 0 || e < fed) { acc.clear(); fed = s; seen = agg.distinct ? new Set() : null; }
    for (; fed < e; fed++) {
      const row = rows[fed];
      const v = input ? input[row] : 1;
      if (v === null) continue;
      if (seen) { if (seen.has(v)) continue; seen.add(v); }
      acc.add(v, keys.map((k) => k[row]));
    }
    out[rows[i]] = acc.result() as V;
  }
}

/** rank, dense_rank, percent_rank or cume_dist of a row, from its rank, dense rank, partition size and peer group end. */
export function rankValue(fn: WindowCall['fn'], rank: number, dense: number, m: number, peerEnd: number): number {
  return fn === 'rank' ? rank : fn === 'dense_rank' ? dense : fn === 'percent_rank' ? (m > 1 ? (rank - 1) / (m - 1) : 0) : peerEnd / m;
}

/** ntile's bucket of the i-th row of m (the first m % buckets buckets take one row more), or NULL for no buckets. */
export function ntileOf(i: number, m: number, buckets: number): number | null {
  if (!(buckets >= 1)) return null;
  const base = Math.floor(m / buckets), extra = m % buckets;
  const big = extra * (base + 1);
  return i < big ? Math.floor(i / (base + 1)) + 1 : extra + Math.floor((i - big) / base) + 1;
}

/**
 * A call's frame: where it starts (an offset from the current row, the current row's first peer,
 * or null for the partition's first row) and where it ends (an offset, the current row's last
 * peer, or the partition's end). RANGE frames start and end at peer groups (CURRENT ROW) or the
 * partition's ends (UNBOUNDED); without a frame, up to the current row's peers with ORDER BY,
 * else the whole partition. Without ORDER BY every row is a peer of every other.
 */
export interface FrameBounds { start: number | 'peers' | null; end: number | 'peers' | 'all' }

export function frameBounds(call: WindowCall): FrameBounds {
  const f = call.frame;
  if (f && f.units === 'ROWS') return { start: f.start, end: f.end === null ? 'all' : f.end };
  const peers = call.orderBy.length ? 'peers' : null;
  if (f) return { start: f.start === null ? null : peers, end: f.end === null || !peers ? 'all' : peers };
  return { start: null, end: peers ?? 'all' };
}

/** The frame [start, end) of the i-th row of a partition of m rows whose peers are [peerStart, peerEnd). */
export function frameAt(b: FrameBounds, i: number, m: number, peerStart: number, peerEnd: number): [number, number] {
  const s = b.start === null ? 0 : b.start === 'peers' ? peerStart : Math.max(0, i + b.start);
  const e = b.end === 'all' ? m : b.end === 'peers' ? peerEnd : Math.min(m, i + b.end + 1);
  return [s, e];
}
