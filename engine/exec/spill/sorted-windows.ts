// Windows at the leader whose rows and work would not fit in memory, without a PARTITION BY
// every call shares (so the rows cannot be split by its hash, spill-rows.ts), or a partition too
// big among calls that share one (at the leader, or a slice's file of one: slice-worker.ts, over
// a RowsContext of the slice's): the calls are taken one specification group (same PARTITION BY
// and ORDER BY) at a time. For each group the rows are sorted by (PARTITION BY, ORDER BY) with
// the external sort (sort.ts SortRuns: sorted runs on disk, merged k ways into a file), then
// walked in that order a block at a time, each block handed on with the group's values appended
// into the next group's sort (the last group's into a file). Nothing holds a whole partition:
// what a value needs of later rows (the partition's size for ntile, percent_rank, cume_dist and
// frames to its end; where the current peers end; lead's row; a frame's last row) is read by
// another cursor over the same sorted file, so such partitions are read twice. Frames from the
// partition's first row keep one accumulator that only grows; frames that slide (ROWS n
// PRECEDING AND m FOLLOWING, RANGE CURRENT ROW AND CURRENT ROW) keep the aggregate inputs of the
// frame's rows, a bounded buffer for bounded offsets. Frames sliding to the partition's end come
// here as their mirror image, frames from its first row (plan/window-frames.ts); only LISTAGG's
// keep every row of the frame.
import { rmSync } from 'node:fs';
import type { SortKey, WindowCall } from '../../plan/logical.ts';
import { aggInputs, type BExpr } from '../../plan/bound.ts';
import type { Batch, Vector } from '../../types/vector.ts';
import type { SqlType } from '../../types/types.ts';
import { vectorFromValues } from '../aggregate.ts';
import { Accumulator } from '../accumulator.ts';
import { emptyBatch } from '../batches.ts';
import { compare, frameAt, frameBounds, ntileOf, rankValue, type V } from '../window.ts';
import { SortRuns } from '../operators/sort.ts';
import { eachPiece, type RowPieces } from '../operators/row-pieces.ts';
import type { RowsContext } from '../operators/run-context.ts';
import { RowCursor } from './sorted-cursor.ts';
import type { SpillWriter } from './spill-file.ts';

/**
 * The rows with one column per window call appended (in the calls' order), as a file of rows
 * in the order of the last group's sort. Takes the input's pieces (their files are deleted once
 * read).
 */
export async function sortedWindows(ctx: RowsContext, input: RowPieces, types: SqlType[], calls: WindowCall[]): Promise<RowPieces> {
  const w = ctx.spill.create('window rows');
  let fileRows = 0;
  await sortedWindowsInto(ctx, input, types, calls, async (b) => { w.write(b); fileRows += b.length; });
  w.close();
  return { batch: emptyBatch([...types, ...calls.map((c) => c.type)]), files: [w.path], fileRows };
}

/**
 * `sortedWindows`' rows handed to `sink` a block at a time as the last group's walk makes them
 * (each held while it runs), for a consumer that takes pieces: no file of them is written. A
 * group's rows with its values go straight into the next group's sort.
 */
export async function sortedWindowsInto(ctx: RowsContext, input: RowPieces, types: SqlType[], calls: WindowCall[], sink: (b: Batch) => Promise<void>): Promise<void> {
  const groups = specGroups(calls);
  const width = types.length;
  /** the call whose value each appended column holds, in the order the groups append them */
  const appended = groups.flat();
  const pick = [...types.keys(), ...calls.map((_, c) => width + appended.indexOf(c))];
  let rowsInto = (into: (b: Batch) => Promise<void>) => eachPiece(ctx, input, into);
  const rowTypes = [...types];
  for (const group of groups) {
    const first = calls[group[0]];
    const keys: SortKey[] = [...first.partitionBy.map((expr) => ({ expr, desc: false, nullsFirst: false })), ...first.orderBy];
    const runs = new SortRuns(ctx, keys, rowTypes, 'window sort run');
    await rowsInto((b) => runs.add(b));
    const walk = new GroupWalk(ctx, await runs.finish(true, Infinity), group.map((c) => calls[c]));
    rowsInto = (into) => walk.run(into);
    rowTypes.push(...group.map((c) => calls[c].type));
  }
  await rowsInto(async (b) => {
    // the block's columns in the calls' order, held in its place
    const piece = ctx.handOn(b, { length: b.length, columns: pick.map((j) => b.columns[j]) }, 'window rows');
    await sink(piece);
    ctx.release(piece);
  });
}

