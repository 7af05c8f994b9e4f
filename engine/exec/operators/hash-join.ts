// Hash join. In the slices (HashProbeOp) the probe side is the slice's own partition, streamed
// batch by batch through the pipeline, and the build side arrives whole in every slice through a
// Broadcast exchange (between the slices, or from the leader when only it can compute the build
// side), or is the slice's share of it (co-located or redistributed by key); each slice builds
// its table once and probes. At the leader (HashJoinOp) both inputs are batches, or an input in
// pieces is taken a piece at a time (probe-pieces.ts): the joins the slices cannot run
// (scalar-subquery SINGLE, CROSS, joins without an equality, outer joins over a leader input on a
// side they keep, outer, semi, anti and SINGLE joins whose condition calls a model over both
// inputs, and joins of two leader results).
import type { BExpr } from '../../plan/bound.ts';
import { usedColumns, hasModelCall, mapCols } from '../../plan/bound.ts';
import type { Field, JoinType } from '../../plan/logical.ts';
import type { Batch, Vector } from '../../types/vector.ts';
import { makeVector } from '../../types/vector.ts';
import { isString, type SqlType } from '../../types/types.ts';
import { projectBatch } from '../kernels.ts';
import { BuildTable, ProbePieces, padBuildSide, rowsMarked, tooManyRows, unmatchedBuildRows, type JoinKind } from '../hash-join.ts';
import { SqlError } from '../../errors.ts';
import { CHUNK, rowRange, vectorRange } from '../batches.ts';
import { explainExpr } from '../explain.ts';
import { LeaderOperator, SliceOperator } from './operator.ts';
import type { Layout, PipelineBuilder } from './pipeline.ts';
import { hashCompatible, type Partitioning } from '../partitioning.ts';
import type { RunContext } from './run-context.ts';
import type { BroadcastOp } from './broadcast.ts';
import type { FragmentSpec, JoinStep } from '../fragment.ts';
import { keyColumn } from '../join-filter-keys.ts';
import { toWire } from '../wire.ts';
import { RedistributeOp } from './redistribute.ts';
import { SliceBroadcastOp } from './slice-broadcast.ts';
import { graceJoin, type GraceInputs, type GraceJoin } from '../spill/grace-join.ts';
import { batchBytes } from '../memory-budget.ts';
import type { RuntimeFilterPlan } from '../runtime-filter-plan.ts';
import { joinPieces, joinsInPieces } from './probe-pieces.ts';
import { piecesWhole, streams, type RowPieces } from './row-pieces.ts';
import { isNestedLoop } from './nested-loop.ts';

/** Row numbers 0..n-1, a column that tells which row a joined pair came from. */
const rowNumbers = (n: number): Vector => makeVector({ id: 'INTEGER' } as SqlType, n, Int32Array.from({ length: n }, (_, i) => i), null);

/** Build sides this small always join in memory (a partition per 16 rows would cost more than it saves). */
export const MIN_SPILL_ROWS = 1024;

export interface JoinSpec {
  joinType: JoinType;
  leftKeys: BExpr[];
  rightKeys: BExpr[];
  residual: BExpr | null;
  nullEq?: boolean[];
}

function describe(j: JoinSpec, fields: Field[], nLeft: number): string {
  const keys = j.leftKeys.map((k, i) => `${explainExpr(k, fields.slice(0, nLeft))} = ${explainExpr(j.rightKeys[i], fields.slice(nLeft))}`);
  const on = [...keys, ...(j.residual ? [explainExpr(j.residual, fields)] : [])];
  return on.length ? ` on ${on.join(' AND ')}` : '';
}

/** A join the leader runs over its two inputs' whole outputs. */
export class HashJoinOp extends LeaderOperator {
  constructor(readonly left: LeaderOperator, readonly right: LeaderOperator, readonly join: JoinSpec, fields: Field[], estRows: number) {
    super(fields, [left, right], estRows);
  }

