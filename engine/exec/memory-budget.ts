// Per-query memory accounting. Operators that grow without bound (materialised intermediate
// results, hash tables, sorts, aggregates, result sets, recursive working tables) reserve
// their estimated bytes here; past the limit the query fails with OUT_OF_MEMORY instead of the
// process dying. Every reservation also counts into the process-wide total of all running
// statements (the server's --memory-limit, see memory-governor.ts), so many statements together
// cannot take the process down either. Estimates, not exact heap usage: typed arrays count
// their bytes, strings two bytes a character plus a header, JS objects a fixed overhead.
import { totalmem } from 'node:os';
import { SqlError } from '../errors.ts';
import type { Batch, Vector } from '../types/vector.ts';

/** The default per-query limit: a quarter of the machine's memory. */
export function defaultQueryMemoryLimit(): number {
  return Math.floor(totalmem() / 4);
}

/** The default limit of the whole process (all statements, caches and slices): half of the machine's memory. */
export function defaultMemoryLimit(): number {
  return Math.floor(totalmem() / 2);
}

/** The process-wide total all running statements reserve into (KB, shared with the slice threads). */
export interface SharedTotal {
  counter: Int32Array;
  limitBytes: number;
}

/** A statement counter's value once the statement ended: reservations after it count nowhere. */
const CLOSED = -(2 ** 30);

const MB = 1024 * 1024;

/** Parses a memory size: bytes, or a number with KB/MB/GB (as in `SET query_memory_limit = '2GB'`). */
export function parseMemorySize(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(b|kb|mb|gb|tb)?\s*$/i.exec(text);
  if (!m) throw new SqlError('INVALID_PARAMETER', `invalid memory size "${text}": use a number of bytes or e.g. 512MB, 2GB`);
  const unit = { b: 1, kb: 1024, mb: MB, gb: 1024 * MB, tb: 1024 * 1024 * MB }[(m[2] ?? 'b').toLowerCase() as 'b'];
  const bytes = Math.floor(Number(m[1]) * unit);
  if (bytes < MB) throw new SqlError('INVALID_PARAMETER', `memory limit ${text} is too small; the minimum is 1MB`);
  return bytes;
}

/**
 * One query's running total of reserved bytes against its limit. The total lives in a shared
 * Int32 (KB units) so the leader and every slice thread of the query count into one number; the
 * next Int32 keeps the highest total reached (EXPLAIN ANALYZE's peak memory), and the two after
 * it what the leader and the slices spilled to disk (KB and files: one cap for the statement).
 */
export class MemoryBudget {
  readonly counter: Int32Array;
  /** KB this instance reserved and has not given back (a slice's share, see releaseAll) */
  private mine = 0;
  /**
   * Bytes this instance reserved and has not given back, exactly: the counter is in KB, and
   * rounding each of many small reservations up (a slice's output pieces) while their sum is
   * given back at once would keep up to a KB a piece counted after it was freed.
   */
  private heldBytes = 0;

  constructor(readonly limitBytes: number = defaultQueryMemoryLimit(), counter?: Int32Array, readonly total?: SharedTotal) {
    this.counter = counter ?? new Int32Array(new SharedArrayBuffer(16));
  }

  /** What operators over the budget wrote to disk instead, leader and slices (EXPLAIN ANALYZE). */
  get spilled(): { bytes: number; files: number } {
    return { bytes: Atomics.load(this.counter, 2) * 1024, files: Atomics.load(this.counter, 3) };
  }

  /** Counts bytes and files written to spill files; returns the statement's bytes spilled so far. */
  addSpilled(bytes: number, files: number): number {
    if (files) Atomics.add(this.counter, 3, files);
    return (Atomics.add(this.counter, 2, Math.ceil(bytes / 1024)) + Math.ceil(bytes / 1024)) * 1024;
  }

