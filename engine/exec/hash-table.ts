// Open-addressing hash table (linear probing over typed arrays) that maps keys to dense ids.
// Joins chain build rows per id, GROUP BY keeps aggregate states per id, DISTINCT and set
// operations count or mark ids. Keys are hashed from their physical representation: numbers
// from their bits (integral values as integers, so INTEGER and BIGINT columns agree), strings
// from their characters, hashed once per dictionary entry — never from a per-row JS string.
// A BIGINT (or wide DECIMAL) past 2^53 hashes from its double, which exact values sharing it
// also have, and compares equal only by its exact value (`Vector.big`).
import { takeInto, type Vector } from '../types/vector.ts';
import { isString, type SqlType, type TypedArray } from '../types/types.ts';
import { widenInto } from '../storage/widen.ts';
import { ReusedArray } from './scratch.ts';
import { takeArray, zeroedArray, type ArrayLease } from './array-pool.ts';
import { packedMap } from '../types/packed-map.ts';

/** How a key column is stored: as a double, or as a string (dictionary-coded in vectors). */
export type KeyKind = 'num' | 'str';

export const keyKind = (t: SqlType): KeyKind => (isString(t) ? 'str' : 'num');

/** One key column of a batch, normalized so the table reads it the same way whatever its type. */
interface KeyColumn {
  /** numbers as doubles (null for string columns) */
  num: Float64Array | null;
  /** string columns: codes into `dict` */
  codes: Int32Array | null;
  dict: string[] | null;
  /** 0 marks a NULL */
  valid: Uint8Array | null;
  /** exact values of the rows past 2^53 (BIGINT, wide DECIMAL) */
  big: (bigint | null)[] | null;
}

/** Doubles at or past 2^53 may stand for several exact values: equal ones are compared exactly. */
const EXACT_LIMIT = 9007199254740992;

const F64 = new Float64Array(1);
const U32 = new Uint32Array(F64.buffer);
const NULL_HASH = 0x5bd1e995;
const NAN_HASH = 0x7ff80000;

/** murmur3's 32-bit finalizer: spreads every input bit over the low bits the table masks by. */
function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** Hash of a number: -0 and 0 hash alike, every NaN hashes alike, integral values hash as integers. */
export function hashNumber(v: number): number {
  if (v === (v | 0)) return fmix(v | 0);
  if (v !== v) return NAN_HASH;
  F64[0] = v;
  return fmix(U32[0] ^ fmix(U32[1] + 0x9e3779b9));
}

/** The hash KeyBatch gives a key of one numeric column holding `v` (not NULL), without building one. */
export function oneNumberKeyHash(v: number): number {
  // a one-column key's running hash is that column's hash: combine(0, x) === x
  return fmix(hashNumber(v));
}

/** FNV-1a over UTF-16 code units, finalized. */
export function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return fmix(h);
}

/** Hashes per dictionary entry, computed once per dictionary (dictionaries only ever grow). */
const dictHashes = new WeakMap<string[], Uint32Array>();

function hashesOf(dict: string[]): Uint32Array {
  let h = dictHashes.get(dict);
  if (h && h.length === dict.length) return h;
  const from = h ? h.length : 0;
  const grown = new Uint32Array(dict.length);
  if (h) grown.set(h);
  for (let i = from; i < dict.length; i++) grown[i] = hashString(dict[i]);
  dictHashes.set(dict, grown);
  return grown;
}

/**
 * The key columns of one batch with each row's combined hash. `nullsEqual[c]` says whether a
 * NULL in column c is a value like any other (GROUP BY, DISTINCT, IS NOT DISTINCT FROM joins);
 * otherwise a row with a NULL there is marked in `skip` and matches nothing (join keys).
 */
export class KeyBatch {
  readonly cols: KeyColumn[];
  readonly skip: Uint8Array | null = null;
  private hashed: Uint32Array | null = null;

