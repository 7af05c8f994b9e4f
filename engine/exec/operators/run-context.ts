// Per-run state of a physical plan: the slice pool, the statement's guard (cancel, deadline,
// memory budget), model evaluation at the leader, scan counters, and each operator's actual rows
// and time (for EXPLAIN ANALYZE). Operators keep nothing of a run; they read and write here.
//
// Memory the leader holds is counted while it is held, not summed for the whole statement: every
// operator's run has a set of holdings (its inputs' outputs, the batches and tables it builds,
// see `hold` and `reserve`). When it returns, its output moves to its consumer's holdings and
// the rest is given back to the budget, so the statement's total is the live sum.
import type { Batch, Vector } from '../../types/vector.ts';
import type { SharedSlot } from '../../plan/logical.ts';
import { concatVectorsYielding } from '../../types/vector.ts';
import type { SqlType } from '../../types/types.ts';
import type { SlicePool } from '../slice-pool.ts';
import type { ModelRunner } from '../model-runner.ts';
import type { ModelStep } from '../fragment.ts';
import { liftModels } from '../fragments.ts';
import { filterBatch } from '../kernels.ts';
import { hasModelCall, isCostly, type BExpr } from '../../plan/bound.ts';
import { SqlError } from '../../errors.ts';
import { AsyncLocalStorage } from 'node:async_hooks';
import { rmSync } from 'node:fs';
import { QueryGuard } from '../query-guard.ts';
import { batchBytes, vectorBytes, type MemoryBudget } from '../memory-budget.ts';
import { CHUNK, concatBatches, projectColumns, selectRows } from '../batches.ts';
import { StatementSpill, newSpillName, spillRoot } from '../spill/spill-area.ts';
import { projectInSlices } from '../costly-exprs.ts';
import type { LeaderOperator, PhysicalOperator } from './operator.ts';
import type { KeptResult } from './shared.ts';
import type { RuntimeFilterCounters } from '../runtime-filter.ts';
import { epochMs, type SliceRequestTiming } from '../slice-timing.ts';

/** The rows where a computed boolean is true. */
function selected(v: Vector): { sel: Uint32Array; count: number } {
  const sel = new Uint32Array(v.length);
  let count = 0;
  for (let i = 0; i < v.length; i++) if (v.values[i] === 1 && (!v.valid || v.valid[i])) sel[count++] = i;
  return { sel, count };
}

/** Counters for EXPLAIN ANALYZE and the usage log. */
export interface ExecStats {
  rowsScanned: number;
  segmentsScanned: number;
  segmentsPruned: number;
  tables: Map<string, number>;
}

export interface ExecOptions {
  /** evaluates model calls that run at the leader (over VALUES, after a leader-side join, ...) */
  models?: ModelRunner;
  signal?: AbortSignal;
  /** the statement's stop flag, deadline and memory budget (default: one from `signal`) */
  guard?: QueryGuard;
  /** rounds a WITH RECURSIVE query may run (SET max_recursion_depth) */
  maxRecursion?: number;
}

/**
 * What one operator did in this run: rows out and milliseconds of its own work (exclusive: not
 * its inputs', not its consumer's; at the leader, the time its sections ran, see `timed`).
 */
export interface OperatorMetrics {
  rows: number;
  ms: number;
  /** per slice, for operators that run in the slices */
  slices?: { rows: number; ms: number }[];
  /** runs of the operator (a recursive query's step runs once per round) */
  runs: number;
  /** a scan's join filters: what they removed, per slice (summed over runs) */
  runtimeFilters?: RuntimeFilterCounters[][];
}

/** What one operator's run holds: batches and tables, with the bytes reserved for each. */
type Holdings = Map<object, number>;

/**
 * The operator running now in each async context, with the run it belongs to. One storage for
 * the process: Node keeps every AsyncLocalStorage that ever ran in a list that each new promise
 * of the process walks, so one per run made every promise slower with every statement.
 */
const runningOperator = new AsyncLocalStorage<{ run: RunContext; holdings: Holdings; clock: Clock }>();

/**
 * Whose time passes now in one async context (EXPLAIN ANALYZE's exclusive times): the operator
 * charged (null: none), since when, and how many sections nested in it run (it is stopped meanwhile).
 */
interface Clock { op: PhysicalOperator | null; since: number; nested: number }

/** What a context's long loops need of the statement: its memory budget, cancel checks and turns. */
export interface RowsGuard {
  readonly memory: MemoryBudget;
  check(): void;
  tick(): void;
  pause(): Promise<void>;
}

