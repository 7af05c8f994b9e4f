// Rows of a GROUP BY over one integer key whose array of group ids is too large for the CPU's
// caches (IntegerGroupIds over a wide key range), put in order of key range before they are
// grouped. TPC-H Q18 groups lineitem's 6M rows by l_orderkey; stored by l_shipdate, the rows
// come in no order of their key, so each one read its key's entry in a 24 MB array and its
// group's states at a random place: a cache miss or two a row. Here up to CHUNK_ROWS rows are
// held, then put in BUCKETS buckets by key range (a count as they come, each row's place, then
// one pass a column moving it there) and grouped bucket by bucket: each bucket reads 1/BUCKETS
// of the array, and the groups it makes get ids, and states, side by side. The keys' order
// within a bucket does not matter. Q18's GROUP BY at SF 1 in one slice: 519 -> ~320 ms.
import { makeVector, type Batch, type Vector } from '../types/vector.ts';
import type { SqlType, TypedArray } from '../types/types.ts';
import { takeArray, type ArrayLease } from './array-pool.ts';

/** Key ranges the rows are put in (a bucket of a 6M-value range reads 23 KB of the array). */
export const BUCKETS = 1024;
/**
 * Rows held at once, each column twice (as they came, then by bucket): 16 MB a column, and 4 MB
 * of places. A larger chunk groups more of each key's rows in one pass (Q18 with 2M rows:
 * ~240 ms), for twice the memory.
 */
const CHUNK_ROWS = 1 << 20;
/** Rows handed on at a time. */
const PIECE_ROWS = 65536;
/** Key ranges below this many values: the array fits in cache, the rows are grouped as they come. */
export const MIN_BUCKETED_SPAN = 1 << 20;

type Ctor = new (n: number) => TypedArray;

/** One column's rows as they came, then in bucket order; validity once a batch brought some. */
interface Held { values: TypedArray; sorted: TypedArray; valid: Uint8Array | null; sortedValid: Uint8Array | null; hasNulls: boolean }

export class KeyBuckets {
  /** rows held now */
  rows = 0;
  private readonly shift: number;
  /** rows held per bucket; while draining, each bucket's next place */
  private readonly counts = new Int32Array(BUCKETS);
  private held: Held[] = [];
  private types: SqlType[] = [];
  /** each held row's place in bucket order */
  private at = new Int32Array(0);

  /** rows a chunk holds, set by the first batch's columns; -1 when the allowance holds too few (the rows are grouped as they come) */
  private chunkRows = 0;

  /**
   * Keys from `lo`, `span` values wide, read from batch column `key`; arrays from the statement's
   * lease, at most `maxBytes` of them (a chunk smaller than a batch holds nothing), at most
   * `maxRows` rows a chunk.
   */
  constructor(private readonly lo: number, span: number, private readonly key: number, private readonly arrays: ArrayLease | null, private readonly maxBytes = Infinity, private readonly maxRows = CHUNK_ROWS) {
    this.shift = Math.max(0, Math.ceil(Math.log2(span / BUCKETS)));
  }

  /**
   * Holds the rows of `batch` in `sel` (or its first n). False, holding none of them, when they
   * do not fit in what is left of the chunk, or when its columns are not all plain numbers like
   * the rows held (a string's dictionary and exact wide values belong to their batch): the
   * caller then groups what is held (`drain`) and tries again, or groups the batch itself.
   */
  add(batch: Batch, sel: Uint32Array | null, n: number): boolean {
    const cols = batch.columns;
    for (let c = 0; c < cols.length; c++) if (cols[c].dict !== undefined || cols[c].big !== undefined) return false;
    if (this.chunkRows < 0 || (this.held.length === 0 && !this.start(cols))) return false;
    if (this.held.length !== cols.length || n > this.chunkRows - this.rows) return false;
    for (let c = 0; c < cols.length; c++) if (this.held[c].values.constructor !== cols[c].values.constructor) return false;
    const from = this.rows;
    for (let c = 0; c < cols.length; c++) {
      const v = cols[c], h = this.held[c];
      if (v.valid !== null && !h.hasNulls) {
        h.valid ??= takeArray(this.arrays, Uint8Array, this.chunkRows);
        h.sortedValid ??= takeArray(this.arrays, Uint8Array, this.chunkRows);
        h.valid.fill(1, 0, from);
        h.hasNulls = true;
      }
      copyRows(v, h, sel, n, from);
    }
    countBuckets(this.held[this.key].values, from, from + n, this.lo, this.shift, this.counts);
    this.rows += n;
    return true;
  }