/**
 * A window partition file too big to compute whole (one PARTITION BY key's rows, at the leader or
 * in a slice) as the sorted path's input: its rows go into the sort a block at a time, never whole.
 */
export function filePieces(file: SpillWriter, types: SqlType[]): RowPieces {
  return { batch: emptyBatch(types), files: [file.path], fileRows: file.rows };
}

/** The calls' indexes grouped by their PARTITION BY and ORDER BY (one sort serves a group), in order of first appearance. */
function specGroups(calls: WindowCall[]): number[][] {
  const groups = new Map<string, number[]>();
  calls.forEach((c, i) => {
    const spec = JSON.stringify([c.partitionBy, c.orderBy]);
    groups.set(spec, [...groups.get(spec) ?? [], i]);
  });
  return [...groups.values()];
}

/** The value of one call at the current row, with what it keeps across the rows of a partition. */
interface CallWalk {
  /** starts a partition, giving back what the last one's frames kept */
  reset(): void;
  value(): V;
}

/** One walk over rows sorted by a group's (PARTITION BY, ORDER BY), computing the group's calls. */
class GroupWalk {
  private readonly total: number;
  /** expressions the cursors read: partition keys, order keys, then each call's arguments and aggregate inputs */
  private readonly exprs: BExpr[];
  private readonly nPart: number;
  private readonly nOrder: number;
  private readonly main: RowCursor;
  private readonly cursors: RowCursor[] = [];
  /** the current row: its position among all rows, in its partition, and in main's block */
  private p = 0;
  private i = 0;
  private r = 0;
  /** the partition: its first row, its size (when some call needs it) and its key values */
  private p0 = 0;
  private m = 0;
  private readonly sizeKnown: boolean;
  /** whether some call reads where the current row's peers end, or its rank */
  private readonly peersRead: boolean;
  private readonly ranked: boolean;
  private partVals: V[] = [];
  /** the current row's peer group: its order key values and end (in the partition), rank and dense rank */
  private peerVals: V[] = [];
  private peerEnd = 0;
  private rank = 0;
  private dense = 0;
  private readonly sizeScan: RowCursor;
  private readonly peerScan: RowCursor;
  private readonly walks: CallWalk[];

  constructor(private readonly ctx: RowsContext, private readonly sorted: RowPieces, private readonly calls: WindowCall[]) {
    this.total = sorted.batch.length + sorted.fileRows;
    const { partitionBy, orderBy } = calls[0];
    this.exprs = [...partitionBy, ...orderBy.map((k) => k.expr)];
    this.nPart = partitionBy.length;
    this.nOrder = orderBy.length;
    this.main = this.cursor();
    this.sizeScan = this.cursor();
    this.peerScan = this.cursor();
    this.sizeKnown = calls.some((c) => !['row_number', 'rank', 'dense_rank', 'lag', 'lead'].includes(c.fn));
    this.peersRead = calls.some((c) => c.fn === 'cume_dist' || (isFramed(c) && frameBounds(c).end === 'peers'));
    this.ranked = this.peersRead || calls.some((c) => c.fn === 'rank' || c.fn === 'dense_rank' || c.fn === 'percent_rank' || (isFramed(c) && frameBounds(c).start === 'peers'));
    this.walks = calls.map((c) => this.walkOf(c));
  }

  private cursor(): RowCursor {
    const c = new RowCursor(this.ctx, this.sorted, this.exprs);
    this.cursors.push(c);
    return c;
  }

  /** Walks every row, handing `sink` the rows with the calls' values appended a block at a time (held while it runs). */
  async run(sink: (b: Batch) => Promise<void>): Promise<void> {
    const { ctx, main, calls } = this;
    let out: V[][] = calls.map(() => []);
    for (let p = 0; p < this.total; p++) {
      ctx.tick();
      this.p = p;
      this.r = main.to(p);
      this.step();
      for (let c = 0; c < calls.length; c++) out[c][this.r] = this.walks[c].value();
      const block = main.block!;
      if (this.r === block.length - 1) {
        const columns: Vector[] = [...block.columns, ...calls.map((c, k) => vectorFromValues(c.type, out[k], block.length))];
        // the block's columns go on in the output: counted once, moved from the cursor's block to it
        const b = ctx.handOn(block, { length: block.length, columns }, 'window rows');
        await sink(b);
        ctx.release(b);
        out = calls.map(() => []);
        await ctx.pause();
      }
    }
    // the last partition's frames give back the rows they kept
    for (const w of this.walks) w.reset();
    for (const c of this.cursors) c.close();
    for (const f of this.sorted.files) rmSync(f, { force: true });
    ctx.release(this.sorted.batch);
  }

