// Runs a logical plan: the slice-side chain at its bottom goes to every slice as a fragment;
// what remains (final aggregation, joins that cannot be broadcast, sort, limit, set operations,
// windows) runs at the leader over the gathered batches.
import { type LNode, type SharedSlot, type SortKey, sharedSlotsOf } from '../plan/logical.ts';
import type { Batch, Vector } from '../types/vector.ts';
import { concatVectors, gather } from '../types/vector.ts';
import { TYPES, isString, type SqlType } from '../types/types.ts';
import type { SlicePool } from './slice-pool.ts';
import { matchChain, buildFragment, segmentsBySlice, liftModels, type Chain } from './fragments.ts';
import type { FragmentResult, ModelStep } from './fragment.ts';
import type { ModelRunner } from './model-runner.ts';
import { GroupTable, type PartialAgg } from './aggregate.ts';
import { filterBatch, projectBatch } from './kernels.ts';
import { BuildTable, probe, takeRows, type JoinKind } from './hash-join.ts';
import { KeyBatch, KeyTable, keyKind } from './hash-table.ts';
import { runWindows } from './window.ts';
import { SqlError } from '../errors.ts';
import { hasModelCall, aggInputs, mapAggInputs, type BExpr } from '../plan/bound.ts';
import { SubqueryResults } from './subqueries.ts';
import { QueryGuard } from './query-guard.ts';
import { batchBytes } from './memory-budget.ts';

/** Counters for EXPLAIN ANALYZE and the usage log. */
export interface ExecStats {
  rowsScanned: number;
  segmentsScanned: number;
  segmentsPruned: number;
  tables: Map<string, number>;
}

export interface ExecOptions {
  onnxFileOf: (model: string) => string | undefined;
  /** evaluates model calls that run at the leader (over VALUES, after a leader-side join, ...) */
  models?: ModelRunner;
  signal?: AbortSignal;
  /** the statement's stop flag, deadline and memory budget (default: one from `signal`) */
  guard?: QueryGuard;
  /** rounds a WITH RECURSIVE query may run (SET max_recursion_depth) */
  maxRecursion?: number;
}

/** Rows per chunk when the leader runs a kernel over a large batch, checking for cancel between. */
const CHUNK = 65536;

export class Executor {
  readonly stats: ExecStats = { rowsScanned: 0, segmentsScanned: 0, segmentsPruned: 0, tables: new Map() };

  /** uncorrelated subqueries' results, computed once per run */
  private readonly subqueries = new SubqueryResults((plan) => this.run(plan));
  /** results of shared plans (a decorrelated subquery's outer rows), computed once per run */
  private readonly shared = new Map<SharedSlot, Batch>();
  private readonly guard: QueryGuard;
  private readonly tick: () => void;

  constructor(private readonly pool: SlicePool, private readonly opts: ExecOptions) {
    this.guard = opts.guard ?? new QueryGuard({ signal: opts.signal });
    const g = this.guard;
    this.tick = () => g.tick();
  }

  private checkCancel(): void {
    this.guard.check();
  }

  /** Counts a batch the leader holds against the statement's memory limit. */
  private hold<B extends Batch>(b: B, what: string): B {
    this.guard.memory.reserve(batchBytes(b), what);
    return b;
  }

  /** filterBatch over a large batch in chunks, checking for cancel between them. */
  private filter(batch: Batch, pred: BExpr): { sel: Uint32Array; count: number } {
    if (batch.length <= CHUNK) return filterBatch(batch, pred);
    const out = new Uint32Array(batch.length);
    let count = 0;
    for (let start = 0; start < batch.length; start += CHUNK) {
      this.checkCancel();
      const n = Math.min(CHUNK, batch.length - start);
      const range = new Uint32Array(n);
      for (let i = 0; i < n; i++) range[i] = start + i;
      const r = filterBatch(batch, pred, range);
      out.set(r.sel.subarray(0, r.count), count);
      count += r.count;
    }
    return { sel: out, count };
  }

