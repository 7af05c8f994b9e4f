// A slice: one worker thread that owns its segments' decoded columns (a buffer cache) and runs
// plan fragments over them. Only small results (partial aggregates, filtered rows) go back.
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { join } from 'node:path';
import type { Batch, Vector } from '../types/vector.ts';
import { TYPES, isTemporal, type SqlType } from '../types/types.ts';
import type { BExpr } from '../plan/bound.ts';
import type { SortKey, WindowCall } from '../plan/logical.ts';
import type { FragmentSpec, FragmentResult, SentResult, SegmentRef, JoinStep, JoinFilterSpec, TopN, SliceMetrics, ExchangeSource, MarkedSource, ModelStep } from './fragment.ts';
import { sendRowsToFile } from './fragment.ts';
import { emptyBatch, vectorRange, selectRows } from './batches.ts';
import { RowsContext } from './operators/run-context.ts';
import { filePieces, sortedWindows } from './spill/sorted-windows.ts';
import { SlicePeers, exchangeTag } from './slice-peers.ts';
import { partitionRows, placeRows, rowsByDestination } from './partition.ts';
import { rmSync } from 'node:fs';
import { sortBatch } from './batch-sort.ts';
import { decodeSegment, readSegment, writeSegment } from '../storage/segment.ts';
import { readDeletionVector } from '../storage/deletion.ts';
import { GroupTable, partialRows, type AggSpec, type PartialAgg } from './aggregate.ts';
import { filterBatch, projectBatch } from './kernels.ts';
import { ReusedArray, ReusedColumns } from './scratch.ts';
import { concatRows, concatVectors, gather } from '../types/vector.ts';
import { SqlError, asSqlError } from '../errors.ts';
import { toWire, fromWire, partialToWire, partialFromWire, type WireColumn, type WirePartial } from './wire.ts';
import { parseCsvRange, type CsvRangeRequest } from './csv.ts';
import { hashJoinBatch, hashJoinPieces, buildTableOf, type ProbePieces, markMatches, stepTableBytes, unmatchedBuildRows } from './hash-join.ts';
import { columnsReadAfter } from './column-needs.ts';
import { RuntimeFilter, filterParts, mergeParts, type FilterParts } from './runtime-filter.ts';
import { BloomFilter } from './bloom-filter.ts';
import { runWindows, sharedPartitionKeys } from './window.ts';
import { withRegexCheck } from '../functions/regex.ts';
import { zonePredicates } from './fragments.ts';
import { blockMayMatch } from './block-zones.ts';
import { addVector, emptyFigures, sketchColumns, type ColumnFigures, type WrittenSegment } from './stats-gather.ts';
import { ModelRunner } from './model-runner.ts';
import { QueryGuard, SliceStop, type CancelToken } from './query-guard.ts';
import { vectorBytes } from './memory-budget.ts';
import { StatementSpill, spillRoot } from './spill/spill-area.ts';
import { writeSortedRuns } from './spill/external-sort.ts';
import { SpillingGroups, mergeFile, readPartial, writePartial, type SpillHost } from './spill/spill-aggregate.ts';
import { SliceGraceJoin, MIN_SPILL_ROWS } from './spill/slice-grace-join.ts';
import { PartitionWriter, readPartition } from './spill/hash-partition.ts';
import type { SpillReader, SpillWriter } from './spill/spill-file.ts';
import { lowerThisThread } from './thread-priority.ts';
import { ColumnCache, publishedRss, type SharedCache } from './column-cache.ts';
import type { EvalRequest } from './costly-exprs.ts';
import { GcWatch, codeSince, epochMs, threadTimes } from './slice-timing.ts';
import { generatedCode } from './code-cache.ts';
import { ArrayPool, type ArrayLease } from './array-pool.ts';
import { packedMap } from '../types/packed-map.ts';
import { WARMUP_ROUNDS, warmup, isWarmupFile } from './slice-warmup.ts';
import './detach-once.ts';

const { dataDir, slice: sliceIndex, cache: sharedCache, niceness, warm } = workerData as { dataDir: string; slice: number; cache: SharedCache; niceness: number; warm: boolean };
// a server's slices step back behind its leader (see SlicePool's `niceness`)
lowerThisThread(niceness);
const BATCH = 65536;

/** the warm-up's segments while it runs (slice-warmup.ts), by file name */
const warmupFiles = new Map<string, Uint8Array>();
// decoded columns, within the process-wide budget every slice's cache counts into (column-cache.ts)
const cache = new ColumnCache(sharedCache, sliceIndex, async (file, types, columns) =>
  (isWarmupFile(file) ? decodeSegment(warmupFiles.get(file)!, types, columns) : readSegment(join(dataDir, 'segments', file), types, columns)));
const deletions = new Map<string, Uint32Array>();
/**
 * Join hash tables' and GROUP BY tables' arrays, reused statement after statement
 * (array-pool.ts): at most 160 MB idle (less under a small cache budget: a quarter of this
 * slice's share of it), none while the process is over the cache's pressure mark. TPC-H Q18's
 * GROUP BY over 1.5M orders takes ~100-150 MB a slice (the cells doubling, the key values, the
 * array over the key range, the key buckets); with 64 MB kept, most were new every query, and
 * each slice ran a full collection a query whose marking took the other slice's core (Q18 at
 * two slices: 257 -> 208 ms).
 */
const arrayPool = new ArrayPool(Math.min(160 * 2 ** 20, sharedCache.budgetBytes / (4 * sharedCache.counters.length)),
  () => sharedCache.pressureBytes > 0 && publishedRss(sharedCache) > sharedCache.pressureBytes);
const models = new ModelRunner(dataDir);
const peers = new SlicePeers(sliceIndex);

async function liveRows(seg: SegmentRef): Promise<Uint8Array | null> {
  if (!seg.deleted) return null;
  let rows = deletions.get(seg.deleted);
  if (!rows) { rows = await readDeletionVector(join(dataDir, 'segments', seg.deleted)); deletions.set(seg.deleted, rows); }
  const live = new Uint8Array(seg.rows).fill(1);
  for (const r of rows) live[r] = 0;
  return live;
}

/**
 * Runs program `program` of a request over its segments (`segments[program]`). A co-located
 * join's build side is a nested program, run first over this slice's own rows; every program's
 * metrics land in `metrics[program]`. `finishHere`: its groups, each whole in this slice, are
 * finished here (kind 'rows'), unless they went to disk.
 */
async function runFragment(f: FragmentSpec, req: RequestRun, program = 0, all: SliceMetrics[] = [], asParts = false, finishHere = false): Promise<FragmentResult & { parts?: Vector[][] }> {
  await runBuildSides(f, req, all);
  for (const step of f.steps) if (step.k === 'join') buildOrSpill(step.join, req);
  // a program over redistributed rows: its input program runs first and the slices swap rows;
  // or over the preserved rows a semi or anti join keeps, once the other side has marked them
  // (rows received for windows whose calls share no PARTITION BY key are taken whole: the
  // windows sort them all; with one, past the share they wait on disk to be split by its hash)
  const received = f.source ? await redistribute(f.source, req, all, !f.source.windows || sharedPartitionKeys(f.source.windows).length > 0) : f.marked ? await markedRows(f.marked, req, all) : null;
  const windowed = received && f.source?.windows ? await windowsOver(f.source!, received, req) : null;
  const run = new FragmentRun(f, req, program, all);
  const runtime = received ? [] : await runtimeFilters(f, program, req.segments[program] ?? [], req);
  if (runtime.length) run.metrics.runtimeFilters = runtime.map((r) => r.counters);
  if (received) { run.metrics.ms[0] += received.ms; run.metrics.rows[0] += received.rows; }
  const sources: Source[] = windowed ?? (received ? [...received.parts, ...((received as { onDisk?: UnionPart[] }).onDisk ?? [])] : req.segments[program] ?? []);
  // UNION ALL: each further input runs once the rows before it went through (and were given back)
  for (let x = f.source?.union; x; x = x.union) sources.push(run.unionInput(x));
  await run.scan(sources, runtime);
  await run.drainSpilledJoins();
  return run.finish(asParts, finishHere);
}

/**
 * The build sides a program's join steps compute in this slice (co-located), run at once: while
 * one waits for other slices' rows (a broadcast), the next computes and sends its own, so the
 * slices meet at one exchange rather than one after another.
 */
async function runBuildSides(f: FragmentSpec, req: RequestRun, all: SliceMetrics[]): Promise<void> {
  await allSettledOrThrow(f.steps.map(async (step) => {
    if (step.k !== 'join' || !step.join.local) return;
    const { program: p, spec } = step.join.local;
    // build rows past this slice's share go to a file as they come: the join then spills them
    sendRowsToFile(spec.output);
    const built = await runFragment(spec, req, p, all);
    if (built.kind === 'rows') step.join.build = built.columns;
    if (built.kind === 'rows' && built.files?.length) buildFiles.set(step.join, built.files);
  }));
}

/**
 * The arrays probes write their joined rows into (FragmentRun.joinedInto), kept from programs
 * that ended well for the next ones: at most MAX_IDLE_JOINED_INTO, each of at most
 * MAX_IDLE_JOINED_BYTES (a many-to-many probe's batches may have grown them far past that). Made new per
 * program, each request's first batch made them in probe code TurboFan had optimized without
 * ever seeing that path run, which deoptimized it ("insufficient type feedback") in one run
 * after another (TPC-H Q3 at SF 1, 2 slices: runs 2-6).
 */
const idleJoinedInto: ReusedColumns[] = [];
const MAX_IDLE_JOINED_INTO = 4;
const MAX_IDLE_JOINED_BYTES = 8 * 2 ** 20;

/** What a program's scan loop reads: a segment, rows in memory, or rows computed when their turn comes. */
type Source = SegmentRef | Vector[] | UnionPart;

/** One batch's rows on their way through a program's steps: the selected ones (`sel`, or the first `count`). */
class BatchRows {
  constructor(
    public batch: Batch,
    public sel: Uint32Array | null,
    public count: number,
    /** the batch's arrays were made for it (joined rows) and nothing else reads them: the output may keep them */
    public owned: boolean,
  ) {}
}

/**
 * One run of a program in a slice: its scan loop, each step and its output, each a method of
 * its own (V8 optimizes them one by one: a deopt in one recompiles that one, not the whole
 * program), and the state they share, every field set in the constructor in one order.
 */
