// Hash aggregation: a generated loop that (optionally) filters rows, finds each row's group and
// updates the aggregate states. What each aggregate keeps and how it updates, merges and
// finishes comes from its module in functions/aggregates; this file owns groups, DISTINCT and
// the kernel. Slices build partial states; the leader merges them and finalizes.
import { type BAgg, type BExpr, aggInputs, mapAggInputs, parameterize } from '../plan/bound.ts';
import type { Batch, Vector } from '../types/vector.ts';
import { TYPES, isInteger, isString, type SqlType } from '../types/types.ts';
import { aggregateFor, type Aggregate, type AggValue, type GroupStates } from '../functions/aggregates/registry.ts';
import { ExprEmitter, rowLoop } from './codegen.ts';
import { emitFilter, emitSelectionPass, filterBatch, framesOf, projectBatch, shapeOf, sideArrays, splitFilter } from './kernels.ts';
import { makeVector, gather, takeInto } from '../types/vector.ts';
import { vectorRange } from './batches.ts';
import { KeyBatch, KeyScratch, KeyTable, keyKind } from './hash-table.ts';
import { IntegerGroupIds } from './integer-group-ids.ts';
import { KeyBuckets, MIN_BUCKETED_SPAN } from './key-buckets.ts';
import { ReusedArray } from './scratch.ts';
import { takeArray, zeroedArray, type ArrayLease } from './array-pool.ts';
import { DictGroupIds } from './dict-groups.ts';
import { runtime } from './runtime.ts';
import { generatedCode } from './code-cache.ts';
import { Accumulator } from './accumulator.ts';
import { callFreeUpdates, type CallFreeRow } from './call-free-updates.ts';
import { packedMap, taggedArray } from '../types/packed-map.ts';

export interface AggSpec {
  keys: BExpr[];
  aggs: BAgg[];
  /** rows must pass this predicate first (fused into the same loop) */
  filter?: BExpr | null;
  /** one integer key's [min, max] by the statistics, dense enough for an array of group ids (IntegerGroupIds) */
  keyRange?: [number, number];
}

type KeyValue = number | string | boolean | bigint | null;

const EMPTY = new Float64Array(0);

/** One aggregate's state across groups, plus the DISTINCT inputs seen per group. */
interface AggState extends GroupStates {
  sets: Set<unknown>[] | null;
}

/** The partial state a slice sends to the leader: key columns and state arrays (wire.ts moves them). */
export interface PartialAgg {
  groups: number;
  /** one vector per GROUP BY key, a row per group */
  keys: Vector[];
  states: AggState[];
}

/** The groups at `rows` of a partial state, in that order (the part of it one slice finalizes). */
export function partialRows(p: PartialAgg, rows: Uint32Array): PartialAgg {
  const n = rows.length;
  // the loop is takeInto's, not this closure's: a closure made anew each statement starts from no
  // feedback, and one with the loop inside was compiled again (OSR) in every run of TPC-H Q3 and Q18
  const pick = (a: Float64Array) => { const out = new Float64Array(n); takeInto(a, rows, n, out); return out; };
  const list = <T>(a: T[] | null) => (a ? Array.from(rows, (r) => a[r]) : null);
  return {
    groups: n,
    keys: packedMap(p.keys, (v) => gather(v, rows, n)),
    states: packedMap(p.states, (s) => ({ slots: packedMap(s.slots, pick), count: pick(s.count), objs: list(s.objs), sets: list(s.sets) })),
  };
}

/**
 * Where GroupTable.cells keeps a group's numbers: `width` of them per group, side by side, so
 * one row's updates touch one short run of memory and the kernel holds one array rather than
 * one per state. Q1's eight aggregates update six numbers a row in one 48-byte run.
 */
export interface CellLayout {
  width: number;
  /** offset of the group's row count, which deferred counts are kept relative to (-1: none) */
  rows: number;
  /** per aggregate, its first slot's offset (-1: aliased, its original keeps the state) */
  slot: number[];
  /** per aggregate, its count's offset: the count, or (deferred) the count minus the group's rows */
  count: number[];
}

export function cellLayout(spec: AggSpec, aliases: number[], deferred: boolean[]): CellLayout {
  let width = 0;
  const rows = spec.aggs.some((_, i) => deferred[i] && aliases[i] < 0) ? width++ : -1;
  const slot: number[] = [], count: number[] = [];
  spec.aggs.forEach((agg, i) => {
    if (aliases[i] >= 0) { slot.push(-1); count.push(-1); return; }
    slot.push(width);
    width += aggregateFor(agg.fn).slotInit(agg).length;
    count.push(deferred[i] ? -1 : width++);
  });
  // deferred counts change only at NULL inputs: they go last, after the numbers every row updates
  spec.aggs.forEach((_, i) => { if (aliases[i] < 0 && deferred[i]) count[i] = width++; });
  return { width: Math.max(width, 1), rows, slot, count };
}