  async run(node: LNode): Promise<Batch> {
    this.checkCancel();
    node = await this.subqueries.resolve(node);
    const chain = node.k === 'limit' && node.limit !== null && node.input.k !== 'sort' ? matchChain(node.input, node.limit + node.offset) : matchChain(node);
    if (chain && node.k === 'limit') {
      const b = await this.runChain(chain);
      return sliceRows(b, node.offset, node.limit);
    }
    if (!chain && node.k === 'limit' && node.limit !== null && node.input.k === 'sort') {
      // ORDER BY ... LIMIT: every slice sorts its own rows and sends only the first ones
      const sort = node.input;
      const below = matchChain(sort.input);
      if (below && !below.agg) {
        below.topN = { keys: sort.keys, limit: node.limit + node.offset };
        return sliceRows(sortBatch(await this.runChain(below), sort.keys), node.offset, node.limit);
      }
    }
    if (chain) return this.runChain(chain);
    switch (node.k) {
      case 'scan': throw new SqlError('INTERNAL_ERROR', 'scan outside a fragment');
      case 'batch': return node.batch;
      case 'values': {
        const parts: Batch[] = [];
        for (const row of node.rows) {
          const m = await this.withModels({ length: 1, columns: [] }, row);
          parts.push({ length: 1, columns: projectBatch(m.batch, m.exprs, null, 1) });
        }
        return concatBatches(node.fields.map((f) => f.type), parts);
      }
      case 'filter': {
        const input = await this.run(node.input);
        const m = await this.withModels(input, [node.pred]);
        const { sel, count } = this.filter(m.batch, m.exprs[0]);
        return { length: count, columns: input.columns.map((c) => gather(c, sel, count)) };
      }
      case 'project': {
        const input = await this.run(node.input);
        const m = await this.withModels(input, node.exprs);
        return { length: input.length, columns: project(m.batch, m.exprs) };
      }
      case 'aggregate': {
        const raw = await this.run(node.input);
        const args = node.aggs.flatMap(aggInputs);
        const m = await this.withModels(raw, [...node.keys, ...args]);
        const input = m.batch;
        const keys = m.exprs.slice(0, node.keys.length);
        let next = node.keys.length;
        const aggs = node.aggs.map((a) => mapAggInputs(a, () => m.exprs[next++]));
        const t = new GroupTable({ keys, aggs });
        for (let start = 0; start < input.length; start += CHUNK) {
          this.checkCancel();
          const n = Math.min(CHUNK, input.length - start);
          if (start === 0 && n === input.length) { t.consume(input, null, n); break; }
          const range = new Uint32Array(n);
          for (let i = 0; i < n; i++) range[i] = start + i;
          t.consume(input, range, n);
          await yieldToEventLoop();
        }
        const cols = t.finish(node.keys.map((k) => k.type));
        return this.hold({ length: t.groups, columns: cols }, 'aggregate');
      }
      case 'join': return this.join(node);
      case 'sort': {
        const input = await this.run(node.input);
        const m = await this.withModels(input, node.keys.map((k) => k.expr));
        this.guard.memory.reserve(input.length * 24, 'sort');
        const sorted = await sortBatchYielding(m.batch, node.keys.map((k, i) => ({ ...k, expr: m.exprs[i] })), this.tick);
        return this.hold({ length: sorted.length, columns: sorted.columns.slice(0, input.columns.length) }, 'sort');
      }
      case 'limit': return sliceRows(await this.run(node.input), node.offset, node.limit);
      case 'distinct': {
        const input = await this.run(node.input);
        this.guard.memory.reserve(input.length * 64, 'DISTINCT');
        return distinct(input, this.tick);
      }
      case 'setop': return this.setOp(node);
      case 'shared': {
        const kept = this.shared.get(node.slot);
        if (kept) return kept;
        const rows = await this.run(node.input);
        this.shared.set(node.slot, rows);
        return rows;
      }
      case 'window': {
        const input = await this.run(node.input);
        const exprs = node.calls.flatMap((c) => [...c.args, ...(c.agg ? aggInputs(c.agg) : []), ...c.partitionBy, ...c.orderBy.map((k) => k.expr)]);
        const m = await this.withModels(input, exprs);
        this.guard.memory.reserve(input.length * 48 * node.calls.length, 'window');
        if (m.batch === input) return runWindows(input, node.calls, this.tick);
        let i = 0;
        const next = () => m.exprs[i++];
        const calls = node.calls.map((c) => ({
          ...c, args: c.args.map(next), agg: c.agg ? mapAggInputs(c.agg, next) : c.agg,
          partitionBy: c.partitionBy.map(next), orderBy: c.orderBy.map((k) => ({ ...k, expr: next() })),
        }));
        // drop the model columns again: the window results follow the input's own columns
        const out = runWindows(m.batch, calls, this.tick);
        return { length: out.length, columns: [...input.columns, ...out.columns.slice(m.batch.columns.length)] };
      }
    }
  }

