// Argument rules shared by the numeric aggregates: which inputs they accept and how a physical
// input value (DECIMAL as a scaled integer) becomes a double.
import { isFloat, isNullType, isNumeric, isWide, scaleOf, type SqlType } from '../../types/types.ts';

/** Why a numeric aggregate refuses `t`, or null when it accepts it (NULL literals included). */
export function notNumeric(name: string, t: SqlType | null): string | null {
  if (t === null) return `${name}(*) is not valid; only count(*) is`;
  return isNumeric(t) || isNullType(t) ? null : `function ${name}(${t.id.toLowerCase()}) does not exist`;
}

/** Whether sums of `t` are kept exact (integers and DECIMALs; floats add in doubles). */
export const exactSum = (t: SqlType): boolean => !isNullType(t) && isNumeric(t) && !isFloat(t);

/** JS source turning a physical value of `t` into the double it stands for. */
export function asDoubleCode(t: SqlType, v: string): string {
  const s = scaleOf(t);
  const x = isWide(t) ? `rt.wnum(${v})` : v;
  return s > 0 ? `(${x} / ${10 ** s})` : x;
}