  /**
   * `sel` picks the rows (its first `count` entries); without it rows 0..count-1. With `scratch`
   * the hashes, skip marks and copied key columns go into its reused arrays: the batch is then
   * good until the owner of `scratch` builds its next one.
   */
  constructor(vectors: Vector[], readonly count: number, private readonly nullsEqual: boolean | boolean[] = false, sel: Uint32Array | null = null, private readonly scratch?: KeyScratch) {
    this.cols = packedMap(vectors, (v, c) => normalize(v, sel, count, scratch?.column(c)));
    let skip: Uint8Array | null = null;
    for (let c = 0; c < this.cols.length; c++) {
      const valid = this.cols[c].valid;
      if (valid === null || this.nullEqual(c)) continue;
      for (let i = 0; i < count; i++) if (valid[i] === 0) (skip ??= scratch ? scratch.skip.zeroed(count) : new Uint8Array(count))[i] = 1;
    }
    this.skip = skip;
  }

  /**
   * The rows' key hashes, computed when first read: a GROUP BY whose group ids come from an
   * array over the key's values (IntegerGroupIds) reads none; hashing Q18's 6M keys was ~8% of
   * its GROUP BY's CPU.
   */
  get hashes(): Uint32Array {
    return (this.hashed ??= this.hash());
  }

  private nullEqual(c: number): boolean {
    return typeof this.nullsEqual === 'boolean' ? this.nullsEqual : this.nullsEqual[c] === true;
  }

  private hash(): Uint32Array {
    const count = this.count;
    const hashes = this.scratch ? this.scratch.hashes.zeroed(count) : new Uint32Array(count);
    for (let c = 0; c < this.cols.length; c++) {
      const col = this.cols[c];
      const valid = col.valid;
      if (col.codes) {
        const codes = col.codes, dh = hashesOf(col.dict!);
        for (let i = 0; i < count; i++) hashes[i] = combine(hashes[i], valid !== null && valid[i] === 0 ? NULL_HASH : dh[codes[i]]);
      } else {
        const num = col.num!;
        for (let i = 0; i < count; i++) hashes[i] = combine(hashes[i], valid !== null && valid[i] === 0 ? NULL_HASH : hashNumber(num[i]));
      }
    }
    for (let i = 0; i < count; i++) hashes[i] = fmix(hashes[i]);
    return hashes;
  }
}

/** Mixes one column's hash into a row's running hash (order matters: (a, b) differs from (b, a)). */
function combine(h: number, x: number): number {
  return (Math.imul((h << 5) | (h >>> 27), 0x01000193) ^ x) >>> 0;
}

/**
 * The reused arrays of one owner's key batches (a probe's, a join filter's, a GROUP BY's): a
 * KeyBatch built with them needs no new arrays once they have grown to the batch size.
 */
export class KeyScratch {
  readonly hashes = new ReusedArray(Uint32Array);
  readonly skip = new ReusedArray(Uint8Array);
  private readonly columns: ColumnScratch[] = [];

  column(c: number): ColumnScratch {
    return (this.columns[c] ??= { valid: new ReusedArray(Uint8Array), codes: new ReusedArray(Int32Array), num: new ReusedArray(Float64Array) });
  }
}

interface ColumnScratch { valid: ReusedArray<Uint8Array>; codes: ReusedArray<Int32Array>; num: ReusedArray<Float64Array> }