  /** Hands the held rows on bucket by bucket, PIECE_ROWS at a time, then holds none. */
  drain(grouped: (batch: Batch, n: number) => void): void {
    const n = this.rows;
    if (n === 0) return;
    const next = this.counts;
    for (let b = 0, sum = 0; b < BUCKETS; b++) { const c = next[b]; next[b] = sum; sum += c; }
    placesOf(this.held[this.key].values, n, this.lo, this.shift, next, this.at);
    for (const h of this.held) place(h, this.at, n);
    for (let s = 0; s < n; s += PIECE_ROWS) {
      const m = Math.min(PIECE_ROWS, n - s);
      const columns: Vector[] = [];
      for (let c = 0; c < this.held.length; c++) {
        const h = this.held[c];
        columns.push(makeVector(this.types[c], m, h.sorted.subarray(s, s + m), h.hasNulls ? h.sortedValid!.subarray(s, s + m) : null));
      }
      grouped({ length: m, columns }, m);
    }
    this.rows = 0;
    this.counts.fill(0);
    for (const h of this.held) h.hasNulls = false;
  }

  /** Takes a chunk's arrays for rows of these columns; false when the allowance holds too few rows. */
  private start(cols: Vector[]): boolean {
    // each column twice, its validity twice, and each row's place
    const rowBytes = cols.reduce((b, v) => b + 2 * v.values.BYTES_PER_ELEMENT + 2, 4);
    this.chunkRows = Math.min(this.maxRows, Math.floor(this.maxBytes / rowBytes));
    if (this.chunkRows < Math.min(PIECE_ROWS, this.maxRows)) { this.chunkRows = -1; return false; }
    this.types = cols.map((v) => v.type);
    this.held = cols.map((v) => {
      const C = v.values.constructor as Ctor;
      return { values: takeArray(this.arrays, C, this.chunkRows), sorted: takeArray(this.arrays, C, this.chunkRows), valid: null, sortedValid: null, hasNulls: false };
    });
    this.at = takeArray(this.arrays, Int32Array, this.chunkRows);
    return true;
  }
}

/** A key's bucket (a key outside the range, from statistics gone stale, goes to the last). */
function bucketOf(key: number, lo: number, shift: number): number {
  const b = (key - lo) >>> shift;
  return b < BUCKETS ? b : BUCKETS - 1;
}

function countBuckets(keys: TypedArray, from: number, to: number, lo: number, shift: number, counts: Int32Array): void {
  for (let i = from; i < to; i++) counts[bucketOf(Number(keys[i]), lo, shift)]++;
}

/** Appends the rows of `v` in `sel` (or its first n) at `from`. */
function copyRows(v: Vector, h: Held, sel: Uint32Array | null, n: number, from: number): void {
  const src = v.values, dst = h.values, valid = v.valid;
  if (sel === null) dst.set(src.subarray(0, n) as never, from);
  else for (let j = 0; j < n; j++) dst[from + j] = src[sel[j]];
  if (!h.hasNulls) return;
  const hv = h.valid!;
  if (valid === null) hv.fill(1, from, from + n);
  else if (sel === null) hv.set(valid.subarray(0, n), from);
  else for (let j = 0; j < n; j++) hv[from + j] = valid[sel[j]];
}

/** Each row's place in bucket order (`next`: each bucket's next place). */
function placesOf(keys: TypedArray, n: number, lo: number, shift: number, next: Int32Array, at: Int32Array): void {
  for (let i = 0; i < n; i++) at[i] = next[bucketOf(Number(keys[i]), lo, shift)]++;
}

/** Puts a column's held rows at their places, validity too. */
function place(h: Held, at: Int32Array, n: number): void {
  const src = h.values, dst = h.sorted;
  for (let i = 0; i < n; i++) dst[at[i]] = src[i];
  if (!h.hasNulls) return;
  const v = h.valid!, sv = h.sortedValid!;
  for (let i = 0; i < n; i++) sv[at[i]] = v[i];
}
