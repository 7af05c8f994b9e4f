// A split-block Bloom filter over 32-bit key hashes (the layout Parquet specifies): the filter is
// an array of 256-bit blocks; a key picks one block and sets one bit in each of its eight 32-bit
// words. A lookup touches one cache line, and there are no false negatives. Join filter pushdown
// (runtime-filter.ts) builds one from a hash join's build keys, using the hashes the hash table
// already computed, and the probe side's scan drops rows whose key hash it does not contain.

/** Odd multipliers that pick the bit of each word (Parquet's split-block salts). */
export const SALT = [0x47b6137b, 0x44974d91, 0x8824ad5b, 0xa2b7289d, 0x705495c7, 0x2df1424b, 0x9efc4947, 0x5c6bfb31];
const [S0, S1, S2, S3, S4, S5, S6, S7] = SALT;

/** Bits per key: about a 1–2 % false positive rate for a split-block filter. */
export const BLOOM_BITS_PER_KEY = 10;

/** At most this many 32-byte blocks (64 MiB): past it, more keys only raise the false positive rate. */
const MAX_BLOCKS = 1 << 21;

export class BloomFilter {
  /** 8 words per block */
  readonly words: Uint32Array;
  private readonly blocks: number;

  constructor(words: Uint32Array) {
    this.words = words;
    this.blocks = words.length >>> 3;
  }

  /** An empty filter sized for `keys` distinct keys. */
  static forKeys(keys: number): BloomFilter {
    const blocks = Math.min(MAX_BLOCKS, Math.max(1, Math.ceil((keys * BLOOM_BITS_PER_KEY) / 256)));
    return new BloomFilter(new Uint32Array(blocks * 8));
  }

  /**
   * An empty filter for at least `keys` keys whose block count is a power of two, so that filters
   * sized apart can be folded to one size and merged (`fold`).
   */
  static foldableForKeys(keys: number): BloomFilter {
    const need = Math.max(1, Math.ceil((keys * BLOOM_BITS_PER_KEY) / 256));
    return new BloomFilter(new Uint32Array(Math.min(MAX_BLOCKS, 2 ** Math.ceil(Math.log2(need))) * 8));
  }

  /**
   * This filter folded to `blocks` blocks (both powers of two, `blocks` not more): a hash's block
   * is the top bits of its remix, so block b lands in block b >> (log2 of the ratio) of the
   * smaller one, which holds every key the blocks folded into it held.
   */
  fold(blocks: number): BloomFilter {
    if (blocks === this.blocks) return this;
    const ratio = this.blocks / blocks;
    if (!Number.isInteger(ratio) || ratio < 1 || (ratio & (ratio - 1)) !== 0 || (blocks & (blocks - 1)) !== 0) throw new Error('Bloom filters fold only by a power of two');
    const out = new Uint32Array(blocks * 8), w = this.words;
    for (let b = 0; b < this.blocks; b++) {
      const to = Math.floor(b / ratio) << 3, from = b << 3;
      for (let i = 0; i < 8; i++) out[to + i] |= w[from + i];
    }
    return new BloomFilter(out);
  }

  /** Blocks of 256 bits. */
  get blockCount(): number {
    return this.blocks;
  }

  get bytes(): number {
    return this.words.byteLength;
  }

  /** The block a hash falls in: from a remix of the hash, so block and bits do not go together. */
  private block(h: number): number {
    const x = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d) >>> 0;
    return Math.floor(((x ^ (x >>> 12)) >>> 0) * this.blocks / 4294967296) << 3;
  }

  add(h: number): void {
    const w = this.words, b = this.block(h);
    for (let i = 0; i < 8; i++) w[b + i] |= 1 << (Math.imul(h, SALT[i]) >>> 27);
  }

  /**
   * False only when `h` was never added. Each word has about half its bits set, so a test per
   * word would branch at random: the first four are tested together without branches (a key
   * not added fails them about nine times in ten), then the other four.
   */
  mayContain(h: number): boolean {
    const w = this.words, b = this.block(h);
    if (((~w[b] & (1 << (Math.imul(h, S0) >>> 27))) | (~w[b + 1] & (1 << (Math.imul(h, S1) >>> 27)))
      | (~w[b + 2] & (1 << (Math.imul(h, S2) >>> 27))) | (~w[b + 3] & (1 << (Math.imul(h, S3) >>> 27)))) !== 0) return false;
    return ((~w[b + 4] & (1 << (Math.imul(h, S4) >>> 27))) | (~w[b + 5] & (1 << (Math.imul(h, S5) >>> 27)))
      | (~w[b + 6] & (1 << (Math.imul(h, S6) >>> 27))) | (~w[b + 7] & (1 << (Math.imul(h, S7) >>> 27)))) === 0;
  }

  /** Adds every key of another filter of the same size (the union of two key sets). */
  merge(other: BloomFilter): void {
    if (other.words.length !== this.words.length) throw new Error('Bloom filters of different sizes cannot merge');
    const w = this.words, o = other.words;
    for (let i = 0; i < w.length; i++) w[i] |= o[i];
  }
}