/**
 * Whether a GROUP BY puts its rows in key-range order before grouping them (key-buckets.ts): one
 * integer key read from a column, with a range of values (by the statistics) too wide for the
 * CPU's caches, and aggregates whose results do not depend on the order rows come in.
 */
export function groupsInKeyOrder(keys: BExpr[], aggs: BAgg[], keyRange: [number, number] | null | undefined): boolean {
  return !!keyRange && keys.length === 1 && keys[0].k === 'col' && isInteger(keys[0].type)
    && keyRange[1] - keyRange[0] + 1 >= MIN_BUCKETED_SPAN && aggs.every((a) => !aggregateFor(a.fn).rowOrderMatters);
}

/** Groups and their aggregate states. One per slice per query, and one at the leader. */
export class GroupTable {
  /** groups so far, without the rows the buckets hold (see `groups`) */
  private groupCount = 0;
  private cap = 16;
  readonly states: AggState[];
  private readonly defs: Aggregate[];
  private readonly inits: number[][];
  /** group keys to group ids (NULLs form one group); one integer key: an array while its values are dense */
  private readonly index: KeyTable | IntegerGroupIds;
  /**
   * noObjects[i]: aggregate i's groups start without an object (newObject gives undefined), so
   * its array of objects is not filled a group at a time: Q18's 1.5M groups at SF 1 had pushed
   * 1.5M undefineds, 12 MB of array grown by copying, a major collection in each slice a query.
   */
  private readonly noObjects: boolean[];
  /** aliases[i] = j: aggregate i's state evolves as j's (AVG(x) beside SUM(x)); the kernel updates only j */
  private readonly aliases: number[];
  /**
   * deferred[i]: the kernel does not count aggregate i's inputs row by row; it counts each
   * group's rows once and i's NULL inputs, and i's count is the difference. Q1's eight counts
   * per row become one.
   */
  private readonly deferred: boolean[];
  readonly layout: CellLayout;
  /**
   * The Float64 states while the kernel adds rows (`packed`): a group's slots and counts side by
   * side (see CellLayout). Merging, partial states and results read `states`, one array per
   * slot, which `unpack` fills; whichever form is not in use is not kept.
   */
  cells = new Float64Array(0);
  private packed = false;

  /**
   * With `arrays` (a slice's statement lease), the kernel's cells and a dense key range's arrays
   * come from the slice's pool and go back to it when the statement ends: Q18's GROUP BY
   * l_orderkey took ~70 MB of new arrays a slice a query (the 24 MB one over 6M key values, the
   * cells doubling to a million groups), which set off full collections marked on the helper
   * threads the other slice needed.
   */
  /** the spec's fields copied in one order: a request's spec arrives as a cloned object whose hidden class depends on its optional fields (keyRange, filter), and the grouping code reading it deoptimized for each new one */
  readonly spec: AggSpec;

  /** `bucketBytes`: what the key buckets may hold (key-buckets.ts), beyond the statement's budget of groups */
  constructor(spec: AggSpec, private readonly arrays: ArrayLease | null = null, bucketBytes = Infinity) {
    this.spec = { keys: spec.keys, aggs: spec.aggs, filter: spec.filter ?? null, keyRange: spec.keyRange };
    this.index = spec.keyRange && spec.keys.length === 1 && isInteger(spec.keys[0].type) ? new IntegerGroupIds(spec.keys[0].type, spec.keyRange, arrays) : new KeyTable(packedMap(spec.keys, (k) => keyKind(k.type)));
    this.defs = packedMap(spec.aggs, (a) => aggregateFor(a.fn));
    this.inits = packedMap(spec.aggs, (a, i) => this.defs[i].slotInit(a));
    this.states = packedMap(spec.aggs, (agg, i) => ({
      slots: packedMap(this.inits[i], () => new Float64Array(this.cap)),
      count: new Float64Array(this.cap),
      objs: this.defs[i].newObject ? taggedArray<unknown>() : null,
      sets: agg.distinct ? taggedArray<Set<unknown>>() : null,
    }));
    this.noObjects = packedMap(spec.aggs, (a, i) => this.defs[i].newObject !== undefined && this.defs[i].newObject!(a) === undefined);
    this.aliases = stateAliases(spec);
    this.deferred = deferredCounts(spec);
    this.layout = cellLayout(spec, this.aliases, this.deferred);
    if (spec.keys.length === 0) this.addGroups(1);
    // rows in key-range order, where an array over a wide key range would be read at random
    this.buckets = groupsInKeyOrder(spec.keys, spec.aggs, spec.keyRange)
      ? new KeyBuckets(spec.keyRange![0], spec.keyRange![1] - spec.keyRange![0] + 1, (spec.keys[0] as { index: number }).index, arrays, bucketBytes) : null;
  }