class FragmentRun {
  readonly stop: SliceStop;
  /** rows out of and time in each part: [scan, scan filter, ...steps, output] */
  readonly metrics: SliceMetrics;
  readonly outSlot: number;
  readonly limit: number | undefined;
  /**
   * with a LIMIT: the rows every slice's run of this program kept so far, together (shared
   * memory); once they reach the LIMIT the leader has all it needs, and this slice stops too
   */
  readonly keptBySlices: BigInt64Array | null;
  readonly limitBig: bigint;
  /** an aggregate output's groups (new ones count into the budget; over it they go to disk) */
  readonly table: SpillingGroups | null;
  /** block-level zone maps of the scan filter (or the filter fused into the aggregation) */
  readonly preds: ReturnType<typeof zonePredicates>;
  /**
   * the rows each filter keeps, in arrays reused batch after batch (scratch.ts): one batch goes
   * through every step and the output (which copies what it keeps) before the next is read
   */
  readonly liveSel = new ReusedArray(Uint32Array);
  readonly scanSel = new ReusedArray(Uint32Array);
  readonly stepSel: ReusedArray<Uint32Array>[];
  /** per step: the columns the steps after it and the output read (a probe gathers only those) */
  readonly readAfter: ReturnType<typeof columnsReadAfter>;
  /** per step: the join step a probe's rows go to next (through filters at most) */
  readonly nextJoin: (JoinStep | null)[];
  /** per step: a probe whose rows go (through filters at most) into the program's aggregate */
  readonly intoAggregate: boolean[];
  /** per step: the arrays such a probe writes its joined rows into, batch after batch */
  readonly joinedInto: (ReusedColumns | null)[];
  readonly outParts: Vector[][] = [];
  outRows = 0;
  /** bytes reserved for outParts as they were made (their arrays, and a dictionary the first time the request saw it) */
  outBytes = 0;
  /** a top-N over the budget: sorted runs of its first N rows written so far */
  readonly topRuns: string[] = [];
  topRunRows = 0;
  /** a sort's rows past this slice's share: sorted runs written so far (the leader merges them) */
  readonly sortRuns: string[] = [];
  sortRunRows = 0;
  /** rows for a client past this slice's share: the file they go to, in order (handed on) */
  resultFile: SpillWriter | null = null;
  scanned = 0;
  /** with ORDER BY ... LIMIT on a numeric first key: that key's value in the limit-th row kept */
  cutoff: number | null = null;
  /** when the part being timed started (lap) */
  t = performance.now();

  /**
   * The spec's parts the batch loop reads, copied: specs arrive as cloned plain objects whose
   * hidden class depends on which optional fields they have, and reading them through `f`
   * deoptimized the scan loop for each new class.
   */
  readonly filter: BExpr | null;
  readonly steps: FragmentSpec['steps'];
  readonly output: FragmentSpec['output'];

  constructor(readonly f: FragmentSpec, readonly req: RequestRun, readonly program: number, readonly all: SliceMetrics[]) {
    this.filter = f.filter;
    this.steps = f.steps;
    this.output = f.output;
    this.stop = req.stop;
    const slots = 3 + f.steps.length;
    this.metrics = { rows: new Array<number>(slots).fill(0), ms: new Array<number>(slots).fill(0), scanned: 0 };
    all[program] = this.metrics;
    this.outSlot = slots - 1;
    this.limit = f.output.kind === 'rows' ? f.output.limit : undefined;
    this.keptBySlices = program === 0 && this.limit !== undefined && req.limitRows ? req.limitRows : null;
    this.limitBig = BigInt(this.limit ?? 0);
    this.table = f.output.kind === 'agg' ? new SpillingGroups(req.host, f.output.spec, 'aggregate in a slice', 0, req.arrays) : null;
    this.preds = zonePredicates(f.filter ?? (f.output.kind === 'agg' && !f.steps.length ? f.output.spec.filter ?? null : null));
    this.stepSel = f.steps.map(() => new ReusedArray(Uint32Array));
    this.readAfter = columnsReadAfter(f);
    // a probe whose joined rows go (through filters at most) into another probe or into the
    // fragment's aggregate, which copy what they keep, writes them into arrays it reuses batch
    // after batch; not when that next join spilled (its files take the rows as they are)
    this.nextJoin = f.steps.map((s, i) => {
      if (s.k !== 'join') return null;
      let j = i + 1;
      while (f.steps[j]?.k === 'filter') j++;
      const next = f.steps[j];
      return next?.k === 'join' ? next.join : null;
    });
    this.intoAggregate = f.steps.map((s, i) => s.k === 'join' && f.output.kind === 'agg' && f.steps.slice(i + 1).every((x) => x.k === 'filter'));
    this.joinedInto = this.nextJoin.map((n, i) => (n || this.intoAggregate[i] ? idleJoinedInto.pop() ?? new ReusedColumns() : null));
  }

  /** Counts the time since the last lap and `rows` into part `slot`. */
  lap(slot: number, rows: number): void {
    const now = performance.now();
    this.metrics.ms[slot] += now - this.t;
    this.metrics.rows[slot] += rows;
    this.t = now;
  }

  /** Whether a LIMIT has all its rows: this slice's, or the slices' together. */
  full(): boolean {
    if (this.limit === undefined) return false;
    return this.outRows >= this.limit || (this.keptBySlices !== null && Atomics.load(this.keptBySlices, 0) >= this.limitBig);
  }

  /** A further UNION ALL input: run (and its rows received) when the scan loop reaches it. */
  unionInput(input: ExchangeSource): UnionPart {
    return async () => {
      // past the slice's share the input's rows wait on disk, read back a block at a time
      const got = await redistribute(input, this.req, this.all, true);
      this.metrics.ms[0] += got.ms;
      this.metrics.rows[0] += got.rows;
      // the input program's time is its own metrics'
      this.t = performance.now();
      // one part at a time, each a source of its own
      const parts = got.parts;
      return { cols: [], more: [...parts.map((p, i): UnionPart => async () => { parts[i] = null!; return p; }), ...(got.onDisk ?? [])] };
    };
  }

  /** Reads every source in order, a batch at a time, through the steps and the output. */
  async scan(sources: Source[], runtime: RuntimeFilter[]): Promise<void> {
    for (let j = 0; j < sources.length; j++) {
      if (this.full()) break;
      this.t = performance.now();
      const next = sources[j];
      // a window partition read back from disk is computed when its turn comes
      let src = typeof next === 'function' ? await next() : next;
      // a UNION ALL input's rows in several parts, or on disk: the rest come after this one
      if (!Array.isArray(src) && 'more' in src) { sources.splice(j + 1, 0, ...src.more); src = src.cols; }
      if (Array.isArray(src)) {
        // rows received from other slices are given back once they went through (a spilled join holds them on disk)
        sources[j] = [];
        this.stop.memory.release(arraysBytes(src));
        this.lap(0, 0);
        await this.scanRows(src, src[0]?.length ?? 0, null, null, runtime);
        continue;
      }
      if (runtime.length && await skipSegment(this.f, src, runtime)) continue;
      const cols = await cache.columns(src.file, this.f.tableTypes, this.f.columns);
      const live = await liveRows(src);
      this.lap(0, 0);
      await this.scanRows(cols, src.rows, src, live, runtime);
    }
  }

  /** The rows of one source, BATCH at a time; `seg` when they are a segment's (`live`: its rows not deleted). */
  async scanRows(cols: Vector[], rows: number, seg: SegmentRef | null, live: Uint8Array | null, runtime: RuntimeFilter[]): Promise<void> {
    for (let start = 0; start < rows; start += BATCH) {
      this.stop.check(); // a canceled or timed-out statement stops here, within one batch
      if (this.full()) break;
      const n = Math.min(BATCH, rows - start);
      if (seg && this.skipBlock(cols, start, n, runtime)) continue;
      await this.scanBatch(cols, start, n, seg, live, runtime);
    }
  }

  /** Whether a segment's block can hold no row the scan filter or a join filter keeps (zone maps). */
  skipBlock(cols: Vector[], start: number, n: number, runtime: RuntimeFilter[]): boolean {
    if (this.preds.length && !blockMayMatch(cols, this.preds, start / BATCH, BATCH)) return true;
    if (!runtime.length) return false;
    // a join filter whose build keys' range misses the block
    const r = runtime.find((x) => !x.blockMayMatch(cols, start / BATCH, BATCH));
    if (!r) return false;
    r.counters.blocks++;
    r.counters.rangeRows += n;
    return true;
  }

  /** One batch of a source: its live rows, the scan filter and the join filters, then the steps. */
  async scanBatch(cols: Vector[], start: number, n: number, seg: SegmentRef | null, live: Uint8Array | null, runtime: RuntimeFilter[]): Promise<void> {
    const batch: Batch = { length: n, columns: packedMap(cols, (v) => (n === v.length ? v : vectorRange(v, start, n))) };
    if (seg) this.scanned += n;
    let sel: Uint32Array | null = null;
    let count = n;
    if (live) {
      sel = this.liveSel.take(n);
      count = 0;
      for (let i = 0; i < n; i++) if (live[start + i]) sel[count++] = i;
      sel = sel.subarray(0, count);
    }
    this.lap(0, seg ? count : 0);
    const filter = this.filter;
    if (filter) {
      const into = this.scanSel.take(sel ? sel.length : n);
      const chosen = sel;
      const r = metered(this.stop, () => filterBatch(batch, filter, chosen, into));
      sel = r.sel.subarray(0, r.count);
      count = r.count;
    }
    for (const r of runtime) {
      if (count === 0) break;
      const chosen = sel, c = count;
      const kept = metered(this.stop, () => r.filter(batch, chosen, c));
      sel = kept.sel;
      count = kept.count;
    }
    this.lap(1, count);
    if (count > 0) await this.flow(batch, sel, count, 0);
  }

  /**
   * Runs steps `from` on and the output over a batch's rows (`sel`, or its first `count`).
   * `owned`: the batch's arrays were made for it (joined rows) and nothing else reads them, so
   * the output may keep them rather than copy them.
   */
  async flow(batch: Batch, sel: Uint32Array | null, count: number, from: number, owned = false): Promise<void> {
    const rows = new BatchRows(batch, sel, count, owned);
    const steps = this.steps;
    for (let i = from; i < steps.length; i++) {
      if (rows.count === 0) return;
      const step = steps[i];
      if (step.k === 'filter') this.filterStep(i, step.pred, rows);
      else if (step.k === 'join') {
        const pieces = this.probeStep(i, step.join, rows);
        if (pieces === null) return;
        // a key matching many build rows: the joined rows go on through the later steps a piece at a time
        if (pieces.more) return this.flowPieces(rows, pieces, i);
      }
      else if (step.k === 'repeat') this.repeatStep(step.count, rows);
      else if (step.k === 'compute') this.computeStep(step.exprs, rows);
      else await this.modelStep(step.model, rows);
      this.lap(2 + i, rows.count);
    }
    if (rows.count === 0) return;
    const out = this.output;
    if (out.kind === 'mark') this.markOutput(out.join, rows);
    else if (out.kind === 'agg') this.aggregateOutput(rows);
    else this.rowsOutput(out, rows);
  }

  filterStep(i: number, pred: BExpr, rows: BatchRows): void {
    const { batch, sel } = rows;
    const into = this.stepSel[i].take(sel ? sel.length : batch.length);
    const r = metered(this.stop, () => filterBatch(batch, pred, sel, into));
    rows.sel = r.sel.subarray(0, r.count);
    rows.count = r.count;
  }

