// COPY's CSV parser. Each slice parses one byte range of the file, straight from bytes into
// typed columns (numbers, decimals and dates without making strings; strings dictionary-coded by
// their bytes), and writes its own segments. A range starts at the first record after `start`
// and runs through the record that contains `end - 1`, so ranges meet exactly when no quoted
// field spans a boundary; the leader checks that and re-parses a range if one did.
import { openSync, readSync, closeSync, fstatSync } from 'node:fs';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import type { SqlType } from '../types/types.ts';
import { TYPES, isBigint, isChar, isDecimal, isString, isWideDecimal, kindOf, lengthOf, precisionOf, scaleOf, typeName, MAX_EXACT } from '../types/types.ts';
import type { Vector } from '../types/vector.ts';
import { parseValue } from '../types/values.ts';
import { daysFromCivil, daysInMonth } from '../types/calendar.ts';
import { writeSegment } from '../storage/segment.ts';
import { decodeUtf8, type Utf8Buffers } from '../storage/utf8.ts';
import { Utf8DictionaryBuilder } from './utf8-dictionary.ts';
import { isAscii, isUtf8 } from 'node:buffer';
import { sketchColumns, type WrittenSegment } from './stats-gather.ts';
import { sortByColumns } from './sort-rows.ts';

export interface CsvRangeRequest {
  path: string;
  start: number;
  end: number;
  /** true when `start` is known to be the start of a record (first range, or a re-parse) */
  exactStart: boolean;
  delimiter: number; // byte
  quote: number; // byte
  nullAs: string | null; // unquoted field text meaning NULL ('' by default)
  types: SqlType[]; // one per CSV field
  names: string[];
  encodings: (string | undefined)[];
  segmentRows: number;
  /** columns each written segment is ordered by (SORTKEY) */
  sortKey: number[];
  /** 'write': this slice writes segments itself; 'return': columns go back to the leader */
  mode: 'write' | 'return';
}

export interface CsvRangeResult {
  /** byte offset where this range's first record began, and just past its last record */
  first: number;
  last: number;
  rows: number;
  segments: { file: string; meta: unknown }[];
  columns?: Vector[];
  error?: { offset: number; field: number; message: string };
}

const CHUNK = 8 * 1024 * 1024;
const NL = 10, CR = 13;

class ParseError {
  constructor(readonly offset: number, readonly field: number, readonly message: string) {}
}

/** A growable column of one physical type. */
class ColumnBuilder {
  values: Float64Array | Int32Array | Int16Array | Float32Array | Uint8Array;
  valid: Uint8Array | null = null;
  /** strings: the dictionary, as UTF-8 bytes */
  private readonly strings: Utf8DictionaryBuilder | null;
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

  constructor(readonly type: SqlType, private cap: number) {
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
   */
  take(decode: boolean): { vector: Vector; utf8?: Utf8Buffers } {
    const n = this.n;
    const values = this.values.slice(0, n);
    const valid = this.valid ? this.valid.slice(0, n) : null;
    const vector: Vector = { type: this.type, length: n, values, valid };
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
      const y0 = buf[s] - 48, y1 = buf[s + 1] - 48, y2 = buf[s + 2] - 48, y3 = buf[s + 3] - 48;
      const m0 = buf[s + 5] - 48, m1 = buf[s + 6] - 48, d0 = buf[s + 8] - 48, d1 = buf[s + 9] - 48;
      if ((y0 | y1 | y2 | y3 | m0 | m1 | d0 | d1) < 0 || y0 > 9 || y1 > 9 || y2 > 9 || y3 > 9 || m0 > 9 || m1 > 9 || d0 > 9 || d1 > 9) return false;
      const y = y0 * 1000 + y1 * 100 + y2 * 10 + y3, m = m0 * 10 + m1, d = d0 * 10 + d1;
      if (y < 1 || m < 1 || m > 12 || d < 1 || d > daysInMonth(y, m)) return false;
      b.push(daysFromCivil(y, m, d));
      return true;
    }
    default:
      return false;
  }
}