function normalize(v: Vector, sel: Uint32Array | null, count: number, scratch?: ColumnScratch): KeyColumn {
  let valid: Uint8Array | null = null;
  if (v.valid) {
    if (sel === null) valid = v.valid.length === count ? v.valid : v.valid.subarray(0, count);
    else { valid = scratch ? scratch.valid.take(count) : new Uint8Array(count); for (let i = 0; i < count; i++) valid[i] = v.valid[sel[i]]; }
  }
  if (isString(v.type)) {
    const src = v.values as Int32Array;
    let codes: Int32Array;
    let copied = false;
    if (sel === null) codes = src.length === count ? src : src.subarray(0, count);
    else { codes = scratch ? scratch.codes.take(count) : new Int32Array(count); copied = true; for (let i = 0; i < count; i++) codes[i] = src[sel[i]]; }
    // NULL slots may hold any code; make them 0 so hashing never reads outside the dictionary
    if (valid) {
      if (!copied) { const own = scratch ? scratch.codes.take(count) : new Int32Array(count); own.set(codes); codes = own; }
      for (let i = 0; i < count; i++) if (valid[i] === 0) codes[i] = 0;
    }
    return { num: null, codes, dict: v.dict ?? [], valid, big: null };
  }
  const src = v.values;
  let num: Float64Array;
  if (sel === null && src instanceof Float64Array) num = src.length === count ? src : src.subarray(0, count);
  else {
    num = scratch ? scratch.num.take(count) : new Float64Array(count);
    if (sel === null) widenInto(src, num, count);
    else takeInto(src, sel, count, num);
  }
  let big: (bigint | null)[] | null = null;
  if (v.big) big = sel === null ? v.big : Array.from(sel.subarray(0, count), (r) => v.big![r]);
  return { num, codes: null, dict: null, valid, big };
}

/** A stored key column: the values of every id, and which ids hold NULL there. */
interface StoredColumn {
  num: Float64Array | null;
  /** exact values of the ids whose key is past 2^53 */
  big: Map<number, bigint> | null;
  str: string[] | null;
  nulls: Uint8Array | null;
}

/**
 * Keys to dense ids 0..size-1 in order of first insertion. Open addressing with linear probing:
 * each slot is two words, id + 1 (0 = empty) and the key's full hash, so a probe reads one cache
 * line and rejects most mismatches without touching the stored keys; the table stays at most
 * half full. Each id also keeps its hash, so growth rehashes without rehashing keys. One
 * numeric key column (the common join and GROUP BY key) compares its doubles directly.
 */
export class KeyTable {
  size = 0;
  /** per slot: [id + 1, hash | 0] */
  private slots: Int32Array;
  /** slot count - 1 */
  private mask: number;
  private hashes: Uint32Array;
  private readonly store: StoredColumn[];
  private cap: number;
  /** insert's id per dictionary code of one string key column, reused batch after batch */
  private readonly memo = new ReusedArray(Int32Array);

  /** With `arrays`, the table's arrays come from (and go back to) a statement's lease of a slice's pool. */
  constructor(readonly kinds: KeyKind[], expected = 8, private readonly arrays: ArrayLease | null = null) {
    let slots = 16;
    while (slots < expected * 2) slots *= 2;
    this.slots = zeroedArray(arrays, Int32Array, slots * 2);
    this.mask = slots - 1;
    this.cap = Math.max(8, slots >>> 1);
    // hashes and stored keys: every element is written before it is read
    this.hashes = takeArray(arrays, Uint32Array, this.cap);
    this.store = packedMap(kinds, (k) => ({ num: k === 'num' ? takeArray(arrays, Float64Array, this.cap) : null, big: null, str: k === 'str' ? [] : null, nulls: null }));
  }

  /** Bytes held by the table (for memory accounting). */
  get bytes(): number {
    return this.slots.byteLength + this.hashes.byteLength + this.store.reduce((s, c) => s + (c.num ? c.num.byteLength : this.cap * 8) + (c.nulls?.byteLength ?? 0), 0);
  }

  /**
   * The id of each row's key, adding keys not seen before; -1 for rows marked `skip`. Ids are
   * handed out in row order, so a row whose id equals the size before it was added is the first
   * of its key.
   */
  insert(keys: KeyBatch, out: Int32Array = new Int32Array(keys.count)): Int32Array {
    this.check(keys);
    const n = keys.count, hashes = keys.hashes, skip = keys.skip;
    if (this.oneNumber(keys)) return this.insertOneNumber(keys, out);
    if (this.twoNumbers(keys)) return this.insertTwoNumbers(keys, out);
    const memo = this.stringMemo(keys);
    for (let i = 0; i < n; i++) {
      if (skip !== null && skip[i] === 1) { out[i] = -1; continue; }
      if (memo !== null) {
        const code = keys.cols[0].codes![i];
        const m = memo[code];
        if (m >= 0) { out[i] = m; continue; }
        out[i] = memo[code] = this.findOrAdd(keys, i, hashes[i]);
        continue;
      }
      out[i] = this.findOrAdd(keys, i, hashes[i]);
    }
    return out;
  }

