// COPY's CSV parser. Each slice parses one byte range of the file, straight from bytes into
// typed columns (numbers, decimals and dates without making strings; strings dictionary-coded by
// their bytes), and writes its own segments. A range starts at the first record after `start`
// and runs through the record that contains `end - 1`, so ranges meet exactly when no quoted
// field spans a boundary; the leader checks that and re-parses a range if one did.
import { openSync, readSync, closeSync, fstatSync } from 'node:fs';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import type { SqlType } from '../types/types.ts';
import { TYPES, isString } from '../types/types.ts';
import type { Vector } from '../types/vector.ts';
import { makeVector } from '../types/vector.ts';
import { writeSegment } from '../storage/segment.ts';
import { decodeUtf8, type Utf8Buffers } from '../storage/utf8.ts';
import { ColumnBuilder, ParseError, parseSimpleRow, pushField } from './csv-columns.ts';
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
  /** bytes read at a time (8 MiB unless given; tests give small sizes to cross reads often) */
  readBytes?: number;
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
  // room for a segment's rows up front when the range holds that many (at 64 bytes a row or more)
  const capacity = Math.min(req.segmentRows, 1 << 20, Math.max(1 << 16, Math.ceil((req.end - req.start) / 64)));
  const builders = req.types.map((t) => new ColumnBuilder(t, capacity));
  const returned: Vector[][] = [];
  // the segment being written: its file writes and fsync go on while the next one is parsed.
  // It settles to its error (or null), so a failure waits, unhandled by nobody, to be thrown here.
  let writing: Promise<unknown> | null = null;
  const written = async () => {
    const w = writing;
    writing = null;
    const failure = w && await w;
    if (failure) throw failure;
  };
  const flush = async () => {
    if (builders[0].n === 0) return;
    // sorting compares strings, and returned columns travel as JS strings: both need them decoded
    const decode = req.mode === 'return' || req.sortKey.length > 0;
    const taken = builders.map((b) => b.take(decode, req.mode === 'write'));
    let cols = taken.map((t) => t.vector);
    if (req.mode === 'return') { returned.push(cols); return; }
    if (req.sortKey.length) cols = sortByColumns({ length: cols[0].length, columns: cols }, req.sortKey).columns;
    const utf8 = decode ? undefined : taken.map((t, k) => t.utf8 && validUtf8(cols[k], t.utf8));
    const sketches = sketchColumns(cols, utf8);
    const file = `seg-${randomUUID()}.arrow`;
    await written(); // one segment in flight: segments are listed in the order of their rows
    writing = writeSegment(join(dataDir, 'segments', file), cols, { encodings: req.encodings, utf8 })
      .then((meta) => { result.segments.push({ file, meta: { ...meta, sketches } satisfies WrittenSegment }); return null; }, (e: unknown) => e ?? new Error('segment write failed'));
  };
  let pos = req.start; // file offset of buf[0]
  try {
    const size = fstatSync(fd).size;
    // one read buffer for the whole range: nothing keeps a view of it past the record being parsed
    const chunk = req.readBytes ?? CHUNK;
    let store = Buffer.allocUnsafe(chunk);
    let buf = store.subarray(0, 0); // the bytes read and not yet dropped
    let i = 0; // cursor in buf
    // where the next quote and CR bytes are in buf at or after i (-1: none, -2: not looked yet)
    let nextQuote = -2, nextCR = -2;
    const nf = req.types.length;
    const read = (): boolean => {
      // keep the unparsed tail at the front, read the next chunk after it
      if (pos + buf.length >= size) return false;
      const tail = buf.length - i;
      if (tail + chunk > store.length) {
        // a record longer than the buffer holds so far
        const bigger = Buffer.allocUnsafe(tail + chunk);
        buf.copy(bigger, 0, i);
        store = bigger;
      } else if (tail > 0) {
        store.copyWithin(0, i, buf.length); // buf is store's first bytes
      }
      const got = Math.max(0, readSync(fd, store, tail, chunk, pos + buf.length));
      pos += i;
      buf = store.subarray(0, tail + got);
      i = 0;
      nextQuote = nextCR = -2;
      return got > 0;
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
    // records without quotes parse in one pass when every column has a byte parser and NULL is ''
    const onePass = req.nullAs === '' && builders.every((b) => b.kind < 4);
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
        if (onePass && end > i && parseSimpleRow(builders, buf, i, end, D)) {
          result.rows++;
          i = nl + 1;
          if (builders[0].n >= req.segmentRows) await flush();
          continue;
        }
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
        pushField(b, buf, starts[k], ends[k], quotedText[k], k, req.nullAs);
        quotedText[k] = null;
      }
      result.rows++;
      i = p;
      if (builders[0].n >= req.segmentRows) await flush();
    }
    result.last = pos + i;
    await flush();
    await written();
  } catch (e) {
    // a segment still being written is finished (or fails) first, so the leader learns of its file
    await written();
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
  if (isString(t)) return makeVector(t, n, values, valid, dict);
  if (!parts.some((p) => p.big)) return makeVector(t, n, values, valid);
  return makeVector(t, n, values, valid, undefined, parts.flatMap((p) => p.big ?? new Array<null>(p.length).fill(null)));
}

