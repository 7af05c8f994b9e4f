// COPY's typed columns, built straight from a CSV file's bytes: numbers, decimals and dates
// without making strings, strings as dictionary codes over their UTF-8 bytes. A record with no
// quote and no stray CR is parsed in one pass over its bytes (parseSimpleRow); any other record,
// or one that pass is unsure of, is split into fields first and parsed field by field, which is
// also where every error is reported.
import type { SqlType } from '../types/types.ts';
import { TYPES, isBigint, isChar, isDecimal, isWideDecimal, kindOf, lengthOf, precisionOf, scaleOf, typeName, MAX_EXACT } from '../types/types.ts';
import type { Vector } from '../types/vector.ts';
import { makeVector } from '../types/vector.ts';
import { parseValue } from '../types/values.ts';
import { daysFromCivil, daysInMonth, isLeapYear } from '../types/calendar.ts';
import { decodeUtf8, type Utf8Buffers } from '../storage/utf8.ts';
import { Utf8DictionaryBuilder } from './utf8-dictionary.ts';

export class ParseError {
  constructor(readonly offset: number, readonly field: number, readonly message: string) {}
}

/** A growable column of one physical type. */
export class ColumnBuilder {
  values: Float64Array | Int32Array | Int16Array | Float32Array | Uint8Array;
  valid: Uint8Array | null = null;
  /** strings: the dictionary, as UTF-8 bytes */
  readonly strings: Utf8DictionaryBuilder | null;
  /** exact BIGINT values past 2^53, by row (sparse) */
  private big: bigint[] | null = null;
  n = 0;

  /** what the byte fast path does with this column: 0 int, 1 decimal, 2 date, 3 string, 4 other */
  readonly kind: number;
  readonly isChar: boolean;
  readonly maxLen: number;
  readonly scale: number;
  readonly limit: number;
  /** a DECIMAL of more than 15 digits: values past 2^53 go to `big` */
  readonly wide: boolean;

  constructor(readonly type: SqlType, public cap: number) {
    this.values = new (TYPES[type.id].array)(cap);
    const kind = kindOf(type);
    this.kind = kind === 'integer' ? 0 : kind === 'decimal' ? 1 : kind === 'date' ? 2 : kind === 'string' ? 3 : 4;
    this.isChar = isChar(type);
    this.maxLen = lengthOf(type) ?? Infinity;
    this.scale = scaleOf(type);
    this.limit = isDecimal(type) ? Math.min(POW10[Math.min(18, precisionOf(type))], MAX_EXACT + 1) : TYPES[type.id].range?.[1] ?? MAX_EXACT;
    this.wide = isWideDecimal(type);
    this.strings = this.kind === 3 ? new Utf8DictionaryBuilder() : null;
  }

  ensure(): void {
    if (this.n < this.cap) return;
    this.cap *= 2;
    const v = new (TYPES[this.type.id].array)(this.cap);
    v.set(this.values as never);
    this.values = v;
    if (this.valid) { const b = new Uint8Array(this.cap).fill(1); b.set(this.valid); this.valid = b; }
  }

  pushNull(): void {
    this.ensure();
    if (!this.valid) { this.valid = new Uint8Array(this.cap).fill(1); }
    this.valid[this.n++] = 0;
  }

  push(v: number): void {
    this.ensure();
    this.values[this.n++] = v;
  }

  /** A BIGINT or wide DECIMAL past 2^53: its nearest double in `values`, the exact value beside it (Vector.big). */
  pushBig(x: bigint): void {
    this.ensure();
    (this.big ??= [])[this.n] = x;
    this.values[this.n++] = Number(x);
  }

  /** A string given by its bytes: its dictionary code. */
  pushBytes(buf: Buffer, s: number, e: number): void {
    this.ensure();
    this.values[this.n++] = this.strings!.code(buf, s, e);
  }

  pushString(str: string): void {
    this.ensure();
    this.values[this.n++] = this.strings!.codeString(str);
  }

