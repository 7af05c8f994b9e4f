// A register-blocked Bloom filter over 32-bit key hashes: a power of two of 32-bit words; a key
// picks one word (the top bits of its hash) and sets three bits in it. A lookup is one load and
// one compare, with no false negatives. The split-block layout it replaced (eight words a key)
// cost 15–20 ns a lookup in V8 against 4–6 ns for this one, at a similar false positive rate
// (1–2 % at the 10–20 bits a key the power-of-two sizing gives). Join filter pushdown
// (runtime-filter.ts) builds one from a hash join's build keys, and the probe side's scan drops
// rows whose key hash it does not contain.
import { hashNumber } from './hash-table.ts';

/** Bits per key at least (the word count rounds up to a power of two). */
export const BLOOM_BITS_PER_KEY = 10;

/** At most this many words (64 MiB): past it, more keys only raise the false positive rate. */
const MAX_WORDS = 1 << 24;
/** At least this many, so the shift that picks a word stays below 32. */
const MIN_WORDS = 8;

/** Spreads a hash's bits before the three bit positions are read from its top. */
export const BIT_MIX = 0x85ebca6b | 0;
/** Fibonacci hashing of a raw integer key: its top bits pick the word. */
export const KEY_MIX = 0x9e3779b1 | 0;

/**
 * The filter hash of one numeric key column's value, hashed straight from the number (no
 * KeyBatch): an int32 value is multiplied out, any other double (fractions, values past 2^31, NaN)
 * goes through the general number hash. Build and probe sides both hash this way, so equal keys
 * (compared as the doubles the join compares) always agree; -0 hashes as 0.
 */
export function rawKeyHash(v: number): number {
  if (v === (v | 0)) {
    const h = Math.imul(v | 0, KEY_MIX);
    return h ^ (h >>> 16);
  }
  return hashNumber(v) | 0;
}

/** The three bits a hash sets in its word. */
export function keyBits(h: number): number {
  const g = Math.imul(h, BIT_MIX);
  return (1 << (g >>> 27)) | (1 << ((g >>> 22) & 31)) | (1 << ((g >>> 17) & 31));
}

export class BloomFilter {
  readonly words: Int32Array;
  /** 32 - log2(words): a hash's word is `h >>> shift` */
  readonly shift: number;

  constructor(words: Int32Array) {
    const n = words.length;
    if (n < MIN_WORDS || (n & (n - 1)) !== 0) throw new Error('a Bloom filter has a power of two of words, at least 8');
    this.words = words;
    this.shift = 32 - Math.log2(n);
  }

  /** An empty filter for at least `keys` keys, its word count a power of two, so that filters sized apart fold to one size and merge. */
  static forKeys(keys: number): BloomFilter {
    const need = Math.max(MIN_WORDS, Math.ceil((keys * BLOOM_BITS_PER_KEY) / 32));
    return new BloomFilter(new Int32Array(Math.min(MAX_WORDS, 2 ** Math.ceil(Math.log2(need)))));
  }

  /**
   * This filter folded to `words` words (a power of two, not more): a hash's word is the top bits
   * of the hash, so word w lands in word w >> (log2 of the ratio) of the smaller one, which then
   * holds every key the words folded into it held (the bits within a word do not depend on it).
   */
  fold(words: number): BloomFilter {
    const n = this.words.length;
    if (words === n) return this;
    if (words > n || words < MIN_WORDS || (words & (words - 1)) !== 0) throw new Error('Bloom filters fold only by a power of two');
    const out = new Int32Array(words), w = this.words, by = Math.log2(n / words);
    for (let i = 0; i < n; i++) out[i >>> by] |= w[i];
    return new BloomFilter(out);
  }

  get wordCount(): number {
    return this.words.length;
  }

  get bytes(): number {
    return this.words.byteLength;
  }

  add(h: number): void {
    this.words[h >>> this.shift] |= keyBits(h);
  }

  /**
   * Adds every hash (as add does, each taken as a 32-bit integer). A loop of its own: its
   * callers run once per join and are not worth optimizing, and paths of them the warm-up had
   * not taken (a merged filter, an empty build side) deoptimized them with the loop inside.
   */
  addAll(hashes: ArrayLike<number>): void {
    const words = this.words, shift = this.shift;
    for (let i = 0; i < hashes.length; i++) { const h = hashes[i] | 0; words[h >>> shift] |= keyBits(h); }
  }

  /** False only when `h` was never added. */
  mayContain(h: number): boolean {
    const bits = keyBits(h);
    return (this.words[h >>> this.shift] & bits) === bits;
  }

  /** Adds every key of another filter of the same size (the union of two key sets). */
  merge(other: BloomFilter): void {
    if (other.words.length !== this.words.length) throw new Error('Bloom filters of different sizes cannot merge');
    const w = this.words, o = other.words;
    for (let i = 0; i < w.length; i++) w[i] |= o[i];
  }
}
