// Typed arrays an operator reuses batch after batch instead of allocating new ones. Every new
// typed array is backing-store memory V8 counts towards its next collection: in the slices, the
// per-batch selections, key copies and probe pairs of a TPC-H join at SF 1 came to tens of MB a
// query, and each such amount set off a scavenge or a full mark-compact, run on helper threads
// that compete with the slices for the cores.
import type { TypedArray } from '../types/types.ts';

type ArrayKind<T extends TypedArray> = new (n: number) => T;

/**
 * One reusable array of one kind. `take(n)` returns a view of exactly n elements over an array
 * kept from the last call (grown when too small), so whatever the previous call's view held is
 * overwritten: its owner must be done with one batch's array before taking the next, and must
 * never hand the view to anything that keeps it past the batch (a batch sent on, a build side,
 * output rows). Views (`subarray`) are small heap objects; only their storage is reused.
 */
export class ReusedArray<T extends TypedArray> {
  private array: T;

  constructor(private readonly kind: ArrayKind<T>) {
    this.array = new kind(0);
  }

  /** n elements whose contents are whatever the last user left there. */
  take(n: number): T {
    if (this.array.length < n) this.array = new this.kind(Math.max(n, 1024, this.array.length * 2));
    return this.array.subarray(0, n) as T;
  }

  /** n elements set to 0. */
  zeroed(n: number): T {
    const a = this.take(n);
    a.fill(0);
    return a;
  }

  /** The elements this array holds now (for memory accounting). */
  get capacity(): number {
    return this.array.length;
  }

  /** The bytes this array holds now. */
  get bytes(): number {
    return this.array.byteLength;
  }
}

/**
 * Reused arrays for the columns of the batches one operator hands to another that copies what it
 * keeps (a probe's joined rows going into the next probe): one ReusedArray per column position
 * and array kind. What `take` returns is overwritten by the next batch's call for that column.
 */
export class ReusedColumns {
  private readonly arrays = new Map<string, ReusedArray<TypedArray>>();

  /** n elements of `like`'s kind for column `column`, whatever the last batch left there. */
  take(column: number, like: TypedArray, n: number): TypedArray {
    const kind = like.constructor as ArrayKind<TypedArray>;
    const key = `${column}:${kind.name}`;
    let r = this.arrays.get(key);
    if (!r) { r = new ReusedArray(kind); this.arrays.set(key, r); }
    return r.take(n);
  }

  /** Bytes the arrays hold now (each as large as the largest batch its column took). */
  get bytes(): number {
    let bytes = 0;
    for (const r of this.arrays.values()) bytes += r.bytes;
    return bytes;
  }
}