  /**
   * Probes join step `i`: `rows` become its first piece of joined rows, and the pieces after it
   * are left to take (`more`); null when the join spilled and its files took the rows (they go on
   * when it drains).
   */
  probeStep(i: number, join: JoinStep, rows: BatchRows): ProbePieces | null {
    const { stop } = this;
    // an outer join pads its unmatched build rows as the probe rows are typed
    if (join.keepsBuild && !probeTypesOf.has(join)) probeTypesOf.set(join, rows.batch.columns.map((c) => c.type));
    const grace = graceJoins.get(join);
    if (grace) {
      const input = compact(rows.batch, rows.sel, rows.count);
      metered(stop, () => grace.add(input));
      this.lap(2 + i, 0);
      return null;
    }
    // the probe reads the selected rows where they are (no compacted copy of every column)
    const input = rows.batch, selected = rows.sel ? rows.sel.subarray(0, rows.count) : null;
    const next = this.nextJoin[i];
    const into = (next && !graceJoins.has(next)) || this.intoAggregate[i] ? this.joinedInto[i] : null;
    const readAfter = this.readAfter[i];
    const pieces = metered(stop, () => hashJoinPieces(input, join, stop, (b) => stop.memory.reserve(b, 'hash join build in a slice'), selected, readAfter, into));
    const joined = metered(stop, () => pieces.next());
    rows.batch = joined;
    rows.sel = null;
    rows.count = joined.length;
    // a probe gathers the joined rows into new arrays (or, with `into`, arrays the next probe reads and the next batch overwrites)
    rows.owned = into === null;
    return pieces;
  }

  /** Runs the steps after join step `i` over its first piece of joined rows (`rows`), then over each later piece, until a LIMIT is reached. */
  private async flowPieces(rows: BatchRows, pieces: ProbePieces, i: number): Promise<void> {
    for (;;) {
      this.lap(2 + i, rows.count);
      await this.flow(rows.batch, null, rows.count, i + 1, rows.owned);
      if (!pieces.more || this.full()) return;
      const joined = metered(this.stop, () => pieces.next());
      rows.batch = joined;
      rows.count = joined.length;
    }
  }

  repeatStep(times: BExpr, rows: BatchRows): void {
    const input = compact(rows.batch, rows.sel, rows.count);
    const [counts] = metered(this.stop, () => projectBatch(input, [times], null, input.length));
    rows.batch = repeatRows(input, counts);
    rows.sel = null;
    rows.count = rows.batch.length;
    rows.owned = false;
  }

  computeStep(exprs: BExpr[], rows: BatchRows): void {
    const batch = compact(rows.batch, rows.sel, rows.count), count = rows.count;
    const computed = metered(this.stop, () => projectBatch(batch, exprs, null, count));
    rows.batch = { length: count, columns: [...batch.columns, ...computed] };
    rows.sel = null;
    rows.owned = false;
  }

  /** Models run only on rows that survived the steps before. */
  async modelStep(model: ModelStep, rows: BatchRows): Promise<void> {
    const batch = compact(rows.batch, rows.sel, rows.count);
    batch.columns.push(await models.evaluate(model, batch, this.stop));
    rows.batch = batch;
    rows.sel = null;
    rows.owned = false;
  }

  /** Marks the rows of `mark`'s table the rows match (a marked source's probe program). */
  markOutput(mark: JoinStep, rows: BatchRows): void {
    const { stop } = this;
    const { batch, sel, count } = rows;
    const grace = graceJoins.get(mark);
    // a spilled marking join takes the rows into its files; they mark once the input is done
    if (grace) { const input = compact(batch, sel, count); metered(stop, () => grace.add(input)); }
    else if (!mark.residual) {
      // only the keys are read: the selected rows' other columns are not copied
      metered(stop, () => markMatches({ length: count, columns: [] }, projectBatch(batch, mark.probeKeys, sel, count), buildTableOf(mark), null, stop));
    } else {
      const input = compact(batch, sel, count);
      metered(stop, () => markMatches(input, projectBatch(input, mark.probeKeys, null, input.length), buildTableOf(mark), mark.residual ?? null, stop));
    }
    this.lap(this.outSlot, 0);
  }

  /**
   * Adds the rows to the aggregate (a filter the planner fused into its spec runs inside this
   * same loop); new groups count into the budget, and over it the groups so far go to disk.
   */
  aggregateOutput(rows: BatchRows): void {
    const table = this.table!;
    const { batch, sel } = rows;
    metered(this.stop, () => table.consume(batch, sel, sel ? sel.length : batch.length));
    this.lap(this.outSlot, 0);
  }

  /** Keeps the rows as output rows (up to a LIMIT), bounded by a top-N, or on disk past the share. */
  rowsOutput(out: RowsOutput, rows: BatchRows): void {
    const { stop } = this;
    const topN = out.topN;
    if (topN && this.cutoff !== null && !this.beforeCutoff(out, topN, this.cutoff, rows)) { this.lap(this.outSlot, 0); return; }
    const { batch, sel, count } = rows;
    const take = this.limit !== undefined ? Math.min(count, this.limit - this.outRows) : count;
    const part = (rows.owned && sel === null && take === batch.length ? keptColumns(batch, out.exprs, stop) : null) ?? projectAccounted(batch, out.exprs, sel, take, stop);
    this.outParts.push(part.columns);
    this.outRows += take;
    if (this.keptBySlices && take > 0) Atomics.add(this.keptBySlices, 0, BigInt(take));
    this.outBytes += part.bytes;
    // keep memory bounded: only the first `limit` rows in sort order can survive
    if (topN && this.outRows >= 2 * topN.limit + 1024) this.keepTopOnly(out, topN);
    // a client's rows need not be whole anywhere: past this slice's share they go to a file
    // the client reads back (result-rows.ts), and the slice goes on from none
    if (out.toFile && this.outBytes > sliceShare(this.req)) this.rowsToFile();
    // a sort whose rows would not fit: those so far go to disk as a sorted run (sorting them
    // takes an order of 8 bytes a row more) and the slice goes on from none
    if (out.sort && this.outRows > 1 && this.outBytes > sliceShare(this.req)) this.sortedRunToFile(out, out.sort);
    // the rows a large N keeps would not fit: their first N go to disk as a sorted run (the
    // leader merges the runs) and the slice starts again from none
    if (topN && this.outRows > 1 && this.outBytes > sliceShare(this.req)) this.topRunToFile(out, topN);
    this.lap(this.outSlot, 0);
  }

  /** Drops the rows that sort after the current limit-th row (they cannot make the top N); false when none is left. */
  beforeCutoff(out: RowsOutput, topN: TopN, cutoff: number, rows: BatchRows): boolean {
    const { batch, sel, count } = rows;
    const key = topN.keys[0];
    const keyExpr = out.exprs[key.expr.k === 'col' ? key.expr.index : 0];
    const [kv] = metered(this.stop, () => projectBatch(batch, [keyExpr], sel, count));
    const keep = new Uint32Array(count);
    let m = 0;
    for (let i = 0; i < count; i++) {
      const isNull = kv.valid !== null && kv.valid[i] === 0;
      const x = kv.values[i];
      if (isNull ? key.nullsFirst : key.desc ? x >= cutoff : x <= cutoff) keep[m++] = sel ? sel[i] : i;
    }
    rows.sel = keep.subarray(0, m);
    rows.count = m;
    return m > 0;
  }

  /** Keeps only the first `limit` rows in the top-N's order. */
  keepTopOnly(out: RowsOutput, topN: TopN): void {
    const kept = keepTop(out.exprs.map((e) => e.type), this.outParts, topN);
    this.outParts.splice(0, this.outParts.length, kept.columns);
    this.outRows = kept.length;
    this.cutoff = numericCutoff(kept, topN);
    const keptBytes = arraysBytes(kept.columns);
    this.stop.memory.release(this.outBytes - keptBytes);
    this.outBytes = keptBytes;
  }

  /** Writes the rows held so far to the client's result file (outRows still counts them: the LIMIT, the file's rows) and goes on from none held. */
  rowsToFile(): void {
    const file = (this.resultFile ??= this.req.host.spill.create('result rows'));
    const parts = this.outParts;
    metered(this.stop, () => { for (const p of parts) file.write({ length: p[0]?.length ?? 0, columns: p }); });
    this.dropRows();
  }

  /** Writes the rows so far as a sorted run and goes on from none. */
  sortedRunToFile(out: RowsOutput, sort: SortKey[]): void {
    const types = out.exprs.map((e) => e.type);
    const parts = this.outParts;
    const rows: Batch = { length: this.outRows, columns: types.map((t, i) => concatVectors(t, parts.map((p) => p[i]))) };
    parts.length = 0;
    this.sortRuns.push(...metered(this.stop, () => writeSortedRuns(this.req.host, rows, sort, rows.length, () => this.stop.tick())));
    this.sortRunRows += this.outRows;
    this.outRows = 0;
    this.dropRows();
  }

  /** Writes the first N rows so far as a sorted run and starts again from none. */
  topRunToFile(out: RowsOutput, topN: TopN): void {
    const kept = keepTop(out.exprs.map((e) => e.type), this.outParts, topN);
    this.topRuns.push(...metered(this.stop, () => writeSortedRuns(this.req.host, kept, topN.keys, kept.length, () => this.stop.tick())));
    this.topRunRows += kept.length;
    this.cutoff = numericCutoff(kept, topN);
    this.outRows = 0;
    this.dropRows();
  }

  /** Forgets the output rows held so far (written elsewhere), their memory given back. */
  dropRows(): void {
    this.outParts.length = 0;
    this.stop.memory.release(this.outBytes);
    this.outBytes = 0;
  }

  /**
   * Spilled joins, in step order: each joins its files pair by pair, and its rows go on through
   * the later steps (a later spilled join takes them into its own files); an outer join keeping
   * its build side then adds the build rows nothing matched, its probe rows being all through.
   */
  async drainSpilledJoins(): Promise<void> {
    const steps = this.steps;
    for (let i = 0; i < steps.length; i++) {
      const step = steps[i];
      if (step.k !== 'join' || this.full()) continue;
      const grace = graceJoins.get(step.join);
      const sink = async (joined: Batch) => {
        this.lap(2 + i, joined.length);
        await this.flow(joined, null, joined.length, i + 1);
        return this.full();
      };
      this.t = performance.now();
      if (grace) await grace.drain(sink);
      else if (step.join.keepsBuild) {
        const types = probeTypesOf.get(step.join) ?? step.join.keepsBuild.probeTypes;
        for (const padded of unmatchedBuildRows(buildTableOf(step.join), types)) {
          this.stop.check();
          if (await sink(padded)) break;
        }
      }
    }
  }

  /** The program's result: its groups (finished with `finishHere`), or its rows (in parts for an exchange when `asParts`), in memory or in files. */
  async finish(asParts: boolean, finishHere: boolean): Promise<FragmentResult & { parts?: Vector[][] }> {
    this.metrics.scanned = this.scanned;
    // every batch went through (what the steps kept of the joined rows was copied): the arrays serve the next program
    for (const into of this.joinedInto) if (into && idleJoinedInto.length < MAX_IDLE_JOINED_INTO && into.bytes <= MAX_IDLE_JOINED_BYTES) idleJoinedInto.push(into);
    if (this.table) return this.finishGroups(this.table, finishHere);
    const out = this.output;
    // (a marking program's output has no rows)
    const sort = out.kind === 'rows' ? out.sort : undefined;
    const types = out.kind === 'rows' ? out.exprs.map((e) => e.type) : [];
    if (out.kind === 'rows' && out.topN) return this.finishTop(types, out.topN);
    if (this.resultFile) return this.finishFile(types, this.resultFile);
    if (this.sortRuns.length && sort) return this.finishSortRuns(types, sort);
    this.metrics.rows[this.outSlot] = this.outRows;
    if (asParts && out.kind === 'rows' && !sort) {
      // the caller (an exchange) copies the rows once, cut by destination: no joined copy first
      return { kind: 'rows', columns: [], parts: this.outParts, rows: this.outRows, scanned: this.scanned, metrics: this.all };
    }
    const columns = packedMap(types, (t, i) => concatVectors(t, packedMap(this.outParts, (p) => p[i])));
    if (sort) return this.finishSorted(columns, sort);
    return { kind: 'rows', columns, rows: this.outRows, scanned: this.scanned, metrics: this.all };
  }

