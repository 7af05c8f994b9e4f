// Ordering a batch's rows by sort-key columns (for SORTKEY tables, before a segment is written).
import type { Batch } from '../types/vector.ts';
import { isFloat, isString } from '../types/types.ts';
import { sortBatch } from './batch-sort.ts';
import { selectRows } from './batches.ts';

/**
 * Sorts by the given columns ascending, NULLs last. One integer-valued key (dates, ints,
 * decimals) takes a fast path: key and row packed into one double and sorted natively.
 */
export function sortByColumns(b: Batch, keys: number[]): Batch {
  if (!keys.length || b.length < 2) return b;
  const v = b.columns[keys[0]];
  const n = b.length;
  if (keys.length === 1 && !isString(v.type) && !isFloat(v.type) && n < 1 << 21) {
    let min = Infinity, max = -Infinity;
    for (let i = 0; i < n; i++) { const x = v.values[i]; if (x < min) min = x; if (x > max) max = x; }
    const span = max - min + 2; // the extra value ranks NULLs last
    if (span * 2 ** 21 < 2 ** 53) {
      const packed = new Float64Array(n);
      for (let i = 0; i < n; i++) packed[i] = ((v.valid && v.valid[i] === 0 ? max + 1 : v.values[i]) - min) * 2097152 + i;
      packed.sort();
      const sel = new Uint32Array(n);
      for (let i = 0; i < n; i++) sel[i] = packed[i] % 2097152;
      return selectRows(b, sel, n);
    }
  }
  return sortBatch(b, keys.map((i) => ({ expr: { k: 'col', index: i, type: b.columns[i].type }, desc: false, nullsFirst: false })));
}