/** Parses one field value (quoted or not) into its column; numbers take the byte fast path. */
function pushField(b: ColumnBuilder, buf: Buffer, s: number, e: number, quoted: string | null, field: number, req: CsvRangeRequest): void {
  if (quoted === null) {
    if (req.nullAs !== null && e - s === req.nullAs.length && (e === s || buf.toString('utf8', s, e) === req.nullAs)) { b.pushNull(); return; }
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

/**
 * The file's bytes as the dictionary, when they are valid UTF-8. Otherwise the entries are decoded
 * (each invalid sequence becomes U+FFFD) and the column goes on as JS strings.
 */
function validUtf8(v: Vector, utf8: Utf8Buffers): Utf8Buffers | undefined {
  if (isAscii(utf8.bytes) || isUtf8(utf8.bytes)) return utf8;
  v.dict = decodeUtf8(utf8.offsets, utf8.bytes, utf8.offsets.length - 1);
  return undefined;
}

/**
 * Parses one byte range of a CSV file. In 'write' mode the slice writes a segment every
 * `segmentRows` rows into the data dir; in 'return' mode the columns are returned.
 */
export async function parseCsvRange(req: CsvRangeRequest, dataDir: string, _slice: number): Promise<CsvRangeResult> {
  const fd = openSync(req.path, 'r');
  const result: CsvRangeResult = { first: req.start, last: req.start, rows: 0, segments: [] };
  const builders = req.types.map((t) => new ColumnBuilder(t, Math.min(req.segmentRows, 1 << 16)));
  const returned: Vector[][] = [];
  const flush = async () => {
    if (builders[0].n === 0) return;
    // sorting compares strings, and returned columns travel as JS strings: both need them decoded
    const decode = req.mode === 'return' || req.sortKey.length > 0;
    const taken = builders.map((b) => b.take(decode));
    let cols = taken.map((t) => t.vector);
    if (req.mode === 'return') { returned.push(cols); return; }
    if (req.sortKey.length) cols = sortByColumns({ length: cols[0].length, columns: cols }, req.sortKey).columns;
    const utf8 = decode ? undefined : taken.map((t, k) => t.utf8 && validUtf8(cols[k], t.utf8));
    const file = `seg-${randomUUID()}.arrow`;
    const meta = await writeSegment(join(dataDir, 'segments', file), cols, { encodings: req.encodings, utf8 });
    const written: WrittenSegment = { ...meta, sketches: sketchColumns(cols, utf8) };
    result.segments.push({ file, meta: written });
  };
  let pos = req.start; // file offset of buf[0]
  try {
    const size = fstatSync(fd).size;
    let buf = Buffer.alloc(0);
    let i = 0; // cursor in buf
    // where the next quote and CR bytes are in buf at or after i (-1: none, -2: not looked yet)
    let nextQuote = -2, nextCR = -2;
    const nf = req.types.length;
    const read = (): boolean => {
      // keep the unparsed tail, append the next chunk
      const tail = buf.subarray(i);
      if (pos + buf.length >= size) return false;
      const chunk = Buffer.allocUnsafe(CHUNK);
      const got = readSync(fd, chunk, 0, CHUNK, pos + buf.length);
      if (got <= 0) return false;
      pos += i;
      buf = Buffer.concat([tail, chunk.subarray(0, got)]);
      i = 0;
      nextQuote = nextCR = -2;
      return true;
    };
    read();
    if (!req.exactStart) {
      // skip the partial record: start after the first newline at or after start
      for (;;) {
        const nl = buf.indexOf(NL, i);
        if (nl >= 0) { i = nl + 1; break; }
        i = buf.length;
        if (!read()) break;
      }
    }
    result.first = pos + i;
    const starts = new Int32Array(nf + 1), ends = new Int32Array(nf + 1);
    const quotedText: (string | null)[] = new Array(nf + 1).fill(null);
    const D = req.delimiter, Q = req.quote;
    // records: parse while the record starts before `end`
    for (;;) {
      if (pos + i >= req.end || pos + i >= size) break;
      // find a complete record in buf starting at i; if it runs off the buffer, read more
      let p = i, f = 0, complete = false;
      // most lines hold no quote and no CR but the one before their newline: their fields end
      // at delimiters only, and the newline is found by a native byte search
      const nl = buf.indexOf(NL, i);
      if (nl >= 0 && nextQuote !== -1 && nextQuote < i) nextQuote = buf.indexOf(Q, i);
      if (nl >= 0 && nextCR !== -1 && nextCR < i) nextCR = buf.indexOf(CR, i);
      if (nl >= 0 && (nextQuote < 0 || nextQuote > nl) && (nextCR < 0 || nextCR >= nl - 1)) {
        const end = nextCR === nl - 1 ? nl - 1 : nl;
        for (;;) {
          let q = p;
          while (q < end && buf[q] !== D) q++;
          if (f <= nf) { starts[f] = p; ends[f] = q; quotedText[f] = null; }
          f++;
          if (q >= end) break;
          p = q + 1;
        }
        p = nl + 1;
        complete = true;
      }
      while (!complete) {
        if (p >= buf.length) break;
        if (buf[p] === Q) {
          // quoted field: find the closing quote ("" is an escaped quote)
          let q = p + 1;
          let hasEsc = false;
          for (;;) {
            const c = buf.indexOf(Q, q);
            if (c < 0) { q = -1; break; }
            if (buf[c + 1] === Q) { hasEsc = true; q = c + 2; continue; }
            if (c + 1 >= buf.length && pos + buf.length < size) { q = -1; break; }
            q = c;
            break;
          }
          if (q < 0) break; // need more data
          if (f <= nf) {
            const raw = buf.toString('utf8', p + 1, q);
            quotedText[f] = hasEsc ? raw.split('""').join('"') : raw;
            starts[f] = p; ends[f] = q + 1;
          }
          p = q + 1;
          const c = buf[p];
          if (p >= buf.length) { if (pos + buf.length < size) break; f++; complete = true; break; }
          if (c === D) { f++; p++; continue; }
          if (c === NL || c === CR) { f++; p += c === CR && buf[p + 1] === NL ? 2 : 1; complete = true; break; }
          throw new ParseError(p, f, 'unexpected character after a closing quote');
        }
        // unquoted field: up to the delimiter or end of line
        let q = p;
        while (q < buf.length && buf[q] !== D && buf[q] !== NL && buf[q] !== CR) q++;
        if (q >= buf.length && pos + buf.length < size) break; // need more data
        if (f <= nf) { starts[f] = p; ends[f] = q; quotedText[f] = null; }
        f++;
        if (q >= buf.length) { p = q; complete = true; break; }
        if (buf[q] === D) { p = q + 1; continue; }
        p = q + (buf[q] === CR && buf[q + 1] === NL ? 2 : 1);
        complete = true;
        break;
      }
      if (!complete) {
        if (!read()) {
          if (i < buf.length) throw new ParseError(i, f, 'unterminated quoted field at end of file');
          break;
        }
        continue;
      }
      // a blank line is skipped
      if (f === 1 && ends[0] === starts[0] && quotedText[0] === null) { i = p; continue; }
      if (f !== nf) throw new ParseError(i, Math.min(f, nf), `expected ${nf} fields but found ${f}`);
      for (let k = 0; k < nf; k++) {
        const b = builders[k];
        pushField(b, buf, starts[k], ends[k], quotedText[k], k, req);
        quotedText[k] = null;
      }
      result.rows++;
      i = p;
      if (builders[0].n >= req.segmentRows) await flush();
    }
    result.last = pos + i;
    await flush();
  } catch (e) {
    if (e instanceof ParseError) {
      result.error = { offset: pos + e.offset, field: e.field, message: e.message };
      return result;
    }
    throw e;
  } finally {
    closeSync(fd);
  }
  if (req.mode === 'return') {
    result.columns = req.types.map((t, k) => concatParts(t, returned.map((r) => r[k])));
  }
  return result;
}

function concatParts(t: SqlType, parts: Vector[]): Vector {
  if (parts.length === 1) return parts[0];
  let n = 0;
  for (const p of parts) n += p.length;
  const values = new (TYPES[t.id].array)(n);
  const valid = parts.some((p) => p.valid) ? new Uint8Array(n).fill(1) : null;
  const dict: string[] = [];
  let off = 0;
  for (const p of parts) {
    if (isString(t)) for (let r = 0; r < p.length; r++) values[off + r] = p.values[r] + dict.length;
    else values.set(p.values as never, off);
    if (isString(t)) dict.push(...p.dict!);
    if (valid && p.valid) valid.set(p.valid, off);
    off += p.length;
  }
  if (isString(t)) return { type: t, length: n, values, valid, dict };
  if (!parts.some((p) => p.big)) return { type: t, length: n, values, valid };
  return { type: t, length: n, values, valid, big: parts.flatMap((p) => p.big ?? new Array<null>(p.length).fill(null)) };
}