  /** Moves the partition and peer group state to the current row. */
  private step(): void {
    const { main, r, nPart, nOrder } = this;
    const newPart = this.p === 0 || !this.same(main, r, 0, nPart, this.partVals);
    if (newPart) {
      this.p0 = this.p;
      this.partVals = this.read(main, r, 0, nPart);
      if (this.sizeKnown) this.m = this.partitionSize();
      this.rank = this.dense = 0;
      for (const w of this.walks) w.reset();
    }
    this.i = this.p - this.p0;
    if (this.ranked && (newPart || !this.same(main, r, nPart, nPart + nOrder, this.peerVals))) {
      this.peerVals = this.read(main, r, nPart, nPart + nOrder);
      this.rank = this.i + 1;
      this.dense++;
      this.peerEnd = this.peersEnd();
    }
  }

  /** Rows in the partition starting at the current row: all of them without PARTITION BY, else counted by a scan ahead. */
  private partitionSize(): number {
    if (!this.nPart) return this.total;
    let q = this.p0 + 1;
    for (; ; q++) {
      const s = this.sizeScan.to(q);
      if (s < 0 || !this.same(this.sizeScan, s, 0, this.nPart, this.partVals)) break;
    }
    return q - this.p0;
  }

  /** Where the current row's peers end in its partition (found by a scan ahead, only when some call reads it). */
  private peersEnd(): number {
    if (!this.peersRead) return 0;
    let q = this.p + 1;
    const { peerScan: scan, nPart, nOrder } = this;
    for (; ; q++) {
      const s = scan.to(q);
      if (s < 0 || !this.same(scan, s, 0, nPart, this.partVals) || !this.same(scan, s, nPart, nPart + nOrder, this.peerVals)) break;
    }
    return q - this.p0;
  }

  /** Whether expressions [from, to) at index r of the cursor's block equal `vals`. */
  private same(c: RowCursor, r: number, from: number, to: number, vals: V[]): boolean {
    for (let k = from; k < to; k++) if (compare(c.value(k, r), vals[k - from], false, false) !== 0) return false;
    return true;
  }

  private read(c: RowCursor, r: number, from: number, to: number): V[] {
    const out: V[] = [];
    for (let k = from; k < to; k++) out.push(c.value(k, r));
    return out;
  }

  /** Index in `c`'s block of the partition's row `j` (0-based), or -1 when there is no such row. */
  private rowAt(c: RowCursor, j: number): number {
    const q = this.p0 + j;
    if (j < 0 || q >= this.total || (this.sizeKnown && j >= this.m)) return -1;
    const s = c.to(q);
    if (s < 0 || this.sizeKnown || q <= this.p) return s;
    return this.same(c, s, 0, this.nPart, this.partVals) ? s : -1;
  }

  /** The expressions of `list` appended to what the cursors read; their first index. */
  private add(list: BExpr[]): number {
    const at = this.exprs.length;
    this.exprs.push(...list);
    return at;
  }

  private walkOf(call: WindowCall): CallWalk {
    const arg = this.add(call.args);
    const none = { reset() {} };
    switch (call.fn) {
      case 'row_number': return { ...none, value: () => this.i + 1 };
      case 'rank': case 'dense_rank': case 'percent_rank': case 'cume_dist':
        return { ...none, value: () => rankValue(call.fn, this.rank, this.dense, this.m, this.peerEnd) };
      case 'ntile': return { ...none, value: () => ntileOf(this.i, this.m, Number(this.main.value(arg, this.r))) };
      case 'lag': case 'lead': {
        const at = this.cursor();
        let off = 1;
        return {
          // the offset is the partition's first row's
          reset: () => { off = call.args[1] ? Number(this.main.value(arg + 1, this.r) ?? 1) : 1; },
          value: () => {
            const s = this.rowAt(at, call.fn === 'lag' ? this.i - off : this.i + off);
            return s >= 0 ? at.value(arg, s) : call.args[2] ? this.main.value(arg + 2, this.r) : null;
          },
        };
      }
      case 'agg': return this.aggregateWalk(call);
      default: {
        const at = this.cursor();
        const bounds = frameBounds(call);
        return {
          ...none,
          value: () => {
            const [s, e] = frameAt(bounds, this.i, this.m, this.rank - 1, this.peerEnd);
            const j = call.fn === 'first_value' ? s : call.fn === 'last_value' ? e - 1 : s + Number(this.main.value(arg + 1, this.r)) - 1;
            if (!(j >= s && j < e)) return null;
            const q = this.rowAt(at, j);
            return q >= 0 ? at.value(arg, q) : null;
          },
        };
      }
    }
  }