  explain(): string {
    const j = this.join;
    if (j.joinType === 'CROSS') return `Nested Loop CROSS Join${j.residual ? ` filter ${explainExpr(j.residual, this.fields)}` : ''}`;
    if (isNestedLoop(this)) return `Nested Loop ${j.joinType} Join${describe(j, [...this.left.fields, ...this.right.fields], this.left.fields.length)}`;
    return `Hash ${j.joinType} Join (build: right input)${describe(j, [...this.left.fields, ...this.right.fields], this.left.fields.length)}`;
  }

  async run(ctx: RunContext): Promise<Batch> {
    // a block nested loop's blocks as they are made; an input in pieces (the slices' rows
    // through a LIMIT, Filter, ...) taken a piece at a time
    if (isNestedLoop(this)) return piecesWhole(ctx, this);
    if (joinsInPieces(this)) return (await joinPieces(ctx, this, false)).batch;
    const inputs: GraceInputs = { left: await ctx.run(this.left), right: await ctx.run(this.right) };
    const right = inputs.right!;
    if (right.length > MIN_SPILL_ROWS && this.memoryNeeded(inputs.left!, right) > ctx.guard.memory.availableBytes) {
      // over budget: partition both sides to disk and join them a partition at a time
      const parts = await graceJoin(ctx, inputs, this.graceSpec(ctx));
      return ctx.concatHeld(this.fields.map((f) => f.type), parts, 'hash join');
    }
    return this.joinBatches(ctx, inputs.left!, right);
  }

  /**
   * How this join runs over partition files: a pair that fits as a hash table over its build
   * rows, probed a block of its probe file at a time, and a pair too big that hashes as one key
   * a chunk of build rows at a time.
   */
  graceSpec(ctx: RunContext): GraceJoin {
    const j = this.join;
    const leftTypes = this.left.fields.map((f) => f.type), rightTypes = this.right.fields.map((f) => f.type);
    const spec: GraceJoin = {
      leftKeys: j.leftKeys, rightKeys: j.rightKeys, nullEq: j.nullEq, leftTypes, rightTypes,
      pairTable: (right) => new JoinTable(ctx, this, right), keepsBuild: j.joinType === 'FULL',
    };
    // a condition calling a model filters the joined rows of whole partitions (JoinTable)
    if (j.residual && hasModelCall(j.residual)) return spec;
    spec.chunked = {
      kind: j.joinType === 'FULL' || j.joinType === 'SINGLE' ? 'LEFT' : j.joinType as JoinKind,
      single: j.joinType === 'SINGLE',
      buildTypes: rightTypes, buildKeys: j.rightKeys, probeKeys: j.leftKeys, nullEq: j.nullEq, residual: j.residual,
      // FULL: each chunk's build rows no probe row matched, padded with NULLs on the left
      afterChunk: async (table, _chunk, sink) => {
        if (j.joinType === 'FULL') for (const padded of unmatchedBuildRows(table, leftTypes)) if (await sink(padded)) return true;
        return false;
      },
    };
    return spec;
  }

  /**
   * Bytes joining in memory would take besides the inputs: the hash table, and the output (the
   * rows an outer join keeps, or the planner's estimate, at the width of both sides' rows).
   */
  private memoryNeeded(left: Batch, right: Batch): number {
    const t = this.join.joinType;
    const kept = t === 'FULL' ? left.length + right.length : t === 'LEFT' || t === 'SINGLE' || t === 'ANTI' ? left.length : 0;
    const rows = Math.max(kept, Math.min(this.estRows, 4 * (left.length + right.length)));
    const width = batchBytes(left) / Math.max(1, left.length) + (t === 'SEMI' || t === 'ANTI' ? 0 : batchBytes(right) / Math.max(1, right.length));
    return BuildTable.estimateBytes(right.length, this.join.rightKeys.length) + rows * width;
  }