  /** Reserves `bytes` for `what` (e.g. "hash join build"), or fails the query when over its or the server's limit. */
  reserve(bytes: number, what: string): void {
    if (!(bytes > 0)) return;
    const kb = Math.ceil((this.heldBytes + bytes) / 1024) - this.mine;
    if (kb <= 0) { this.heldBytes += bytes; return; }
    const before = Atomics.add(this.counter, 0, kb);
    // the statement has ended (a slice still finishing a batch): its memory was given back already
    if (before < 0) { Atomics.sub(this.counter, 0, kb); return; }
    const total = (before + kb) * 1024;
    raisePeak(this.counter, before + kb);
    if (total > this.limitBytes) {
      Atomics.sub(this.counter, 0, kb);
      throw new SqlError('OUT_OF_MEMORY', `query exceeded its memory limit of ${mb(this.limitBytes)} MB (${what} needed ${mb(bytes)} MB more, ${mb(total)} MB in all); add filters or a LIMIT, or raise it with SET query_memory_limit`);
    }
    if (!this.total) { this.mine += kb; this.heldBytes += bytes; return; }
    const all = (Atomics.add(this.total.counter, 0, kb) + kb) * 1024;
    if (all > this.total.limitBytes) {
      Atomics.sub(this.total.counter, 0, kb);
      Atomics.sub(this.counter, 0, kb);
      throw new SqlError('OUT_OF_MEMORY', `the server's running statements would exceed its memory limit of ${mb(this.total.limitBytes)} MB (${what} needed ${mb(bytes)} MB more; all statements hold ${mb(all - kb * 1024)} MB); retry when fewer statements run, or ask the operator to raise strata serve --memory-limit`);
    }
    this.mine += kb;
    this.heldBytes += bytes;
  }

  /** Gives back bytes an operator no longer holds. */
  release(bytes: number): void {
    if (!(bytes > 0)) return;
    this.heldBytes = Math.max(0, this.heldBytes - bytes);
    this.releaseKb(this.mine - Math.ceil(this.heldBytes / 1024));
  }

  /**
   * Gives back everything this instance reserved: a slice's view of the statement's budget
   * when its fragment is done (what it sends back, the leader reserves again).
   */
  releaseAll(): void {
    this.heldBytes = 0;
    this.releaseKb(this.mine);
  }

  private releaseKb(want: number): void {
    const kb = Math.min(want, Atomics.load(this.counter, 0));
    if (kb <= 0) return;
    this.mine -= kb;
    Atomics.sub(this.counter, 0, kb);
    if (this.total) Atomics.sub(this.total.counter, 0, kb);
  }

  /** The statement ended: gives everything it holds back to the server's total; later reservations count nowhere. */
  close(): void {
    const held = Atomics.exchange(this.counter, 0, CLOSED);
    if (held > 0 && this.total) Atomics.sub(this.total.counter, 0, held);
  }

  get usedBytes(): number { return Math.max(0, Atomics.load(this.counter, 0)) * 1024; }
  /** Bytes the statement may still reserve before its limit. */
  get availableBytes(): number { return Math.max(0, this.limitBytes - this.usedBytes); }
  /** The highest total the statement reached, leader and slices together. */
  get peakBytes(): number { return Atomics.load(this.counter, 1) * 1024; }
}

function raisePeak(counter: Int32Array, kb: number): void {
  let peak = Atomics.load(counter, 1);
  while (kb > peak) {
    const seen = Atomics.compareExchange(counter, 1, peak, kb);
    if (seen === peak) return;
    peak = seen;
  }
}

function mb(bytes: number): string {
  return (bytes / MB).toFixed(bytes < 10 * MB ? 1 : 0);
}

/**
 * Bytes of a column vector: its arrays, plus its dictionary strings. With `counted`, a
 * dictionary already in it is not counted again (many batches of a segment share one).
 */
export function vectorBytes(v: Vector, counted?: WeakSet<readonly string[]>): number {
  let b = v.values.byteLength + (v.valid?.byteLength ?? 0);
  if (v.dict && !counted?.has(v.dict)) { b += stringsBytes(v.dict); counted?.add(v.dict); }
  if (v.big) b += v.big.length * 16;
  if (v.frame) b += v.frame.deltas.byteLength;
  return b;
}

export function batchBytes(b: Batch): number {
  let n = 0;
  for (const c of b.columns) n += vectorBytes(c);
  return n;
}

/** Strings: 2 bytes a character and a header each; a large array is sampled. */
function stringsBytes(xs: readonly string[]): number {
  const n = xs.length;
  if (n === 0) return 0;
  const step = Math.max(1, Math.floor(n / 1000));
  let sampled = 0, chars = 0;
  for (let i = 0; i < n; i += step) { chars += xs[i]?.length ?? 0; sampled++; }
  return Math.round((chars / sampled) * 2 * n) + n * 24;
}

/** Estimated heap bytes of result rows (arrays of JS values), from a sample of up to 1000 rows. */
export function rowsBytes(rows: readonly (readonly unknown[])[]): number {
  const n = rows.length;
  if (n === 0) return 0;
  const step = Math.max(1, Math.floor(n / 1000));
  let sampled = 0, bytes = 0;
  for (let i = 0; i < n; i += step) {
    const row = rows[i];
    bytes += 32 + row.length * 8;
    for (const v of row) bytes += typeof v === 'string' ? 24 + v.length * 2 : typeof v === 'object' && v !== null ? 64 : 0;
    sampled++;
  }
  return Math.round((bytes / sampled) * n);
}