  /**
   * Takes the built vector and resets for the next segment. A string column's dictionary comes
   * as UTF-8 bytes beside it, and as JS strings in `dict` only when `decode` asks for them.
   * `handOver` gives the builder's own arrays (as views of their first rows) and starts new ones,
   * for a vector written and dropped at once; otherwise the rows are copied out.
   */
  take(decode: boolean, handOver: boolean): { vector: Vector; utf8?: Utf8Buffers } {
    const n = this.n;
    let values: typeof this.values, valid: Uint8Array | null;
    if (handOver) {
      values = this.values.subarray(0, n);
      valid = this.valid ? this.valid.subarray(0, n) : null;
      this.values = new (TYPES[this.type.id].array)(this.cap);
    } else {
      values = this.values.slice(0, n);
      valid = this.valid ? this.valid.slice(0, n) : null;
    }
    const vector = makeVector(this.type, n, values, valid);
    let utf8: Utf8Buffers | undefined;
    if (this.strings) {
      utf8 = this.strings.take();
      if (decode) vector.dict = decodeUtf8(utf8.offsets, utf8.bytes, utf8.offsets.length - 1);
    }
    if (this.big) { vector.big = Array.from({ length: n }, (_, i) => this.big![i] ?? null); this.big = null; }
    this.n = 0;
    this.valid = null;
    return { vector, utf8 };
  }
}

const POW10 = [1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18];

/** Parses one unquoted field of a numeric/date type from bytes; false sends it to the slow path. */
function parseFieldFast(b: ColumnBuilder, buf: Buffer, s: number, e: number, field: number): boolean {
  switch (b.kind) {
    case 0: {
      let i = s, neg = false;
      if (buf[i] === 45) { neg = true; i++; } else if (buf[i] === 43) i++;
      if (i >= e) return false;
      let v = 0;
      for (; i < e; i++) {
        const d = buf[i] - 48;
        if (d < 0 || d > 9) return false;
        v = v * 10 + d;
      }
      if (neg) v = -v;
      // past 2^53 a BIGINT is parsed exactly on the slow path
      if (isBigint(b.type) && (v > MAX_EXACT || v < -MAX_EXACT)) return false;
      if (v > b.limit || v < -b.limit - 1) throw new ParseError(s, field, `value out of range for type ${typeName(b.type).toLowerCase()}`);
      b.push(v);
      return true;
    }
    case 1: {
      const scale = b.scale;
      let i = s, neg = false;
      if (buf[i] === 45) { neg = true; i++; } else if (buf[i] === 43) i++;
      let v = 0, digits = 0, frac = -1;
      for (; i < e; i++) {
        const c = buf[i];
        if (c === 46) { if (frac >= 0) return false; frac = 0; continue; }
        const d = c - 48;
        if (d < 0 || d > 9) return false;
        if (frac >= 0) { if (frac === scale) return false; frac++; }
        v = v * 10 + d;
        digits++;
      }
      if (digits === 0) return false;
      if (frac < scale) v *= POW10[scale - (frac < 0 ? 0 : frac)];
      // past 2^53 a DECIMAL wider than 15 digits is parsed exactly on the slow path
      if (v > MAX_EXACT && b.wide) return false;
      if (v >= b.limit) throw new ParseError(s, field, `numeric overflow: value out of range for ${typeName(b.type)}`);
      b.push(neg ? -v : v);
      return true;
    }
    case 2: {
      if (e - s !== 10 || buf[s + 4] !== 45 || buf[s + 7] !== 45) return false;
      const day = isoDateAt(buf, s);
      if (day !== day) return false;
      b.push(day);
      return true;
    }
    default:
      return false;
  }
}

