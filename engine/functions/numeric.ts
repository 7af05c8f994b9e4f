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
// ---------------------------------------------------------------- BIGINT
// A BIGINT in generated code is a number while |v| <= 2^53 - 1 and a bigint beyond, up to
// the int64 range (the same canonical form as a wide DECIMAL, so ===, < and > work on mixed
// values). Arithmetic stays on doubles while the result is exact and falls back to BigInt.

const I64_MAX = 2n ** 63n - 1n;
const I64_MIN = -(2n ** 63n);

/** The canonical BIGINT form of an exact integer, or Redshift's "bigint out of range". */
export function i64Norm(x: bigint): number | bigint {
  if (x <= MAX_EXACT_N && x >= -MAX_EXACT_N) return Number(x);
  if (x > I64_MAX || x < I64_MIN) outOfRange('bigint');
  return x;
}

/** Range check of a BIGINT result (a number is always in range; a bigint is checked). */
export function chkI64(x: number | bigint): number | bigint {
  if (typeof x === 'number') return x > MAX_EXACT || x < -MAX_EXACT ? i64Norm(BigInt(x)) : x;
  return x > I64_MAX || x < I64_MIN ? outOfRange('bigint') : x;
}

export function i64Add(a: Dec, b: Dec): Dec {
  if (typeof a === 'number' && typeof b === 'number') {
    const s = a + b;
    if (s <= MAX_EXACT && s >= -MAX_EXACT) return s;
  }
  return i64Norm(big(a) + big(b));
}

export function i64Sub(a: Dec, b: Dec): Dec {
  if (typeof a === 'number' && typeof b === 'number') {
    const s = a - b;
    if (s <= MAX_EXACT && s >= -MAX_EXACT) return s;
  }
  return i64Norm(big(a) - big(b));
}

export function i64Mul(a: Dec, b: Dec): Dec {
  if (typeof a === 'number' && typeof b === 'number') {
    const p = a * b;
    if (p <= MAX_EXACT && p >= -MAX_EXACT) return p + 0;
  }
  return i64Norm(big(a) * big(b));
}

/** BIGINT division truncating toward zero; -2^63 / -1 overflows, as in Redshift. */
export function i64Div(a: Dec, b: Dec): Dec {
  if (typeof a === 'number' && typeof b === 'number') return idiv(a, b);
  if (b === 0 || b === 0n) divisionByZero();
  return i64Norm(big(a) / big(b));
}

export function i64Mod(a: Dec, b: Dec): Dec {
  if (typeof a === 'number' && typeof b === 'number') return imod(a, b);
  if (b === 0 || b === 0n) divisionByZero();
  return i64Norm(big(a) % big(b));
}

export function i64Neg(a: Dec): Dec {
  return typeof a === 'number' ? 0 - a : i64Norm(-a);
}

/** Float -> BIGINT: rounds half to even (Postgres rint) and checks the int64 range exactly. */
export function floatToI64(x: number): Dec {
  if (!Number.isFinite(x)) outOfRange('bigint');
  let r = Math.round(x);
  if (r - x === 0.5 && r % 2 !== 0) r -= 1;
  if (r <= MAX_EXACT && r >= -MAX_EXACT) return r + 0;
  return i64Norm(BigInt(r));
}

/** A value where only a double is supported (math functions): its nearest double. */
export function dbl(a: Dec): number {
  return typeof a === 'number' ? a : Number(a);
}
/** Scaled DECIMAL result must stay exactly representable. */
export function chkDec(x: number): number {
  if (x > MAX_EXACT || x < -MAX_EXACT) {
    throw new SqlError('NUMERIC_OVERFLOW', 'numeric overflow: result is out of the exact range of DECIMAL');
  }
  return x;
}

/** 10^p as a bigint for every DECIMAL precision (made once: a wide value is checked per row). */
const BIG_POW10 = Array.from({ length: 40 }, (_, p) => 10n ** BigInt(p));