  /**
   * Model calls at the leader: each becomes a column appended to the batch (computed with the
   * leader's ModelRunner), and the expressions refer to it. Without model calls, a no-op.
   */
  private async withModels(input: Batch, exprs: BExpr[]): Promise<{ batch: Batch; exprs: BExpr[] }> {
    if (!exprs.some(hasModelCall)) return { batch: input, exprs };
    const runner = this.opts.models;
    if (!runner) throw new SqlError('FEATURE_NOT_SUPPORTED', 'model functions cannot be evaluated here');
    const steps: ModelStep[] = [];
    const lifted = exprs.map((e) => liftModels(e, steps, input.columns.length, this.opts.onnxFileOf));
    const columns = [...input.columns];
    for (const s of steps) {
      this.checkCancel();
      columns.push(await runner.evaluate(s, { length: input.length, columns }));
    }
    return { batch: { length: input.length, columns }, exprs: lifted };
  }

  /** Runs a slice-side chain on every slice and merges the results at the leader. */
  private async runChain(c: Chain): Promise<Batch> {
    let build: Vector[] | null = null;
    let buildKeys: number[] = [];
    if (c.join) {
      const b = await this.run(c.join.build);
      const keyExprs = c.join.probeIsLeft ? c.join.node.rightKeys : c.join.node.leftKeys;
      const keyCols = projectBatch(b, keyExprs, null, b.length);
      build = [...b.columns, ...keyCols];
      buildKeys = keyCols.map((_, i) => b.columns.length + i);
      // an inner join against an empty build side is empty
      if (b.length === 0 && c.join.node.joinType === 'INNER' && !c.agg) return emptyBatch(outputTypes(c));
    }
    const spec = buildFragment(c, build, this.opts.onnxFileOf);
    if (spec.joins.length) spec.joins[0].buildKeys = buildKeys;
    const slices = this.pool.size;
    const { bySlice, total, pruned } = segmentsBySlice(c.scan.table, slices, c.preFilter);
    this.stats.segmentsScanned += total - pruned;
    this.stats.segmentsPruned += pruned;
    const cancel = this.guard.token;
    const results = await Promise.all(bySlice.map((segments, s) => this.pool.call<FragmentResult>(s, { op: 'scan', fragment: spec, segments, cancel })));
    this.checkCancel();
    let scanned = 0;
    for (const r of results) scanned += r.scanned;
    this.stats.rowsScanned += scanned;
    const key = `${c.scan.ref.account}.${c.scan.ref.database}.${c.scan.ref.schema}.${c.scan.ref.name}`;
    this.stats.tables.set(key, (this.stats.tables.get(key) ?? 0) + scanned);
    if (spec.output.kind === 'agg') {
      const t = new GroupTable(spec.output.spec);
      for (const r of results) {
        const partial = (r as { partial: PartialAgg }).partial;
        // a chunk of groups at a time, letting other clients in between
        for (let start = 0; start < partial.groups || start === 0; start += CHUNK) {
          t.merge(partial, this.tick, start, Math.min(partial.groups, start + CHUNK));
          await yieldToEventLoop();
        }
      }
      this.checkCancel();
      const cols = t.finish(spec.output.spec.keys.map((k) => k.type));
      return this.hold({ length: t.groups, columns: cols }, 'aggregate');
    }
    const types = spec.output.exprs.map((e) => e.type);
    const parts = results.map((r) => ({ length: (r as { rows: number }).rows, columns: (r as { columns: Vector[] }).columns }));
    const out = concatBatches(types, parts);
    this.checkCancel();
    return c.limit !== null ? sliceRows(out, 0, c.limit) : out;
  }

