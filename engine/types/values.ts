// Text <-> physical value for every SQL type. Used for literals, CSV loading, casts from text
// and for formatting results. Parsing is exact: decimals go digit by digit into scaled integers,
// dates and timestamps through integer calendar math (calendar.ts), never through JS Date.
import { SqlError } from '../errors.ts';
import { MAX_EXACT, TYPES, errorTypeName, isBigint, isChar, isReal, isWideDecimal, scaleOf, typeName, type SqlType, type TypeKind } from './types.ts';
import {
  MICROS_PER_DAY, MICROS_PER_HOUR, MICROS_PER_MINUTE, MICROS_PER_SECOND,
  civilFromDays, daysFromCivil, daysInMonth, splitTimestamp,
} from './calendar.ts';

export { daysFromCivil, civilFromDays } from './calendar.ts';

/** A physical scalar as generated code sees it (see DESIGN: numbers, strings, booleans). */
export type PhysicalValue = number | string | boolean | bigint;

/** Powers of ten as exact doubles, 10^0 .. 10^22. */
export const POW10: readonly number[] = Array.from({ length: 23 }, (_, i) => Number(`1e${i}`));

export { errorTypeName } from './types.ts';

export function invalidText(t: SqlType | string, text: string): SqlError {
  const name = typeof t === 'string' ? t : errorTypeName(t);
  return new SqlError('INVALID_TEXT_REPRESENTATION', `invalid input syntax for type ${name}: "${text}"`);
}

export function decimalOverflow(precision: number, scale: number): SqlError {
  return new SqlError('NUMERIC_OVERFLOW', `numeric overflow: value out of range for DECIMAL(${precision},${scale})`);
}

export function intOutOfRange(t: SqlType | string): SqlError {
  const name = typeof t === 'string' ? t : errorTypeName(t);
  return new SqlError('NUMERIC_OVERFLOW', `${name} out of range`);
}

// ---------------------------------------------------------------- integers

/** Parses an integer literal ("  -42 ", "+7") with the range check of its type. */
export function parseInteger(text: string, t: SqlType): number | bigint {
  const s = text.trim();
  if (!/^[+-]?\d+$/.test(s)) throw invalidText(t, text);
  const [lo, hi] = TYPES[t.id].range ?? TYPES.BIGINT.range!;
  const v = Number(s);
  if (v < lo || v > hi || (s.replace(/^[+-]?0*/, '').length > 16)) {
    if (isBigint(t)) return parseBigint(text);
    throw new SqlError('NUMERIC_OVERFLOW', `value "${s}" is out of range for type ${errorTypeName(t)}`);
  }
  return v === 0 ? 0 : v;
}

const I64_MAX = 2n ** 63n - 1n;

/**
 * BIGINT text, exact over the whole int64 range: a number while |v| < 2^53, a bigint beyond
 * (the form generated code and `Vector.big` use).
 */
export function parseBigint(text: string): number | bigint {
  const s = text.trim();
  if (!/^[+-]?\d+$/.test(s)) throw invalidText('bigint', text);
  const b = BigInt(s);
  if (b > I64_MAX || b < -I64_MAX - 1n) throw new SqlError('NUMERIC_OVERFLOW', `value "${s}" is out of range for type bigint`);
  return b <= BigInt(MAX_EXACT) && b >= -BigInt(MAX_EXACT) ? Number(b) : b;
}

// ---------------------------------------------------------------- decimals

/**
 * Parses decimal text into the exact scaled integer (value * 10^scale), rounding half away from
 * zero past `scale` digits, and rejecting values that need more than precision - scale integer
 * digits or that a double cannot hold exactly. Accepts an exponent ("1.5e3").
 */
export function parseDecimalScaled(text: string, scale: number, precision = 38): number {
  const fast = parseDecimalFast(text, scale, precision);
  if (fast !== undefined) return fast;
  return parseDecimalSlow(text, scale, precision);
}