  /** rows held to be grouped in key-range order (key-buckets.ts), else null */
  private readonly buckets: KeyBuckets | null;

  /** The groups, every row added so far grouped (the rows the buckets hold are grouped first). */
  get groups(): number {
    this.drainBuckets();
    return this.groupCount;
  }

  /** The groups made so far, not counting rows the buckets still hold (a budget's running count, read after every batch). */
  get groupsSoFar(): number {
    return this.groupCount;
  }

  /** Moves the states into `cells` for the kernel. */
  private pack(): void {
    if (this.packed) return;
    const { width: w, slot, count } = this.layout, n = this.groupCount;
    const cells = zeroedArray(this.arrays, Float64Array, this.cap * w);
    // plain loops, not closures: a closure's optimized code dies with it, and pack and unpack
    // run for every query (see docs/ARCHITECTURE.md, "Code that stays optimized")
    for (let i = 0; i < this.states.length; i++) {
      const s = this.states[i];
      if (slot[i] >= 0) {
        for (let k = 0; k < s.slots.length; k++) {
          const a = s.slots[k], at = slot[i] + k;
          for (let g = 0; g < n; g++) cells[g * w + at] = a[g];
        }
        // a deferred count is kept relative to the rows added from now on (none yet)
        const c = count[i], counts = s.count;
        for (let g = 0; g < n; g++) cells[g * w + c] = counts[g];
      }
      s.slots = packedMap(s.slots, () => EMPTY);
      s.count = EMPTY;
    }
    this.cells = cells;
    this.packed = true;
  }

  /** Brings `states` up to date from `cells` (before anything reads them), aliased states included. */
  private unpack(): void {
    if (!this.packed) return;
    this.packed = false;
    const { width: w, rows, slot, count } = this.layout, n = this.groupCount, cells = this.cells;
    for (let i = 0; i < this.states.length; i++) {
      const s = this.states[i];
      if (slot[i] < 0) continue;
      const slots = taggedArray<Float64Array>();
      for (let k = 0; k < s.slots.length; k++) {
        const a = new Float64Array(this.cap), at = slot[i] + k;
        for (let g = 0; g < n; g++) a[g] = cells[g * w + at];
        slots.push(a);
      }
      s.slots = slots;
      const counts = new Float64Array(this.cap), c = count[i];
      if (this.deferred[i]) for (let g = 0; g < n; g++) counts[g] = cells[g * w + rows] + cells[g * w + c];
      else for (let g = 0; g < n; g++) counts[g] = cells[g * w + c];
      s.count = counts;
    }
    this.aliases.forEach((j, i) => {
      if (j < 0) return;
      const from = this.states[j], to = this.states[i];
      to.slots = packedMap(from.slots, (x) => x.slice());
      to.count = from.count.slice();
      to.objs = from.objs ? from.objs.slice() : null;
    });
    this.cells = EMPTY;
  }

  private grow(): void {
    this.cap *= 2;
    if (this.packed) {
      const cells = takeArray(this.arrays, Float64Array, this.cap * this.layout.width);
      cells.set(this.cells);
      cells.fill(0, this.cells.length);
      this.cells = cells;
      return;
    }
    const grow = (x: Float64Array) => { const y = new Float64Array(this.cap); y.set(x); return y; };
    for (const s of this.states) { s.slots = packedMap(s.slots, grow); s.count = grow(s.count); }
  }

  private readonly scratchRows = new ReusedArray(Uint32Array);
  /** A row array of n entries for the kernel's selection pass, reused batch after batch. */
  scratch(n: number): Uint32Array {
    return this.scratchRows.take(n);
  }

  /** The rows a grouped batch's filter keeps, reused batch after batch (no 256 KB of garbage a batch). */
  private readonly passingRows = new ReusedArray(Uint32Array);

  /** A batch's keys and group ids, reused batch after batch (the kernel reads them at once). */
  private readonly keyScratch = new KeyScratch();
  private readonly batchIds = new ReusedArray(Int32Array);

  /** The group id of each key row (vectors of equal length), creating groups for new keys. */
  private groupIds(keys: KeyBatch, out?: Int32Array): Int32Array {
    const ids = this.index.insert(keys, out);
    if (this.groupCount < this.index.size) this.addGroups(this.index.size);
    return ids;
  }

