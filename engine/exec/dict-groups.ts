// GROUP BY over dictionary-coded string columns with few code combinations (Q1's returnflag x
// linestatus): each row's codes index a dense array of group ids built for the batch's
// dictionaries, so the hash table sees each combination once per set of dictionaries (a segment)
// instead of hashing every row. The aggregate kernel reads the array itself (exec/aggregate.ts).
import type { Vector } from '../types/vector.ts';
import { packedMap } from '../types/packed-map.ts';

/** Most combinations (product of dictionary sizes, each + 1 for NULL) the dense array takes. */
export const DIRECT_GROUP_LIMIT = 1 << 16;

export class DictGroupIds {
  private dicts: string[][] = [];
  private sizes: number[] = [];
  private map: Int32Array | null = null;

  /**
   * Readies the dense array for these key vectors' dictionaries (kept while they stay the same),
   * or false when they have too many combinations. A kernel then reads `table` itself, at the
   * combination index `code0 * radix[1] + code1 ...` (NULL as the last code of its column); a
   * combination without a group id yet holds -1.
   */
  prepare(keys: Vector[]): boolean {
    return this.sameDicts(keys) || this.reset(keys);
  }

  /** The group id of each combination of codes (-1: none yet); see prepare. */
  get table(): Int32Array {
    return this.map!;
  }

  /** Each key column's radix in the combination index: its dictionary's size + 1 (the NULL code). */
  get radix(): readonly number[] {
    return this.sizes;
  }

  private sameDicts(keys: Vector[]): boolean {
    if (this.map === null) return false;
    for (let c = 0; c < keys.length; c++) {
      // dictionaries only grow: the same array with more entries needs a wider radix
      if (keys[c].dict !== this.dicts[c] || keys[c].dict!.length + 1 !== this.sizes[c]) return false;
    }
    return true;
  }

  private reset(keys: Vector[]): boolean {
    let total = 1;
    for (const k of keys) {
      if (!k.dict) return false;
      total *= k.dict.length + 1;
      if (total > DIRECT_GROUP_LIMIT) { this.map = null; return false; }
    }
    this.dicts = packedMap(keys, (k) => k.dict!);
    this.sizes = packedMap(keys, (k) => k.dict!.length + 1);
    this.map = new Int32Array(total).fill(-1);
    return true;
  }
}