/** Checks a scaled value against DECIMAL(p,s): |v| < 10^p. */
export function decFit(v: Dec, limit: number, p: number, s: number): Dec {
  if (typeof v === 'bigint' ? (v >= BIG_POW10[p] || v <= -BIG_POW10[p]) : (v >= limit || v <= -limit || v > MAX_EXACT || v < -MAX_EXACT)) throw decimalOverflow(p, s);
  return v;
}

// ---------------------------------------------------------------- wide DECIMAL
// A DECIMAL value in generated code is a number while |v| <= 2^53 - 1 and a bigint beyond
// (up to 38 digits). Types of precision <= 15 never leave the number range; wider types go
// through these helpers, which stay on doubles until a result would lose a digit. Because
// the bigint form is only used past 2^53, a number and a bigint are never equal, so ===,
// < and > compare mixed values correctly.

/** A DECIMAL value as generated code sees it (scaled integer). */
export type Dec = number | bigint;

const MAX_EXACT_N = BigInt(MAX_EXACT);
const DEC_LIMIT = 10n ** 38n;

/** The canonical form of an exact scaled value: a number when it fits, else a bigint below 10^38. */
export function decNorm(x: bigint): Dec {
  if (x <= MAX_EXACT_N && x >= -MAX_EXACT_N) return Number(x);
  if (x >= DEC_LIMIT || x <= -DEC_LIMIT) throw new SqlError('NUMERIC_OVERFLOW', 'numeric overflow: result exceeds the 38 digits of DECIMAL');
  return x;
}

const big = (x: Dec): bigint => (typeof x === 'bigint' ? x : BigInt(x));

export function decAdd(a: Dec, b: Dec): Dec {
  if (typeof a === 'number' && typeof b === 'number') {
    const s = a + b;
    if (s <= MAX_EXACT && s >= -MAX_EXACT) return s;
  }
  return decNorm(big(a) + big(b));
}

export function decSub(a: Dec, b: Dec): Dec {
  if (typeof a === 'number' && typeof b === 'number') {
    const s = a - b;
    if (s <= MAX_EXACT && s >= -MAX_EXACT) return s;
  }
  return decNorm(big(a) - big(b));
}

export function decMul(a: Dec, b: Dec): Dec {
  if (typeof a === 'number' && typeof b === 'number') {
    const p = a * b;
    if (p <= MAX_EXACT && p >= -MAX_EXACT) return p + 0;
  }
  return decNorm(big(a) * big(b));
}

export function decNeg(a: Dec): Dec {
  return typeof a === 'number' ? 0 - a : -a;
}

/** The double a wide scaled value stands for (before dividing by its scale). */
export function wnum(a: Dec): number {
  return typeof a === 'number' ? a : Number(a);
}

/** A wide value where only a double-range value is supported: the old overflow error beyond 2^53. */
export function narrow(a: Dec): number {
  if (typeof a === 'number') return a;
  throw new SqlError('NUMERIC_OVERFLOW', 'numeric overflow: this operation supports DECIMAL values only up to 2^53 (15 digits)');
}

/** A BIGINT where a scalar function supports only the double range: an error beyond 2^53. */
export function narrowI64(a: Dec): number {
  if (typeof a === 'number') return a;
  throw new SqlError('NUMERIC_OVERFLOW', 'bigint out of range: this function supports BIGINT values only up to 2^53');
}

/** v * 10^k for rescaling a DECIMAL up; exact (a bigint past 2^53). */
export function up(v: Dec, pow: number): Dec {
  if (typeof v === 'number') {
    const p = v * pow;
    if (p <= MAX_EXACT && p >= -MAX_EXACT) return p;
  }
  return decNorm(big(v) * (POW10_BIG.get(pow) ?? BigInt(pow)));
}