  /**
   * Adds the groups the index gave ids up to `to`, column by column and state by state (a
   * batch of a GROUP BY over unique keys adds thousands at once: no array and no calls a group).
   */
  private addGroups(to: number): void {
    const from = this.groupCount;
    while (this.cap < to) this.grow();
    this.groupCount = to;
    const { width: w, slot } = this.layout;
    for (let i = 0; i < this.spec.aggs.length; i++) {
      const agg = this.spec.aggs[i], s = this.states[i], inits = this.inits[i];
      for (let k = 0; k < inits.length; k++) {
        const x = inits[k];
        if (x === 0) continue;
        if (!this.packed) s.slots[k].fill(x, from, to);
        else if (slot[i] >= 0) for (let g = from; g < to; g++) this.cells[g * w + slot[i] + k] = x;
      }
      // an aggregate whose groups start without an object (a sum's exact part, made when a sum
      // nears 2^52) leaves the array short: a group past its end reads undefined
      if (s.objs && !this.noObjects[i]) for (let g = from; g < to; g++) s.objs.push(this.defs[i].newObject!(agg));
      if (s.sets) for (let g = from; g < to; g++) s.sets.push(new Set());
    }
  }

  /**
   * Adds one batch (all rows, or those in `sel`). With GROUP BY keys, rows are filtered and
   * their group ids found a batch at a time first; the generated kernel then only updates states.
   */
  consume(batch: Batch, sel: Uint32Array | null, n: number): void {
    this.lifted ??= liftParams(this.spec);
    const { spec, params } = this.lifted;
    this.pack();
    const cols = packedMap(batch.columns, (c) => c.values), valids = packedMap(batch.columns, (c) => c.valid);
    if (this.spec.keys.length === 0) { const k = aggKernel(spec, batch, this.aliases, this.deferred, this.layout, false); k.run(cols, valids, sideArrays(batch), n, sel, this, params, null, framesOf(batch), k.consts, runtime, k.slow); return; }
    let rows = sel, count = n;
    if (this.spec.filter) {
      const f = filterBatch(batch, this.spec.filter, sel, this.passingRows.take(n));
      rows = f.sel; count = f.count;
    }
    if (count === 0) return;
    const dense = this.denseKeys(batch);
    if (dense !== null) {
      // the kernel finds each row's group from its keys' codes (denseMiss for a new combination)
      this.denseBatch = dense;
      try { const k = aggKernel(spec, batch, this.aliases, this.deferred, this.layout, true); k.run(cols, valids, sideArrays(batch), count, rows, this, params, null, null, k.consts, runtime, k.slow); } finally { this.denseBatch = null; }
      return;
    }
    if (this.buckets !== null) {
      if (this.buckets.add(batch, rows, count)) return;
      // full, or a batch it cannot hold: what it holds is grouped first, so rows keep no other order than key ranges
      this.drainBuckets();
      if (this.buckets.add(batch, rows, count)) return;
    }
    this.addRows(batch, rows, count);
  }

  /** Finds the groups of a batch's rows (all, or those in `rows`) and updates their states. */
  private addRows(batch: Batch, rows: Uint32Array | null, count: number): void {
    const { spec, params } = this.lifted!;
    this.pack();
    const cols = packedMap(batch.columns, (c) => c.values), valids = packedMap(batch.columns, (c) => c.valid);
    const ids = this.groupIds(keyBatchOf(batch, this.spec.keys, rows, count, this.keyScratch), this.batchIds.take(count));
    const k = aggKernel(spec, batch, this.aliases, this.deferred, this.layout, false);
    k.run(cols, valids, sideArrays(batch), count, rows, this, params, ids, null, k.consts, runtime, k.slow);
  }

  /** Groups the rows the buckets hold, bucket by bucket. */
  private drainBuckets(): void {
    if (this.buckets !== null && this.buckets.rows > 0) this.buckets.drain((b, n) => this.addRows(b, null, n));
  }

  private lifted?: { spec: AggSpec; params: unknown[] };
  /** GROUP BY plain string columns: group ids from their dictionary codes (null: not applicable) */
  direct: DictGroupIds | null | undefined;
  /** the key vectors of the batch a dense kernel is adding */
  private denseBatch: Vector[] | null = null;

  /** The key vectors when the batch's groups can be found from their dictionary codes (DictGroupIds), else null. */
  private denseKeys(batch: Batch): Vector[] | null {
    this.direct ??= this.spec.keys.every((k) => k.k === 'col' && isString(k.type)) ? new DictGroupIds() : null;
    if (this.direct === null) return null;
    const keys = packedMap(this.spec.keys, (k) => batch.columns[(k as { index: number }).index]);
    return this.direct.prepare(keys) ? keys : null;
  }

  /** A dense kernel met combination `x` of codes without a group id (row `r` has it): its group, made if new. */
  denseMiss(x: number, r: number): number {
    const id = this.groupIds(new KeyBatch(this.denseBatch!, 1, true, Uint32Array.of(r)))[0];
    this.direct!.table[x] = id;
    return id;
  }

