// Grace hash join: when a join's build side would not fit in what is left of the statement's
// memory budget, both inputs are split by the hash of their join keys into partitions on disk
// (rows with equal keys land in the same partition on both sides), the inputs are given back,
// and the partitions are joined one pair at a time. A partition whose build side still does not
// fit is split again with another hash, up to MAX_LEVEL times; past that (one key holding most
// rows) the join runs anyway and the budget fails it with OUT_OF_MEMORY if it must.
import type { BExpr } from '../../plan/bound.ts';
import type { Batch } from '../../types/vector.ts';
import { gather } from '../../types/vector.ts';
import { KeyBatch } from '../hash-table.ts';
import { projectBatch } from '../kernels.ts';
import { CHUNK, concatBatches, rowRange } from '../batches.ts';
import { BuildTable } from '../hash-join.ts';
import type { SpillWriter } from './spill-file.ts';
import type { RunContext } from '../operators/run-context.ts';
import type { SqlType } from '../../types/types.ts';

/** Partitions per split (a power of two: the partition is the top bits of a remixed hash). */
export const FANOUT = 16;
const FANOUT_BITS = 4;
/** Splits before a partition is joined whatever its size. */
export const MAX_LEVEL = 3;
/** Odd constants remixing the key hash per level, so a re-split spreads a partition's rows. */
const SEEDS = [0x9e3779b1, 0x85ebca77, 0xc2b2ae3d, 0x27d4eb2f];

export interface GraceInputs {
  left: Batch | null;
  right: Batch | null;
}

export interface GraceJoin {
  leftKeys: BExpr[];
  rightKeys: BExpr[];
  nullEq?: boolean[];
  leftTypes: SqlType[];
  rightTypes: SqlType[];
  /** joins one pair of partitions that fits (the in-memory hash join) */
  joinPart(left: Batch, right: Batch): Promise<Batch>;
}

/** Bytes a build side of `rows` rows and `keys` key columns needs besides its rows. */
export const buildBytes = (rows: number, keys: number) => BuildTable.estimateBytes(rows, keys);

/**
 * Joins `inputs` partition by partition through spill files. It takes the batches out of
 * `inputs` (and gives back their reservations) once they are written, so they can be collected.
 */
export async function graceJoin(ctx: RunContext, inputs: GraceInputs, j: GraceJoin, level = 0): Promise<Batch[]> {
  const right = partition(ctx, inputs.right!, j.rightKeys, j.nullEq, level, 'hash join build partition');
  ctx.release(inputs.right!);
  inputs.right = null;
  await ctx.pause();
  const left = partition(ctx, inputs.left!, j.leftKeys, j.nullEq, level, 'hash join probe partition');
  ctx.release(inputs.left!);
  inputs.left = null;
  await ctx.pause();
  const out: Batch[] = [];
  for (let p = 0; p < FANOUT; p++) {
    ctx.check();
    const part: GraceInputs = { right: readAll(ctx, right[p], j.rightTypes), left: readAll(ctx, left[p], j.leftTypes) };
    const rb = part.right!;
    if (rb.length + part.left!.length === 0) continue;
    ctx.hold(rb, 'hash join build partition');
    ctx.hold(part.left!, 'hash join probe partition');
    if (level < MAX_LEVEL && rb.length > 1 && buildBytes(rb.length, j.rightKeys.length) > ctx.guard.memory.availableBytes) {
      out.push(...await graceJoin(ctx, part, j, level + 1));
      continue;
    }
    const joined = await j.joinPart(part.left!, rb);
    out.push(ctx.hold(joined, 'hash join'));
    ctx.release(part.left!);
    ctx.release(rb);
  }
  return out;
}

/** Writes a batch's rows to FANOUT spill files by the hash of their key values at this level. */
function partition(ctx: RunContext, b: Batch, keyExprs: BExpr[], nullEq: boolean[] | undefined, level: number, what: string): SpillWriter[] {
  const files = Array.from({ length: FANOUT }, () => ctx.spill.create(what));
  const seed = SEEDS[level];
  for (let start = 0; start < b.length; start += CHUNK) {
    ctx.check();
    const n = Math.min(CHUNK, b.length - start);
    const chunk = rowRange(b, start, n);
    const keys = projectBatch(chunk, keyExprs, null, n);
    const hashes = new KeyBatch(keys, n, nullEq ?? false).hashes;
    const part = new Uint8Array(n);
    const counts = new Int32Array(FANOUT);
    for (let i = 0; i < n; i++) { const p = Math.imul(hashes[i] ^ seed, 0x9e3779b1) >>> (32 - FANOUT_BITS); part[i] = p; counts[p]++; }
    for (let p = 0; p < FANOUT; p++) {
      if (counts[p] === 0) continue;
      const sel = new Uint32Array(counts[p]);
      for (let i = 0, k = 0; i < n; i++) if (part[i] === p) sel[k++] = i;
      files[p].write({ length: sel.length, columns: chunk.columns.map((c) => gather(c, sel, sel.length)) });
    }
  }
  for (const f of files) f.close();
  return files;
}

/** A partition's rows, read back and deleted. */
function readAll(ctx: RunContext, f: SpillWriter, types: SqlType[]): Batch {
  const r = ctx.spill.read(f.path);
  const blocks = r.all();
  ctx.spill.done(r);
  return concatBatches(types, blocks);
}