  /** The join of two batches in memory, put together for a consumer that needs one batch. */
  async joinBatches(ctx: RunContext, left: Batch, right: Batch): Promise<Batch> {
    const parts: Batch[] = [];
    const table = new JoinTable(ctx, this, right);
    const take = (b: Batch) => { parts.push(b); };
    await table.probe(left, take);
    await table.finish(take);
    return ctx.concatHeld(this.fields.map((f) => f.type), parts, 'hash join');
  }
}

/**
 * A leader join's hash table over its build (right) rows, probed a batch of probe (left) rows
 * at a time: each probe's joined rows are handed on in pieces of at most PROBE_PIECE rows as
 * they are made (held: the receiver keeps or gives them back), never put together here. One way
 * for every leader equi-join: inputs in memory, a probe side in pieces, a grace join's pair.
 */
export class JoinTable {
  private readonly table: BuildTable;
  private readonly building: object;
  /** the build rows' columns (the table's last one, in a FULL join whose condition calls a model, their numbers) */
  private readonly right: Vector[];
  /** a FULL join's build rows a pair passing a condition calling a model met (the table marks every pair of equal keys) */
  private readonly passed: Uint8Array | null;

  constructor(private readonly ctx: RunContext, private readonly op: HashJoinOp, right: Batch) {
    const j = op.join;
    const keys = projectBatch(right, j.rightKeys, null, right.length);
    this.building = ctx.reserve(BuildTable.estimateBytes(right.length, keys.length), 'hash join build');
    this.right = right.columns;
    const numbered = j.joinType === 'FULL' && j.residual !== null && hasModelCall(j.residual);
    this.passed = numbered ? new Uint8Array(right.length) : null;
    this.table = new BuildTable(numbered ? [...right.columns, rowNumbers(right.length)] : right.columns, keys, j.nullEq, ctx.guard);
  }

  /** Joins `left`'s rows, handing `take` each piece of joined rows (held). */
  async probe(left: Batch, take: (joined: Batch) => void | Promise<void>): Promise<void> {
    const { ctx } = this, j = this.op.join;
    const keys = projectBatch(left, j.leftKeys, null, left.length);
    const kind = (j.joinType === 'SINGLE' || j.joinType === 'FULL' ? 'LEFT' : j.joinType) as JoinKind;
    if (j.residual && hasModelCall(j.residual)) {
      // a condition calling a model filters the joined rows
      if (kind === 'INNER') return probeInChunks(ctx, left, keys, this.table, kind, null, async (b) => take(ctx.handOn(b, await ctx.keep(b, j.residual!), 'hash join')));
      return this.probeMarking(left, keys, j.residual, take);
    }
    let joined = 0;
    await probeInChunks(ctx, left, keys, this.table, kind, j.residual, (b) => {
      joined += b.length;
      // a LEFT join yields one row per left row exactly when no left row matches twice
      if (j.joinType === 'SINGLE' && joined > left.length) throw tooManyRows();
      return take(b);
    });
  }

