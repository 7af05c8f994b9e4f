// Small helpers over whole batches shared by the leader's operators and the slices: empty and
// concatenated batches, row ranges, plain-column projection, and yielding to the event loop.
import type { Batch, Vector } from '../types/vector.ts';
import { makeVector, concatVectors, concatVectorsYielding, gather } from '../types/vector.ts';
import { TYPES, isString, type SqlType } from '../types/types.ts';
import type { BExpr } from '../plan/bound.ts';
import { projectBatch } from './kernels.ts';
import { packedMap } from '../types/packed-map.ts';

/** Rows per chunk when the leader runs a kernel over a large batch, checking for cancel between. */
export const CHUNK = 65536;

/** Lets other clients' callbacks run (the leader thread also answers /health and other queries). */
export const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

export function emptyBatch(types: SqlType[]): Batch {
  return { length: 0, columns: packedMap(types, (t) => makeVector(t, 0, new (TYPES[t.id].array)(0), null, isString(t) ? [] : undefined)) };
}

export function concatBatches(types: SqlType[], parts: Batch[]): Batch {
  const nonEmpty = parts.filter((p) => p.length > 0);
  if (nonEmpty.length === 1) return nonEmpty[0];
  if (nonEmpty.length === 0) return emptyBatch(types);
  return { length: nonEmpty.reduce((s, p) => s + p.length, 0), columns: packedMap(types, (t, i) => concatVectors(t, packedMap(nonEmpty, (p) => p.columns[i]))) };
}

/** concatBatches for the leader: awaits `pause` between steps of merging large string dictionaries. */
export async function concatBatchesYielding(types: SqlType[], parts: Batch[], pause: () => Promise<void>): Promise<Batch> {
  const nonEmpty = parts.filter((p) => p.length > 0);
  if (nonEmpty.length <= 1) return concatBatches(types, nonEmpty);
  const columns: Vector[] = [];
  for (let i = 0; i < types.length; i++) columns.push(await concatVectorsYielding(types[i], nonEmpty.map((p) => p.columns[i]), pause));
  return { length: nonEmpty.reduce((s, p) => s + p.length, 0), columns };
}

/** Rows [start, start + n) of a vector, sharing its arrays (and keeping its exact wide values and frame). */
export function vectorRange(v: Vector, start: number, n: number): Vector {
  const out = makeVector(v.type, n, v.values.subarray(start, start + n), v.valid ? v.valid.subarray(start, start + n) : null, v.dict);
  if (v.big) out.big = v.big.slice(start, start + n);
  if (v.frame) out.frame = { base: v.frame.base, deltas: v.frame.deltas.subarray(start, start + n) };
  return out;
}

export function rowRange(b: Batch, start: number, n: number): Batch {
  return { length: n, columns: packedMap(b.columns, (c) => vectorRange(c, start, n)) };
}

/** Rows [offset, offset + limit) of a batch (all the rest for a null limit). */
export function sliceRows(b: Batch, offset: number, limit: number | null): Batch {
  const end = limit === null ? b.length : Math.min(b.length, offset + limit);
  const start = Math.min(offset, b.length);
  if (start === 0 && end === b.length) return b;
  const sel = new Uint32Array(end - start);
  for (let i = 0; i < sel.length; i++) sel[i] = start + i;
  return { length: sel.length, columns: packedMap(b.columns, (c) => gather(c, sel, sel.length)) };
}

/** Evaluates expressions over a batch; plain column references pass through untouched (keeping exact wide decimals). */
export function projectColumns(input: Batch, exprs: BExpr[]): Vector[] {
  if (exprs.every((e) => e.k === 'col')) return packedMap(exprs, (e) => input.columns[(e as { index: number }).index]);
  const computed = projectBatch(input, exprs.map((e) => (e.k === 'col' ? { k: 'const', value: null, type: e.type } as BExpr : e)), null, input.length);
  return packedMap(exprs, (e, i) => (e.k === 'col' ? input.columns[e.index] : computed[i]));
}

/** The rows of a batch at the selected positions. */
export function selectRows(b: Batch, sel: Uint32Array, count: number): Batch {
  return { length: count, columns: packedMap(b.columns, (c) => gather(c, sel, count)) };
}