  /** This table's state in a form that crosses threads cheaply. */
  toPartial(): PartialAgg {
    this.drainBuckets();
    this.unpack();
    const n = this.groupCount;
    return {
      groups: n,
      keys: packedMap(this.spec.keys, (k, c) => this.keyVector(c, k.type, n)),
      states: packedMap(this.states, (s) => ({ slots: packedMap(s.slots, (x) => x.slice(0, n)), count: s.count.slice(0, n), objs: s.objs, sets: s.sets })),
    };
  }

  /** Merges a slice's partial state into this (leader) table. */
  merge(p: PartialAgg, tick: () => void = () => {}, from = 0, to = p.groups): void {
    this.drainBuckets();
    this.unpack();
    const nk = this.spec.keys.length;
    const len = Math.max(0, to - from);
    const ids = nk === 0 ? null : this.groupIds(new KeyBatch(packedMap(p.keys, (v) => vectorRange(v, from, len)), len, true));
    const aggs = this.spec.aggs;
    for (let pg = from; pg < to; pg++) {
      tick();
      const g = ids === null ? 0 : ids[pg - from];
      for (let i = 0; i < aggs.length; i++) {
        const s = this.states[i], ps = p.states[i];
        if (s.sets) { for (const v of ps.sets![pg]) s.sets[g].add(v); continue; }
        this.defs[i].merge(aggs[i], s, g, ps, pg);
        s.count[g] += ps.count[pg];
      }
    }
  }

  /**
   * Key column `c`, one row per group, read from the index, which holds every group's key once.
   * Copying each new group's keys into arrays of JS values as it came cost Q18's GROUP BY
   * l_orderkey (1.5M groups at SF 1) a boxed number, an array push and a call a group.
   */
  private keyVector(c: number, type: SqlType, n: number): Vector {
    if (this.index instanceof IntegerGroupIds) {
      const direct = this.index.keyVector(type, n);
      if (direct) return direct;
    }
    const vals = new Array<KeyValue>(n);
    for (let g = 0; g < n; g++) vals[g] = this.index.value(c, g);
    return vectorFromValues(type, vals, n);
  }

  /** Final key and aggregate vectors, one row per group. */
  finish(keyTypes: SqlType[]): Vector[] {
    this.drainBuckets();
    this.unpack();
    const n = this.groupCount;
    const out: Vector[] = packedMap(keyTypes, (t, i) => this.keyVector(i, t, n));
    const aggs = this.spec.aggs;
    for (let i = 0; i < aggs.length; i++) out.push(finishedNumbers(aggs[i], this.states[i], this.defs[i], n) ?? vectorFromValues(aggs[i].type, finishValues(aggs[i], this.states[i], this.defs[i], n), n));
    return out;
  }
}

/** DISTINCT: the group's distinct inputs replayed through the aggregate's own update, then finished. */
function finishDistinct(agg: BAgg, values: Set<unknown>): AggValue {
  const acc = new Accumulator(agg);
  for (const v of values) acc.add(v, agg.order?.length ? [v] : []);
  return acc.result();
}

/**
 * One aggregate's results as a vector written straight from its states, where the aggregate can
 * (finishNumbers) and its type is held in doubles: Q18's 1.5M sums at SF 1 had been a JS number
 * each, then copied into the vector. Null: finish group by group.
 */
function finishedNumbers(agg: BAgg, s: AggState, def: Aggregate, n: number): Vector | null {
  if (!def.finishNumbers || s.sets || TYPES[agg.type.id].array !== Float64Array) return null;
  const values = new Float64Array(n), valid = new Uint8Array(n).fill(1);
  if (!def.finishNumbers(agg, s, n, values, valid)) return null;
  return makeVector(agg.type, n, values, valid.includes(0) ? valid : null);
}

/** Each of `n` groups' final value of one aggregate. */
function finishValues(agg: BAgg, s: AggState, def: Aggregate, n: number): AggValue[] {
  const vals: AggValue[] = new Array(n);
  for (let g = 0; g < n; g++) vals[g] = s.sets ? finishDistinct(agg, s.sets[g]) : def.finish(agg, s, g);
  return vals;
}

/** Builds a vector from physical JS values (numbers, strings, booleans, exact bigints, null). */
export function vectorFromValues(t: SqlType, vals: (KeyValue | bigint)[], n: number): Vector {
  const values = new (TYPES[t.id].array)(n);
  let valid: Uint8Array | null = null;
  let big: (bigint | null)[] | undefined;
  const str = isString(t);
  const dict: string[] = [];
  const intern = runtime.interner(dict);
  for (let g = 0; g < n; g++) {
    const v = vals[g];
    if (v === null || v === undefined) { (valid ??= new Uint8Array(n).fill(1))[g] = 0; continue; }
    if (typeof v === 'bigint') { values[g] = Number(v); (big ??= new Array(n).fill(null))[g] = v; continue; }
    values[g] = str ? intern(v as string) : typeof v === 'boolean' ? (v ? 1 : 0) : (v as number);
  }
  return makeVector(t, n, values, valid, str ? dict : undefined, str ? undefined : big);
}

