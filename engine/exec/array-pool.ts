// Typed arrays a slice's statements take for their join hash tables and GROUP BY tables and hand
// back when they end, so that the next statement reuses them instead of allocating new ones. Why: every new
// typed array is backing-store memory V8 counts towards its next collections. A join's table
// lives through the whole statement, so its arrays outlive the young generation and count
// towards the old one: at SF 1, TPC-H Q9's tables came to ~25 MB a slice a query, and with the
// other arrays a query keeps they set off a full mark-compact per query in each slice, marked on
// V8's helper threads that compete with the slices for the cores.
import type { TypedArray } from '../types/types.ts';

export type ArrayKind<T extends TypedArray> = new (n: number) => T;

/**
 * One slice's idle arrays, by kind, at most `maxIdleBytes` of them. Arrays are handed out only
 * through a lease, one per statement, and come back only when that statement ends well: a
 * statement that failed or was canceled may still have work under way that writes to them, so
 * its arrays are dropped (left to the garbage collector), never handed to another statement.
 */
export class ArrayPool {
  private readonly idle = new Map<ArrayKind<TypedArray>, TypedArray[]>();
  private idleBytes = 0;

  /** `overPressure`: whether the process is short of memory (idle arrays are then let go) */
  constructor(readonly maxIdleBytes: number, private readonly overPressure: () => boolean = () => false) {}

  /** A statement's lease: what it takes stays its own until it ends. */
  lease(): ArrayLease {
    return new ArrayLease(this);
  }

  /** Bytes of the arrays idle in the pool now. */
  get bytes(): number {
    return this.idleBytes;
  }

  /** Lets every idle array go. */
  clear(): void {
    this.idle.clear();
    this.idleBytes = 0;
  }

  /** The smallest idle array of `kind` with n to 2n elements (a larger one would waste memory), taken out of the pool. */
  takeIdle<T extends TypedArray>(kind: ArrayKind<T>, n: number): T | null {
    const list = this.idle.get(kind as ArrayKind<TypedArray>);
    if (!list) return null;
    let best = -1;
    for (let i = 0; i < list.length; i++) {
      const len = list[i].length;
      if (len >= n && len <= 2 * n && (best < 0 || len < list[best].length)) best = i;
    }
    if (best < 0) return null;
    const a = list[best];
    list[best] = list[list.length - 1];
    list.pop();
    this.idleBytes -= a.byteLength;
    return a as T;
  }

  /** Arrays a statement that ended well gives back: kept while they fit and memory is not short. */
  giveBack(arrays: TypedArray[]): void {
    if (this.overPressure()) { this.clear(); return; }
    for (const a of arrays) {
      if (this.idleBytes + a.byteLength > this.maxIdleBytes) continue;
      const kind = a.constructor as ArrayKind<TypedArray>;
      let list = this.idle.get(kind);
      if (!list) { list = []; this.idle.set(kind, list); }
      list.push(a);
      this.idleBytes += a.byteLength;
    }
  }
}

/**
 * The arrays one statement took from a pool. `take` hands out n elements of an idle array (a
 * view when the array is longer) or of a new one, whatever an earlier statement left in them.
 * The statement's memory budget counts them as it counts its tables (by their rows).
 */
export class ArrayLease {
  private readonly taken: TypedArray[] = [];
  private done = false;

  constructor(private readonly pool: ArrayPool) {}

  /** n elements whose contents are whatever the last user left there. */
  take<T extends TypedArray>(kind: ArrayKind<T>, n: number): T {
    if (this.done) return new kind(n);
    const a = this.pool.takeIdle(kind, n) ?? new kind(n);
    this.taken.push(a);
    return (a.length === n ? a : a.subarray(0, n)) as T;
  }

  /** n elements set to 0. */
  zeroed<T extends TypedArray>(kind: ArrayKind<T>, n: number): T {
    const a = this.take(kind, n);
    a.fill(0);
    return a;
  }

  /** Whether the statement ended (its arrays went back or were dropped). */
  get ended(): boolean {
    return this.done;
  }

  /** Bytes of the arrays this lease holds. */
  get bytes(): number {
    return this.taken.reduce((s, a) => s + a.byteLength, 0);
  }

  /**
   * The statement ended: its arrays go back to the pool when it ended well (`ok`), else they
   * are dropped. Arrays taken after this are the caller's own, never pooled.
   */
  end(ok: boolean): void {
    if (this.done) return;
    this.done = true;
    if (ok) this.pool.giveBack(this.taken);
    this.taken.length = 0;
  }
}

/** n elements from `lease` (whatever an earlier statement left there), or a new array without one. */
export function takeArray<T extends TypedArray>(lease: ArrayLease | null, kind: ArrayKind<T>, n: number): T {
  return lease ? lease.take(kind, n) : new kind(n);
}

/** n elements set to 0, from `lease` or new. */
export function zeroedArray<T extends TypedArray>(lease: ArrayLease | null, kind: ArrayKind<T>, n: number): T {
  return lease ? lease.zeroed(kind, n) : new kind(n);
}
