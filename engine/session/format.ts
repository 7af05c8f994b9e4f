// Batches to result rows: JSON-ready values (DECIMAL as exact strings, DATE as YYYY-MM-DD).
import { valueAt, type Batch, type Vector } from '../types/vector.ts';
import { formatValue } from '../types/values.ts';
import { scaleOf } from '../types/types.ts';

type Physical = number | string | boolean | null;

/** Row i of a vector as its physical JS value (strings decoded, booleans as booleans). */
export function physicalAt(v: Vector, i: number): Physical {
  return valueAt(v, i, false) as Physical;
}

/** Rows of physical values (for subquery results). */
export function physicalRows(b: Batch, width: number): Physical[][] {
  const rows: Physical[][] = new Array(b.length);
  for (let r = 0; r < b.length; r++) {
    const row: Physical[] = new Array(width);
    for (let c = 0; c < width; c++) row[c] = physicalAt(b.columns[c], r);
    rows[r] = row;
  }
  return rows;
}

/** Formats one value for output. Wide exact decimals (beyond 2^53) come from `big`. */
export function formatAt(v: Vector, i: number): unknown {
  if (v.valid && v.valid[i] === 0) return null;
  if (v.big && v.big[i] != null) return formatBigDecimal(v.big[i]!, scaleOf(v.type));
  return formatValue(v.type, physicalAt(v, i) as never);
}

export function formatBigDecimal(x: bigint, scale: number): string {
  if (scale === 0) return x.toString();
  const neg = x < 0n;
  const digits = (neg ? -x : x).toString().padStart(scale + 1, '0');
  return `${neg ? '-' : ''}${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
}

export function formatRows(b: Batch, width: number): unknown[][] {
  const rows: unknown[][] = new Array(b.length);
  formatRange(b, width, rows, 0, b.length);
  return rows;
}

/** formatRows a few thousand rows at a time, awaiting `pause` between (the leader answers other clients meanwhile). */
export async function formatRowsYielding(b: Batch, width: number, pause: () => Promise<void>): Promise<unknown[][]> {
  const rows: unknown[][] = new Array(b.length);
  for (let start = 0; start < b.length; start += FORMAT_STEP) {
    formatRange(b, width, rows, start, Math.min(b.length, start + FORMAT_STEP));
    await pause();
  }
  return rows;
}

const FORMAT_STEP = 2048;

function formatRange(b: Batch, width: number, rows: unknown[][], from: number, to: number): void {
  for (let r = from; r < to; r++) {
    const row: unknown[] = new Array(width);
    for (let c = 0; c < width; c++) row[c] = formatAt(b.columns[c], r);
    rows[r] = row;
  }
}