  /**
   * An outer, semi or anti join whose condition calls a model over both inputs: the pairs of equal
   * keys (each probe row numbered, and each build row in a FULL join), the condition computed over
   * each piece of them with its model calls, the rows a passing pair met marked; once every pair
   * of `left` went by, its rows by their marks, as the nested loop hands them on.
   */
  private async probeMarking(left: Batch, keys: Vector[], residual: BExpr, take: (joined: Batch) => void | Promise<void>): Promise<void> {
    const { ctx } = this, type = this.op.join.joinType;
    const nl = left.columns.length, nr = this.right.length;
    const hit = new Uint8Array(left.length);
    // the condition over [left, its row number, right, (its row number)]
    const cond = mapCols(residual, (i, c) => (i < nl ? c : { ...c, index: i + 1 }));
    const numbered: Batch = { length: left.length, columns: [...left.columns, rowNumbers(left.length)] };
    await probeInChunks(ctx, numbered, keys, this.table, 'INNER', null, async (b) => {
      const passed = ctx.handOn(b, await ctx.keep(b, cond), 'hash join');
      const rows = passed.columns[nl].values, builds = type === 'FULL' ? passed.columns[nl + 1 + nr].values : null;
      for (let x = 0; x < passed.length; x++) {
        if (type === 'SINGLE' && hit[rows[x]]) throw tooManyRows();
        hit[rows[x]] = 1;
        if (builds) this.passed![builds[x]] = 1;
      }
      if (type === 'SEMI' || type === 'ANTI') return ctx.release(passed);
      await take(ctx.handOn(passed, { length: passed.length, columns: [...passed.columns.slice(0, nl), ...passed.columns.slice(nl + 1, nl + 1 + nr)] }, 'hash join'));
    });
    const rightTypes = this.op.right.fields.map((f) => f.type);
    for (const b of rowsMarked(left.columns, hit, left.length, type === 'SEMI' ? 1 : 0)) {
      await take(ctx.hold(type === 'SEMI' || type === 'ANTI' ? b : padBuildSide(b.columns, rightTypes, b.length), 'hash join'));
    }
  }

  /** Once every probe row went by: a FULL join's build rows none matched, padded with NULLs on the left; the table is given back. */
  async finish(take: (joined: Batch) => void | Promise<void>): Promise<void> {
    if (this.op.join.joinType === 'FULL') {
      const leftTypes = this.op.left.fields.map((f) => f.type);
      for (const padded of unmatchedBuildRows(this.table, leftTypes, this.right, this.passed ?? this.table.matched)) await take(this.ctx.hold(padded, 'hash join'));
    }
    this.ctx.release(this.building);
  }
}

/**
 * Probes a large left side a chunk of rows at a time, letting the event loop run between
 * chunks: the leader thread also answers other clients (and /health), which must not wait
 * for one statement's join. Each chunk's joined rows are handed to `emit` (held) in pieces of at
 * most PROBE_PIECE rows (a key may match many build rows). Results are those of one probe over all rows.
 */
export async function probeInChunks(ctx: RunContext, left: Batch, leftKeys: Vector[], table: BuildTable, kind: JoinKind, residual: BExpr | null, emit: (joined: Batch) => void | Promise<void>): Promise<void> {
  // the pieces' string columns keep the inputs' dictionaries, counted with the inputs already
  const counted = new WeakSet<readonly string[]>();
  for (const v of [...left.columns, ...table.build]) if (v.dict) counted.add(v.dict);
  // chunks sized to about PROBE_OUTPUT rows out: a join with many matches per key probes fewer rows
  // at a time (starting small, as the first chunk shows how many matches a row has)
  let size = left.length <= CHUNK ? left.length : 64;
  // advance by the rows just probed: `size` changes inside the loop
  for (let start = 0, n = 0; start < left.length; start += n) {
    n = Math.min(size, left.length - start);
    const whole = n === left.length;
    const pieces = new ProbePieces(whole ? left : rowRange(left, start, n), whole ? leftKeys : leftKeys.map((k) => vectorRange(k, start, n)), table, kind, residual, ctx.guard);
    let out = 0;
    for (const part of pieces) {
      out += part.length;
      await emit(ctx.hold(part, 'hash join', counted));
      if (pieces.more) await ctx.pause();
    }
    size = Math.max(16, Math.min(CHUNK, Math.floor(PROBE_OUTPUT / Math.max(1, out / n))));
    if (whole) return;
    await ctx.pause();
    ctx.check();
  }
}

/** Joined rows one probe step may produce before the leader pauses. */
const PROBE_OUTPUT = 131_072;

/**
 * The probe of a hash join inside every slice: children are the probe side (a slice pipeline)
 * and the build side: a Broadcast exchange, or, when both sides are distributed on the join key
 * (co-located), a slice pipeline each slice runs over its own rows first. INNER joins probe
 * whichever side is larger; LEFT, SEMI and ANTI joins probe their left (preserved) side, except
 * a SEMI or ANTI join whose left side is the smaller: it builds on the left and the right side's
 * rows mark the left rows they match (`marksBuild`).
 */