type AggRun = (cols: unknown[], valids: unknown[], dicts: unknown[], n: number, sel: Uint32Array | null, S: GroupTable, P: unknown[], G: Int32Array | null, frames: unknown[] | null, K: unknown[], rt: typeof runtime, X: SlowRow | null) => void;
/** A grouped kernel's checked code for row j, a function of its own (see twoSpeedLoop). */
type SlowRow = (cols: unknown[], valids: unknown[], dicts: unknown[], n: number, sel: Uint32Array | null, S: GroupTable, P: unknown[], G: Int32Array | null, frames: unknown[] | null, K: unknown[], rt: typeof runtime, j: number) => void;
/** A generated aggregate kernel (from the isolate's code cache, by source), its checked row code and its expressions' constants. */
interface AggKernel { run: AggRun; slow: SlowRow | null; consts: unknown[] }
/** Per-query values are arguments, so one function serves every query generating its source. */
const AGG_KERNEL_PARAMS = ['cols', 'valids', 'dicts', 'n', 'sel', 'S', 'P', 'G', 'frames', 'K', 'rt', 'X'];
const SLOW_ROW_PARAMS = ['cols', 'valids', 'dicts', 'n', 'sel', 'S', 'P', 'G', 'frames', 'K', 'rt', 'j'];
/** Row j's index in a kernel's batch: the selected rows, or all in order. */
const SELECTED_ROW = 'sel === null ? j : sel[j]';

/** The key vectors of the selected rows: plain columns read in place, computed keys evaluated. */
function keyBatchOf(batch: Batch, keys: BExpr[], sel: Uint32Array | null, count: number, scratch?: KeyScratch): KeyBatch {
  if (keys.every((e) => e.k === 'col')) return new KeyBatch(packedMap(keys, (e) => batch.columns[(e as { index: number }).index]), count, true, sel, scratch);
  const computed = projectBatch(batch, keys.map((e) => (e.k === 'col' ? { k: 'const', value: null, type: e.type } as BExpr : e)), sel, count);
  const vectors = packedMap(keys, (e, i) => (e.k === 'col' ? gather(batch.columns[e.index], sel, count) : computed[i]));
  return new KeyBatch(vectors, count, true, null, scratch);
}

/** The spec with its literals lifted into parameters (one kernel for every literal value). */
function liftParams(spec: AggSpec): { spec: AggSpec; params: unknown[] } {
  const inputs = spec.aggs.map(aggInputs);
  const all: BExpr[] = [...spec.keys, ...inputs.flat(), ...(spec.filter ? [spec.filter] : [])];
  const { exprs, params } = parameterize(all);
  let next = spec.keys.length;
  const aggs = spec.aggs.map((a) => mapAggInputs(a, () => exprs[next++]));
  return { spec: { keys: exprs.slice(0, spec.keys.length), aggs, filter: spec.filter ? exprs[next] : null }, params };
}
const kernels = new Map<string, AggKernel>();
/** A spec's part of its kernels' cache key, made once per spec (not per batch) */
const specKeys = new WeakMap<AggSpec, string>();
/** Each spec's kernels by batch shape alone: batch after batch, no long key is built and hashed */
const specKernels = new WeakMap<AggSpec, Map<string, AggKernel>>();

/**
 * For each aggregate, the earlier one whose state evolves identically (same update and merge
 * code over the same inputs, states of plain numbers), or -1. Q1's AVG(l_quantity) keeps what
 * SUM(l_quantity) keeps, so the kernel updates one of them.
 */
export function stateAliases(spec: AggSpec): number[] {
  const seen = new Map<string, number>();
  return spec.aggs.map((agg, i) => {
    const def = aggregateFor(agg.fn);
    if (agg.distinct || agg.order?.length || def.newObject?.(agg) !== undefined) return -1;
    const init = def.slotInit(agg);
    const refs = { slots: init.map((_, k) => `S_${k}`), objs: 'O', count: 'C', g: 'g' };
    const key = JSON.stringify([agg.fn === 'count_star', agg.arg, init, agg.fn === 'count_star' ? '' : def.update(agg, 'V', refs, [])]);
    const j = seen.get(key);
    if (j !== undefined && aggregateFor(spec.aggs[j].fn).merge === def.merge) return j;
    if (j === undefined) seen.set(key, i);
    return -1;
  });
}

