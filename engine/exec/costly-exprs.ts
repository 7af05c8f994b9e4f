// Costly expressions (plan/bound.ts `isCostly`: regular expressions, ~5 µs per character of
// text, and text constants past 64K) computed in the slices when they sit at the leader: over
// VALUES, above a final aggregate or a leader-side join. The leader's thread answers every
// client, and one call over a long text cannot be cut into turns, so the rows go to the slices
// in pieces (one per slice) and the leader awaits them with its event loop free. The binder
// leaves these expressions unfolded for the same reason.
import type { BExpr } from '../plan/bound.ts';
import { mapCols, usedColumns } from '../plan/bound.ts';
import { concatVectors, type Batch, type Vector } from '../types/vector.ts';
import type { SlicePool } from './slice-pool.ts';
import type { CancelToken } from './query-guard.ts';
import { rowRange } from './batches.ts';
import { fromWire, toWire, type WireColumn } from './wire.ts';


/** The slice request that computes expressions over rows (slice-worker.ts `eval`); the answer is the columns in wire form. */
export interface EvalRequest {
  op: 'eval';
  length: number;
  columns: WireColumn[];
  exprs: BExpr[];
  cancel?: CancelToken;
}

let nextSlice = 0;

/**
 * `exprs` over `input`, computed in the slices: only the columns they read are sent, the rows
 * split in one piece per slice (a handful of rows go to one slice, taken in turn).
 */
export async function projectInSlices(pool: SlicePool, input: Batch, exprs: BExpr[], cancel?: CancelToken): Promise<Vector[]> {
  const used = [...exprs.reduce((s, e) => usedColumns(e, s), new Set<number>())].sort((a, b) => a - b);
  const at = new Map(used.map((c, i) => [c, i]));
  const sent = exprs.map((e) => mapCols(e, (i, col) => ({ ...col, index: at.get(i)! })));
  const narrow: Batch = { length: input.length, columns: used.map((c) => input.columns[c]) };
  const pieces = Math.max(1, Math.min(pool.size, input.length));
  const size = Math.ceil(input.length / pieces);
  const first = nextSlice++ % pool.size;
  const parts = await Promise.all(Array.from({ length: pieces }, (_, p) => {
    const rows = rowRange(narrow, p * size, Math.max(0, Math.min(size, input.length - p * size)));
    // shared copies: the leader keeps using its own arrays
    const { columns, transfer } = toWire(rows.columns, 'share');
    const req: EvalRequest = { op: 'eval', length: rows.length, columns, exprs: sent, cancel };
    return pool.call<WireColumn[]>((first + p) % pool.size, req, transfer).then(fromWire);
  }));
  return parts.length === 1 ? parts[0] : exprs.map((e, i) => concatVectors(e.type, parts.map((p) => p[i])));
}
