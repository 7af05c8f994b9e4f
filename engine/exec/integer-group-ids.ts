// Group ids for a GROUP BY of one integer column whose values, by the table's statistics, span a
// range not much wider than the expected groups (TPC-H Q18's l_orderkey: 1.5M orders over keys
// 1..6M): an array indexed by `value - lo` holds each value's id + 1, so a row's group is one
// array read, where a hash table reads a slot and then the stored key, each a cache miss at a
// million groups. Ids are handed out as KeyTable hands them out (dense, in order of first
// insertion), so GroupTable reads either alike. A key outside the range (statistics gone stale)
// or not an integer below 2^53 moves the groups seen so far into a KeyTable, which takes over.
import { KeyBatch, KeyTable } from './hash-table.ts';
import { isInteger, typeInfo, type SqlType } from '../types/types.ts';
import type { Vector } from '../types/vector.ts';
import { makeVector } from '../types/vector.ts';
import type { LNode } from '../plan/logical.ts';
import { numericRange } from '../plan/cardinality.ts';
import { takeArray, zeroedArray, type ArrayLease } from './array-pool.ts';

/** Array entries allowed per expected group: 32 bytes, about what a hash table takes per group. */
const DENSITY = 8;
/** At most this many entries (64 MB). */
const LIMIT = 1 << 24;
const EXACT_LIMIT = 9007199254740992;

/**
 * The [min, max] of an aggregate's one integer GROUP BY column, from the statistics of the table
 * it is read from, when an array over it takes no more than DENSITY entries per expected group.
 */
export function denseKeyRange(n: Extract<LNode, { k: 'aggregate' }>, groups: number): [number, number] | null {
  const key = n.keys.length === 1 ? n.keys[0] : null;
  if (!key || key.k !== 'col' || !isInteger(key.type)) return null;
  const r = numericRange(n.input, key.index);
  if (!r) return null;
  const span = r.max - r.min + 1;
  return span > 0 && span <= LIMIT && span <= DENSITY * groups ? [r.min, r.max] : null;
}

export class IntegerGroupIds {
  size = 0;
  /** the value entry 0 stands for */
  private readonly lo: number;
  /** entries of the array over the key's range */
  private readonly span: number;
  /** id + 1 per value - lo; 0: no group yet. Made on the first insert (a table that gets no rows allocates nothing) */
  private slots = new Int32Array(0);
  /** each id's value */
  private values = new Float64Array(64);
  /** the id of the NULL group, -1 while there is none */
  private nullId = -1;
  /** the hash table that took over, once a key did not fit */
  private hashed: KeyTable | null = null;

  /** With `arrays`, the array over the range and the values come from (and go back to) a statement's lease of a slice's pool. */
  constructor(private readonly type: SqlType, [min, max]: [number, number], private readonly arrays: ArrayLease | null = null) {
    this.lo = min;
    this.span = max - min + 1;
  }

  /** The id of each row's key (NULL is a group of its own), adding keys not seen before. */
  insert(keys: KeyBatch, out: Int32Array = new Int32Array(keys.count)): Int32Array {
    if (this.hashed !== null || keys.cols[0].big !== null) return this.byHash(keys, out);
    const col = keys.cols[0], num = col.num!, valid = col.valid, n = keys.count;
    if (this.slots.length === 0) this.slots = zeroedArray(this.arrays, Int32Array, this.span);
    const slots = this.slots, lo = this.lo;
    for (let i = 0; i < n; i++) {
      if (valid !== null && valid[i] === 0) {
        if (this.nullId < 0) this.nullId = this.add(0);
        out[i] = this.nullId;
        continue;
      }
      const v = num[i], at = v - lo;
      if (at >= 0 && at < slots.length) {
        const e = slots[at];
        if (e > 0) { out[i] = e - 1; continue; }
      }
      if (!(at >= 0 && at < slots.length && Math.floor(v) === v && v < EXACT_LIMIT && v > -EXACT_LIMIT)) return this.byHash(keys, out);
      const id = this.add(v);
      slots[at] = id + 1;
      out[i] = id;
    }
    return out;
  }

  /** The key of group `id`: its number, or null for the NULL group. */
  value(_c: number, id: number): number | string | bigint | null {
    if (this.hashed !== null) return this.hashed.value(0, id);
    return id === this.nullId ? null : this.values[id];
  }

  /** The first `n` groups' keys as a vector of `type` (NULL where the NULL group is); null once a hash table took over. */
  keyVector(type: SqlType, n: number): Vector | null {
    if (this.hashed !== null) return null;
    const values = new (typeInfo(type).array)(n);
    values.set(this.values.subarray(0, n));
    let valid: Uint8Array | null = null;
    if (this.nullId >= 0 && this.nullId < n) { valid = new Uint8Array(n).fill(1); valid[this.nullId] = 0; }
    return makeVector(type, n, values, valid);
  }

  /** Whether a hash table took over (a key outside the range). */
  get hashing(): boolean {
    return this.hashed !== null;
  }

  private add(v: number): number {
    const id = this.size++;
    if (id === this.values.length) { const grown = takeArray(this.arrays, Float64Array, id * 2); grown.set(this.values); this.values = grown; }
    this.values[id] = v;
    return id;
  }

  /** Hands the groups so far (ids kept) to a KeyTable and inserts the batch there. */
  private byHash(keys: KeyBatch, out: Int32Array): Int32Array {
    if (this.hashed === null) {
      const table = new KeyTable(['num'], this.size);
      if (this.size > 0) {
        const valid = this.nullId < 0 ? null : Uint8Array.from({ length: this.size }, (_, id) => (id === this.nullId ? 0 : 1));
        const seen = new KeyBatch([makeVector(this.type, this.size, this.values.subarray(0, this.size), valid)], this.size, true);
        table.insert(seen);
      }
      this.hashed = table;
      this.slots = new Int32Array(0);
    }
    const ids = this.hashed.insert(keys, out);
    this.size = this.hashed.size;
    return ids;
  }
}
