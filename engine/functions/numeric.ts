// Runtime helpers for numeric operators, casts and math functions. Generated code calls these
// through `rt`; they are tiny so V8 inlines them into the generated loops. Every check throws a
// SqlError with a stable code instead of returning a silently wrong number.
import { SqlError } from '../errors.ts';
import { MAX_EXACT } from '../types/types.ts';
import { decimalOverflow, formatDecimal, parseDecimalScaled, POW10 } from '../types/values.ts';

export function divisionByZero(): never {
  throw new SqlError('DIVISION_BY_ZERO', 'division by zero');
}

function outOfRange(name: string): never {
  throw new SqlError('NUMERIC_OVERFLOW', `${name} out of range`);
}

export function chkI16(x: number): number {
  if (x > 32767 || x < -32768) outOfRange('smallint');
  return x;
}
export function chkI32(x: number): number {
  if (x > 2147483647 || x < -2147483648) outOfRange('integer');
  return x;
}
/** BIGINT values are held exactly only below 2^53; beyond that Strata reports overflow rather than round. */
export function chkI64(x: number): number {
  if (x > MAX_EXACT || x < -MAX_EXACT) outOfRange('bigint');
  return x;
}
/** Scaled DECIMAL result must stay exactly representable. */
export function chkDec(x: number): number {
  if (x > MAX_EXACT || x < -MAX_EXACT) {
    throw new SqlError('NUMERIC_OVERFLOW', 'numeric overflow: result is out of the exact range of DECIMAL');
  }
  return x;
}

/** Checks a scaled value against DECIMAL(p,s): |v| < 10^p. */
export function decFit(v: number, limit: number, p: number, s: number): number {
  if (v >= limit || v <= -limit || v > MAX_EXACT || v < -MAX_EXACT) throw decimalOverflow(p, s);
  return v;
}

/** v * 10^k for rescaling a DECIMAL up; checked so the rescaled value stays exact. */
export function up(v: number, pow: number): number {
  return chkDec(v * pow);
}

/** Integer division truncating toward zero (Postgres/Redshift int / int). */
export function idiv(a: number, b: number): number {
  if (b === 0) divisionByZero();
  return Math.trunc(a / b) + 0;
}

/** Remainder with the dividend's sign; also used for DECIMAL % at a common scale. */
export function imod(a: number, b: number): number {
  if (b === 0) divisionByZero();
  return (a % b) + 0;
}

export function fdiv(a: number, b: number): number {
  if (b === 0) divisionByZero();
  return a / b;
}

export function fmod(a: number, b: number): number {
  if (b === 0) divisionByZero();
  return a % b;
}

/** round(n / d) half away from zero for exact integers n, d (d != 0), exact for |n| <= 2^53. */
function roundDiv(n: number, d: number): number {
  const q = Math.trunc(n / d);
  const r = n - q * d;
  if (2 * Math.abs(r) >= Math.abs(d)) return q + ((n < 0) !== (d < 0) ? -1 : 1);
  return q + 0;
}

/**
 * DECIMAL division: round(a * 10^k / b) half away from zero, where k aligns the scales
 * (k = result scale + s2 - s1). Exact: falls back to BigInt when a * 10^k leaves the double range.
 */
export function decDiv(a: number, b: number, k: number): number {
  if (b === 0) divisionByZero();
  if (k >= 0) {
    const n = a * POW10[k];
    if (n <= MAX_EXACT && n >= -MAX_EXACT) return chkDec(roundDiv(n, b));
  } else {
    const d = b * POW10[-k];
    if (d <= MAX_EXACT && d >= -MAX_EXACT) return chkDec(roundDiv(a, d));
  }
  let n = BigInt(a);
  let d = BigInt(b);
  if (k >= 0) n *= 10n ** BigInt(k); else d *= 10n ** BigInt(-k);
  const neg = (n < 0n) !== (d < 0n);
  if (n < 0n) n = -n;
  if (d < 0n) d = -d;
  let q = n / d;
  if (2n * (n % d) >= d) q += 1n;
  return chkDec(Number(neg ? -q : q));
}

/** Rounds a scaled integer to a multiple of `pow` and divides: half away from zero. */
export function decRound(v: number, pow: number): number {
  return roundDiv(v, pow);
}
export function decTrunc(v: number, pow: number): number {
  return Math.trunc(v / pow) + 0;
}
export function decFloor(v: number, pow: number): number {
  const q = Math.trunc(v / pow);
  return (v < 0 && q * pow !== v ? q - 1 : q) + 0;
}
export function decCeil(v: number, pow: number): number {
  const q = Math.trunc(v / pow);
  return (v > 0 && q * pow !== v ? q + 1 : q) + 0;
}

