// Which probe key expressions a scan may compute for a join filter (join filter pushdown): a
// column, or a cast of one that cannot fail. The scan computes them before the steps between it
// and the join (filters, other joins) have dropped any row, so a key that could fail on a row
// those steps drop would turn a valid query into an error.
import type { BExpr } from '../plan/bound.ts';
import { TYPES, isDecimal, type SqlType } from '../types/types.ts';

/** The column a key reads, when the key is that column or a cast of it that cannot fail; else null. */
export function keyColumn(e: BExpr): Extract<BExpr, { k: 'col' }> | null {
  if (e.k === 'col') return e;
  return e.k === 'cast' && e.arg.k === 'col' && castCannotFail(e.arg.type, e) ? e.arg : null;
}

/**
 * Widening numbers (to floating point, to a wider integer, to a DECIMAL with room for every
 * digit) and DATE to TIMESTAMP.
 */
function castCannotFail(from: SqlType, cast: Extract<BExpr, { k: 'cast' }>): boolean {
  if (cast.assign) return false;
  const to = cast.type, f = TYPES[from.id], t = TYPES[to.id];
  if (f.kind === 'date' && t.kind === 'timestamp') return true;
  if (!f.numeric || !t.numeric) return false;
  if (t.kind === 'float') return true;
  if (f.kind === 'float') return false;
  const intDigits = isDecimal(from) ? from.precision - from.scale : f.digits;
  const scale = isDecimal(from) ? from.scale : 0;
  if (t.kind === 'integer') return f.kind === 'integer' && t.rank >= f.rank;
  return isDecimal(to) && to.precision - to.scale >= intDigits && to.scale >= scale;
}