/** The powers of ten rescaling uses, as bigints (BigInt(10^k) is exact up to 10^22). */
const POW10_BIG = new Map(Array.from({ length: 23 }, (_, k) => [10 ** k, 10n ** BigInt(k)]));

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
export function decDiv(a: Dec, b: Dec, k: number): Dec {
  if (b === 0 || b === 0n) divisionByZero();
  if (typeof a === 'number' && typeof b === 'number') {
    if (k >= 0) {
      const n = a * POW10[k];
      if (n <= MAX_EXACT && n >= -MAX_EXACT) return roundDiv(n, b);
    } else {
      const d = b * POW10[-k];
      if (d <= MAX_EXACT && d >= -MAX_EXACT) return roundDiv(a, d);
    }
  }
  let n = big(a);
  let d = big(b);
  if (k >= 0) n *= 10n ** BigInt(k); else d *= 10n ** BigInt(-k);
  const neg = (n < 0n) !== (d < 0n);
  if (n < 0n) n = -n;
  if (d < 0n) d = -d;
  let q = n / d;
  if (2n * (n % d) >= d) q += 1n;
  return decNorm(neg ? -q : q);
}

/** Rounds a scaled integer to a multiple of `pow` and divides: half away from zero. */
export function decRound(v: Dec, pow: number): Dec {
  if (typeof v === 'number') return roundDiv(v, pow);
  const d = BigInt(pow);
  const q = v / d, r = v % d;
  return decNorm(2n * (r < 0n ? -r : r) >= d ? q + (v < 0n ? -1n : 1n) : q);
}
// truncation, floor and ceiling of v / pow; exact for numbers (|v| < 2^53) and bigints alike
export function decTrunc(v: Dec, pow: number): Dec {
  if (typeof v === 'number') return Math.trunc(v / pow) + 0;
  return decNorm(v / BigInt(pow));
}
export function decFloor(v: Dec, pow: number): Dec {
  if (typeof v === 'number') {
    const q = Math.trunc(v / pow);
    return (v < 0 && q * pow !== v ? q - 1 : q) + 0;
  }
  const d = BigInt(pow), q = v / d;
  return decNorm(v < 0n && q * d !== v ? q - 1n : q);
}
export function decCeil(v: Dec, pow: number): Dec {
  if (typeof v === 'number') {
    const q = Math.trunc(v / pow);
    return (v > 0 && q * pow !== v ? q + 1 : q) + 0;
  }
  const d = BigInt(pow), q = v / d;
  return decNorm(v > 0n && q * d !== v ? q + 1n : q);
}

/** |v| of a BIGINT or DECIMAL value (exact; the caller range-checks a BIGINT: abs(-2^63) overflows). */
export function decAbs(v: Dec): Dec {
  if (typeof v === 'number') return Math.abs(v);
  return v < 0n ? -v : v;
}

/** a % b of scaled integers at a common scale: the dividend's sign, exact past 2^53. */
export function decMod(a: Dec, b: Dec): Dec {
  if (typeof a === 'number' && typeof b === 'number') return imod(a, b);
  if (b === 0 || b === 0n) divisionByZero();
  return decNorm(big(a) % big(b));
}

/**
 * round(x, n) on a scaled integer of scale s, keeping scale s (n not known at compile time):
 * half away from zero; a bigint when the result passes 2^53.
 */
export function decRoundDigits(v: Dec, s: number, n: number): Dec {
  if (n >= s) return v;
  const k = s - n;
  if (typeof v === 'number') {
    if (k > 22) return 0; // 10^22 > 2^53 > |v|
    const r = roundDiv(v, POW10[k]) * POW10[k];
    if (r <= MAX_EXACT && r >= -MAX_EXACT) return r + 0;
  }
  const x = big(v), d = 10n ** BigInt(k);
  const q = x / d, rem = x % d;
  return decNorm((2n * (rem < 0n ? -rem : rem) >= d ? q + (x < 0n ? -1n : 1n) : q) * d);
}
export function decTruncDigits(v: Dec, s: number, n: number): Dec {
  if (n >= s) return v;
  const k = s - n;
  if (typeof v === 'number') return k > 22 ? 0 : Math.trunc(v / POW10[k]) * POW10[k] + 0;
  const d = 10n ** BigInt(k);
  return decNorm((v / d) * d);
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

/** Decimal sign as a scaled value of the same scale (a bigint past 2^53 compares exactly). */
export function sign(x: Dec): number {
  return x > 0 ? 1 : x < 0 ? -1 : 0;
}

export function decToText(v: number, scale: number): string {
  return formatDecimal(v, scale);
}