  async finishGroups(table: SpillingGroups, finishHere: boolean): Promise<FragmentResult> {
    if (table.spilled || table.tooBigToSend) {
      // groups went to disk, or would not fit where they go: the files go on as they are (the
      // leader or the final aggregation in the slices merges them partition by partition)
      const spilled = table.handOff();
      this.req.host.keep();
      return { kind: 'agg', partial: emptyPartial(table.spec), spilled, scanned: this.scanned, metrics: this.all };
    }
    if (finishHere) {
      // finished from the table itself: partial states copied out first were ~12 MB a slice for Q18's 750,000 groups
      const keyTypes = table.spec.keys.map((k) => k.type);
      let columns: Vector[] = [], rows = 0;
      await table.finish((t) => { columns = t.finish(keyTypes); rows = t.groups; });
      this.metrics.rows[this.outSlot] = rows;
      return { kind: 'rows', columns, rows, scanned: this.scanned, metrics: this.all };
    }
    let partial: PartialAgg | null = null;
    await table.finish((t) => { partial = t.toPartial(); });
    this.metrics.rows[this.outSlot] = partial!.groups;
    return { kind: 'agg', partial: partial!, scanned: this.scanned, metrics: this.all };
  }

  finishTop(types: SqlType[], topN: TopN): FragmentResult {
    const kept = keepTop(types, this.outParts, topN);
    this.metrics.rows[this.outSlot] = this.topRunRows + kept.length;
    if (!this.topRuns.length) return { kind: 'rows', columns: kept.columns, rows: kept.length, scanned: this.scanned, metrics: this.all };
    // runs went to disk: the rest is one more, and the leader merges the files
    if (kept.length) this.topRuns.push(...metered(this.stop, () => writeSortedRuns(this.req.host, kept, topN.keys, kept.length, () => this.stop.tick())));
    this.req.host.keep();
    return { kind: 'rows', columns: kept.columns.map((c) => gather(c, null, 0)), rows: 0, runs: this.topRuns, scanned: this.scanned, metrics: this.all };
  }

  finishFile(types: SqlType[], file: SpillWriter): FragmentResult {
    // the rest of the rows follow the ones already in the file
    const parts = this.outParts;
    metered(this.stop, () => { for (const p of parts) file.write({ length: p[0]?.length ?? 0, columns: p }); });
    file.close();
    this.req.host.keep();
    this.metrics.rows[this.outSlot] = this.outRows;
    return { kind: 'rows', columns: emptyBatch(types).columns, rows: 0, files: [file.path], fileRows: this.outRows, scanned: this.scanned, metrics: this.all };
  }

  finishSortRuns(types: SqlType[], sort: SortKey[]): FragmentResult {
    // runs went to disk: the rest is one more, and the leader merges the files
    const rows: Batch = { length: this.outRows, columns: types.map((t, i) => concatVectors(t, this.outParts.map((p) => p[i]))) };
    if (this.outRows) this.sortRuns.push(...metered(this.stop, () => writeSortedRuns(this.req.host, rows, sort, rows.length, () => this.stop.tick())));
    this.req.host.keep();
    this.metrics.rows[this.outSlot] = this.sortRunRows + this.outRows;
    return { kind: 'rows', columns: emptyBatch(types).columns, rows: 0, runs: this.sortRuns, scanned: this.scanned, metrics: this.all };
  }

  /** A sorted run for the leader's k-way merge (over the budget: sorted runs in files). */
  finishSorted(columns: Vector[], sort: SortKey[]): FragmentResult {
    const { stop } = this;
    const outRows = this.outRows;
    const t0 = performance.now();
    const rows: Batch = { length: outRows, columns };
    // the index order and the sorted copy of the rows
    let bytes = outRows * 8;
    for (const v of columns) bytes += vectorBytes(v, stop.dictionaries);
    if (bytes > stop.memory.availableBytes && outRows > 1) {
      // over the budget: sorted runs that fit go to files, handed on to the leader's merge
      const runRows = Math.floor(stop.memory.availableBytes / 2 / Math.max(1, bytes / outRows));
      const runs = metered(stop, () => writeSortedRuns(this.req.host, rows, sort, runRows, () => stop.tick()));
      this.req.host.keep();
      this.metrics.ms[this.outSlot] += performance.now() - t0;
      this.metrics.rows[this.outSlot] = outRows;
      return { kind: 'rows', columns: columns.map((c) => gather(c, null, 0)), rows: 0, runs, scanned: this.scanned, metrics: this.all };
    }
    stop.memory.reserve(bytes, 'sort in a slice');
    const sorted = metered(stop, () => sortBatch(rows, sort, () => stop.tick())).columns;
    this.metrics.ms[this.outSlot] += performance.now() - t0;
    this.metrics.rows[this.outSlot] = outRows;
    return { kind: 'rows', columns: sorted, rows: outRows, scanned: this.scanned, metrics: this.all };
  }
}

/** A program's rows output. */
type RowsOutput = Extract<FragmentSpec['output'], { kind: 'rows' }>;

/** The column types of the probe rows an outer join keeping its build side saw, by step. */
const probeTypesOf = new WeakMap<JoinStep, SqlType[]>();

/** Join steps whose build side a nested program wrote to files as it computed them, by step. */
const buildFiles = new WeakMap<JoinStep, string[]>();

/** Join steps whose build side went to disk (grace join in the slice), by step. */
const graceJoins = new WeakMap<JoinStep, SliceGraceJoin>();

/**
 * Builds a join step's hash table now, its memory reserved; when it would take over half of this
 * slice's share of what is left of the statement's budget (the probe rows streaming through and
 * what the steps after it hold need the rest), writes its build rows to partition files instead:
 * a grace join, whose probe rows follow them to disk and whose pairs of files are joined once
 * the slice's input is done.
 */
function buildOrSpill(step: JoinStep, req: RequestRun): void {
  const { stop } = req;
  const reserve = (b: number) => stop.memory.reserve(b, 'hash join build in a slice');
  const files = buildFiles.get(step);
  if (files || step.sentFiles) {
    // the build rows are on disk already: they passed the share as they were computed, or the
    // leader's as it broadcast them (past a quarter of what was left: over this slice's share)
    graceJoins.set(step, metered(stop, () => new SliceGraceJoin(req.host, step, files ?? step.sentFiles, !files)));
    step.build = [];
    return;
  }
  if ((step.build[0]?.length ?? 0) <= MIN_SPILL_ROWS || stepTableBytes(step) <= sliceShare(req)) {
    buildTableOf(step, stop, reserve, req.arrays);
    return;
  }
  graceJoins.set(step, metered(stop, () => new SliceGraceJoin(req.host, step)));
  // a build side this slice computed counted into the budget as it was made: its rows are on disk now
  if (step.local) stop.memory.release(arraysBytes(step.build));
  step.build = [];
}

/**
 * The join filters of a program's scan: the build tables of the joins the planner marked are
 * built now, before the scan starts (a broadcast or co-located build side; a redistributed one
 * was received before this program runs), and their key ranges and Bloom filters go to the scan.
 * A build side in parts (one per slice) filters rows any slice may receive: every slice sends
 * its filter to every other and uses the union.
 */
async function runtimeFilters(f: FragmentSpec, program: number, segments: SegmentRef[], req: RequestRun): Promise<RuntimeFilter[]> {
  const out: RuntimeFilter[] = [];
  const { stop } = req;
  const probeRows = segments.reduce((s, g) => s + g.rows, 0);
  const specs = f.joinFilters ?? [];
  for (let i = 0; i < specs.length; i++) {
    const spec = specs[i];
    // a join spilled to disk has no table to filter with; where the slices merge their filters,
    // its part lets every key through (the other slices wait for it)
    const spilled = graceJoins.has(spec.join);
    if (spilled && !spec.merge) continue;
    const table = spilled ? null : buildTableOf(spec.join, stop, (b) => stop.memory.reserve(b, 'hash join build in a slice'), req.arrays);
    // no Bloom filter is worth building over more keys than the scan has rows (merged ones always are: every slice takes part)
    // merged filters: the planner's estimate of the build keys may be far off, so each slice
    // sizes its filter for its own keys as if every slice held as many
    const slices = req.exchange?.slices ?? 1;
    let parts = !table ? passAll(spec)
      : spec.merge
        ? filterParts(spec, table, Math.max(spec.merge.keys, table.keys.size * slices))
        : filterParts(spec, table, table.keys.size > probeRows ? 0 : table.keys.size);
    stop.memory.reserve(parts.words.byteLength + (parts.columns ?? []).reduce((n, w) => n + (w?.byteLength ?? 0), 0), 'join filter in a slice');
    if (spec.merge) {
      if (!req.exchange) throw new SqlError('INTERNAL_ERROR', 'a merged join filter without an exchange id');
      const { id, slices } = req.exchange;
      const tag = `${exchangeTag(id, program)}:filter${i}`;
      for (let d = 0; d < slices; d++) if (d !== sliceIndex) peers.send(d, tag, parts, []);
      const got = await fromPeers(req, tag);
      parts = mergeParts([parts, ...[...got.values()] as FilterParts[]]);
    }
    const r = new RuntimeFilter(spec, parts, i, probeRows);
    if (r.useful && !spilled) out.push(r);
  }
  return out;
}

/** A join filter part that keeps every key (a spilled build side's, merged with the other slices'). */
function passAll(spec: JoinFilterSpec): FilterParts {
  // the fewest words, all ones: the other slices' filters fold to it, and the union keeps every key
  const words = BloomFilter.forKeys(1).words.fill(-1);
  return { keys: 1, ranges: spec.zoneCols.map((c) => (c < 0 ? null : [-Infinity, Infinity])), words };
}

/**
 * Whether no block of a segment can hold a key some join filter accepts. When the key columns
 * are cached only they are read to decide, so a skipped segment's other columns stay undecoded;
 * otherwise the segment is read once, every column the scan needs at a time (reading the file
 * for the keys alone and again for the rest would cost more whenever it is not skipped).
 */