  /** The id of each row's key, or -1 when the key is absent (or the row is marked `skip`). */
  find(keys: KeyBatch, out: Int32Array = new Int32Array(keys.count)): Int32Array {
    this.check(keys);
    const n = keys.count, hashes = keys.hashes, skip = keys.skip, slots = this.slots, mask = this.mask;
    if (this.oneNumber(keys)) {
      const num = keys.cols[0].num!, stored = this.store[0].num!;
      for (let i = 0; i < n; i++) {
        out[i] = -1;
        if (skip !== null && skip[i] === 1) continue;
        const h = hashes[i] | 0, v = num[i];
        // NaN and values past 2^53 compare as the general path does
        const plain = v === v && v < EXACT_LIMIT && v > -EXACT_LIMIT;
        for (let s = h & mask; ; s = (s + 1) & mask) {
          const e = slots[2 * s];
          if (e === 0) break;
          if (slots[2 * s + 1] === h && (plain ? stored[e - 1] === v : this.equals(e - 1, keys, i))) { out[i] = e - 1; break; }
        }
      }
      return out;
    }
    if (this.twoNumbers(keys)) {
      const a = keys.cols[0].num!, b = keys.cols[1].num!, sa = this.store[0].num!, sb = this.store[1].num!;
      for (let i = 0; i < n; i++) {
        out[i] = -1;
        if (skip !== null && skip[i] === 1) continue;
        const h = hashes[i] | 0, x = a[i], y = b[i];
        const plain = x === x && x < EXACT_LIMIT && x > -EXACT_LIMIT && y === y && y < EXACT_LIMIT && y > -EXACT_LIMIT;
        for (let s = h & mask; ; s = (s + 1) & mask) {
          const e = slots[2 * s];
          if (e === 0) break;
          if (slots[2 * s + 1] === h && (plain ? sa[e - 1] === x && sb[e - 1] === y : this.equals(e - 1, keys, i))) { out[i] = e - 1; break; }
        }
      }
      return out;
    }
    for (let i = 0; i < n; i++) {
      out[i] = -1;
      if (skip !== null && skip[i] === 1) continue;
      const h = hashes[i] | 0;
      for (let s = h & mask; ; s = (s + 1) & mask) {
        const e = slots[2 * s];
        if (e === 0) break;
        if (slots[2 * s + 1] === h && this.equals(e - 1, keys, i)) { out[i] = e - 1; break; }
      }
    }
    return out;
  }

  /**
   * find() for a key of one numeric column, read where it is (the rows at `sel`, or the first
   * `count`): each value is hashed and compared in place, with no KeyBatch copy and no pass per
   * step. NULL finds nothing. False (nothing written) when the table's key is not one numeric
   * column holding no NULL, or the column holds exact values past 2^53; find() then applies.
   */
  findColumn(v: Vector, sel: Uint32Array | null, count: number, out: Int32Array): boolean {
    if (this.store.length !== 1 || this.store[0].num === null || this.store[0].nulls !== null || isString(v.type) || v.big) return false;
    const slow = (r: number) => {
      // NaN and values past 2^53 compare as the general path does
      const one = new KeyBatch([v], 1, false, Uint32Array.of(r));
      return this.find(one)[0];
    };
    columnFinder(v.values)(v.values, v.valid, sel, count, this.slots, this.mask, this.store[0].num!, out, slow, oneNumberKeyHash);
    return true;
  }