  /**
   * An aggregate over its frame: frames from the partition's first row grow, so one accumulator
   * takes each row once; a sliding frame's rows' inputs are kept while in the frame and the
   * aggregate is taken over them for each row.
   */
  private aggregateWalk(call: WindowCall): CallWalk {
    const agg = call.agg!;
    const inputs = aggInputs(agg);
    const at = this.add(inputs);
    const nKeys = agg.arg ? inputs.length - 1 : inputs.length;
    const bounds = frameBounds(call);
    const cur = this.cursor();
    /** partition rows read so far, and the inputs of those from `kept0` on (a sliding frame's) */
    let fed = 0;
    let kept: [V, V[]][] = [];
    let kept0 = 0;
    // the kept rows count against the budget (a frame to the partition's end may keep many)
    let keptHeld: object | null = null;
    let keptBytes = 0;
    const count = () => {
      const bytes = kept.length * KEPT_ROW_BYTES;
      if (bytes <= keptBytes && bytes >= keptBytes / 2) return;
      if (keptHeld) this.ctx.release(keptHeld);
      keptBytes = bytes * 2;
      keptHeld = this.ctx.reserve(keptBytes, 'window frame rows');
    };
    const acc = new Accumulator(agg);
    let seen: Set<V> | null = null;
    const fresh = () => { acc.clear(); seen = agg.distinct ? new Set() : null; };
    const add = ([v, keys]: [V, V[]]) => {
      if (v === null) return;
      if (seen) { if (seen.has(v)) return; seen.add(v); }
      acc.add(v, keys);
    };
    const inputAt = (s: number): [V, V[]] => {
      const keys: V[] = [];
      for (let k = 0; k < nKeys; k++) keys.push(cur.value(at + (agg.arg ? 1 : 0) + k, s));
      return [agg.arg ? cur.value(at, s) : 1, keys];
    };
    /** the aggregate over rows [s, e) of the partition */
    const over = (s: number, e: number): V => {
      if (bounds.start === null) {
        for (; fed < e; fed++) add(inputAt(this.rowAt(cur, fed)));
        return acc.result() as V;
      }
      // drop the rows the frame has left, read the ones it reached, and aggregate what is kept
      if (s > kept0) { kept.splice(0, Math.min(kept.length, s - kept0)); kept0 = s; }
      fed = Math.max(fed, kept0);
      for (; fed < e; fed++) kept.push(inputAt(this.rowAt(cur, fed)));
      count();
      fresh();
      for (let k = 0; k < Math.min(kept.length, e - kept0); k++) add(kept[k]);
      return acc.result() as V;
    };
    /** the last frame and its value: peers share a RANGE frame, whose aggregate is taken once */
    let last: [number, number, V] = [-1, -1, null];
    return {
      reset: () => {
        fed = 0; kept = []; kept0 = 0; last = [-1, -1, null]; fresh();
        if (keptHeld) { this.ctx.release(keptHeld); keptHeld = null; keptBytes = 0; }
      },
      value: () => {
        const [s, e] = frameAt(bounds, this.i, this.m, this.rank - 1, this.peerEnd);
        if (s !== last[0] || e !== last[1]) last = [s, e, over(s, e)];
        return last[2];
      },
    };
  }
}

/** Bytes a sliding frame's kept row takes: its aggregate inputs and the arrays holding them. */
const KEPT_ROW_BYTES = 64;

/** Whether a call reads a frame (its value depends on where the frame ends). */
const isFramed = (c: WindowCall) => c.fn === 'agg' || c.fn === 'first_value' || c.fn === 'last_value' || c.fn === 'nth_value';