// Plain "[-]ddd[.ddd]" with at most 15 significant digits: one pass, no strings.
function parseDecimalFast(text: string, scale: number, precision: number): number | undefined {
  let i = 0;
  let n = text.length;
  while (i < n && text.charCodeAt(i) === 32) i++;
  while (n > i && text.charCodeAt(n - 1) === 32) n--;
  let neg = false;
  const c0 = text.charCodeAt(i);
  if (c0 === 45) { neg = true; i++; } else if (c0 === 43) i++;
  let v = 0;
  let digits = 0; // significant digits accumulated
  let intDigits = 0;
  let frac = 0;
  let seen = false;
  let roundUp = false;
  let dot = false;
  for (; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 46) { if (dot) return undefined; dot = true; continue; }
    const d = c - 48;
    if (d < 0 || d > 9) return undefined;
    seen = true;
    if (!dot) {
      if (v === 0 && d === 0) continue;
      v = v * 10 + d; digits++; intDigits++;
    } else if (frac < scale) {
      v = v * 10 + d; frac++; if (v !== 0) digits++;
    } else if (frac === scale) {
      roundUp = d >= 5; frac++;
    }
    if (digits > 15) return undefined;
  }
  if (!seen) return undefined;
  if (intDigits > precision - scale) throw decimalOverflow(precision, scale);
  if (frac < scale) v *= POW10[scale - frac];
  if (roundUp) v += 1;
  if (v >= POW10[Math.min(precision, 22)] || v > MAX_EXACT) throw decimalOverflow(precision, scale);
  return neg && v !== 0 ? -v : v;
}

/**
 * DECIMAL(p,s) text for p > 15 (CAST, literals): the exact scaled value, a number while it fits
 * in 2^53 and a bigint beyond (up to 38 digits); rounds half away from zero to the scale.
 */
export function parseDecimalWide(text: string, scale: number, precision: number): number | bigint {
  const d = scaledDigits(text, scale, precision);
  if (!d) return 0;
  let v = BigInt(d.kept) + (d.roundUp ? 1n : 0n);
  if (v >= 10n ** BigInt(precision)) throw decimalOverflow(precision, scale);
  if (d.neg) v = -v;
  return v <= BigInt(MAX_EXACT) && v >= -BigInt(MAX_EXACT) ? Number(v) : v;
}

function parseDecimalSlow(text: string, scale: number, precision: number): number {
  const d = scaledDigits(text, scale, precision);
  if (!d) return 0;
  if (d.kept.length > 16) throw decimalOverflow(precision, scale);
  let v = Number(d.kept) + (d.roundUp ? 1 : 0);
  if (v > MAX_EXACT || v >= Number(`1e${precision}`)) throw decimalOverflow(precision, scale);
  if (d.neg && v !== 0) v = -v;
  return v;
}

/**
 * The digits of decimal text scaled to `scale` places (`kept`, plus one when the first dropped
 * digit rounds half away from zero), or null for zero; overflow of the integer part throws.
 */