async function skipSegment(f: FragmentSpec, seg: SegmentRef, runtime: RuntimeFilter[]): Promise<boolean> {
  const zoneCols = [...new Set(runtime.flatMap((r) => r.zoneColumns))];
  if (!zoneCols.length && !runtime.some((r) => r.empty)) return false;
  const keysCached = zoneCols.every((c) => cache.has(seg.file, f.columns[c]));
  const cols: Vector[] = []; // by batch column: the key columns
  if (keysCached) {
    const read = await cache.columns(seg.file, f.tableTypes, zoneCols.map((c) => f.columns[c]));
    zoneCols.forEach((c, j) => { cols[c] = read[j]; });
  } else {
    const all = await cache.columns(seg.file, f.tableTypes, f.columns);
    for (const c of zoneCols) cols[c] = all[c];
  }
  const blocks = Math.ceil(seg.rows / BATCH);
  const rejecting: RuntimeFilter[] = [];
  for (let b = 0; b < blocks; b++) {
    const r = runtime.find((x) => !x.blockMayMatch(cols, b, BATCH));
    if (!r) return false;
    rejecting.push(r);
  }
  rejecting.forEach((r, b) => { r.counters.blocks++; r.counters.rangeRows += Math.min(BATCH, seg.rows - b * BATCH); });
  if (rejecting.length) rejecting[0].counters.segments++;
  return true;
}

/**
 * A segment reference with every field, in one order: references arrive as cloned plain objects,
 * with `deleted` or without it, and the scan loop's reads of them deoptimized for each shape.
 */
const segmentShape = (s: SegmentRef): SegmentRef => ({ file: s.file, rows: s.rows, deleted: s.deleted });

/** Half of this slice's share of what is left of the statement's budget (the rest is for what the rows go through). */
function sliceShare(req: RequestRun): number {
  return req.stop.memory.availableBytes / (2 * req.slices);
}

/** What one request runs over: each program's segments in this slice, its stop, its exchanges. */
interface RequestRun {
  /** segments[p]: this slice's segments for program p (none for a program over redistributed rows) */
  segments: SegmentRef[][];
  stop: SliceStop;
  /** the request's exchange id and how many slices take part */
  exchange?: { id: number; slices: number };
  /** memory and spill files for operators over the statement's budget; `keep` when files are handed on */
  host: SpillHost & { keep(): void };
  /** how many slices run the request (they share the statement's budget) */
  slices: number;
  /** ms spent waiting for other slices' rows and filters (EXPLAIN ANALYZE's timeline) */
  peersMs: number;
  /** where the request's join tables take their arrays (handed back when it ends well) */
  arrays: ArrayLease;
  /** with a LIMIT in the slices: the rows all slices kept so far (FragmentRun.keptBySlices) */
  limitRows?: BigInt64Array;
}

/** The parts every other slice sent for `tag`, the wait counted into the request's. */
async function fromPeers(req: RequestRun, tag: string): Promise<Map<number, unknown>> {
  const t0 = performance.now();
  try {
    return await peers.receive(tag, (req.exchange?.slices ?? 1) - 1, () => req.stop.check());
  } finally {
    req.peersMs += performance.now() - t0;
  }
}

/**
 * A request's view of the statement for spilling operators: its budget, and spill files in a
 * directory of this slice's own under the temp area (named after the leader's run), made on
 * first use. `end` removes it unless files in it were handed on (`keep`): then the leader
 * removes it when the run ends; a failed request always removes it.
 */
function requestHost(stop: SliceStop, name: string | undefined): SpillHost & { keep(): void; end(ok: boolean): void } {
  let files: StatementSpill | null = null;
  let kept = false;
  return {
    get spill() { return (files ??= new StatementSpill(spillRoot(dataDir), stop.memory, name, sliceIndex)); },
    keep: () => { kept = true; },
    end: (ok) => { if (!ok || !kept) files?.dispose(); },
    check: () => stop.check(),
    tick: () => stop.tick(),
    pause: async () => {},
    available: () => stop.memory.availableBytes,
    reserve: (bytes, what) => { stop.memory.reserve(bytes, what); return () => stop.memory.release(bytes); },
  };
}

/** Waits for every promise; then throws the first failure, if any (none is left running on its own). */
async function allSettledOrThrow(work: Promise<void>[]): Promise<void> {
  const done = await Promise.allSettled(work);
  const failed = done.find((d): d is PromiseRejectedResult => d.status === 'rejected');
  if (failed) throw failed.reason;
}

/**
 * Runs an exchange's input program over this slice's rows, sends every other slice the rows
 * whose keys hash to it and waits for the rows every other slice sends here. Returns the parts
 * this slice now holds, the rows and the time spent moving them (not running the input).
 */
async function redistribute(x: ExchangeSource, req: RequestRun, all: SliceMetrics[], toDisk = false): Promise<{ parts: Vector[][]; rows: number; ms: number; onDisk?: UnionPart[] }> {
  if (x.local) {
    // already partitioned by the key: this slice keeps what it computed (and finishes its own
    // groups); rows past its share may go to a file, read back a block at a time
    if (toDisk) sendRowsToFile(x.spec.output);
    const r = await runFragment(x.spec, req, x.program, all, true, true);
    const t0 = performance.now();
    if (r.kind === 'rows' && r.files?.length) return { parts: [], rows: r.fileRows ?? 0, ms: performance.now() - t0, onDisk: r.files.map((file) => fileBlocks(file, req)) };
    // groups in memory hold each of its groups once, whole: the program finished them as they
    // are; groups on disk are merged a partition at a time; rows stay in the pieces the program
    // made them in
    const own = r.kind === 'agg' ? await finishGroups(x, sharesOf(r), req)
      : { parts: (r.parts ?? [r.columns]).filter((p) => (p[0]?.length ?? 0) > 0), rows: r.rows };
    return { ...own, ms: performance.now() - t0 };
  }
  if (!req.exchange) throw new SqlError('INTERNAL_ERROR', 'a redistributed program without an exchange id');
  const { id, slices } = req.exchange;
  // the rows to send may go to disk past this slice's share (then they go on as files, below)
  if (toDisk) sendRowsToFile(x.spec.output);
  const r = await runFragment(x.spec, req, x.program, all, !x.everywhere);
  const t0 = performance.now();
  const tag = exchangeTag(id, x.program);
  if (r.kind === 'agg') return { ...(await finishOwnGroups(r, x, req, tag, slices)), ms: performance.now() - t0 };
  if (x.everywhere) return { ...(await broadcastRows(r, req, tag, slices, toDisk)), ms: performance.now() - t0 };
  if (r.files?.length) return { ...(await redistributeOnDisk(x, r.files, req, tag, slices)), ms: performance.now() - t0 };
  // the pieces of rows the program made, each cut by destination and copied once into its piece
  const made = r.parts ?? [r.columns];
  const cut = made.map((p) => {
    const n = p[0]?.length ?? 0;
    return rowsByDestination(x.placement === 'table' ? placeRows(p[x.keys[0]], n, slices) : partitionRows(x.keys.map((k) => p[k]), n, slices), slices);
  });
  let own: Vector[] = [];
  for (let d = 0; d < slices; d++) {
    const part = made.length ? made[0].map((c, i) => concatRows(c.type, made.map((p) => p[i]), cut.map((rows) => rows[d]))) : [];
    if (d === sliceIndex) { own = part; continue; }
    const w = toWire(part, 'move');
    peers.send(d, tag, w.columns, w.transfer);
  }
  // the rows this slice computed left as copies, one per destination: what comes in is counted instead
  for (const p of made) req.stop.memory.release(arraysBytes(p));
  const got = await fromPeers(req, tag);
  // a slice whose rows passed its share sent the name of a file of them instead (redistributeOnDisk)
  const sent = [...got.values()];
  const files = sent.filter((p): p is RowsOnDisk => !!p && typeof p === 'object' && 'file' in p);
  const parts = [own, ...sent.filter((p) => !files.includes(p as RowsOnDisk)).map((p) => fromWire(p as WireColumn[]))].filter((p) => (p[0]?.length ?? 0) > 0);
  let rows = 0, bytes = 0;
  for (const p of parts) { rows += p[0].length; for (const v of p) bytes += vectorBytes(v); }
  if (files.length) {
    const onDisk = files.flatMap((f) => blocksOf(f, req));
    rows += files.reduce((n, f) => n + f.rows, 0);
    if (rows > MIN_SPILL_ROWS && bytes > sliceShare(req)) return { parts: [], rows, ms: performance.now() - t0, onDisk: [...metered(req.stop, () => receivedOnDisk(parts, req)), ...onDisk] };
    req.stop.memory.reserve(bytes, 'rows redistributed to a slice');
    return { parts, rows, ms: performance.now() - t0, onDisk };
  }
  if (toDisk && rows > MIN_SPILL_ROWS && bytes > sliceShare(req)) {
    // more than this slice's share: the rows wait on disk and are read back a block at a time
    // as the pipeline reaches them (each part is in memory only while it is written)
    return { parts: [], rows, ms: performance.now() - t0, onDisk: metered(req.stop, () => receivedOnDisk(parts, req)) };
  }
  req.stop.memory.reserve(bytes, 'rows redistributed to a slice');
  return { parts, rows, ms: performance.now() - t0 };
}

/** Where a slice's rows for another went when they passed its share: a file of `blocks` blocks. */
interface RowsOnDisk { file: string; blocks: number; rows: number }

/**
 * Redistributes rows the input program wrote to files (they passed this slice's share): each
 * block is split by destination into one file per slice, and every other slice is sent its
 * file's name instead of rows (the slices share the temp area); the files stay until the run
 * ends (the leader removes the run's directories). Returns this slice's own rows as sources on
 * disk, and those of the files it was sent; rows other slices sent in memory are spilled too
 * when they pass its share.
 */
async function redistributeOnDisk(x: ExchangeSource, files: string[], req: RequestRun, tag: string, slices: number): Promise<{ parts: Vector[][]; rows: number; onDisk: UnionPart[] }> {
  const { spill } = req.host;
  const writers = Array.from({ length: slices }, () => spill.create('rows for a slice'));
  const blocks = new Array<number>(slices).fill(0), rowsTo = new Array<number>(slices).fill(0);
  for (const path of files) {
    const reader = spill.read(path);
    for (let b = reader.next(); b; b = reader.next()) {
      req.stop.check();
      const batch = b;
      metered(req.stop, () => {
        const dest = x.placement === 'table' ? placeRows(batch.columns[x.keys[0]], batch.length, slices) : partitionRows(x.keys.map((k) => batch.columns[k]), batch.length, slices);
        rowsByDestination(dest, slices).forEach((rows, d) => {
          if (!rows.length) return;
          writers[d].write(selectRows(batch, rows, rows.length));
          blocks[d]++;
          rowsTo[d] += rows.length;
        });
      });
    }
    spill.done(reader);
  }
  for (const w of writers) w.close();
  req.host.keep(); // other slices read their files after this request may have ended
  for (let d = 0; d < slices; d++) if (d !== sliceIndex) peers.send(d, tag, { file: writers[d].path, blocks: blocks[d], rows: rowsTo[d] } satisfies RowsOnDisk, []);
  const got = await fromPeers(req, tag);
  const onDisk = blocksOf({ file: writers[sliceIndex].path, blocks: blocks[sliceIndex], rows: rowsTo[sliceIndex] }, req);
  const inMemory: Vector[][] = [];
  let rows = rowsTo[sliceIndex];
  for (const p of got.values()) {
    if (p && typeof p === 'object' && 'file' in p) { onDisk.push(...blocksOf(p as RowsOnDisk, req)); rows += (p as RowsOnDisk).rows; continue; }
    const part = fromWire(p as WireColumn[]);
    if ((part[0]?.length ?? 0) > 0) { inMemory.push(part); rows += part[0].length; }
  }
  if (inMemory.length) onDisk.push(...receivedOnDisk(inMemory, req));
  return { parts: [], rows, onDisk };
}