/**
 * What operators over rows in pieces (sorts, sorted windows) need of a run: the memory they hold
 * counted while held (`hold`, `reserve`, `release`, `handOn`, `concatHeld`), spill files, and
 * cancel checks. A RunContext is one for the leader's plan; a slice makes one of its own for a
 * window partition it sorts (slice-worker.ts), which gives back what it holds when done.
 */
export class RowsContext {
  readonly tick: () => void;
  /** for long loops: lets the event loop run once the statement has held it a few milliseconds (the leader's) */
  readonly pause: () => Promise<void>;
  /** which holdings hold each batch; shared results are held by the run itself */
  protected readonly holder = new WeakMap<object, Holdings>();
  protected readonly runHoldings: Holdings = new Map();
  protected readonly base: Holdings = new Map();
  /** the spill files, made on first use */
  protected spillFiles: StatementSpill | null = null;

  constructor(
    readonly guard: RowsGuard, private readonly newSpill: () => StatementSpill,
    /** bytes its operators may still take: what is left of the budget (a slice: its share of it) */
    readonly available: () => number = () => guard.memory.availableBytes,
  ) {
    this.tick = () => guard.tick();
    this.pause = () => guard.pause();
  }

  /** What the operator running now holds (at the leader, per async context: RunContext). */
  protected get holdings(): Holdings {
    return this.base;
  }

  /** Files in the data directory's temp area, for operators over their memory budget. */
  get spill(): StatementSpill {
    return (this.spillFiles ??= this.newSpill());
  }

  check(): void {
    this.guard.check();
  }

  /** Gives back everything held outside any operator (a slice's context once its window partition is computed). */
  giveBackAll(): void {
    this.releaseAll(this.base);
  }

  /**
   * Reserves `bytes` of working memory (a hash table, sort keys) for the operator running now;
   * given back when it returns, or earlier with `release` on the token.
   */
  reserve(bytes: number, what: string): object {
    const token = {};
    this.holdIn(this.holdings, token, bytes, what);
    return token;
  }

  /** Whether some running operator (or the run) still holds a batch. */
  isHeld(b: Batch): boolean {
    return this.holder.has(b);
  }

  /** Gives back what a `hold` or `reserve` of the running operator took, before it returns. */
  release(token: object): void {
    const by = this.holder.get(token);
    if (!by || by === this.runHoldings) return;
    const bytes = by.get(token)!;
    by.delete(token);
    this.holder.delete(token);
    this.guard.memory.release(bytes);
  }

  /**
   * The batches' rows as one batch, for the running operator that holds them (`hold`), built a
   * column at a time: once a column is copied, the parts' own column is dropped and its bytes
   * given back, so the copy and the parts together take about one column more than the rows,
   * not twice them (the budget counts the rows once). The parts are used up (their columns are
   * gone), but for a shared result kept for the run; the result is held.
   */
  async concatHeld(types: SqlType[], parts: Batch[], what: string): Promise<Batch> {
    const rows = parts.filter((p) => p.length > 0);
    if (rows.length <= 1) {
      const out = this.hold(concatBatches(types, rows), what);
      for (const p of parts) if (p !== out) this.release(p);
      return out;
    }
    const columns: Vector[] = [];
    const built: object[] = [];
    for (let i = 0; i < types.length; i++) {
      const col = await concatVectorsYielding(types[i], rows.map((p) => p.columns[i]), this.pause);
      // the parts' column first: the copy is counted in its place (one column over, briefly)
      for (const p of rows) {
        // a shared result kept for the run is read again later: it stays whole
        if (this.holder.get(p) === this.runHoldings) continue;
        // its arrays (its dictionary, maybe not counted in it, goes with the part)
        const v = p.columns[i];
        this.giveBackPart(p, v.values.byteLength + (v.valid?.byteLength ?? 0));
        p.columns[i] = null!;
      }
      built.push(this.reserve(vectorBytes(col), what));
      columns.push(col);
    }
    for (const p of parts) this.release(p);
    for (const t of built) this.release(t);
    return this.hold({ length: rows.reduce((s, p) => s + p.length, 0), columns }, what);
  }

  /** Gives back part of what a held batch took (whole kilobytes: the rest goes with the batch). */
  private giveBackPart(key: object, bytes: number): void {
    const by = this.holder.get(key);
    if (!by || by === this.runHoldings) return;
    const held = by.get(key)!;
    const part = Math.min(held, Math.floor(bytes / 1024) * 1024);
    by.set(key, held - part);
    this.guard.memory.release(part);
  }