export class HashProbeOp extends SliceOperator {
  /** the filter this join hands its probe side's scan (set by runtime-filter-plan.ts), or null */
  runtimeFilter: RuntimeFilterPlan | null = null;

  constructor(readonly probeSide: SliceOperator, readonly build: BroadcastOp | SliceOperator, readonly probeIsLeft: boolean, readonly join: JoinSpec, fields: Field[], estRows: number) {
    super(fields, [probeSide, build], estRows);
  }

  /** Whether each slice computes its build side (co-located, redistributed or broadcast between the slices). */
  get colocated(): boolean {
    return this.build instanceof SliceOperator;
  }

  /** Whether each slice's table holds only its part of the build side (not broadcast). */
  get buildInParts(): boolean {
    return this.colocated && !(this.build instanceof SliceBroadcastOp);
  }

  /**
   * A semi or anti join built on its left (preserved) side, the smaller: each slice builds its
   * table from its own left rows, the right side's rows stream through and mark the rows they
   * match, and the marked (SEMI) or unmarked (ANTI) left rows go on.
   */
  get marksBuild(): boolean {
    return !this.probeIsLeft && (this.join.joinType === 'SEMI' || this.join.joinType === 'ANTI');
  }

  /**
   * An outer join that keeps its build side's rows: FULL, or a LEFT join built on its left (the
   * smaller) side. Each slice probes, marks the build rows matched and, once its probe rows are
   * all through, adds the others with NULL probe columns; so each build row must live in one
   * slice (co-located or redistributed by key, never broadcast).
   */
  get keepsBuild(): boolean {
    return this.join.joinType === 'FULL' || (this.join.joinType === 'LEFT' && !this.probeIsLeft);
  }

  /** How each probe row joins: a FULL join keeps unmatched probe rows (LEFT), a LEFT join built on its left drops them (INNER). */
  private get probeKind(): JoinStep['joinType'] {
    if (this.join.joinType === 'FULL') return 'LEFT';
    if (this.keepsBuild) return 'INNER';
    return this.join.joinType as JoinStep['joinType'];
  }

  /** `whole`: inside a build side every slice computes whole, where nothing is co-located or broadcast between slices. */
  explain(whole = false): string {
    const left = this.probeIsLeft ? this.probeSide : this.build;
    const right = this.probeIsLeft ? this.build : this.probeSide;
    const moved = this.probeSide instanceof RedistributeOp, built = this.build instanceof RedistributeOp;
    // a build side the leader sends is broadcast even inside one computed whole
    const how = moved && built ? 'both sides redistributed by key, each slice builds from the rows it received'
      : built ? 'build side redistributed to where the probe rows sit, each slice builds from the rows it received'
        : moved ? 'probe side redistributed to where the build rows sit, each slice builds from its own rows'
          : (whole && this.colocated) || this.build.inputsWhole ? 'computed whole by every slice, nothing moves'
            : this.buildInParts ? 'co-located, each slice builds from its own rows' : 'broadcast';
    const on = describe(this.join, [...left.fields, ...right.fields], left.fields.length);
    if (this.marksBuild) return `Hash ${this.join.joinType} Join (build: left input, ${how}; the right input's rows mark the left rows they match)${on}`;
    if (this.keepsBuild) return `Hash ${this.join.joinType} Join (probe: ${this.probeIsLeft ? 'left' : 'right'} input, build: ${how}; then each slice adds the build rows no probe row matched)${on}`;
    return `Hash ${this.join.joinType} Join (probe: ${this.probeIsLeft ? 'left' : 'right'} input, build: ${how})${on}`;
  }