/** One source per block of a file of rows: each reads its block when the pipeline reaches it (in order), its bytes reserved. */
function blocksOf(f: RowsOnDisk, req: RequestRun): UnionPart[] {
  const { spill } = req.host;
  let reader: SpillReader | null = null;
  let left = f.blocks;
  if (left === 0) { rmSync(f.file, { force: true }); return []; }
  return Array.from({ length: f.blocks }, () => async () => {
    reader ??= spill.read(f.file);
    const b = reader.next();
    if (!b) throw new SqlError('INTERNAL_ERROR', 'rows received by a slice: the spill file ended early');
    if (--left === 0) spill.done(reader);
    req.stop.memory.reserve(arraysBytes(b.columns), 'rows redistributed to a slice');
    return b.columns;
  });
}

/**
 * Rows a slice received, written to a spill file in BATCH-row blocks; returns one source per
 * block, each reading its block when the pipeline reaches it and reserving its bytes (the
 * pipeline gives them back once the block went through).
 */
function receivedOnDisk(parts: Vector[][], req: RequestRun): UnionPart[] {
  const { spill } = req.host;
  const w = spill.create('rows received by a slice');
  let blocks = 0;
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i];
    const n = p[0].length;
    for (let start = 0; start < n; start += BATCH) {
      req.stop.check();
      const len = Math.min(BATCH, n - start);
      w.write({ length: len, columns: p.map((v) => (len === v.length ? v : vectorRange(v, start, len))) });
      blocks++;
    }
    parts[i] = null!; // written: let it be collected
  }
  w.close();
  return blocksOf({ file: w.path, blocks, rows: 0 }, req);
}

/** Each row of a batch `times[i]` times (none for NULL or less than 1), in order. */
function repeatRows(batch: Batch, times: Vector): Batch {
  let n = 0;
  for (let i = 0; i < batch.length; i++) if (times.valid === null || times.valid[i]) n += Math.max(0, Number(times.values[i]));
  const rows = new Uint32Array(n);
  let k = 0;
  for (let i = 0; i < batch.length; i++) {
    if (times.valid !== null && !times.valid[i]) continue;
    for (let c = Number(times.values[i]); c > 0; c--) rows[k++] = i;
  }
  return selectRows(batch, rows, n);
}

/** Where a slice's rows for a broadcast went when they passed its share: files every slice reads. */
interface BroadcastOnDisk { files: string[]; rows: number }

/**
 * A broadcast between the slices: this slice's rows go to every other slice (copied once into
 * shared memory that all of them read) and it keeps them too; returns its own rows and every
 * other slice's. Rows a slice computed past its share went to a file: it sends the file's name
 * instead, and every slice reads it a block at a time as its pipeline reaches it (the file stays
 * until the run ends: the leader removes the run's files). With `toDisk`, rows received in
 * memory that would take over this slice's share are written to a file of its own and read back
 * the same way.
 */
async function broadcastRows(r: FragmentResult, req: RequestRun, tag: string, slices: number, toDisk: boolean): Promise<{ parts: Vector[][]; rows: number; onDisk?: UnionPart[] }> {
  if (r.kind !== 'rows') throw new SqlError('INTERNAL_ERROR', 'partial aggregates broadcast between the slices');
  const ownFiles: BroadcastOnDisk | null = r.files?.length ? { files: r.files, rows: r.fileRows ?? 0 } : null;
  if (ownFiles) {
    for (let d = 0; d < slices; d++) if (d !== sliceIndex) peers.send(d, tag, ownFiles, []);
  } else {
    const w = toWire(r.columns, 'share');
    for (let d = 0; d < slices; d++) if (d !== sliceIndex) peers.send(d, tag, w.columns, []);
  }
  const got = await fromPeers(req, tag);
  const sent = [...got.values()];
  const onFiles = [...(ownFiles ? [ownFiles] : []), ...sent.filter((p): p is BroadcastOnDisk => !!p && typeof p === 'object' && 'files' in p)];
  const others = sent.filter((p) => !(p && typeof p === 'object' && 'files' in p)).map((p) => fromWire(p as WireColumn[]));
  let rows = ownFiles ? 0 : r.rows, bytes = 0;
  for (const p of others) { rows += p[0]?.length ?? 0; for (const v of p) bytes += vectorBytes(v); }
  for (const f of onFiles) rows += f.rows;
  const parts = [...(ownFiles ? [] : [r.columns]), ...others].filter((p) => (p[0]?.length ?? 0) > 0);
  const onDisk = onFiles.flatMap((f) => f.files.map((file) => fileBlocks(file, req, true)));
  if (toDisk && rows > MIN_SPILL_ROWS && bytes > sliceShare(req)) {
    // more than this slice's share: what came in memory waits on disk too (this slice's own rows,
    // counted when computed, are given back once written)
    const own = ownFiles ? 0 : arraysBytes(r.columns);
    const written = metered(req.stop, () => receivedOnDisk(parts, req));
    req.stop.memory.release(own);
    return { parts: [], rows, onDisk: [...written, ...onDisk] };
  }
  // this slice's own rows are counted already (it computed them)
  req.stop.memory.reserve(bytes, 'rows broadcast to a slice');
  return { parts, rows, onDisk: onDisk.length ? onDisk : undefined };
}

/**
 * The preserved rows a semi or anti join built on that side keeps in this slice: it computes
 * them (the join's nested program) and builds its table, the probe program marks the rows its
 * rows match, and the marked rows (SEMI) or the unmarked ones (ANTI) are returned as one part.
 */
async function markedRows(m: MarkedSource, req: RequestRun, all: SliceMetrics[]): Promise<{ parts: Vector[][]; rows: number; ms: number; onDisk?: UnionPart[] }> {
  const { stop } = req;
  const local = m.join.local!;
  // preserved rows past this slice's share go to a file as they come: the join then spills them
  sendRowsToFile(local.spec.output);
  const built = await runFragment(local.spec, req, local.program, all);
  if (built.kind !== 'rows') throw new SqlError('INTERNAL_ERROR', 'a semi join built over partial aggregates');
  m.join.build = built.columns;
  if (built.files?.length) buildFiles.set(m.join, built.files);
  const t0 = performance.now();
  buildOrSpill(m.join, req);
  const buildMs = performance.now() - t0;
  await runFragment(m.probe.spec, req, m.probe.program, all);
  const t1 = performance.now();
  const keep = m.join.joinType === 'SEMI' ? 1 : 0;
  const marking = all[m.probe.program]?.ms.at(-1) ?? 0;
  const grace = graceJoins.get(m.join);
  if (grace) {
    // over the budget: the preserved rows and the marking rows went to files by key hash, each
    // pair marks alone; the rows kept past this slice's share go to a file, read back a block at a time
    const parts: Vector[][] = [];
    let rows = 0, held = 0, file = null as SpillWriter | null;
    await grace.drainMarked(keep, async (b) => {
      rows += b.length;
      const bytes = arraysBytes(b.columns);
      if (file || held + bytes > sliceShare(req)) {
        file ??= req.host.spill.create('rows a semi join keeps');
        metered(stop, () => file!.write(b));
        return false;
      }
      stop.memory.reserve(bytes, 'rows a semi join keeps in a slice');
      held += bytes;
      parts.push(b.columns);
      return false;
    });
    file?.close();
    return { parts, rows, ms: buildMs + marking + performance.now() - t1, onDisk: file ? [fileBlocks(file.path, req)] : undefined };
  }
  const table = buildTableOf(m.join);
  const rows: number[] = [];
  for (let r = 0; r < built.rows; r++) if (table.matched[r] === keep) rows.push(r);
  const sel = Uint32Array.from(rows);
  const part = built.columns.map((c) => gather(c, sel, sel.length));
  stop.memory.reserve(part.reduce((s, v) => s + vectorBytes(v), 0), 'rows a semi join keeps in a slice');
  // the join's time: building its table, marking (the probe program's output) and picking the rows
  return { parts: sel.length ? [part] : [], rows: sel.length, ms: buildMs + marking + performance.now() - t1 };
}

/** Rows computed when the scan loop reaches them: a further UNION ALL input (one local part), a block of a file, a window partition read back from disk. */
type UnionPart = () => Promise<Vector[] | UnionParts>;

/** Rows of a source followed by further sources the scan loop reaches next (the blocks of a file, one by one). */
interface UnionParts { cols: Vector[]; more: UnionPart[] }

/** Every block of these sources in order, following each one's further sources. */
async function* blocksIn(sources: UnionPart[]): AsyncGenerator<Vector[]> {
  const queue = [...sources];
  while (queue.length) {
    const got = await queue.shift()!();
    if (Array.isArray(got)) { if (got.length) yield got; continue; }
    queue.unshift(...got.more);
    if (got.cols.length) yield got.cols;
  }
}

/**
 * A file of rows this slice wrote (its program's rows past its share), read a block at a time
 * as the pipeline reaches it, each block counted while it goes through and the file deleted at
 * its end; `shared`: a broadcast's file every slice reads, left for the leader to remove.
 */
function fileBlocks(path: string, req: RequestRun, shared = false): UnionPart {
  const { spill } = req.host;
  let reader: SpillReader | null = null;
  const read: UnionPart = async () => {
    reader ??= spill.read(path);
    const b = reader.next();
    // a file other slices read too is left for the leader to remove when the run ends
    if (!b) { if (shared) spill.letGo(reader); else spill.done(reader); return []; }
    req.stop.memory.reserve(arraysBytes(b.columns), 'rows of a slice read back');
    return { cols: b.columns, more: [read] };
  };
  return read;
}

/**
 * The rows a slice holds after an exchange with the window functions' results appended: as one
 * batch, or, when that and the windows' work would take over half of the slice's share of what
 * is left of the budget (or the rows it received wait on disk), by PARTITION BY key hash
 * through 16 files (a window partition's rows are all in one file; received rows on disk go
 * there a block at a time), each file's windows computed when the pipeline reaches it.
 */