  protected holdIn(h: Holdings, key: object, bytes: number, what: string): void {
    this.guard.memory.reserve(bytes, what);
    h.set(key, bytes);
    this.holder.set(key, h);
  }

  protected releaseAll(h: Holdings): void {
    let bytes = 0;
    for (const [k, b] of h) { bytes += b; this.holder.delete(k); }
    h.clear();
    this.guard.memory.release(bytes);
  }

  /** Counts a batch the running operator holds against the statement's memory limit (until it returns). */
  hold<B extends Batch>(b: B, what: string, counted?: WeakSet<readonly string[]>): B {
    if (this.holder.has(b)) return b;
    // with `counted`, dictionaries in it are not counted again (pieces of one output sharing an input's)
    let bytes = 0;
    for (const c of b.columns) bytes += vectorBytes(c, counted);
    this.holdIn(this.holdings, b, bytes, what);
    return b;
  }

  /**
   * Holds `out`, made from the held batch `input` (a projection or a filter of it), in its place:
   * columns it passes on are counted once, as `run` counts an operator's output.
   */
  handOn(input: Batch, out: Batch, what: string): Batch {
    if (out === input) return out;
    const shared = bytesSharedWith(out, new Map([[input, 0]]));
    this.holdIn(this.holdings, out, batchBytes(out) - shared, what);
    this.release(input);
    if (shared > 0) { this.guard.memory.reserve(shared, what); this.holdings.set(out, this.holdings.get(out)! + shared); }
    return out;
  }
}

export class RunContext extends RowsContext {
  readonly stats: ExecStats = { rowsScanned: 0, segmentsScanned: 0, segmentsPruned: 0, tables: new Map() };
  readonly metrics = new Map<PhysicalOperator, OperatorMetrics>();
  /** when the run began (epoch ms) and when each slice request ran (EXPLAIN ANALYZE's timeline) */
  readonly began = epochMs();
  readonly sliceRequests: SliceRequestTiming[] = [];
  /** results of shared plans (a decorrelated subquery's outer rows), computed once per run: rows, or their spill files */
  readonly shared = new Map<SharedSlot, KeptResult>();
  declare readonly guard: QueryGuard;
  /**
   * The holdings of the operator running now, per async context: phases of a statement run
   * concurrently (concurrent-phases.ts), each below its own operator. Outside any operator
   * (before the root starts) the run's own.
   */
  protected override get holdings(): Holdings {
    const now = runningOperator.getStore();
    return now !== undefined && now.run === this ? now.holdings : this.base;
  }
  /** whose time passes outside any section (none's) */
  private readonly baseClock: Clock = { op: null, since: 0, nested: 0 };
  private get clock(): Clock {
    const now = runningOperator.getStore();
    return now !== undefined && now.run === this ? now.clock : this.baseClock;
  }
  /** root-level runs in flight (concurrent subqueries): the spill area goes when the last ends */
  private roots = 0;

  /** The name of the run's spill directories; the slices' are named after it. */
  readonly spillName: string;

  constructor(readonly pool: SlicePool, readonly opts: ExecOptions) {
    const guard = opts.guard ?? new QueryGuard({ signal: opts.signal });
    const name = newSpillName();
    // the run's files in the data directory's temp area, removed when the plan's root returns or fails
    super(guard, () => new StatementSpill(spillRoot(pool.dataDir), guard.memory, name));
    this.spillName = name;
  }

  get slices(): number {
    return this.pool.size;
  }

  /** Runs a leader operator, recording its rows and time. */
  async run(op: LeaderOperator): Promise<Batch> {
    this.check();
    const parent = this.holdings;
    const mine: Holdings = new Map();
    const root = parent === this.base;
    if (root) this.roots++;
    let out: Batch;
    try {
      out = await this.timed(op, () => op.run(this), mine);
    } catch (e) {
      this.releaseAll(mine);
      throw e;
    } finally {
      // the last root is done (or failed, or was canceled): what it spilled is read back or useless
      // (the slices' directories too, when they spilled: partial states they handed on live there)
      if (root) this.endRoot();
    }
    // the output goes to the consumer (counted before the inputs are given back: both exist now;
    // columns it shares with an input are counted once, and move to it as the input goes)
    const by = this.holder.get(out);
    if (by === mine) { parent.set(out, mine.get(out)!); mine.delete(out); this.holder.set(out, parent); }
    const shared = by === undefined ? bytesSharedWith(out, mine) : 0;
    if (by === undefined) this.holdIn(parent, out, batchBytes(out) - shared, 'the result of ' + op.explain().split(' ')[0]);
    this.releaseAll(mine);
    if (shared > 0) { this.guard.memory.reserve(shared, 'the result of ' + op.explain().split(' ')[0]); parent.set(out, parent.get(out)! + shared); }
    this.record(op, out.length);
    return out;
  }