  /**
   * Rows stay in their probe row's slice: the probe side's partitioning. After an inner join a
   * build key equal to a partition key (and hashing alike) holds the same value, so it is
   * another field to find that key in.
   */
  partitioning(slices: number): Partitioning | null {
    // left rows built on stay in the slice that built them
    if (this.marksBuild) return (this.build as SliceOperator).partitioning(slices);
    // a FULL join's unmatched build rows have NULL probe keys, wherever they sit
    if (this.join.joinType === 'FULL') return null;
    // a LEFT join built on its left: every row stays with its left row (the build side's fields come first)
    if (this.keepsBuild) return (this.build as SliceOperator).partitioning(slices);
    const p = this.probeSide.partitioning(slices);
    if (!p) return null;
    const probeOffset = this.probeIsLeft ? 0 : this.build.fields.length;
    const buildOffset = this.probeIsLeft ? this.probeSide.fields.length : 0;
    const keys = p.keys.map((alts) => {
      const out = alts.map((f) => f + probeOffset);
      if (this.join.joinType !== 'INNER') return out;
      this.probeKeys.forEach((k, i) => {
        const bk = this.buildKeys[i];
        if (k.k === 'col' && alts.includes(k.index) && bk.k === 'col' && hashCompatible(k.type, bk.type)) out.push(bk.index + buildOffset);
      });
      return out;
    });
    return { scheme: p.scheme, keys };
  }

  private get nLeft(): number {
    return this.probeIsLeft ? this.probeSide.fields.length : this.build.fields.length;
  }

  private get probeKeys(): BExpr[] {
    return this.probeIsLeft ? this.join.leftKeys : this.join.rightKeys;
  }

  get buildKeys(): BExpr[] {
    return this.probeIsLeft ? this.join.rightKeys : this.join.leftKeys;
  }

  /** Output fields of the build side (semi and anti joins output the probe side only). */
  private get outputsBuild(): boolean {
    return this.join.joinType === 'INNER' || this.join.joinType === 'LEFT' || this.join.joinType === 'FULL';
  }

  needs(wanted: Set<number>): Set<number>[] {
    const nl = this.nLeft;
    if (this.marksBuild) {
      // the output fields are the build side's (the left input)
      const p = new Set<number>(), b = new Set<number>(wanted);
      for (const k of this.probeKeys) usedColumns(k, p);
      for (const k of this.buildKeys) usedColumns(k, b);
      if (this.join.residual) for (const i of usedColumns(this.join.residual)) (i < nl ? b.add(i) : p.add(i - nl));
      return [p, b];
    }
    const probeOffset = this.probeIsLeft ? 0 : nl;
    const buildOffset = this.probeIsLeft ? nl : 0;
    const nProbe = this.probeSide.fields.length, nBuild = this.build.fields.length;
    const p = new Set<number>(), b = new Set<number>();
    const add = (i: number) => {
      if (i - probeOffset >= 0 && i - probeOffset < nProbe) p.add(i - probeOffset);
      else if (i - buildOffset >= 0 && i - buildOffset < nBuild) b.add(i - buildOffset);
    };
    if (this.outputsBuild) for (const i of wanted) add(i);
    else for (const i of wanted) p.add(i); // semi/anti output fields are the probe's
    for (const k of this.probeKeys) usedColumns(k, p);
    if (this.join.residual) for (const i of usedColumns(this.join.residual)) add(i);
    // a co-located build side computes its key values in the slices
    if (this.colocated) for (const k of this.buildKeys) usedColumns(k, b);
    return [p, b];
  }