  private async join(node: Extract<LNode, { k: 'join' }>): Promise<Batch> {
    const left = await this.run(node.left);
    const right = await this.run(node.right);
    if (node.joinType === 'CROSS') {
      const n = left.length * right.length;
      if (n > 50_000_000) throw new SqlError('INVALID_PARAMETER', `cross join would produce ${n} rows; add a join condition`);
      this.guard.memory.reserve(n * 8 * (1 + left.columns.length + right.columns.length), 'cross join');
      const lr = new Int32Array(n), rr = new Int32Array(n);
      let k = 0;
      for (let i = 0; i < left.length; i++) { this.tick(); for (let j = 0; j < right.length; j++) { lr[k] = i; rr[k] = j; k++; } }
      const joined: Batch = { length: n, columns: [...left.columns.map((c) => takeRows(c, lr, n)), ...right.columns.map((c) => takeRows(c, rr, n))] };
      if (!node.residual) return joined;
      const m = await this.withModels(joined, [node.residual]);
      const { sel, count } = filterBatch(m.batch, m.exprs[0]);
      return { length: count, columns: joined.columns.map((c) => gather(c, sel, count)) };
    }
    const rightKeys = projectBatch(right, node.rightKeys, null, right.length);
    const leftKeys = projectBatch(left, node.leftKeys, null, left.length);
    this.guard.memory.reserve(right.length * 64, 'hash join build');
    const table = new BuildTable(right.columns, rightKeys, node.nullEq, this.tick);
    const kind = node.joinType === 'FULL' || node.joinType === 'SINGLE' ? 'LEFT' : node.joinType;
    if (node.residual && hasModelCall(node.residual)) {
      // a condition calling a model filters the joined rows (inner joins only)
      if (kind !== 'INNER') throw new SqlError('FEATURE_NOT_SUPPORTED', 'model functions in an outer or semi join condition are not supported; use them in WHERE');
      const joined = this.hold(probe(left, leftKeys, table, kind, null, this.tick), 'hash join');
      const m = await this.withModels(joined, [node.residual]);
      const { sel, count } = filterBatch(m.batch, m.exprs[0]);
      return { length: count, columns: joined.columns.map((c) => gather(c, sel, count)) };
    }
    const out = await this.probeInChunks(left, leftKeys, table, kind, node.residual);
    // a LEFT join yields one row per left row exactly when no left row matches twice
    if (node.joinType === 'SINGLE' && out.length > left.length) throw new SqlError('CARDINALITY_VIOLATION', 'more than one row returned by a subquery used as an expression');
    if (node.joinType !== 'FULL') return out;
    // FULL: add the build rows nobody matched, padded with NULLs on the left
    const un: number[] = [];
    for (let r = 0; r < right.length; r++) if (!table.matched[r]) un.push(r);
    if (!un.length) return out;
    const rows = Int32Array.from(un), none = new Int32Array(un.length).fill(-1);
    const extra: Batch = { length: un.length, columns: [...left.columns.map((c) => takeRows(c, none, un.length)), ...right.columns.map((c) => takeRows(c, rows, un.length))] };
    return concatBatches(node.fields.map((f) => f.type), [out, extra]);
  }