/** Parses one field value (quoted or not) into its column; numbers take the byte fast path. */
export function pushField(b: ColumnBuilder, buf: Buffer, s: number, e: number, quoted: string | null, field: number, nullAs: string | null): void {
  if (quoted === null) {
    if (nullAs !== null && e - s === nullAs.length && (e === s || buf.toString('utf8', s, e) === nullAs)) { b.pushNull(); return; }
    if (b.kind === 3) {
      // CHAR drops trailing blanks; lengths count bytes, as in Redshift
      if (b.isChar) while (e > s && buf[e - 1] === 32) e--;
      if (e - s > b.maxLen) throw new ParseError(s, field, `value too long for type ${typeName(b.type).toLowerCase()}`);
      b.pushBytes(buf, s, e);
      return;
    }
    if (parseFieldFast(b, buf, s, e, field)) return;
  }
  const text = quoted ?? buf.toString('utf8', s, e);
  let v: number | string | boolean | bigint;
  try {
    v = parseValue(b.type, b.kind === 3 ? text : text.trim());
  } catch (err) {
    throw new ParseError(s, field, (err as Error).message.replace(/ at line \d+, column \d+$/, ''));
  }
  if (b.kind === 3) b.pushString(v as string);
  else if (typeof v === 'bigint') b.pushBig(v);
  else { b.ensure(); b.values[b.n++] = typeof v === 'boolean' ? (v ? 1 : 0) : (v as number); }
}

/** Day numbers of each year's January 1st (years 1..9999) and the days before each month. */
const YEAR_START = new Int32Array(10000);
for (let y = 1; y < 10000; y++) YEAR_START[y] = daysFromCivil(y, 1, 1);
const MONTH_START = [0, 0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334];

/** daysFromCivil for a valid date of years 1..9999, by table. */
function dayNumber(y: number, m: number, d: number): number {
  return YEAR_START[y] + MONTH_START[m] + (m > 2 && isLeapYear(y) ? 1 : 0) + d - 1;
}

/**
 * The day number of the YYYY-MM-DD at buf[s] (its dashes already checked), or NaN when a digit
 * is not one or the date does not exist (the slow path then reports it; -1 is 1969-12-31).
 */
function isoDateAt(buf: Uint8Array, s: number): number {
  const y0 = buf[s] - 48, y1 = buf[s + 1] - 48, y2 = buf[s + 2] - 48, y3 = buf[s + 3] - 48;
  const m0 = buf[s + 5] - 48, m1 = buf[s + 6] - 48, d0 = buf[s + 8] - 48, d1 = buf[s + 9] - 48;
  if ((y0 | y1 | y2 | y3 | m0 | m1 | d0 | d1) < 0 || y0 > 9 || y1 > 9 || y2 > 9 || y3 > 9 || m0 > 9 || m1 > 9 || d0 > 9 || d1 > 9) return NaN;
  const y = y0 * 1000 + y1 * 100 + y2 * 10 + y3, m = m0 * 10 + m1, d = d0 * 10 + d1;
  if (y < 1 || m < 1 || m > 12 || d < 1 || d > daysInMonth(y, m)) return NaN;
  return dayNumber(y, m, d);
}

/**
 * Parses a record whose fields end at delimiters only (no quote, no CR) from buf[start, end)
 * into the columns, reading each field's bytes once to find both its end and its value. An empty
 * field is NULL (the caller uses this only when NULL AS is ''). Returns false, having added
 * nothing, when any field needs more (a value to check or convert on the slow path, too few or
 * too many fields): the caller then splits the record and parses it field by field, which
 * reports the error, if any, as before. Only for columns of kinds 0-3.
 */
export function parseSimpleRow(cols: ColumnBuilder[], buf: Uint8Array, start: number, end: number, delim: number): boolean {
  const nf = cols.length, n = cols[0].n;
  let p = start;
  for (let k = 0; k < nf; k++) {
    const b = cols[k];
    b.ensure();
    const q = b.kind === 3 ? fuseString(b, buf, p, end, delim)
      : b.kind === 1 ? fuseDecimal(b, buf, p, end, delim)
        : b.kind === 0 ? fuseInteger(b, buf, p, end, delim)
          : fuseDate(b, buf, p, end, delim);
    // q: the field's terminator (delimiter or end), or -1 when the field was left to the slow path
    if (q < 0 || (k < nf - 1 ? q >= end : q !== end)) {
      undoRow(cols, q < 0 ? k : k + 1, n);
      return false;
    }
    p = q + 1;
  }
  return true;
}