  /**
   * The build side as sent to the slices: the leader runs it, reading only the fields the
   * slices use (`sent`) and the key columns; it sends those fields, then the key values. An
   * input in pieces is cut a piece at a time, its rows past what the leader holds in a file.
   */
  async buildSide(ctx: RunContext, sent: Set<number>): Promise<RowPieces> {
    const broadcast = this.build as BroadcastOp;
    const order = [...sent].sort((x, y) => x - y);
    // the sent fields, then the key values, of each batch holding the input's `fields`
    const cutter = (fields: number[]) => {
      const pos = new Map(fields.map((f, i) => [f, i]));
      const keyExprs = this.buildKeys.map((k) => mapCols(k, (i, c) => ({ ...c, index: pos.get(i)! })));
      return (batch: Batch): Batch => ({ length: batch.length, columns: [...order.map((i) => batch.columns[pos.get(i)!]), ...projectBatch(batch, keyExprs, null, batch.length)] });
    };
    if (streams(broadcast.input)) {
      const types = [...order.map((i) => broadcast.fields[i].type), ...this.buildKeys.map((k) => k.type)];
      return broadcast.runPieces(ctx, types, cutter(broadcast.fields.map((_, i) => i)));
    }
    const want = new Set(sent);
    for (const k of this.buildKeys) usedColumns(k, want);
    const { batch, fields } = await broadcast.runFields(ctx, want);
    return { batch: cutter(fields)(batch), files: [], fileRows: 0 };
  }

  /**
   * Hands the join's filter to the program that scans the planner's scan: this one, or one whose
   * rows are redistributed to it (keys then read through its output). Only when the keys read
   * nothing but columns the scan loaded, which keep their positions through every step.
   */
  private attachRuntimeFilter(b: PipelineBuilder, step: JoinStep, probeKeys: BExpr[]): void {
    const rf = this.runtimeFilter;
    if (!rf) return;
    let program = b;
    let keys = probeKeys;
    while (program.scan !== rf.scan) {
      const source = program.spec.source;
      if (!source || program.scan) return;
      const out = source.spec.output;
      if (out.kind !== 'rows') return;
      keys = keys.map((k) => mapCols(k, (i) => out.exprs[i]));
      program = b.programs[source.program];
    }
    const width = program.spec.columns.length;
    if (!keys.every((k) => keyColumn(k) !== null && keyColumn(k)!.index < width)) return;
    (program.spec.joinFilters ??= []).push({
      join: step,
      keys,
      zoneCols: keys.map((k) => (k.k === 'col' && !isString(k.type) ? k.index : -1)),
      // a build side in parts (one per slice) filters rows every slice may receive: merge the parts
      ...(program !== b && this.buildInParts ? { merge: { keys: Math.max(1, Math.ceil(this.build.estRows)) } } : {}),
    });
  }

  /**
   * A join that marks its build side: the left rows are a nested program ([sent fields..., keys])
   * each slice runs first and builds on; a second nested program runs the right side and marks
   * them; this program reads the rows kept (spec.marked).
   */
  private pipeMarked(b: PipelineBuilder): Layout {
    const sent = [...b.wantedOf(this.build)].sort((x, y) => x - y);
    const nb = b.nested();
    const layout = nb.input(this.build);
    nb.output({ kind: 'rows', exprs: [...sent.map((i) => layout[i]!), ...this.buildKeys.map((k) => nb.lift(nb.at(layout, k)))] });
    const pb = b.nested();
    const probeLayout = pb.input(this.probeSide);
    const base = pb.width;
    const buildLayout: Layout = this.build.fields.map(() => null);
    sent.forEach((f, j) => { buildLayout[f] = { k: 'col', index: base + j, type: this.build.fields[f].type }; });
    const residual = this.join.residual ? pb.at([...buildLayout, ...probeLayout], this.join.residual) : null;
    const probeKeys = this.probeKeys.map((k) => pb.at(probeLayout, k));
    const step: JoinStep = {
      joinType: this.join.joinType as 'SEMI' | 'ANTI',
      probeKeys,
      buildKeys: this.buildKeys.map((_, i) => sent.length + i),
      build: [],
      local: { program: nb.program, spec: nb.spec },
      residual,
      ...(this.join.nullEq ? { nullEq: this.join.nullEq } : {}),
    };
    pb.output({ kind: 'mark', join: step });
    this.attachRuntimeFilter(pb, step, probeKeys);
    b.spec.marked = { join: step, probe: { program: pb.program, spec: pb.spec } };
    b.width = sent.length + this.buildKeys.length;
    const out: Layout = this.fields.map(() => null);
    sent.forEach((f, j) => { out[f] = { k: 'col', index: j, type: this.fields[f].type }; });
    return out;
  }