function scaledDigits(text: string, scale: number, precision: number): { neg: boolean; kept: string; roundUp: boolean } | null {
  const m = /^\s*([+-])?(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?\s*$/.exec(text);
  if (!m || (m[2] === '' && (m[3] ?? '') === '')) throw invalidText('numeric', text);
  let digits = m[2] + (m[3] ?? '');
  let point = m[2].length + (m[4] ? Number(m[4]) : 0); // value = 0.digits * 10^point
  let lead = 0;
  while (lead < digits.length && digits.charCodeAt(lead) === 48) lead++;
  digits = digits.slice(lead);
  point -= lead;
  if (digits === '') return null;
  if (point > precision - scale) throw decimalOverflow(precision, scale);
  const keep = point + scale;
  const neg = m[1] === '-';
  if (keep <= 0) return { neg, kept: '0', roundUp: keep === 0 && digits.charCodeAt(0) >= 53 };
  if (keep >= digits.length) return { neg, kept: digits + '0'.repeat(keep - digits.length), roundUp: false };
  return { neg, kept: digits.slice(0, keep), roundUp: digits.charCodeAt(keep) >= 53 };
}

/** Formats a scaled integer with exactly `scale` fraction digits: (1230, 2) -> "12.30", (-5, 2) -> "-0.05". */
export function formatDecimal(v: number | bigint, scale: number): string {
  if (scale === 0) return String(v === 0 ? 0 : v);
  const neg = v < 0;
  const digits = String(neg ? -v : v).padStart(scale + 1, '0');
  const cut = digits.length - scale;
  return (neg ? '-' : '') + digits.slice(0, cut) + '.' + digits.slice(cut);
}

// ---------------------------------------------------------------- floats

const FLOAT_RE = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/** Parses REAL/DOUBLE PRECISION text, including NaN and [+-]Infinity (any case, 'inf' too). */
export function parseFloatText(text: string, t: SqlType): number {
  const s = text.trim();
  let v: number;
  if (FLOAT_RE.test(s)) v = Number(s);
  else {
    const l = s.toLowerCase();
    if (l === 'nan') return NaN;
    if (l === 'infinity' || l === '+infinity' || l === 'inf' || l === '+inf') return Infinity;
    if (l === '-infinity' || l === '-inf') return -Infinity;
    throw invalidText(t, text);
  }
  if (isReal(t)) {
    const f = Math.fround(v);
    if (!Number.isFinite(f)) throw new SqlError('NUMERIC_OVERFLOW', `"${s}" is out of range for type real`);
    return f;
  }
  if (!Number.isFinite(v)) throw new SqlError('NUMERIC_OVERFLOW', `"${s}" is out of range for type double precision`);
  return v;
}

/** Postgres-style float text: shortest round-trip digits, exponent form outside 1e-4 .. 1e15. */
export function formatFloatText(v: number, isReal = false): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return 'Infinity';
  if (v === -Infinity) return '-Infinity';
  if (v === 0) return Object.is(v, -0) ? '-0' : '0';
  const x = isReal ? shortestReal(v) : v;
  const a = Math.abs(x);
  if (a >= 1e15 || a < 1e-4) {
    const [mant, exp] = x.toExponential().split('e');
    const e = Number(exp);
    return `${mant}e${e < 0 ? '-' : '+'}${String(Math.abs(e)).padStart(2, '0')}`;
  }
  return String(x);
}

/** The shortest decimal that reads back as the same float32 (so REAL 0.1 prints as 0.1). */
export function shortestReal(v: number): number {
  if (!Number.isFinite(v)) return v;
  for (let p = 1; p <= 9; p++) {
    const c = Number(v.toPrecision(p));
    if (Math.fround(c) === v) return c;
  }
  return v;
}

// ---------------------------------------------------------------- booleans

const BOOL_TEXT: Record<string, boolean> = {
  true: true, t: true, yes: true, y: true, on: true, '1': true,
  false: false, f: false, no: false, n: false, off: false, '0': false,
};

export function parseBoolean(text: string): boolean {
  const b = BOOL_TEXT[text.trim().toLowerCase()];
  if (b === undefined) throw invalidText('boolean', text);
  return b;
}

// ---------------------------------------------------------------- dates and timestamps

const DATE_RE = /^(\d{4,5})([-/])(\d{1,2})\2(\d{1,2})/;
const TIME_RE = /^(\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d*))?)?$/;

function dateFromParts(text: string, y: number, m: number, d: number): number {
  if (y < 1 || y > 9999 || m < 1 || m > 12 || d < 1 || d > daysInMonth(y, m)) {
    throw new SqlError('INVALID_TEXT_REPRESENTATION', `date/time field value out of range: "${text}"`);
  }
  return daysFromCivil(y, m, d);
}