  /** The operator whose time passes now (forEachPiece hands pieces back to it). */
  get timedOp(): PhysicalOperator | null {
    return this.clock.op;
  }

  /**
   * Runs `f` as a section of `op`'s own time (null: no operator's), with `holdings` as what the
   * running operator holds: the section it runs in stops counting meanwhile, and sections `f`
   * opens (its inputs' runs, the consumer a piece is handed to) count apart, so each operator's
   * time leaves out its inputs' and its consumer's work however they interleave.
   */
  async timed<T>(op: PhysicalOperator | null, f: () => Promise<T>, holdings = this.holdings): Promise<T> {
    const outer = this.clock;
    const start = performance.now();
    this.charge(outer, start);
    outer.nested++;
    const clock: Clock = { op, since: start, nested: 0 };
    try {
      return await runningOperator.run({ run: this, holdings, clock }, f);
    } finally {
      const end = performance.now();
      this.charge(clock, end);
      if (--outer.nested === 0) outer.since = end;
    }
  }

  /** Adds the time since the clock last counted to its operator (none while a nested section runs). */
  private charge(clock: Clock, now: number): void {
    if (clock.nested === 0 && clock.op) this.timeOf(clock.op).ms += now - clock.since;
    clock.since = now;
  }

  private timeOf(op: PhysicalOperator): OperatorMetrics {
    let m = this.metrics.get(op);
    if (!m) this.metrics.set(op, (m = { rows: 0, ms: 0, runs: 0 }));
    return m;
  }

  /**
   * Runs a statement's phases (its uncorrelated subqueries, then its plan) as one root: the spill
   * area stays until the last ends (a shared result's file is read again by a later phase).
   */
  async whole<T>(f: () => Promise<T>): Promise<T> {
    this.roots++;
    try {
      return await f();
    } finally {
      this.endRoot();
    }
  }

  private endRoot(): void {
    if (--this.roots > 0) return;
    if (this.guard.memory.spilled.files > 0) this.spill.sweep(); else this.spillFiles?.dispose();
  }

  /** Keeps a batch held until the run ends (a shared result read again later). */
  keepForRun(b: Batch): void {
    const by = this.holder.get(b);
    if (by === this.runHoldings) return;
    const bytes = by?.get(b) ?? batchBytes(b);
    if (by) by.delete(b);
    else this.guard.memory.reserve(bytes, 'a shared result');
    this.runHoldings.set(b, bytes);
    this.holder.set(b, this.runHoldings);
  }

  /** Drops a shared result kept for the run (a recursive query's round recomputes its shared results). */
  forgetShared(slot: SharedSlot): void {
    const kept = this.shared.get(slot);
    this.shared.delete(slot);
    if (!kept) return;
    if ('files' in kept) { for (const f of kept.files) rmSync(f, { force: true }); return; }
    const bytes = this.runHoldings.get(kept);
    if (bytes === undefined) return;
    this.runHoldings.delete(kept);
    this.holder.delete(kept);
    this.guard.memory.release(bytes);
  }

  /** Runs `f`, an operator's rows for a consumer that reads them in pieces, as its time, and records their count (batch and files). */
  async recordPieces<T extends { batch: Batch; fileRows: number }>(op: PhysicalOperator, f: () => Promise<T>): Promise<T> {
    const out = await this.timed(op, f);
    this.record(op, out.batch.length + out.fileRows);
    return out;
  }

  /**
   * Counts one run of `op` and its rows; a slice operator's time comes with it (the sum of its
   * slices' and each slice's), a leader operator's from its sections (`timed`).
   */
  record(op: PhysicalOperator, rows: number, slices?: { rows: number; ms: number }[]): void {
    const m = this.timeOf(op);
    m.rows += rows;
    m.runs++;
    if (!slices) return;
    for (const s of slices) m.ms += s.ms;
    if (!m.slices) m.slices = slices.map((s) => ({ ...s }));
    else slices.forEach((s, i) => { m.slices![i].rows += s.rows; m.slices![i].ms += s.ms; });
  }