  pipe(b: PipelineBuilder): Layout {
    if (this.marksBuild) return this.pipeMarked(b);
    let probeLayout = b.input(this.probeSide);
    if (this.keepsBuild) {
      if (!this.buildInParts) throw new SqlError('INTERNAL_ERROR', `a ${this.join.joinType} join keeping its build rows over a broadcast build side`);
      // its unmatched build rows pad the probe fields with NULL: they must be columns
      probeLayout = b.materialize(probeLayout);
    }
    const sent = [...b.wantedOf(this.build)].sort((x, y) => x - y);
    let local: { program: number; spec: FragmentSpec } | undefined;
    let width: number;
    if (this.build instanceof SliceOperator) {
      // each slice first runs the build side's pipeline over its own rows: [sent fields..., keys]
      const nb = b.nested();
      const layout = nb.input(this.build);
      nb.output({ kind: 'rows', exprs: [...sent.map((i) => layout[i]!), ...this.buildKeys.map((k) => nb.lift(nb.at(layout, k)))] });
      local = { program: nb.program, spec: nb.spec };
      width = sent.length + this.buildKeys.length;
    } else width = b.builds.get(this)!.batch.columns.length;
    const base = b.width;
    const buildLayout: Layout = this.build.fields.map(() => null);
    sent.forEach((f, j) => { buildLayout[f] = { k: 'col', index: base + j, type: this.build.fields[f].type }; });
    const joined = this.probeIsLeft ? [...probeLayout, ...buildLayout] : [...buildLayout, ...probeLayout];
    let residual = this.join.residual ? b.at(joined, this.join.residual) : null;
    let after: BExpr | null = null;
    if (residual && hasModelCall(residual)) {
      // a join condition calling a model becomes a filter after the join (and the model; an
      // INNER join: the planner keeps others at the leader)
      after = residual;
      residual = null;
    }
    const probeKeys = this.probeKeys.map((k) => b.at(probeLayout, k));
    const step: JoinStep = {
        joinType: this.probeKind,
        probeKeys,
        buildKeys: this.buildKeys.map((_, i) => sent.length + i),
        build: [],
        // a broadcast build side goes once into shared memory that every slice reads (its rows
        // past what the leader holds: files every slice reads)
        ...(local ? { local } : sentBuild(b.builds.get(this)!)),
        residual,
        ...(this.join.nullEq ? { nullEq: this.join.nullEq } : {}),
        ...(this.keepsBuild ? { keepsBuild: { probeTypes: padTypes(probeLayout, base) } } : {}),
    };
    b.step({ k: 'join', join: step }, this.outputsBuild ? width : 0);
    this.attachRuntimeFilter(b, step, probeKeys);
    if (after) b.step({ k: 'filter', pred: b.lift(after) });
    return this.outputsBuild ? joined : probeLayout;
  }
}

/** A build side broadcast from the leader as a join step carries it. */
function sentBuild(built: RowPieces): Pick<JoinStep, 'sent' | 'sentFiles'> {
  return { sent: toWire(built.batch.columns, 'share').columns, ...(built.files.length ? { sentFiles: built.files } : {}) };
}

/**
 * The types of a probe batch's `width` columns for NULL padding when no probe row came: the
 * fields' types where the layout reads them (nothing reads the other columns).
 */
function padTypes(layout: Layout, width: number): SqlType[] {
  const types: SqlType[] = Array.from({ length: width }, () => ({ id: 'INTEGER' }) as SqlType);
  for (const e of layout) if (e && e.k === 'col' && e.index < width) types[e.index] = e.type;
  return types;
}
