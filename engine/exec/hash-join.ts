// Hash join: build a chained hash table over the build side's key columns once, then probe it
// batch by batch. Used inside slices (build side broadcast) and at the leader.
import type { Batch, Vector } from '../types/vector.ts';
import { isString } from '../types/types.ts';
import type { JoinStep } from './fragment.ts';
import { filterBatch, projectBatch } from './kernels.ts';
import type { BExpr } from '../plan/bound.ts';

type Key = number | string;

const noop = () => {};

/** The build side: rows chained by key (head row per key, next row per row). */
export class BuildTable {
  readonly head = new Map<Key, number>();
  readonly next: Int32Array;
  /** build rows that found a partner (for RIGHT/FULL joins) */
  readonly matched: Uint8Array;

  constructor(readonly build: Vector[], keyCols: Vector[], nullEq?: boolean[], tick: () => void = noop) {
    const n = build.length ? build[0].length : keyCols[0]?.length ?? 0;
    this.next = new Int32Array(n).fill(-1);
    this.matched = new Uint8Array(n);
    const read = keyReader(keyCols, nullEq);
    for (let r = n - 1; r >= 0; r--) {
      tick();
      const k = read(r);
      if (k === null) continue;
      const h = this.head.get(k);
      if (h !== undefined) this.next[r] = h;
      this.head.set(k, r);
    }
  }
}

/** The key part standing for NULL where NULL matches NULL (a string, so never equal to a number key). */
const NULL_KEY = '\u0000NULL';

/**
 * Reads a row's join key as one number or string; null when any part is NULL (never matches),
 * except parts marked in `nullEq`, where NULL is a value like any other.
 */
export function keyReader(cols: Vector[], nullEq?: boolean[]): (r: number) => Key | null {
  const one = (v: Vector) => isString(v.type) ? (r: number) => v.dict![v.values[r]] : (r: number) => v.values[r];
  const readers = cols.map(one);
  if (cols.length === 1) {
    const [v] = cols, f = readers[0];
    if (!v.valid) return f;
    return nullEq?.[0] ? (r) => (v.valid![r] === 0 ? NULL_KEY : f(r)) : (r) => (v.valid![r] === 0 ? null : f(r));
  }
  return (r) => {
    const parts: Key[] = [];
    for (let k = 0; k < cols.length; k++) {
      if (cols[k].valid && cols[k].valid![r] === 0) {
        if (!nullEq?.[k]) return null;
        parts.push(NULL_KEY);
        continue;
      }
      parts.push(readers[k](r));
    }
    return JSON.stringify(parts);
  };
}

/** Gathers rows by index; index -1 yields NULL (outer join padding). */
export function takeRows(v: Vector, rows: Int32Array, count: number): Vector {
  const values = new (v.values.constructor as { new (n: number): typeof v.values })(count);
  let valid: Uint8Array | null = null;
  for (let i = 0; i < count; i++) {
    const r = rows[i];
    if (r < 0 || (v.valid && v.valid[r] === 0)) { (valid ??= new Uint8Array(count).fill(1))[i] = 0; continue; }
    values[i] = v.values[r];
  }
  const out: Vector = { type: v.type, length: count, values, valid, dict: v.dict };
  if (v.big) out.big = Array.from(rows.subarray(0, count), (r) => (r < 0 ? null : v.big![r]));
  return out;
}

export type JoinKind = 'INNER' | 'LEFT' | 'SEMI' | 'ANTI';

/**
 * Probes `table` with each row of `probe` (keys already evaluated in `probeKeys`). INNER/LEFT
 * output probe columns then build columns; SEMI/ANTI output probe columns only. A residual
 * predicate (over the joined columns) decides which key matches count.
 */