  /**
   * Probes a large left side a chunk of rows at a time, letting the event loop run between
   * chunks: the leader thread also answers other clients (and /health), which must not wait
   * for one statement's join. Results are the same as one probe over all rows.
   */
  private async probeInChunks(left: Batch, leftKeys: Vector[], table: BuildTable, kind: JoinKind, residual: BExpr | null): Promise<Batch> {
    if (left.length <= CHUNK) return this.hold(probe(left, leftKeys, table, kind, residual, this.tick), 'hash join');
    const parts: Batch[] = [];
    // chunks sized to about a million output rows: a join with many matches per key probes fewer rows at a time
    let size = 4096;
    for (let start = 0; start < left.length; start += size) {
      const n = Math.min(size, left.length - start);
      const part = probe(rowRange(left, start, n), leftKeys.map((k) => vectorRange(k, start, n)), table, kind, residual, this.tick);
      parts.push(this.hold(part, 'hash join'));
      size = Math.max(256, Math.min(CHUNK, Math.floor(1_000_000 / Math.max(1, part.length / n))));
      await yieldToEventLoop();
      this.checkCancel();
    }
    return concatBatches(parts[0].columns.map((c) => c.type), parts);
  }

  /**
   * WITH RECURSIVE: the anchor's rows, then the step over the rows the last round added, until a
   * round adds none (for UNION, rows seen before do not count). Bounded in rounds and in memory.
   */
  private async recursive(node: Extract<LNode, { k: 'setop' }>): Promise<Batch> {
    const { name, work } = node.recursive!;
    const limit = this.opts.maxRecursion ?? DEFAULT_MAX_RECURSION;
    const types = node.fields.map((f) => f.type);
    const seen = node.all ? null : new KeyTable(types.map(keyKind));
    const fresh = (b: Batch): Batch => (seen ? firstOfEachKey(b, seen) : b);
    const parts: Batch[] = [];
    let added = fresh(await this.run(node.left));
    // shared plans inside the step may read the working table: each round computes them anew
    const perRound = sharedSlotsOf(node.right);
    for (let round = 1; added.length > 0; round++) {
      this.guard.memory.reserve(batchBytes(added), `recursive query "${name}"`);
      parts.push(added);
      if (round > limit) throw new SqlError('RECURSION_LIMIT', `recursive query "${name}" still adds rows after ${limit} rounds; raise SET max_recursion_depth if it is meant to go deeper`);
      this.guard.check();
      work.length = added.length;
      work.columns = added.columns;
      for (const slot of perRound) this.shared.delete(slot);
      added = fresh(await this.run(node.right));
    }
    return concatBatches(types, parts);
  }

  private async setOp(node: Extract<LNode, { k: 'setop' }>): Promise<Batch> {
    if (node.recursive) return this.recursive(node);
    const left = await this.run(node.left);
    const right = await this.run(node.right);
    const types = node.fields.map((f) => f.type);
    if (node.op === 'UNION') {
      const all = concatBatches(types, [left, right]);
      return node.all ? all : distinct(all);
    }
    // INTERSECT / EXCEPT: count right rows per key (NULLs equal), then walk the left through the same table
    this.guard.memory.reserve((left.length + right.length) * 24, node.op);
    const table = new KeyTable(types.map(keyKind), right.length);
    const rightIds = table.insert(new KeyBatch(right.columns, right.length, true));
    const counts = new Int32Array(table.size);
    for (let r = 0; r < right.length; r++) counts[rightIds[r]]++;
    this.tick();
    const leftIds = table.insert(new KeyBatch(left.columns, left.length, true));
    const keep: number[] = [];
    const seen = new Uint8Array(table.size);
    for (let r = 0; r < left.length; r++) {
      this.tick();
      const k = leftIds[r];
      const c = k < counts.length ? counts[k] : 0;
      if (node.op === 'INTERSECT') {
        if (c > 0 && (node.all ? true : !seen[k])) { keep.push(r); if (node.all) counts[k] = c - 1; }
      } else if (node.all ? c === 0 : c === 0 && !seen[k]) keep.push(r);
      else if (node.all) counts[k] = c - 1;
      seen[k] = 1;
    }
    const sel = Uint32Array.from(keep);
    return { length: keep.length, columns: left.columns.map((c) => gather(c, sel, keep.length)) };
  }
}