async function windowsOver(x: ExchangeSource, got: { parts: Vector[][]; rows: number; onDisk?: UnionPart[] }, req: RequestRun): Promise<(Vector[] | UnionPart)[]> {
  const { stop } = req;
  if (x.spec.output.kind !== 'rows') throw new SqlError('INTERNAL_ERROR', 'windows over partial aggregates');
  const types = x.spec.output.exprs.map((e) => e.type);
  const calls = x.windows!;
  // the window code keeps a row's values and its order per call
  const work = (rows: number) => rows * 48 * calls.length;
  const onDisk = got.onDisk ?? [];
  const keys = sharedPartitionKeys(calls);
  if (!keys.length || got.rows <= 1024) {
    // computed whole: rows that waited on disk are read back (each block counted as it comes)
    for await (const cols of blocksIn(onDisk)) got.parts.push(cols);
    onDisk.length = 0;
  }
  const held = got.parts.reduce((sum, p) => sum + arraysBytes(p), 0);
  if (keys.length && got.rows > 1024 && (onDisk.length || work(got.rows) + held > sliceShare(req))) {
    const w = new PartitionWriter(req.host, keys, true, 0, 'window partition');
    for (const p of got.parts) metered(stop, () => w.add({ length: p[0]?.length ?? 0, columns: p }));
    got.parts.length = 0;
    stop.memory.release(held);
    for await (const cols of blocksIn(onDisk)) {
      metered(stop, () => w.add({ length: cols[0]?.length ?? 0, columns: cols }));
      stop.memory.release(arraysBytes(cols));
    }
    return w.close().map((file): UnionPart => async () => {
      // a partition too big to compute whole (one key's rows) goes through the external sort, as at the leader
      if (file.rows > 1024 && work(file.rows) + file.bytes > sliceShare(req)) return { cols: [], more: [await sortedWindowsOf(file, types, calls, req)] };
      const rows = readPartition(req.host, file, types);
      if (rows.length === 0) return [];
      const working = work(rows.length);
      stop.memory.reserve(working + arraysBytes(rows.columns), 'window partition in a slice');
      const out = metered(stop, () => runWindows(rows, calls, () => stop.tick()));
      stop.memory.release(working);
      return out.columns;
    });
  }
  const rows: Batch = { length: got.rows, columns: types.map((t, i) => concatVectors(t, got.parts.map((p) => p[i]))) };
  stop.memory.reserve(work(got.rows), 'window in a slice');
  const out = metered(stop, () => runWindows(rows, calls, () => stop.tick()));
  return got.rows ? [out.columns] : [];
}

/**
 * A window partition file too big to compute whole, through the external sort as the leader's
 * are (spill/sorted-windows.ts, with a context over this slice's budget and spill files): its
 * rows with the windows' values go to a file, read a block at a time as the pipeline reaches it.
 */
async function sortedWindowsOf(file: SpillWriter, types: SqlType[], calls: WindowCall[], req: RequestRun): Promise<UnionPart> {
  const { stop, host } = req;
  const ctx = new RowsContext({ memory: stop.memory, check: () => stop.check(), tick: () => stop.tick(), pause: () => host.pause() }, () => host.spill, () => sliceShare(req));
  try {
    const out = await sortedWindows(ctx, filePieces(file, types), types, calls);
    return fileBlocks(out.files[0], req);
  } finally {
    ctx.giveBackAll();
  }
}

/**
 * Final aggregation in the slices: partial states are redistributed by the hash of their group
 * key, so all of a group's states meet in one slice, which merges and finishes them. Returns
 * the finished groups (key columns, then aggregates) this slice owns.
 */
async function finishOwnGroups(r: Extract<FragmentResult, { kind: 'agg' }>, x: ExchangeSource, req: RequestRun, tag: string, slices: number): Promise<{ parts: Vector[][]; rows: number }> {
  /** what goes to each slice: partial states, or a file of them (when this slice's groups spilled) */
  const shares: Share[] = r.spilled ? await sharesOnDisk(r.spilled, x, req, slices) : [];
  if (!r.spilled) {
    const bySlice = rowsByDestination(statesByDestination(x, r.partial, slices), slices);
    bySlice.forEach((rows, d) => { shares[d] = partialRows(r.partial, rows); });
  }
  shares.forEach((share, d) => {
    if (d === sliceIndex) return;
    if ('file' in share) { peers.send(d, tag, share, []); return; }
    const w = partialToWire(share);
    peers.send(d, tag, { partial: w.partial }, w.transfer);
  });
  const got = await fromPeers(req, tag);
  const received: Share[] = [shares[sliceIndex], ...[...got.values()].map((m) => {
    const sent = m as { partial: WirePartial } | { file: string };
    return 'file' in sent ? sent : partialFromWire(sent.partial);
  })];
  got.clear();
  shares.length = 0;
  return finishGroups(x, received, req);
}

/** The slice each group's states go to: by the hash of every group key, or one key's DISTKEY placement. */
function statesByDestination(x: ExchangeSource, p: PartialAgg, slices: number): Uint16Array {
  return x.placement === 'table' ? placeRows(p.keys[x.keys[0]], p.groups, slices) : partitionRows(p.keys, p.groups, slices);
}

/** Partial states for a slice to finish: in memory, or a file of them another slice (or this one) wrote. */
type Share = PartialAgg | { file: string };

/** The shares of a partial aggregate result that already holds whole groups (its spilled files, or its states). */
const sharesOf = (r: Extract<FragmentResult, { kind: 'agg' }>): Share[] => (r.spilled ? r.spilled.map((file) => ({ file })) : [r.partial]);

/**
 * Merges partial states that hold all of their groups' rows and finishes them (key columns, then
 * aggregates). The groups count into the budget as they are merged; over it they go to disk by
 * key hash and are finished one partition at a time.
 */
async function finishGroups(x: ExchangeSource, received: Share[], req: RequestRun): Promise<{ parts: Vector[][]; rows: number }> {
  if (x.spec.output.kind !== 'agg') throw new SqlError('INTERNAL_ERROR', 'partial states without an aggregate');
  const spec = x.spec.output.spec;
  const table = new SpillingGroups(req.host, spec, 'final aggregate in a slice');
  for (let i = 0; i < received.length; i++) {
    const share = received[i];
    if ('file' in share) await mergeFile(req.host, share.file, table);
    else await table.merge(share);
    received[i] = null!; // merged: let it be collected
  }
  const keyTypes = spec.keys.map((k) => k.type);
  const parts: Vector[][] = [];
  let rows = 0;
  await table.finish((t) => {
    if (!t.groups) return;
    parts.push(t.finish(keyTypes));
    rows += t.groups;
  });
  return { parts, rows };
}

/**
 * A slice's spilled partial states split by destination slice, read a block at a time from its
 * partition files into one file per slice (each slice reads its own); returns those files.
 */
async function sharesOnDisk(paths: string[], x: ExchangeSource, req: RequestRun, slices: number): Promise<{ file: string }[]> {
  const { spill } = req.host;
  const out = Array.from({ length: slices }, () => spill.create('aggregate states for a slice'));
  for (const path of paths) {
    const r = spill.read(path);
    for (let p = readPartial(r); p; p = readPartial(r)) {
      req.stop.check();
      const bySlice = rowsByDestination(statesByDestination(x, p, slices), slices);
      bySlice.forEach((rows, d) => { if (rows.length) writePartial(out[d], partialRows(p!, rows)); });
    }
    spill.done(r);
  }
  for (const w of out) w.close();
  req.host.keep();
  return out.map((w) => ({ file: w.path }));
}

/** Partial states of no groups (a slice whose groups were all handed on in files). */
function emptyPartial(spec: AggSpec): PartialAgg {
  return new GroupTable(spec).toPartial();
}

/** The first `limit` rows of the parts in the top-N order. */
function keepTop(types: SqlType[], parts: Vector[][], topN: TopN): Batch {
  const all = { length: parts.reduce((n, p) => n + (p[0]?.length ?? 0), 0), columns: types.map((t, i) => concatVectors(t, parts.map((p) => p[i]))) };
  const sorted = sortBatch(all, topN.keys);
  const n = Math.min(topN.limit, sorted.length);
  return { length: n, columns: sorted.columns.map((c) => gather(c, null, n)) };
}

/** The first sort key's value in the last kept row, when that key is a numeric output column. */
function numericCutoff(kept: Batch, topN: TopN): number | null {
  const key = topN.keys[0];
  if (kept.length < topN.limit || key.expr.k !== 'col') return null;
  const v = kept.columns[key.expr.index];
  if (!v || !TYPES[v.type.id].numeric && !isTemporal(v.type)) return null;
  const last = topN.limit - 1;
  if (v.valid && v.valid[last] === 0) return null;
  return v.values[last];
}

/** Bytes of columns' value and validity arrays (dictionaries are counted once per request, not here). */
function arraysBytes(columns: Vector[]): number {
  let bytes = 0;
  for (const v of columns) bytes += v.values.byteLength + (v.valid?.byteLength ?? 0);
  return bytes;
}

/** `f` (synchronous work over a batch) with the statement's cancel check between its regular expression calls. */
function metered<T>(stop: SliceStop, f: () => T): T {
  return withRegexCheck(() => stop.check(), f);
}

function compact(batch: Batch, sel: Uint32Array | null, count: number): Batch {
  if (sel === null) return batch;
  return { length: count, columns: packedMap(batch.columns, (c) => gather(c, sel, count)) };
}

function projectOrGather(batch: Batch, exprs: FragmentSpec['output'] extends infer O ? O extends { exprs: infer E } ? E : never : never, sel: Uint32Array | null, count: number): Vector[] {
  if (exprs.every((e) => e.k === 'col')) return packedMap(exprs, (e) => gather(batch.columns[(e as { index: number }).index], sel, count));
  return projectBatch(batch, exprs, sel, count);
}

/**
 * A batch's own columns as the output rows, when every output expression is a plain column of
 * it (else null): the batch's arrays were made for it and nothing reads them after, so they are
 * kept as they are (a column named twice is copied the second time: each output array has one
 * owner, as a transfer to another thread needs), counted into the budget as a copy would be.
 */
function keptColumns(batch: Batch, exprs: Parameters<typeof projectOrGather>[1], stop: SliceStop): OutputPart | null {
  if (!exprs.every((e) => e.k === 'col')) return null;
  const seen = new Set<number>();
  const out = packedMap(exprs, (e) => {
    const { index } = e as { index: number };
    const v = batch.columns[index];
    if (seen.has(index)) return gather(v, null, v.length);
    seen.add(index);
    return v;
  });
  return { columns: out, bytes: reserveOutput(out, stop) };
}

/**
 * Output columns and the bytes reserved for them, all given back once the rows go on (to a
 * client's file, a sorted run): their dictionaries too, since rows read back from a spill file
 * (a spilled join's) bring a new dictionary with every block.
 */
interface OutputPart { columns: Vector[]; bytes: number }

/** Reserves output columns' bytes, a dictionary the first time the request sees it; returns them. */
function reserveOutput(columns: Vector[], stop: SliceStop): number {
  let bytes = 0;
  for (const v of columns) bytes += vectorBytes(v, stop.dictionaries);
  stop.memory.reserve(bytes, 'rows of a slice');
  return bytes;
}

/** Bytes of output rows a slice computes between two reservations. */
const PROJECT_PIECE_BYTES = 8 * 1024 * 1024;

/**
 * projectOrGather that counts its output into the statement's memory budget as it grows:
 * computed columns (strings from repeat(), concatenation, ...) are made a piece of rows at a
 * time, sized from the bytes a row took so far, so a statement whose rows are huge stops at its
 * limit instead of taking the slice's heap (and every other statement running in it) down.
 */
