// Small helpers shared by the function emitters: converting argument codes between physical
// representations and reading constant arguments out of emitted code.
import { MICROS_PER_DAY } from '../types/calendar.ts';
import { isDate, isDecimal, isTimestamp, type SqlType } from '../types/types.ts';
import { pow10 } from './casts.ts';

/** A numeric value as a JS double (DECIMAL scaled integers are divided by 10^scale). */
export function asDouble(code: string, t: SqlType): string {
  return isDecimal(t) && (t.scale ?? 0) > 0 ? `(${code} / ${pow10(t.scale!)})` : code;
}

/** DATE or TIMESTAMP as microseconds. */
export function toMicros(code: string, t: SqlType): string {
  return isDate(t) ? `(${code} * ${MICROS_PER_DAY})` : code;
}

/** DATE or TIMESTAMP as a day number. */
export function toDays(code: string, t: SqlType): string {
  return isTimestamp(t) ? `rt.tsDate(${code})` : code;
}

/** The integer a constant argument code holds ('2', '-1'), or undefined. */
export function constantInt(code: string): number | undefined {
  const m = /^\(?(-?\d+)\)?$/.exec(code.trim());
  return m ? Number(m[1]) : undefined;
}

let counter = 0;
/** A fresh identifier for arrow-function parameters in emitted code. */
export function fresh(prefix = 'v'): string {
  counter = (counter + 1) % 1_000_000;
  return `$${prefix}${counter}`;
}