const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Rows [start, start + n) of a vector, sharing its arrays. */
function vectorRange(v: Vector, start: number, n: number): Vector {
  const out: Vector = { type: v.type, length: n, values: v.values.subarray(start, start + n), valid: v.valid ? v.valid.subarray(start, start + n) : null, dict: v.dict };
  if (v.big) out.big = v.big.slice(start, start + n);
  return out;
}

function rowRange(b: Batch, start: number, n: number): Batch {
  return { length: n, columns: b.columns.map((c) => vectorRange(c, start, n)) };
}

function outputTypes(c: Chain): SqlType[] {
  if (c.project) return c.project.map((e) => e.type);
  return (c.join ? c.join.node.fields : c.scan.fields).map((f) => f.type);
}

/** Rounds of a WITH RECURSIVE query unless SET max_recursion_depth says otherwise. */
export const DEFAULT_MAX_RECURSION = 10_000;

export function emptyBatch(types: SqlType[]): Batch {
  return { length: 0, columns: types.map((t) => ({ type: t, length: 0, values: new (TYPES[t.id].array)(0), valid: null, ...(isString(t) ? { dict: [] } : {}) })) };
}

export function concatBatches(types: SqlType[], parts: Batch[]): Batch {
  const nonEmpty = parts.filter((p) => p.length > 0);
  if (nonEmpty.length === 1) return nonEmpty[0];
  if (nonEmpty.length === 0) return emptyBatch(types);
  return { length: nonEmpty.reduce((s, p) => s + p.length, 0), columns: types.map((t, i) => concatVectors(t, nonEmpty.map((p) => p.columns[i]))) };
}

function project(input: Batch, exprs: BExpr[]): Vector[] {
  if (exprs.every((e) => e.k === 'col')) return exprs.map((e) => input.columns[(e as { index: number }).index]);
  // plain column references pass through untouched (keeping exact wide decimals)
  const computed = projectBatch(input, exprs.map((e) => (e.k === 'col' ? { k: 'const', value: null, type: e.type } as BExpr : e)), null, input.length);
  return exprs.map((e, i) => (e.k === 'col' ? input.columns[e.index] : computed[i]));
}

function sliceRows(b: Batch, offset: number, limit: number | null): Batch {
  const end = limit === null ? b.length : Math.min(b.length, offset + limit);
  const start = Math.min(offset, b.length);
  if (start === 0 && end === b.length) return b;
  const sel = new Uint32Array(end - start);
  for (let i = 0; i < sel.length; i++) sel[i] = start + i;
  return { length: sel.length, columns: b.columns.map((c) => gather(c, sel, sel.length)) };
}

function distinct(b: Batch, tick: () => void = () => {}): Batch {
  const out = firstOfEachKey(b, new KeyTable(b.columns.map((c) => keyKind(c.type)), b.length));
  tick();
  return out;
}

/** The rows of `b` whose whole-row key `seen` did not hold yet (NULLs equal); adds those keys to it. */
function firstOfEachKey(b: Batch, seen: KeyTable): Batch {
  const before = seen.size;
  const ids = seen.insert(new KeyBatch(b.columns, b.length, true));
  const sel = new Uint32Array(b.length);
  let k = 0;
  // ids are handed out in row order: a row holding the next new id is its key's first
  for (let r = 0, next = before; r < b.length; r++) if (ids[r] === next) { sel[k++] = r; next++; }
  if (k === b.length) return b;
  return { length: k, columns: b.columns.map((c) => gather(c, sel, k)) };
}

/** Sorts a batch by keys (ASC/DESC, NULLS FIRST/LAST); strings in code-unit (C) order. */
export function sortBatch(b: Batch, keys: SortKey[], tick: () => void = () => {}): Batch {
  const cmp = rowComparator(b, keys, tick);
  const idx = new Uint32Array(b.length);
  for (let i = 0; i < idx.length; i++) idx[i] = i;
  const arr = Array.from(idx);
  arr.sort(cmp);
  const sel = Uint32Array.from(arr);
  return { length: b.length, columns: b.columns.map((c) => gather(c, sel, b.length)) };
}

