// Hash aggregation. With a slice pipeline below, every slice aggregates its own rows into partial
// states (PartialAggregateOp) and the leader merges them and finishes (FinalAggregateOp, over the
// Gather). Over a leader input, one table does both (HashAggregateOp).
import type { BAgg, BExpr } from '../../plan/bound.ts';
import { aggInputs, mapAggInputs, usedColumns } from '../../plan/bound.ts';
import type { Field } from '../../plan/logical.ts';
import type { Batch } from '../../types/vector.ts';
import { groupsInKeyOrder, type AggSpec, type GroupTable } from '../aggregate.ts';
import { CHUNK } from '../batches.ts';
import { SpillingGroups, leaderHost, partialBytes } from '../spill/spill-aggregate.ts';
import { LeaderOperator, SliceOperator, type PhysicalOperator } from './operator.ts';
import type { Layout, PipelineBuilder } from './pipeline.ts';
import { explainPartitioning, type Partitioning } from '../partitioning.ts';
import { explainExpr } from '../explain.ts';
import type { RunContext } from './run-context.ts';
import type { GatherOp } from './gather.ts';
import { SqlError } from '../../errors.ts';
import { forEachPiece, rowsInFile, type RowPieces } from './row-pieces.ts';

const describe = (keys: BExpr[], aggs: BAgg[]) => `keys: ${keys.length}, aggregates: ${aggs.map((a) => a.fn).join(', ') || 'none'}`;

export class HashAggregateOp extends LeaderOperator {
  constructor(readonly input: LeaderOperator, readonly keys: BExpr[], readonly aggs: BAgg[], fields: Field[], estRows: number) {
    super(fields, [input], estRows);
  }

  explain(): string {
    return `Hash Aggregate (${describe(this.keys, this.aggs)})`;
  }

  async run(ctx: RunContext): Promise<Batch> {
    return (await this.groups(ctx, false)).batch;
  }

  /** The groups for a consumer that reads them a piece at a time: spilled partitions' groups go to a file. */
  async runForClient(ctx: RunContext): Promise<RowPieces> {
    return ctx.recordPieces(this, () => this.groups(ctx, true));
  }

  private async groups(ctx: RunContext, toFile: boolean): Promise<RowPieces> {
    const args = this.aggs.flatMap(aggInputs);
    let t: SpillingGroups | null = null;
    const consume = async (raw: Batch) => {
      const m = await ctx.withModels(raw, [...this.keys, ...args]);
      const input = m.batch;
      if (!t) {
        // (model calls are lifted to the same columns in every piece)
        const keys = m.exprs.slice(0, this.keys.length);
        let next = this.keys.length;
        const aggs = this.aggs.map((a) => mapAggInputs(a, () => m.exprs[next++]));
        t = new SpillingGroups(leaderHost(ctx), { keys, aggs }, 'aggregate');
      }
      for (let start = 0; start < input.length; start += CHUNK) {
        ctx.check();
        const n = Math.min(CHUNK, input.length - start);
        if (start === 0 && n === input.length) t.consume(input, null, n);
        else {
          const range = new Uint32Array(n);
          for (let i = 0; i < n; i++) range[i] = start + i;
          t.consume(input, range, n);
        }
        await ctx.pause();
      }
    };
    // an input that comes in pieces (a LIMIT or UNION ALL over the slices' rows, a CROSS join, ...) is read a piece at a time
    await forEachPiece(ctx, this.input, consume);
    return finishGroups(ctx, t!, this.fields, toFile);
  }
}

/** Each slice's groups and aggregate states over its own rows. */
export class PartialAggregateOp extends SliceOperator {
  readonly decidesOutput = true;

  partitioning(): Partitioning | null {
    return null;
  }

  /** one integer key's dense [min, max] by the statistics (denseKeyRange): group ids from an array */
  keyRange: [number, number] | null = null;

  /** `purpose`: what the aggregate computes when the query wrote no GROUP BY (a set operation's rows) */
  constructor(readonly input: PhysicalOperator, readonly keys: BExpr[], readonly aggs: BAgg[], fields: Field[], estRows: number, readonly purpose = '') {
    super(fields, [input], estRows);
  }

  explain(): string {
    const ordered = groupsInKeyOrder(this.keys, this.aggs, this.keyRange) ? ', rows put in key-range order first' : '';
    const array = this.keyRange ? `; group ids from an array over key values ${this.keyRange[0]}..${this.keyRange[1]}${ordered}` : '';
    return `Partial Hash Aggregate (${this.purpose ? `${this.purpose}; ` : ''}${describe(this.keys, this.aggs)}${array})`;
  }

  needs(): Set<number>[] {
    const used = new Set<number>();
    for (const e of [...this.keys, ...this.aggs.flatMap(aggInputs)]) usedColumns(e, used);
    return [used];
  }

  pipe(b: PipelineBuilder): Layout {
    const layout = b.input(this.input);
    const at = (e: BExpr) => b.lift(b.at(layout, e));
    const spec: AggSpec = { keys: this.keys.map(at), aggs: this.aggs.map((a) => mapAggInputs(a, at)), filter: null };
    if (this.keyRange) spec.keyRange = this.keyRange;
    // with nothing between the scan and the aggregate, the filter runs inside the aggregation loop
    if (b.spec.steps.length === 0 && b.spec.filter) { spec.filter = b.spec.filter; b.spec.filter = null; }
    b.output({ kind: 'agg', spec });
    return [];
  }
}