/** Takes back the values the first `count` columns got for row n. */
function undoRow(cols: ColumnBuilder[], count: number, n: number): void {
  for (let k = 0; k < count; k++) {
    const b = cols[k];
    if (b.valid !== null) b.valid[n] = 1;
    b.n = n;
  }
}

function fuseInteger(b: ColumnBuilder, buf: Uint8Array, p: number, end: number, delim: number): number {
  let i = p, neg = false;
  if (i < end) { const c = buf[i]; if (c === 45) { neg = true; i++; } else if (c === 43) i++; }
  const first = i;
  let v = 0;
  for (; i < end; i++) {
    const d = buf[i] - 48;
    if (d < 0 || d > 9) break;
    v = v * 10 + d;
  }
  if (i < end && buf[i] !== delim) return -1;
  if (i === first) {
    if (i !== p) return -1;
    b.pushNull();
    return i;
  }
  if (neg) v = -v;
  // past 2^53 (exact BIGINT) or out of range (an error): the slow path
  if (v > MAX_EXACT || v < -MAX_EXACT || v > b.limit || v < -b.limit - 1) return -1;
  b.values[b.n++] = v;
  return i;
}

function fuseDecimal(b: ColumnBuilder, buf: Uint8Array, p: number, end: number, delim: number): number {
  const scale = b.scale;
  let i = p, neg = false;
  if (i < end) { const c = buf[i]; if (c === 45) { neg = true; i++; } else if (c === 43) i++; }
  let v = 0, digits = 0, frac = -1;
  for (; i < end; i++) {
    const c = buf[i];
    if (c === 46) { if (frac >= 0) return -1; frac = 0; continue; }
    const d = c - 48;
    if (d < 0 || d > 9) break;
    if (frac >= 0) { if (frac === scale) return -1; frac++; }
    v = v * 10 + d;
    digits++;
  }
  if (i < end && buf[i] !== delim) return -1;
  if (digits === 0) {
    if (i !== p) return -1;
    b.pushNull();
    return i;
  }
  if (frac < scale) v *= POW10[scale - (frac < 0 ? 0 : frac)];
  if ((v > MAX_EXACT && b.wide) || v >= b.limit) return -1;
  b.values[b.n++] = neg ? -v : v;
  return i;
}

function fuseDate(b: ColumnBuilder, buf: Uint8Array, p: number, end: number, delim: number): number {
  if (p === end || buf[p] === delim) { b.pushNull(); return p; }
  const s = p;
  if (s + 10 > end || (s + 10 < end && buf[s + 10] !== delim) || buf[s + 4] !== 45 || buf[s + 7] !== 45) return -1;
  const day = isoDateAt(buf, s);
  if (day !== day) return -1;
  b.values[b.n++] = day;
  return s + 10;
}

function fuseString(b: ColumnBuilder, buf: Uint8Array, p: number, end: number, delim: number): number {
  let q = p, h = 2166136261;
  if (b.isChar) {
    while (q < end && buf[q] !== delim) q++;
  } else {
    // find the end and hash the bytes in one pass (the dictionary's hash)
    for (; q < end; q++) {
      const c = buf[q];
      if (c === delim) break;
      h = Math.imul(h ^ c, 16777619);
    }
  }
  if (q === p) { b.pushNull(); return q; }
  let e = q;
  // CHAR drops trailing blanks; lengths count bytes, as in Redshift
  if (b.isChar) while (e > p && buf[e - 1] === 32) e--;
  if (e - p > b.maxLen) return -1;
  b.values[b.n++] = b.isChar ? b.strings!.code(buf, p, e) : b.strings!.codeHashed(buf, p, e, h);
  return q;
}