/** 'YYYY-MM-DD' or 'YYYY/MM/DD' (a time part after it is accepted and dropped, like Postgres). */
export function parseDate(text: string): number {
  const s = text.trim();
  const m = DATE_RE.exec(s);
  if (!m) throw invalidText('date', text);
  const rest = s.slice(m[0].length);
  if (rest !== '' && !/^(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d*)?)?)?\s*(?:Z|[+-]\d{2}(?::?\d{2})?)?$/.test(rest)) throw invalidText('date', text);
  return dateFromParts(text, Number(m[1]), Number(m[3]), Number(m[4]));
}

/**
 * 'YYYY-MM-DD[( |T)HH:MM[:SS[.ffffff]]]' to microseconds; fractions beyond 6 digits round.
 * A trailing zone ('Z', '+02', '-05:00') is ignored, as Postgres does for timestamp without time zone.
 */
export function parseTimestamp(text: string): number {
  const s = text.trim();
  const m = DATE_RE.exec(s);
  if (!m) throw invalidText('timestamp', text);
  const days = dateFromParts(text, Number(m[1]), Number(m[3]), Number(m[4]));
  let rest = s.slice(m[0].length).replace(/\s*(?:Z|[+-]\d{2}(?::?\d{2})?)$/, '');
  if (rest === '') return days * MICROS_PER_DAY;
  if (rest[0] !== ' ' && rest[0] !== 'T') throw invalidText('timestamp', text);
  rest = rest.slice(1).trim();
  const t = TIME_RE.exec(rest);
  if (!t) throw invalidText('timestamp', text);
  const h = Number(t[1]);
  const mi = Number(t[2]);
  const sec = t[3] ? Number(t[3]) : 0;
  if (h > 24 || mi > 59 || sec > 60 || (h === 24 && (mi > 0 || sec > 0))) {
    throw new SqlError('INVALID_TEXT_REPRESENTATION', `date/time field value out of range: "${text}"`);
  }
  let frac = 0;
  if (t[4]) {
    const f = t[4];
    frac = Number(f.slice(0, 6).padEnd(6, '0'));
    if (f.length > 6 && f.charCodeAt(6) >= 53) frac += 1;
  }
  return days * MICROS_PER_DAY + h * MICROS_PER_HOUR + mi * MICROS_PER_MINUTE + sec * MICROS_PER_SECOND + frac;
}

const pad2 = (n: number) => (n < 10 ? '0' + n : String(n));

/** 'YYYY-MM-DD'; years before 1000 are zero-padded to four digits. */
export function formatDate(days: number): string {
  const c = civilFromDays(days);
  return `${String(c.year).padStart(4, '0')}-${pad2(c.month)}-${pad2(c.day)}`;
}

/** 'YYYY-MM-DD HH:MM:SS' plus '.ffffff' without trailing zeros when the fraction is nonzero. */
export function formatTimestamp(us: number): string {
  const { days, time } = splitTimestamp(Math.round(us));
  const h = Math.floor(time / MICROS_PER_HOUR);
  const mi = Math.floor((time % MICROS_PER_HOUR) / MICROS_PER_MINUTE);
  const sec = Math.floor((time % MICROS_PER_MINUTE) / MICROS_PER_SECOND);
  const frac = time % MICROS_PER_SECOND;
  let out = `${formatDate(days)} ${pad2(h)}:${pad2(mi)}:${pad2(sec)}`;
  if (frac !== 0) out += '.' + String(frac).padStart(6, '0').replace(/0+$/, '');
  return out;
}

// ---------------------------------------------------------------- strings

/** UTF-8 byte length: Redshift measures CHAR/VARCHAR lengths in bytes. */
export function byteLength(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) n += 1;
    else if (c >= 0xd800 && c <= 0xdbff) { n += 2; i++; } // surrogate pair: 2 units, 4 bytes
    else n += 2;
  }
  return n;
}