  /** Adds what a scan's join filters removed in each slice (the scan's rows and time are recorded apart). */
  recordRuntimeFilters(op: PhysicalOperator, slices: RuntimeFilterCounters[][]): void {
    const m = this.metrics.get(op);
    if (!m) return;
    if (!m.runtimeFilters) { m.runtimeFilters = slices; return; }
    slices.forEach((s, i) => { (m.runtimeFilters![i] ??= []).push(...s); });
  }

  /** filterBatch over a large batch in chunks, checking for cancel between them. */
  filter(batch: Batch, pred: BExpr): { sel: Uint32Array; count: number } {
    if (batch.length <= CHUNK) return filterBatch(batch, pred);
    const out = new Uint32Array(batch.length);
    let count = 0;
    for (let start = 0; start < batch.length; start += CHUNK) {
      this.check();
      const n = Math.min(CHUNK, batch.length - start);
      const range = new Uint32Array(n);
      for (let i = 0; i < n; i++) range[i] = start + i;
      const r = filterBatch(batch, pred, range);
      out.set(r.sel.subarray(0, r.count), count);
      count += r.count;
    }
    return { sel: out, count };
  }

  /** The rows of `batch` passing `pred` (which may call models). */
  async keep(batch: Batch, pred: BExpr): Promise<Batch> {
    const m = await this.withModels(batch, [pred]);
    const { sel, count } = isCostly(m.exprs) ? selected((await this.project(m.batch, m.exprs))[0]) : this.filter(m.batch, m.exprs[0]);
    return selectRows(batch, sel, count);
  }

  /**
   * Expressions over a batch at the leader (model calls already lifted); costly ones (regular
   * expressions, huge text) are computed in the slices.
   */
  async project(batch: Batch, exprs: BExpr[]): Promise<Vector[]> {
    if (!isCostly(exprs)) return projectColumns(batch, exprs);
    const out = await projectInSlices(this.pool, batch, exprs, this.guard.token);
    this.guard.resumed();
    this.check();
    return out;
  }

  /**
   * Model calls at the leader: each becomes a column appended to the batch (computed with the
   * leader's ModelRunner), and the expressions refer to it. Without model calls, a no-op.
   */
  async withModels(input: Batch, exprs: BExpr[]): Promise<{ batch: Batch; exprs: BExpr[] }> {
    if (!exprs.some(hasModelCall)) return { batch: input, exprs };
    const runner = this.opts.models;
    if (!runner) throw new SqlError('FEATURE_NOT_SUPPORTED', 'model functions cannot be evaluated here');
    const steps: ModelStep[] = [];
    const lifted = exprs.map((e) => liftModels(e, steps, input.columns.length));
    const columns = [...input.columns];
    for (const s of steps) {
      this.check();
      columns.push(await runner.evaluate(s, { length: input.length, columns }, this.guard));
    }
    return { batch: { length: input.length, columns }, exprs: lifted };
  }
}

/**
 * Bytes of `out` in arrays and dictionaries that batches held in `h` have too (an operator's
 * output passing its input's columns on: a projection, a LIMIT, a window's input columns).
 */
function bytesSharedWith(out: Batch, h: Holdings): number {
  const buffers = new Set<ArrayBufferLike>();
  const dicts = new Set<readonly string[]>();
  for (const k of h.keys()) {
    const columns = (k as Partial<Batch>).columns;
    if (!Array.isArray(columns)) continue;
    for (const v of columns) {
      if (!v) continue;
      buffers.add(v.values.buffer);
      if (v.valid) buffers.add(v.valid.buffer);
      if (v.dict) dicts.add(v.dict);
    }
  }
  if (buffers.size === 0) return 0;
  let bytes = 0;
  for (const v of out.columns) {
    const arrays = v.values.byteLength + (v.valid?.byteLength ?? 0);
    if (buffers.has(v.values.buffer)) bytes += v.values.byteLength;
    if (v.valid && buffers.has(v.valid.buffer)) bytes += v.valid.byteLength;
    // the rest of the vector's bytes are its dictionary's strings and exact wide values
    if (v.dict && dicts.has(v.dict)) bytes += vectorBytes(v) - arrays - (v.big ? v.big.length * 16 : 0);
  }
  return bytes;
}