function projectAccounted(batch: Batch, exprs: Parameters<typeof projectOrGather>[1], sel: Uint32Array | null, count: number, stop: SliceStop): OutputPart {
  if (exprs.every((e) => e.k === 'col') || count <= 256) {
    const out = metered(stop, () => projectOrGather(batch, exprs, sel, count));
    return { columns: out, bytes: reserveOutput(out, stop) };
  }
  const pieces: Vector[][] = [];
  let piece = 256, reserved = 0;
  for (let start = 0, n = 0; start < count; start += n) {
    n = Math.min(piece, count - start);
    let rows: Uint32Array;
    if (sel) rows = sel.subarray(start, start + n);
    else { rows = new Uint32Array(n); for (let i = 0; i < n; i++) rows[i] = start + i; }
    const cols = metered(stop, () => projectBatch(batch, exprs, rows, n));
    const bytes = reserveOutput(cols, stop);
    reserved += bytes;
    stop.check();
    pieces.push(cols);
    piece = Math.max(16, Math.floor(PROJECT_PIECE_BYTES / Math.max(1, bytes / n)));
  }
  return { columns: pieces.length === 1 ? pieces[0] : packedMap(exprs, (e, i) => concatVectors(e.type, packedMap(pieces, (p) => p[i]))), bytes: reserved };
}

/** Rows of each segment that match a predicate, with optional new values (UPDATE). */
async function matchRows(types: SqlType[], filter: BExpr | null, exprs: BExpr[] | null, segments: SegmentRef[], join: JoinStep | null, stop: SliceStop) {
  const all = types.map((_, i) => i);
  const out: { file: string; rows: Uint32Array }[] = [];
  const parts: Vector[][] = [];
  let count = 0;
  for (const seg of segments) {
    stop.check();
    const cols = await cache.columns(seg.file, types, all);
    const live = await liveRows(seg);
    const batch: Batch = { length: seg.rows, columns: cols };
    let sel: Uint32Array | null = null;
    if (live) {
      const keep: number[] = [];
      for (let i = 0; i < seg.rows; i++) if (live[i]) keep.push(i);
      sel = Uint32Array.from(keep);
    }
    let rows: Uint32Array;
    if (filter) { const r = metered(stop, () => filterBatch(batch, filter, sel)); rows = r.sel.slice(0, r.count); }
    else rows = sel ?? Uint32Array.from({ length: seg.rows }, (_, i) => i);
    if (!rows.length) continue;
    if (join) {
      // UPDATE ... FROM / DELETE ... USING: join the matched rows (with their positions) to the other tables
      const withPos: Batch = { length: rows.length, columns: [...cols.map((c) => gather(c, rows, rows.length)), { type: { id: 'INTEGER' }, length: rows.length, values: Int32Array.from(rows), valid: null }] };
      const joined = hashJoinBatch(withPos, join, stop);
      const pos = joined.columns[cols.length].values;
      const seen = new Set<number>();
      const first: number[] = [];
      for (let i = 0; i < joined.length; i++) if (!seen.has(pos[i])) { seen.add(pos[i]); first.push(i); }
      if (!first.length) continue;
      const sel = Uint32Array.from(first);
      rows = Uint32Array.from(first, (i) => pos[i]);
      out.push({ file: seg.file, rows });
      if (exprs) parts.push(metered(stop, () => projectBatch(joined, exprs, sel, sel.length)));
      count += rows.length;
      continue;
    }
    out.push({ file: seg.file, rows });
    if (exprs) { const r = rows; parts.push(metered(stop, () => projectBatch(batch, exprs, r, r.length))); }
    count += rows.length;
  }
  const columns = exprs ? exprs.map((e, i) => concatVectors(e.type, parts.map((p) => p[i]))) : undefined;
  return { segments: out, columns, count };
}

/** ANALYZE in one slice: every column's figures over the live rows of its segments. */
async function analyzeSegments(types: SqlType[], segments: SegmentRef[], stop: SliceStop): Promise<ColumnFigures[]> {
  const all = types.map((_, i) => i);
  let figures = types.map(emptyFigures);
  for (const seg of segments) {
    stop.check();
    const cols = await cache.columns(seg.file, types, all);
    const live = await liveRows(seg);
    figures = figures.map((f, i) => addVector(f, cols[i], live));
  }
  return figures;
}

/** Decodes the broadcast build sides a request brought (once per request; the hash table is built on first use). */
function receiveBuilds(f: FragmentSpec): void {
  for (let x = f.source; x; x = x.union) receiveBuilds(x.spec);
  if (f.marked) { receiveBuilds(f.marked.join.local!.spec); receiveBuilds(f.marked.probe.spec); }
  for (const step of f.steps) {
    if (step.k !== 'join') continue;
    if (step.join.sent) { step.join.build = fromWire(step.join.sent); delete step.join.sent; }
    if (step.join.local) receiveBuilds(step.join.local.spec);
  }
}

/** A result as sent: its columns or partial states in wire form, buffers moved. */
function send(result: FragmentResult): { result: SentResult; transfer: ArrayBuffer[] } {
  if (result.kind === 'agg') {
    const { partial, transfer } = partialToWire(result.partial);
    return { result: { ...result, partial }, transfer };
  }
  const { columns, transfer } = toWire(result.columns, 'move');
  return { result: { ...result, columns }, transfer };
}

type Request =
  /** segments[p]: this slice's segments for program p (0 the main one, then nested build sides) */
  | { op: 'scan'; fragment: FragmentSpec; segments: SegmentRef[][]; cancel?: CancelToken; exchange?: { id: number; slices: number }; spill?: string; slices?: number; limitRows?: SharedArrayBuffer }
  | { op: 'write'; file: string; columns: WireColumn[]; encodings?: (string | undefined)[] }
  | { op: 'copy'; request: CsvRangeRequest }
  | { op: 'match'; types: SqlType[]; filter: BExpr | null; exprs: BExpr[] | null; segments: SegmentRef[]; join?: JoinStep; cancel?: CancelToken }
  | { op: 'analyze'; types: SqlType[]; segments: SegmentRef[]; cancel?: CancelToken }
  | { op: 'drop'; files: string[] }
  /** answers once the warm-up is done: how many of its requests ran */
  | { op: 'warmed' }
  | EvalRequest;

async function handle(msg: Request): Promise<{ result: unknown; transfer: ArrayBuffer[] }> {
  switch (msg.op) {
    case 'scan': {
      receiveBuilds(msg.fragment);
      const stop = new SliceStop(msg.cancel);
      const host = requestHost(stop, msg.spill);
      // what the fragment held is given back when it ends (the leader counts the rows it
      // receives); its spill files are removed, unless it hands them on to the leader
      const began = epochMs(), before = threadTimes(), gc = new GcWatch(), codeBefore = generatedCode.counts();
      const arrays = arrayPool.lease();
      const req: RequestRun = { segments: msg.segments.map((g) => g.map(segmentShape)), stop, exchange: msg.exchange, host, slices: msg.slices ?? 1, peersMs: 0, arrays, limitRows: msg.limitRows ? new BigInt64Array(msg.limitRows) : undefined };
      // a failed request's tables may still be written by work of it under way: their arrays are dropped, not pooled
      const result = await runFragment(msg.fragment, req).then((r) => { stop.check(); arrays.end(true); return r; }).finally(() => stop.memory.releaseAll()).catch((e) => { gc.stop(); arrays.end(false); host.end(false); throw e; });
      host.end(true);
      // counted as they happened: the result goes at once, not after a turn of the event loop (GcWatch)
      const collections = gc.stop();
      const sent = send(result);
      const after = threadTimes();
      sent.result.timing = { began, ended: epochMs(), cpuMs: before && after ? after.cpu - before.cpu : null, runqMs: before && after ? after.runq - before.runq : null, peersMs: req.peersMs, gc: collections, code: codeSince(codeBefore, generatedCode.counts()) };
      return sent;
    }
    case 'write': {
      const columns = fromWire(msg.columns);
      const meta = await writeSegment(join(dataDir, 'segments', msg.file), columns, { encodings: msg.encodings });
      const written: WrittenSegment = { ...meta, sketches: sketchColumns(columns) };
      return { result: written, transfer: [] };
    }
    case 'copy': {
      const result = await parseCsvRange(msg.request, dataDir, sliceIndex);
      if (!result.columns) return { result, transfer: [] };
      const { columns, transfer } = toWire(result.columns, 'move');
      return { result: { ...result, columns }, transfer };
    }
    case 'match': {
      if (msg.join?.sent) { msg.join.build = fromWire(msg.join.sent); delete msg.join.sent; }
      const stop = new SliceStop(msg.cancel);
      const result = await matchRows(msg.types, msg.filter, msg.exprs, msg.segments, msg.join ?? null, stop).finally(() => stop.memory.releaseAll());
      if (!result.columns) return { result, transfer: [] };
      const { columns, transfer } = toWire(result.columns, 'move');
      return { result: { ...result, columns }, transfer };
    }
    case 'analyze': {
      const result = await analyzeSegments(msg.types, msg.segments, new SliceStop(msg.cancel));
      return { result, transfer: [] };
    }
    case 'eval': {
      // costly expressions the leader hands off (costly-exprs.ts)
      const stop = new SliceStop(msg.cancel);
      stop.check();
      const computed = metered(stop, () => projectBatch({ length: msg.length, columns: fromWire(msg.columns) }, msg.exprs, null, msg.length));
      stop.check();
      const { columns, transfer } = toWire(computed, 'move');
      return { result: columns, transfer };
    }
    case 'warmed':
      return { result: await warming, transfer: [] };
    case 'drop':
      cache.drop(msg.files);
      for (const f of msg.files) deletions.delete(f);
      return { result: null, transfer: [] };
  }
}

/**
 * Runs the warm-up's requests (slice-warmup.ts) as the worker starts, through the request
 * handler, each as a statement of its own; their segments are served from memory. A request
 * that comes meanwhile goes first at the next warm-up request (each takes ~5-100 ms). The
 * warm-up's columns leave the cache at the end, and what its requests built is given back as a
 * request's is, so it holds nothing afterwards.
 */
async function warmUp(): Promise<number> {
  const { requests, files } = await warmup();
  let ran = 0;
  for (const [file, bytes] of files) warmupFiles.set(file, bytes);
  try {
    for (let round = 0; round < WARMUP_ROUNDS; round++) {
      for (const r of requests) {
        await new Promise<void>((next) => setImmediate(next));
        // a copy as a request arrives: handling a fragment fills in its build sides
        await handle({ op: 'scan', fragment: structuredClone(r.fragment), segments: r.segments, cancel: new QueryGuard().token });
        ran++;
      }
    }
  } finally {
    cache.drop([...files.keys()]);
    warmupFiles.clear();
  }
  return ran;
}

parentPort!.on('message', async (m: { id: number; msg: Request } | { peer: number; port: MessagePort } | { abort: number }) => {
  if ('peer' in m) { peers.connect(m.peer, m.port); return; }
  if ('abort' in m) { peers.abort(m.abort); return; }
  try {
    const { result, transfer } = await handle(m.msg);
    parentPort!.postMessage({ id: m.id, ok: true, result }, transfer);
  } catch (e) {
    const err = asSqlError(e);
    const reason = (e as { reason?: string }).reason; // why a statement was canceled (user, timeout, shutdown)
    parentPort!.postMessage({ id: m.id, ok: false, error: { name: 'SqlError', code: err.code, message: err.message, position: err.position, reason } });
  }
});

/** the warm-up under way (it never fails a request: a failure is logged): its requests run, once done */
const warming = warm ? warmUp().catch((e) => { console.error(`slice ${sliceIndex}: warm-up failed: ${(e as Error).stack ?? e}`); return 0; }) : Promise.resolve(0);