/** round(x, n) on a DECIMAL of scale s keeping scale s (n not known at compile time). */
export function decRoundDigits(v: number, s: number, n: number): number {
  if (n >= s) return v;
  const k = s - n;
  if (k > 22) return 0;
  return chkDec(roundDiv(v, POW10[k]) * POW10[k]);
}
export function decTruncDigits(v: number, s: number, n: number): number {
  if (n >= s) return v;
  const k = s - n;
  if (k > 22) return 0;
  return Math.trunc(v / POW10[k]) * POW10[k] + 0;
}

/** Float -> integer cast: rounds half to even like Postgres rint(), then range-checks. */
export function floatToInt(x: number, lo: number, hi: number, name: string): number {
  if (!Number.isFinite(x)) outOfRange(name);
  let r = Math.round(x);
  if (r - x === 0.5 && r % 2 !== 0) r -= 1; // Math.round rounds .5 up; make it even
  if (r > hi || r < lo) outOfRange(name);
  return r + 0;
}

/** Float -> DECIMAL(p,s) through its 15-significant-digit text, as Postgres does (1.005 -> 1.01). */
export function floatToDec(x: number, scale: number, precision: number): number {
  if (!Number.isFinite(x)) {
    throw new SqlError('NUMERIC_OVERFLOW', `cannot convert ${Number.isNaN(x) ? 'NaN' : 'infinity'} to numeric`);
  }
  return parseDecimalScaled(x.toPrecision(15), scale, precision);
}

/** Rounds a double half away from zero to n decimal digits, via exact decimal text (no 1.005 surprises). */
export function roundFloat(x: number, n: number): number {
  if (!Number.isFinite(x)) return x;
  if (n <= 0) {
    const p = 10 ** -n;
    return Math.sign(x) * Math.round(Math.abs(x) / p) * p + 0;
  }
  const a = Math.abs(x);
  const intDigits = a < 1 ? 0 : Math.floor(Math.log10(a)) + 1;
  const s = Math.min(n, 15 - intDigits);
  if (s <= 0) return Math.sign(x) * Math.round(a) + 0;
  return Number(formatDecimal(parseDecimalScaled(x.toPrecision(15), s, 38), s));
}

export function truncFloat(x: number, n: number): number {
  if (!Number.isFinite(x)) return x;
  if (n === 0) return Math.trunc(x) + 0;
  const p = 10 ** n;
  const t = Math.trunc(x * p) / p;
  return t + 0;
}

export function sqrt(x: number): number {
  if (x < 0) throw new SqlError('INVALID_PARAMETER', 'cannot take square root of a negative number');
  return Math.sqrt(x);
}

function logCheck(x: number): void {
  if (x === 0) throw new SqlError('INVALID_PARAMETER', 'cannot take logarithm of zero');
  if (x < 0) throw new SqlError('INVALID_PARAMETER', 'cannot take logarithm of a negative number');
}
export function ln(x: number): number { logCheck(x); return Math.log(x); }
export function log10(x: number): number { logCheck(x); return Math.log10(x); }
export function logb(b: number, x: number): number {
  logCheck(b); logCheck(x);
  if (b === 1) divisionByZero();
  return Math.log(x) / Math.log(b);
}

export function power(a: number, b: number): number {
  if (a === 0 && b < 0) throw new SqlError('INVALID_PARAMETER', 'zero raised to a negative power is undefined');
  if (a < 0 && !Number.isInteger(b)) {
    throw new SqlError('INVALID_PARAMETER', 'a negative number raised to a non-integer power yields a complex result');
  }
  const r = a ** b;
  if (!Number.isFinite(r) && Number.isFinite(a) && Number.isFinite(b)) {
    throw new SqlError('NUMERIC_OVERFLOW', 'value out of range: overflow');
  }
  return r;
}

export function exp(x: number): number {
  const r = Math.exp(x);
  if (!Number.isFinite(r) && Number.isFinite(x)) throw new SqlError('NUMERIC_OVERFLOW', 'value out of range: overflow');
  return r;
}

function domain(x: number, lo: number, hi: number): void {
  if (!(x >= lo && x <= hi)) throw new SqlError('INVALID_PARAMETER', 'input is out of range');
}
export function asin(x: number): number { domain(x, -1, 1); return Math.asin(x); }
export function acos(x: number): number { domain(x, -1, 1); return Math.acos(x); }

/** Decimal sign as a scaled value of the same scale. */
export function sign(x: number): number {
  return x > 0 ? 1 : x < 0 ? -1 : 0;
}

export function decToText(v: number, scale: number): string {
  return formatDecimal(v, scale);
}