/**
 * Final aggregation inside the slices, for many groups: the partial states are redistributed by
 * group key (every slice sends each other slice the groups whose key hashes to it), so each
 * slice merges and finishes its own share of the groups; operators above (HAVING, projections,
 * top-N) keep running in the slices and the leader only concatenates. When the input is
 * already partitioned on some of the group keys (`colocated`: a DISTKEY table, rows
 * redistributed by key, a join of such), every group's rows sit in one slice and nothing moves.
 */
export class SliceFinalAggregateOp extends SliceOperator {
  /**
   * `colocated`: the input's partitioning on group keys (nothing moves). Else the partial states
   * move by the hash of every group key, or with `placedBy`, by the DISTKEY placement of that one
   * group key: where the rows of a KEY table it joins on that key sit.
   */
  constructor(readonly partial: PartialAggregateOp, readonly colocated: Partitioning | null = null, readonly placedBy?: number) {
    super(partial.fields, [partial], partial.estRows);
  }

  explain(): string {
    if (this.colocated && !this.colocated.keys.length) return 'Final Hash Aggregate (one slice holds every group: it finishes them)';
    if (this.colocated) {
      const input = this.partial.input;
      return `Final Hash Aggregate (co-located: input ${explainPartitioning(this.colocated, (f) => input.fields[f].name)}; each slice finishes its own groups)`;
    }
    if (this.placedBy !== undefined) {
      const key = explainExpr(this.partial.keys[this.placedBy], this.partial.input.fields);
      return `Final Hash Aggregate (partial states placed by ${key} as the DISTKEY table it joins; each slice finishes its own groups)`;
    }
    return 'Final Hash Aggregate (partial states redistributed by group key; each slice finishes its own groups)';
  }

  /** Groups sit by the hash of all group keys (output fields 0..k-1), by one's placement, or as the input sat on the keys it was partitioned by. */
  partitioning(): Partitioning | null {
    const keys = this.partial.keys;
    if (!this.colocated) return this.placedBy !== undefined ? { scheme: 'table', keys: [[this.placedBy]] } : { scheme: 'hash', keys: keys.map((_, g) => [g]) };
    const out = this.colocated.keys.map((alts) => keys.flatMap((k, g) => (k.k === 'col' && alts.includes(k.index) ? [g] : [])));
    return { scheme: this.colocated.scheme, keys: out };
  }

  needs(): Set<number>[] {
    return [new Set(this.fields.map((_, i) => i))];
  }

  pipe(b: PipelineBuilder): Layout {
    const nb = b.nested();
    nb.input(this.partial);
    const placed = this.placedBy !== undefined ? { keys: [this.placedBy], placement: 'table' as const } : { keys: [] };
    b.spec.source = { program: nb.program, spec: nb.spec, ...placed, ...(this.colocated ? { local: true as const } : {}) };
    b.width = this.fields.length;
    return this.fields.map((f, i) => ({ k: 'col', index: i, type: f.type }));
  }
}

/** Merges the slices' partial states and finishes the aggregates at the leader. */
export class FinalAggregateOp extends LeaderOperator {
  constructor(readonly input: GatherOp, readonly partial: PartialAggregateOp) {
    super(partial.fields, [input], partial.estRows);
  }

  explain(): string {
    return `Final Hash Aggregate (merges the slices' partial states)`;
  }

  async run(ctx: RunContext): Promise<Batch> {
    return (await this.groups(ctx, false)).batch;
  }

  /** The groups for a consumer that reads them a piece at a time: spilled partitions' groups go to a file. */
  async runForClient(ctx: RunContext): Promise<RowPieces> {
    return ctx.recordPieces(this, () => this.groups(ctx, true));
  }

  private async groups(ctx: RunContext, toFile: boolean): Promise<RowPieces> {
    const g = await ctx.timed(this.input, () => this.input.gather(ctx));
    if (g.kind !== 'agg') throw new SqlError('INTERNAL_ERROR', 'expected partial aggregates from the slices');
    const groups = g.partials.reduce((s, p) => s + p.groups, 0);
    ctx.record(this.input, groups);
    // the slices' states, given back once merged; the merged table counts (or spills) as it grows
    const sent = g.partials.map((p) => ctx.reserve(partialBytes(p), 'partial aggregates from the slices'));
    const t = new SpillingGroups(leaderHost(ctx), g.spec, 'aggregate');
    // slices whose groups spilled sent their files: merged partition by partition at the end
    for (const files of g.spilled) t.adopt(files);
    // a few thousand groups at a time, letting other clients in between; each slice's states
    // are given back once merged
    for (let i = 0; i < g.partials.length; i++) {
      await t.merge(g.partials[i]);
      g.partials[i] = null!;
      ctx.release(sent[i]);
    }
    ctx.check();
    return finishGroups(ctx, t, this.fields, toFile);
  }
}

/**
 * The finished groups: one table's, or every spilled partition's in turn, as one batch; with
 * `toFile` (a consumer in pieces), spilled partitions' groups go to a file as each is finished.
 */
async function finishGroups(ctx: RunContext, t: SpillingGroups, fields: Field[], toFile: boolean): Promise<RowPieces> {
  const keyTypes = t.spec.keys.map((k) => k.type);
  const types = fields.map((f) => f.type);
  const each = (table: GroupTable): Batch => {
    ctx.check();
    const columns = table.finish(keyTypes);
    return { length: table.groups, columns };
  };
  if (toFile && t.spilled) return rowsInFile(ctx, types, (put) => t.finish((table) => put(each(table))));
  const parts: Batch[] = [];
  await t.finish((table) => { parts.push(ctx.hold(each(table), 'aggregate')); });
  return { batch: await ctx.concatHeld(types, parts, 'aggregate'), files: [], fileRows: 0 };
}