export function probe(probeBatch: Batch, probeKeys: Vector[], table: BuildTable, kind: JoinKind, residual: BExpr | null, nullEq?: boolean[], tick: () => void = noop): Batch {
  const n = probeBatch.length;
  const read = keyReader(probeKeys, nullEq);
  let cap = Math.max(16, n);
  let pRows = new Int32Array(cap), bRows = new Int32Array(cap);
  let m = 0;
  const push = (p: number, b: number) => {
    if (m === cap) {
      cap *= 2;
      const np = new Int32Array(cap); np.set(pRows); pRows = np;
      const nb = new Int32Array(cap); nb.set(bRows); bRows = nb;
    }
    pRows[m] = p; bRows[m] = b; m++;
  };
  // `tick` lets a cancel or timeout stop a probe whose output explodes (many matches per key)
  for (let r = 0; r < n; r++) {
    tick();
    const k = read(r);
    let b = k === null ? undefined : table.head.get(k);
    if (b === undefined) { if (kind === 'LEFT' || kind === 'ANTI') push(r, -1); continue; }
    if (kind === 'SEMI' && !residual) { push(r, b); continue; }
    if (kind === 'ANTI' && !residual) continue;
    for (; b >= 0; b = table.next[b]) { tick(); push(r, b); }
  }
  let joined: Batch = {
    length: m,
    columns: [...probeBatch.columns.map((c) => takeRows(c, pRows, m)), ...table.build.map((c) => takeRows(c, bRows, m))],
  };
  if (residual) {
    // keep pairs passing the residual; unmatched probe rows of LEFT/ANTI stay (padded)
    const { sel, count } = filterBatch(joined, residual);
    const keep = new Uint8Array(m);
    for (let i = 0; i < count; i++) keep[sel[i]] = 1;
    const hit = new Uint8Array(n);
    for (let i = 0; i < m; i++) if (keep[i] && bRows[i] >= 0) hit[pRows[i]] = 1;
    const rowsP = new Int32Array(m + n), rowsB = new Int32Array(m + n);
    let k = 0;
    if (kind === 'SEMI' || kind === 'ANTI') {
      for (let r = 0; r < n; r++) if ((kind === 'SEMI') === (hit[r] === 1)) { rowsP[k] = r; rowsB[k] = -1; k++; }
    } else {
      const padded = new Uint8Array(n);
      for (let i = 0; i < m; i++) {
        const p = pRows[i];
        if (keep[i] && bRows[i] >= 0) { rowsP[k] = p; rowsB[k] = bRows[i]; k++; }
        else if (kind === 'LEFT' && !hit[p] && !padded[p]) { padded[p] = 1; rowsP[k] = p; rowsB[k] = -1; k++; }
      }
    }
    pRows = rowsP; bRows = rowsB; m = k;
    joined = { length: m, columns: [...probeBatch.columns.map((c) => takeRows(c, pRows, m)), ...table.build.map((c) => takeRows(c, bRows, m))] };
  }
  for (let i = 0; i < m; i++) if (bRows[i] >= 0) table.matched[bRows[i]] = 1;
  if (kind === 'SEMI' || kind === 'ANTI') {
    if (!residual) return { length: m, columns: probeBatch.columns.map((c) => takeRows(c, pRows, m)) };
    return { length: m, columns: joined.columns.slice(0, probeBatch.columns.length) };
  }
  return joined;
}

const built = new WeakMap<JoinStep, BuildTable>();

/** A slice's probe step of a broadcast join (the build table is built once per fragment). */
export function hashJoinBatch(batch: Batch, step: JoinStep, tick: () => void = noop, reserve: (bytes: number) => void = noop): Batch {
  let table = built.get(step);
  if (!table) {
    reserve((step.build[0]?.length ?? 0) * 64);
    table = new BuildTable(step.build, step.buildKeys.map((c) => step.build[c]), step.nullEq, tick);
    built.set(step, table);
  }
  const keys = projectBatch(batch, step.probeKeys, null, batch.length);
  return probe(batch, keys, table, step.joinType, step.residual ?? null, step.nullEq, tick);
}