/**
 * Aggregates whose inputs the kernel need not count row by row (see GroupTable.deferred): not
 * DISTINCT, and their update code does not read the count (variance does).
 */
export function deferredCounts(spec: AggSpec): boolean[] {
  return spec.aggs.map((agg) => {
    if (agg.distinct) return false;
    if (agg.fn === 'count_star') return true;
    const def = aggregateFor(agg.fn);
    const refs = { slots: def.slotInit(agg).map((_, k) => `S_${k}`), objs: 'O', count: 'COUNT_REF', g: 'g' };
    const keys = (agg.order ?? []).map(() => 'K');
    return !def.update(agg, 'V', refs, keys).includes('COUNT_REF');
  });
}

/**
 * The kernel adding a batch's rows to a GroupTable. Grouped rows arrive filtered, with their
 * group ids in G, or (`dense`) the kernel reads each row's group from the dense array of its
 * keys' dictionary code combinations (DictGroupIds), so no pass over the rows comes before it.
 */
/**
 * Without GROUP BY every row updates the same cells: the loop keeps them in locals and writes
 * them back once (a typed-array cell, which may share memory with the inputs, is otherwise
 * read and written every row). Only when the code reads A through its cells alone.
 */
function cellsInLocals(code: string): { code: string; load: string; store: string } {
  const cell = /\bA\[b \+ (\d+)\]/g;
  if (/\bA\b/.test(code.replace(cell, ''))) return { code, load: '', store: '' };
  const used = [...new Set([...code.matchAll(cell)].map((m) => Number(m[1])))];
  if (!used.length) return { code, load: '', store: '' };
  return {
    code: code.replace(cell, (_, x: string) => `a${x}`),
    load: `let ${used.map((x) => `a${x} = A[${x}]`).join(', ')};`,
    store: used.map((x) => `A[${x}] = a${x};`).join(' '),
  };
}

/**
 * A loop over `count` rows (`row` is row j's index) that runs the call-free updates (see
 * exec/call-free-updates.ts, after `group` finds the row's cells) while their checks hold, and
 * hands a row where one fails to the checked `body` alone: that row's cells are untouched until
 * the fast code's stores. A batch whose guards fail runs the checked body only. With `slow`,
 * the checked body is that call instead (a function of its own, SlowRow): it runs for a new
 * group or a sum nearing 2^52, a few rows a batch, and its paths (a sum moved to its exact
 * part, each aggregate's in turn) first ran long after V8 had compiled the loop around them, so
 * each deoptimized the whole kernel again. TPC-H Q1's kernel was compiled 8 times a slice in
 * its first run and 5 in its second, 10-50 ms each.
 */
function twoSpeedLoop(count: string, row: string, fast: CallFreeRow, group: string, body: string, slow?: string): string {
  return `const fastOk = ${fast.guards.join(' && ') || 'true'};
for (let j = 0; j < ${count}; j++) {
if (fastOk) {
for (; j < ${count}; j++) { const r = ${row}; ${group} ${fast.compute.join('\n')}
if (!(${fast.checks.join(' && ') || 'true'})) break;
${fast.store.join(' ')} }
if (j === ${count}) break;
}
${slow ?? `const r = ${row}; ${body}`} }`;
}

