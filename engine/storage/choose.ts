// Picks each column's encoding: the requested one when it applies, otherwise the smallest estimate.
import { TYPES, type SqlType } from '../types/types.ts';
import type { ColumnStats } from './column-stats.ts';
import type { Encoding } from './encodings.ts';
import { forWidth } from './codec-for.ts';
import { dictIndexWidth } from './codec-dict.ts';

/** RLE keeps its runs in field metadata, so it is only chosen automatically when runs are this sparse. */
const MIN_AVG_RUN = 8;

/**
 * The encoding for one column. A requested encoding that cannot hold the column (dict on numbers,
 * FOR on floats or on ranges beyond 32 bits) falls back to the automatic choice.
 */
export function chooseEncoding(type: SqlType, s: ColumnStats, requested: Encoding | 'auto'): Encoding {
  const isString = TYPES[type.id].string;
  if (s.wide) return 'raw';
  const canFor = !isString && TYPES[type.id].integral && forWidth(s) !== null;
  if (requested === 'raw' || requested === 'rle') return requested;
  if (requested === 'dict' && isString) return 'dict';
  if (requested === 'for' && canFor) return 'for';

  const n = s.rows;
  const rleBytes = s.runs * (isString ? 9 : TYPES[type.id].array.BYTES_PER_ELEMENT + 5);
  const rleOk = n > 0 && s.runs * MIN_AVG_RUN <= n;
  if (isString) {
    // a dictionary must pay for itself: high-cardinality strings stay plain Utf8
    const distinct = s.distinct!;
    const dictBytes = s.utf8!.bytes.length + 4 * distinct + n * dictIndexWidth(distinct);
    const dictOk = distinct <= 1 || dictBytes < s.rowBytes! + 4 * n;
    if (rleOk && (!dictOk || rleBytes < n * dictIndexWidth(distinct))) return 'rle';
    return dictOk ? 'dict' : 'raw';
  }
  let best: Encoding = 'raw';
  // a raw Bool column is bit-packed
  let bestBytes = TYPES[type.id].arrow === 'Bool' ? Math.ceil(n / 8) : n * TYPES[type.id].array.BYTES_PER_ELEMENT;
  if (canFor && n * forWidth(s)! < bestBytes) { best = 'for'; bestBytes = n * forWidth(s)!; }
  if (rleOk && rleBytes < bestBytes) best = 'rle';
  return best;
}