  /** One numeric key column holding no NULLs, and no NULL key stored: the fast paths apply. */
  private oneNumber(keys: KeyBatch): boolean {
    return this.store.length === 1 && this.store[0].num !== null && this.store[0].nulls === null && keys.cols[0].valid === null;
  }

  /**
   * Two numeric key columns holding no NULLs, and no NULL key stored: a two-column key (TPC-H's
   * partsupp and nation joins) is compared column by column in place, not through equals().
   */
  private twoNumbers(keys: KeyBatch): boolean {
    const st = this.store;
    return st.length === 2 && st[0].num !== null && st[1].num !== null && st[0].nulls === null && st[1].nulls === null
      && keys.cols[0].valid === null && keys.cols[1].valid === null;
  }

  /** insert() for two numeric key columns without NULLs. */
  private insertTwoNumbers(keys: KeyBatch, out: Int32Array): Int32Array {
    const n = keys.count, hashes = keys.hashes, skip = keys.skip, a = keys.cols[0].num!, b = keys.cols[1].num!;
    let slots = this.slots, mask = this.mask, sa = this.store[0].num!, sb = this.store[1].num!;
    for (let i = 0; i < n; i++) {
      if (skip !== null && skip[i] === 1) { out[i] = -1; continue; }
      const h = hashes[i] | 0, x = a[i], y = b[i];
      if (!(x === x && x < EXACT_LIMIT && x > -EXACT_LIMIT && y === y && y < EXACT_LIMIT && y > -EXACT_LIMIT)) {
        // NaN and values past 2^53 compare as the general path does
        out[i] = this.findOrAdd(keys, i, hashes[i]);
        slots = this.slots; mask = this.mask; sa = this.store[0].num!; sb = this.store[1].num!;
        continue;
      }
      let s = h & mask, id = -1;
      for (; ; s = (s + 1) & mask) {
        const e = slots[2 * s];
        if (e === 0) break;
        if (slots[2 * s + 1] === h && sa[e - 1] === x && sb[e - 1] === y) { id = e - 1; break; }
      }
      if (id < 0) {
        id = this.size++;
        if (id === this.cap) { this.growStore(); sa = this.store[0].num!; sb = this.store[1].num!; }
        this.hashes[id] = h >>> 0;
        sa[id] = x;
        sb[id] = y;
        slots[2 * s] = id + 1;
        slots[2 * s + 1] = h;
        if (this.size * 2 > mask + 1) { this.rehash(); slots = this.slots; mask = this.mask; }
      }
      out[i] = id;
    }
    return out;
  }

  /** insert() for one numeric key column without NULLs. */
  private insertOneNumber(keys: KeyBatch, out: Int32Array): Int32Array {
    const n = keys.count, hashes = keys.hashes, skip = keys.skip, num = keys.cols[0].num!;
    let slots = this.slots, mask = this.mask, stored = this.store[0].num!;
    for (let i = 0; i < n; i++) {
      if (skip !== null && skip[i] === 1) { out[i] = -1; continue; }
      const h = hashes[i] | 0, v = num[i];
      if (!(v === v && v < EXACT_LIMIT && v > -EXACT_LIMIT)) {
        out[i] = this.findOrAdd(keys, i, hashes[i]);
        slots = this.slots; mask = this.mask; stored = this.store[0].num!;
        continue;
      }
      let s = h & mask, id = -1;
      for (; ; s = (s + 1) & mask) {
        const e = slots[2 * s];
        if (e === 0) break;
        if (slots[2 * s + 1] === h && stored[e - 1] === v) { id = e - 1; break; }
      }
      if (id < 0) {
        id = this.size++;
        if (id === this.cap) { this.growStore(); stored = this.store[0].num!; }
        this.hashes[id] = h >>> 0;
        stored[id] = v;
        slots[2 * s] = id + 1;
        slots[2 * s + 1] = h;
        if (this.size * 2 > mask + 1) { this.rehash(); slots = this.slots; mask = this.mask; }
      }
      out[i] = id;
    }
    return out;
  }