/**
 * sortBatch for the leader: sorts runs of CHUNK rows, then merges them pairwise, letting the
 * event loop run between steps so other clients are answered while a large sort runs.
 */
export async function sortBatchYielding(b: Batch, keys: SortKey[], tick: () => void): Promise<Batch> {
  if (b.length <= CHUNK) return sortBatch(b, keys, tick);
  const cmp = rowComparator(b, keys, tick);
  let runs: Uint32Array[] = [];
  for (let start = 0; start < b.length; start += CHUNK) {
    const run = Array.from({ length: Math.min(CHUNK, b.length - start) }, (_, i) => start + i);
    run.sort(cmp);
    runs.push(Uint32Array.from(run));
    await yieldToEventLoop();
  }
  while (runs.length > 1) {
    const next: Uint32Array[] = [];
    for (let i = 0; i < runs.length; i += 2) {
      next.push(i + 1 < runs.length ? await mergeRuns(runs[i], runs[i + 1], cmp) : runs[i]);
    }
    runs = next;
  }
  const sel = runs[0];
  return { length: b.length, columns: b.columns.map((c) => gather(c, sel, b.length)) };
}

/** Merges two sorted runs (stable: ties keep a's rows first), yielding every CHUNK rows. */
async function mergeRuns(a: Uint32Array, c: Uint32Array, cmp: (x: number, y: number) => number): Promise<Uint32Array> {
  const out = new Uint32Array(a.length + c.length);
  let i = 0, j = 0, k = 0;
  while (i < a.length && j < c.length) {
    out[k++] = cmp(a[i], c[j]) <= 0 ? a[i++] : c[j++];
    if ((k & (CHUNK - 1)) === 0) await yieldToEventLoop();
  }
  while (i < a.length) out[k++] = a[i++];
  while (j < c.length) out[k++] = c[j++];
  return out;
}

/** Compares two rows of `b` by the sort keys, then by position (a stable order). */
function rowComparator(b: Batch, keys: SortKey[], tick: () => void): (x: number, y: number) => number {
  const kv = projectBatch(b, keys.map((k) => k.expr), null, b.length);
  const cmps = kv.map((v, i) => {
    const { desc, nullsFirst } = keys[i];
    const dir = desc ? -1 : 1;
    const valid = v.valid;
    const nullCmp = nullsFirst ? -1 : 1;
    if (isString(v.type)) {
      // rank the dictionary once, then compare ranks
      const order = v.dict!.map((s, j) => j).sort((x, y) => (v.dict![x] < v.dict![y] ? -1 : v.dict![x] > v.dict![y] ? 1 : 0));
      const rank = new Int32Array(v.dict!.length);
      order.forEach((code, r) => { rank[code] = r; });
      const codes = v.values;
      return (x: number, y: number) => {
        const nx = valid !== null && valid[x] === 0, ny = valid !== null && valid[y] === 0;
        if (nx || ny) return nx && ny ? 0 : nx ? nullCmp : -nullCmp;
        return (rank[codes[x]] - rank[codes[y]]) * dir;
      };
    }
    const vals = v.values;
    const big = v.big;
    return (x: number, y: number) => {
      const nx = valid !== null && valid[x] === 0, ny = valid !== null && valid[y] === 0;
      if (nx || ny) return nx && ny ? 0 : nx ? nullCmp : -nullCmp;
      if (big && big[x] != null && big[y] != null) return (big[x]! < big[y]! ? -1 : big[x]! > big[y]! ? 1 : 0) * dir;
      const a = vals[x], c = vals[y];
      return (a < c ? -1 : a > c ? 1 : 0) * dir;
    };
  });
  return (x, y) => {
    tick();
    for (const c of cmps) { const r = c(x, y); if (r !== 0) return r; }
    return x - y;
  };
}