/**
 * Checks a string against CHAR(n)/VARCHAR(n) for assignment (INSERT, COPY). CHAR drops trailing
 * blanks (they are insignificant in Redshift, so values are held without them).
 */
export function checkStringLength(s: string, t: SqlType): string {
  if (isChar(t)) s = s.replace(/ +$/, '');
  const length = 'length' in t ? t.length : undefined;
  if (length !== undefined && s.length * 3 > length && byteLength(s) > length) {
    throw new SqlError('INVALID_PARAMETER', `value too long for type ${errorTypeName(t)}(${length})`);
  }
  return s;
}

// ---------------------------------------------------------------- dispatch

/** Text I/O of one kind of type (TYPES[id].kind picks the entry). */
interface TextIO {
  /** SQL literal or CSV field -> physical value (assignment rules: lengths checked) */
  parse(text: string, t: SqlType): PhysicalValue;
  /** physical value -> result value: numbers stay numbers, DECIMAL/DATE/TIMESTAMP become text */
  format(v: PhysicalValue, t: SqlType): string | number | boolean;
  /** physical value -> SQL text, what CAST(x AS VARCHAR) yields */
  toText(v: PhysicalValue, t: SqlType): string;
}

const floatOut = (v: PhysicalValue, t: SqlType) => {
  const x = v as number;
  if (!Number.isFinite(x)) return formatFloatText(x);
  return isReal(t) ? shortestReal(x) : x;
};
const viaFormat = (v: PhysicalValue, t: SqlType) => String(TEXT_IO[TYPES[t.id].kind].format(v, t));

const TEXT_IO: Record<TypeKind, TextIO> = {
  integer: { parse: parseInteger, format: (v) => v as number, toText: viaFormat },
  decimal: {
    // a DECIMAL wider than 15 digits reads past 2^53 exactly (a bigint there)
    parse: (s, t) => (isWideDecimal(t) ? parseDecimalWide : parseDecimalScaled)(s, scaleOf(t), 'precision' in t ? t.precision ?? 18 : 18),
    format: (v, t) => formatDecimal(v as number, scaleOf(t)),
    toText: viaFormat,
  },
  float: { parse: parseFloatText, format: floatOut, toText: (v, t) => formatFloatText(v as number, isReal(t)) },
  boolean: { parse: (s) => parseBoolean(s), format: (v) => v as boolean, toText: (v) => (v ? 'true' : 'false') },
  string: { parse: checkStringLength, format: (v) => v as string, toText: (v) => v as string },
  date: { parse: (s) => parseDate(s), format: (v) => formatDate(v as number), toText: viaFormat },
  timestamp: { parse: (s) => parseTimestamp(s), format: (v) => formatTimestamp(v as number), toText: viaFormat },
  null: {
    parse: (_s, t) => { throw new SqlError('DATATYPE_MISMATCH', `cannot parse a value of type ${typeName(t)}`); },
    format: (v) => String(v),
    toText: (v) => String(v),
  },
};

/** Parses a SQL literal or CSV field into the type's physical value (assignment rules: length checked). */
export function parseValue(type: SqlType, text: string): PhysicalValue {
  return TEXT_IO[TYPES[type.id].kind].parse(text, type);
}

/** Formats a physical value for results: numbers stay numbers; DECIMAL/DATE/TIMESTAMP become text. */
export function formatValue(type: SqlType, v: PhysicalValue | null | undefined): string | number | boolean | null {
  if (v === null || v === undefined) return null;
  return TEXT_IO[TYPES[type.id].kind].format(v, type);
}

/** Formats a value as SQL text (what CAST(x AS VARCHAR) yields): floats in Postgres form, booleans 'true'/'false'. */
export function valueToText(type: SqlType, v: PhysicalValue): string {
  return TEXT_IO[TYPES[type.id].kind].toText(v, type);
}