  /** The stored value of key column `c` for `id`: a number, a string, an exact bigint past 2^53, or null. */
  value(c: number, id: number): number | string | bigint | null {
    const s = this.store[c];
    if (s.nulls !== null && s.nulls[id] === 1) return null;
    if (s.big !== null) { const b = s.big.get(id); if (b !== undefined) return b; }
    return s.num !== null ? s.num[id] : s.str![id];
  }

  /** Numeric key column `c`'s value per id, and which ids hold NULL there; null for a string column. */
  numbers(c: number): { values: Float64Array; nulls: Uint8Array | null } | null {
    const st = this.store[c];
    if (st.num === null) return null;
    return { values: st.num.subarray(0, this.size), nulls: st.nulls === null ? null : st.nulls.subarray(0, this.size) };
  }

  /** The hash of every id's key (what a join filter's Bloom filter is built from). */
  idHashes(): Uint32Array {
    return this.hashes.subarray(0, this.size);
  }

  /**
   * [min, max] of numeric key column `c` over the ids whose value there is not NULL (as the
   * doubles equality compares), null when there are none, or when a NaN makes a range meaningless.
   */
  numericRange(c: number): [number, number] | null {
    const st = this.store[c];
    if (st.num === null) return null;
    const num = st.num, nulls = st.nulls;
    let min = Infinity, max = -Infinity;
    for (let id = 0; id < this.size; id++) {
      if (nulls !== null && nulls[id] === 1) continue;
      const x = num[id];
      if (x !== x) return null;
      if (x < min) min = x;
      if (x > max) max = x;
    }
    return min <= max ? [min, max] : null;
  }

  private check(keys: KeyBatch): void {
    if (keys.cols.length !== this.kinds.length) throw new Error(`key has ${keys.cols.length} columns, table has ${this.kinds.length}`);
  }

  /** One string key column: a code's id is the same for every row of the batch, so look it up once. */
  private stringMemo(keys: KeyBatch): Int32Array | null {
    if (keys.cols.length !== 1) return null;
    const col = keys.cols[0];
    if (col.codes === null || col.valid !== null || col.dict!.length > keys.count) return null;
    return this.memo.take(col.dict!.length).fill(-1);
  }

  private findOrAdd(keys: KeyBatch, i: number, h: number): number {
    const slots = this.slots, mask = this.mask, hs = h | 0;
    let s = h & mask;
    for (; ; s = (s + 1) & mask) {
      const e = slots[2 * s];
      if (e === 0) break;
      if (slots[2 * s + 1] === hs && this.equals(e - 1, keys, i)) return e - 1;
    }
    const id = this.size++;
    if (id === this.cap) this.growStore();
    this.hashes[id] = h;
    for (let c = 0; c < this.store.length; c++) {
      const st = this.store[c], col = keys.cols[c];
      if (col.valid !== null && col.valid[i] === 0) { (st.nulls ??= new Uint8Array(this.cap))[id] = 1; continue; }
      if (st.num !== null) {
        st.num[id] = col.num![i];
        const exact = col.big?.[i];
        if (exact != null) (st.big ??= new Map()).set(id, exact);
      } else st.str![id] = col.dict![col.codes![i]];
    }
    slots[2 * s] = id + 1;
    slots[2 * s + 1] = hs;
    if (this.size * 2 > mask + 1) this.rehash();
    return id;
  }

  private equals(id: number, keys: KeyBatch, i: number): boolean {
    for (let c = 0; c < this.store.length; c++) {
      const st = this.store[c], col = keys.cols[c];
      const rowNull = col.valid !== null && col.valid[i] === 0;
      const idNull = st.nulls !== null && st.nulls[id] === 1;
      if (rowNull || idNull) { if (rowNull !== idNull) return false; continue; }
      if (st.num !== null) {
        const a = st.num[id], b = col.num![i];
        // NaN equals NaN as a key (PostgreSQL sorts and groups NaN as one value)
        if (a !== b && (a === a || b === b)) return false;
        if ((a >= EXACT_LIMIT || a <= -EXACT_LIMIT) && (st.big?.get(id) ?? a) !== (col.big?.[i] ?? b)) return false;
      } else if (st.str![id] !== col.dict![col.codes![i]]) return false;
    }
    return true;
  }