function aggKernel(spec: AggSpec, batch: Batch, aliases: number[], deferred: boolean[], layout: CellLayout, dense: boolean): AggKernel {
  // without GROUP BY the filter is fused into the kernel, and its comparisons may read frames
  const shape = shapeOf(batch, spec.keys.length === 0 && !!spec.filter);
  const shapeKey = `${JSON.stringify(shape)}${dense ? '|dense' : ''}`;
  let mine = specKernels.get(spec);
  if (!mine) { mine = new Map(); specKernels.set(spec, mine); }
  let k = mine.get(shapeKey);
  if (k) return k;
  let specKey = specKeys.get(spec);
  if (specKey === undefined) { specKey = JSON.stringify(spec); specKeys.set(spec, specKey); }
  const key = `${specKey}|${shapeKey}`;
  k = kernels.get(key);
  if (k) { mine.set(shapeKey, k); return k; }
  const em = new ExprEmitter(shape);
  const body: string[] = [];
  // without GROUP BY keys the filter is fused here; with keys, rows arrive filtered with their group ids in G
  const grouped = spec.keys.length > 0;
  // without keys, the filter's plain comparisons first select rows into the scratch array F
  // without a branch (kernels.ts emitSelectionPass); the updates then run over those rows only
  const split = !grouped && spec.filter ? splitFilter(shape, spec.filter) : null;
  const pass = split && split.plain.length ? emitSelectionPass(em, split.plain, 'F') : null;
  if (split && pass === null) emitFilter(em, spec.filter!, body);
  else if (split) for (const c of split.rest) emitFilter(em, c, body);
  // the group's numbers start at A[b] (GroupTable.cells, CellLayout)
  const locals = ['let A = S.cells;'];
  // the row's group line in the checked body, and in the call-free loop
  let fastGroup: string;
  if (dense) {
    // codes in mixed radix, NULL as the last code of its column (DictGroupIds); a new group may grow A
    const codes = spec.keys.map((e, c) => {
      const i = (e as { index: number }).index;
      locals.push(`const kc${c} = cols[${i}], kv${c} = valids[${i}], kz${c} = S.direct.radix[${c}];`);
      return shape.nullable[i] ? `(kv${c}[r] === 0 ? kz${c} - 1 : kc${c}[r])` : `kc${c}[r]`;
    });
    locals.push('const M = S.direct.table;');
    const x = codes.reduce((acc, code, c) => (c === 0 ? code : `(${acc}) * kz${c} + ${code}`));
    body.push(`const x = ${x}; let g = M[x]; if (g < 0) { g = S.denseMiss(x, r); A = S.cells; } const b = g * ${layout.width};`);
    // the fast loop leaves a new combination to the checked code
    fastGroup = `const x = ${x}; const g = M[x]; if (g < 0) break; const b = g * ${layout.width};`;
  } else {
    fastGroup = grouped ? `const g = G[j], b = g * ${layout.width};` : 'const g = 0, b = 0;';
    body.push(fastGroup);
  }
  const cell = (offset: number) => `A[b + ${offset}]`;
  // update each aggregate: its own update code, then the count of non-NULL inputs (or, deferred,
  // one count of the group's rows, less one for each NULL input of the aggregate)
  if (layout.rows >= 0) body.push(`${cell(layout.rows)}++;`);
  spec.aggs.forEach((agg, i) => {
    if (aliases[i] >= 0) return; // its original's update is its own (GroupTable.unpack)
    const def = aggregateFor(agg.fn);
    const slots = def.slotInit(agg).map((_, k) => cell(layout.slot[i] + k));
    const count = cell(layout.count[i]);
    locals.push(`const O${i} = S.states[${i}].objs;`);
    if (agg.fn === 'count_star') { if (!deferred[i]) body.push(`${count}++;`); return; }
    const v = em.expr(agg.arg!, body);
    const keys = (agg.order ?? []).map((o) => { const k = em.expr(o.expr, body); return k.n === 'false' ? k.v : `(${k.n} ? null : ${k.v})`; });
    const counted = deferred[i] ? '' : ` ${count}++;`;
    const upd = agg.distinct
      ? `S.states[${i}].sets[g].add(${v.v});`
      : `${def.update(agg, v.v, { slots, objs: `O${i}`, count, g: 'g' }, keys)}${counted}`;
    if (v.n === 'false') body.push(upd);
    else body.push(deferred[i] ? `if (${v.n}) ${count}--; else { ${upd} }` : `if (!(${v.n})) { ${upd} }`);
  });
  // the call-free updates, unless a filter is left in the body (its `continue` would skip them)
  const filtered = !grouped && spec.filter && (pass === null || split!.rest.length > 0);
  const fast = filtered ? null : callFreeUpdates(em, spec.aggs, aliases, deferred, layout, cell);
  // a grouped kernel's checked code is a function of its own (the cells it may grow are read again after it)
  const slowCall = fast && grouped ? `X(${SLOW_ROW_PARAMS.join(', ')}); A = S.cells;` : undefined;
  const rows = (count: string, row: string): string => (fast
    ? twoSpeedLoop(count, row, fast, fastGroup, body.join('\n'), slowCall)
    : `for (let j = 0; j < ${count}; j++) { const r = ${row}; ${body.join('\n')} }`);
  let loop: string;
  if (grouped) loop = rows('n', SELECTED_ROW);
  else {
    const cells = cellsInLocals(pass !== null ? rows('k', 'F[j]') : fast ? rows('n', SELECTED_ROW) : rowLoop(body.join('\n')));
    loop = `${pass !== null ? `const F = S.scratch(n); let k = 0;\n${pass}\n` : ''}${cells.load}\n${cells.code}\n${cells.store}`;
  }
  // the kernel's locals and constants, which its checked row code reads too
  const head = `${locals.join(' ')}\n${em.prelude.join('\n')}`;
  const slow = slowCall ? generatedCode.fn<SlowRow>(SLOW_ROW_PARAMS, `${head}\nconst r = ${SELECTED_ROW}; ${body.join('\n')}`) : null;
  k = { run: generatedCode.fn<AggRun>(AGG_KERNEL_PARAMS, `${head}\n${loop}`), slow, consts: em.consts };
  if (kernels.size > 1000) kernels.clear();
  kernels.set(key, k);
  mine.set(shapeKey, k);
  return k;
}