  private growStore(): void {
    this.cap *= 2;
    const h = takeArray(this.arrays, Uint32Array, this.cap); h.set(this.hashes); this.hashes = h;
    for (const st of this.store) {
      if (st.num) { const x = takeArray(this.arrays, Float64Array, this.cap); x.set(st.num); st.num = x; }
      if (st.nulls) { const x = new Uint8Array(this.cap); x.set(st.nulls); st.nulls = x; }
    }
  }

  private rehash(): void {
    const slots = zeroedArray(this.arrays, Int32Array, this.slots.length * 2), mask = (slots.length >>> 1) - 1;
    for (let id = 0; id < this.size; id++) {
      const h = this.hashes[id];
      let s = h & mask;
      while (slots[2 * s] !== 0) s = (s + 1) & mask;
      slots[2 * s] = id + 1;
      slots[2 * s + 1] = h | 0;
    }
    this.slots = slots;
    this.mask = mask;
  }
}

/** findColumn's loop: writes each selected row's id (or -1) to `out`. */
type ColumnFinder = (vals: TypedArray, valid: Uint8Array | null, sel: Uint32Array | null, count: number, slots: Int32Array, mask: number, stored: Float64Array, out: Int32Array,
  slow: (r: number) => number, hash: (v: number) => number) => void;

const finders = new Map<string, ColumnFinder>();

/** murmur3's finalizer on int32 variable `h`, in place (fmix without the final >>> 0: the same bits). */
const fmixCode = (h: string) => `${h} ^= ${h} >>> 16; ${h} = Math.imul(${h}, 0x85ebca6b); ${h} ^= ${h} >>> 13; ${h} = Math.imul(${h}, 0xc2b2ae35); ${h} ^= ${h} >>> 16;`;

/**
 * One generated findColumn loop per kind of typed array (a loop shared by every kind reads the
 * elements through V8's generic path). An int32 value's hash, oneNumberKeyHash (fmix twice), is
 * written out inline; other doubles call it.
 */
function columnFinder(vals: TypedArray): ColumnFinder {
  const kind = vals.constructor.name;
  let loop = finders.get(kind);
  if (!loop) {
    // eslint-disable-next-line no-new-func -- fixed source; only its feedback differs per array kind
    loop = new Function('vals', 'valid', 'sel', 'count', 'slots', 'mask', 'stored', 'out', 'slow', 'hash', `
      for (let i = 0; i < count; i++) {
        const r = sel === null ? i : sel[i];
        out[i] = -1;
        if (valid !== null && valid[r] === 0) continue; // a NULL key matches nothing
        const v = vals[r];
        let h = 0;
        if (v === (v | 0)) { h = v | 0; ${fmixCode('h')} ${fmixCode('h')} }
        else if (v === v && v < ${EXACT_LIMIT} && v > -${EXACT_LIMIT}) h = hash(v) | 0;
        else { out[i] = slow(r); continue; }
        for (let s = h & mask; ; s = (s + 1) & mask) {
          const e = slots[2 * s];
          if (e === 0) break;
          if (slots[2 * s + 1] === h && stored[e - 1] === v) { out[i] = e - 1; break; }
        }
      }
      //# sourceURL=strata-find-column.js`) as ColumnFinder;
    finders.set(kind, loop);
  }
  return loop;
}

/** Dense ids for the rows of `vectors` (NULLs group together), and how many distinct keys there are. */
export function groupIds(vectors: Vector[], count: number): { ids: Int32Array; groups: number } {
  const table = new KeyTable(packedMap(vectors, (v) => keyKind(v.type)));
  const ids = table.insert(new KeyBatch(vectors, count, true));
  return { ids, groups: table.size };
}
