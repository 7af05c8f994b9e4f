// Parquet files <-> Strata vectors. parquet-wasm (the Rust arrow-rs Parquet implementation compiled
// to WebAssembly: every encoding and codec, exact DECIMAL) does the file format; Arrow IPC carries
// the data between it and apache-arrow's JS arrays, which are converted here into Vectors.
// Reading streams record batches from a lazily read Blob, so memory holds one row group's column
// chunks and one batch, never the whole file. Conversions are exact or fail with the row.
import { openAsBlob } from 'node:fs';
import {
  Bool, DateDay, Decimal, Field, Float32, Float64, Int16, Int32, Int64, Null, RecordBatch, Schema, Struct,
  Table, TimestampMicrosecond, Type, Utf8, RecordBatchReader, makeData, tableFromIPC, tableToIPC,
  type Data, type DataType,
} from 'apache-arrow';
import { Compression, ParquetFile, Table as WasmTable, WriterPropertiesBuilder, transformParquetStream } from 'parquet-wasm';
import { allocVector, usedEntries, type Batch, type Vector } from '../types/vector.ts';
import { toInt64 } from './int64.ts';
import { toDecimal128 } from './decimal128.ts';
import { MAX_EXACT, TYPES, isBigint, isDecimal, isReal, isTimestamp, isWideDecimal, precisionOf, scaleOf, typeName, type SqlType, type TypeId, type TypeKind } from '../types/types.ts';
import { POW10, checkStringLength, errorTypeName } from '../types/values.ts';
import { MAX_DAY, MICROS_PER_DAY, MIN_DAY } from '../types/calendar.ts';
import { encodeStrings, gatherUtf8, internUtf8 } from './utf8.ts';

/** A value that cannot be loaded: its 1-based row in the file and the file column it came from. */
export class ParquetValueError extends Error {
  constructor(readonly row: number, readonly column: string, message: string) {
    super(message);
    this.name = 'ParquetValueError';
  }
}

/** One top-level column of a Parquet file, as the Arrow type parquet-wasm reads it as. */
export interface ParquetColumn {
  name: string;
  type: DataType;
  /** The Parquet type as a person would name it: INT32, DECIMAL(12,2), STRING, TIMESTAMP(MICROS). */
  description: string;
}

/** An open Parquet file: its columns and row count. Free it with closeParquet. */
export interface ParquetSource {
  file: ParquetFile;
  columns: ParquetColumn[];
  rows: number;
  rowGroups: number;
}

/** A column to load: the file column `source` converted into SQL type `target`. */
export interface LoadColumn { source: string; target: SqlType }

/** Opens a Parquet file for reading (only its footer is read here). Throws if it is not Parquet. */
export async function openParquet(path: string): Promise<ParquetSource> {
  const file = await ParquetFile.fromFile(await openAsBlob(path));
  try {
    const meta = file.metadata();
    const rows = meta.fileMetadata().numRows(), rowGroups = meta.numRowGroups();
    meta.free();
    const reader = RecordBatchReader.from(file.schema().intoIPCStream());
    reader.open();
    const columns = reader.schema.fields.map((f) => ({ name: f.name, type: f.type, description: describe(f.type) }));
    return { file, columns, rows, rowGroups };
  } catch (e) {
    file.free();
    throw e;
  }
}

export function closeParquet(src: ParquetSource): void {
  src.file.free();
}

/**
 * Streams the file's rows as batches of at most `batchRows` rows, one Vector per LoadColumn in
 * its target type. Throws ParquetValueError for a value the target type cannot hold.
 */
export async function* readParquet(src: ParquetSource, load: LoadColumn[], batchRows = 65536): AsyncGenerator<Batch> {
  const names = [...new Set(load.map((l) => l.source))];
  const stream = await src.file.stream({ batchSize: batchRows, columns: names });
  let row0 = 0;
  for await (const wasmBatch of stream as unknown as AsyncIterable<{ intoIPCStream(): Uint8Array }>) {
    const table = tableFromIPC(wasmBatch.intoIPCStream());
    for (const rb of table.batches) {
      const columns = load.map((l) => {
        const data = rb.getChild(l.source)!.data[0];
        return convertData(data, l.target, { row0, column: l.source });
      });
      yield { length: rb.numRows, columns };
      row0 += rb.numRows;
    }
  }
}

// ---------------------------------------------------------------- describing and checking types

type SourceKind = 'int' | 'float' | 'decimal' | 'string' | 'bool' | 'date' | 'timestamp' | 'null';
type TargetKind = Exclude<SourceKind, 'null'>;

/** What kind of values a SQL type of each kind takes from a file. */
const INTO: Record<TypeKind, TargetKind | null> = {
  integer: 'int', decimal: 'decimal', float: 'float', boolean: 'bool', string: 'string', date: 'date', timestamp: 'timestamp', null: null,
};
const targetKind = (t: SqlType): TargetKind | null => INTO[TYPES[t.id].kind];

/** The Arrow types a Parquet column can arrive as, and what kind of values each holds. */
const SOURCE_KIND: Partial<Record<Type, SourceKind>> = {
  [Type.Int]: 'int', [Type.Float]: 'float', [Type.Decimal]: 'decimal', [Type.Utf8]: 'string', [Type.LargeUtf8]: 'string',
  [Type.Binary]: 'string', [Type.LargeBinary]: 'string', [Type.Bool]: 'bool', [Type.Date]: 'date',
  [Type.Timestamp]: 'timestamp', [Type.Null]: 'null',
};

/** Which source kinds load into which target kinds (exactly, or with rounding a type implies). */
const LOADS: Record<SourceKind, readonly TargetKind[]> = {
  int: ['int', 'decimal', 'float'],
  float: ['float'],
  decimal: ['decimal', 'float', 'int'], // into integers only at scale 0
  string: ['string'],
  bool: ['bool'],
  date: ['date', 'timestamp'],
  timestamp: ['timestamp'],
  null: ['int', 'float', 'decimal', 'string', 'bool', 'date', 'timestamp'],
};

function valueType(t: DataType): DataType {
  return t.typeId === Type.Dictionary ? (t as unknown as { dictionary: DataType }).dictionary : t;
}

function kindOf(t: DataType): SourceKind | undefined {
  const v = valueType(t);
  if (v.typeId === Type.Float && (v as Float32).precision === 0) return undefined; // float16
  return SOURCE_KIND[v.typeId];
}

const TIME_UNITS = ['SECONDS', 'MILLIS', 'MICROS', 'NANOS'];

/** A Parquet column's type in the words of the Parquet spec (for error messages). */
export function describe(type: DataType): string {
  const t = type as DataType & Record<string, unknown>;
  switch (t.typeId) {
    case Type.Int: return `${t.isSigned ? 'INT' : 'UINT'}${t.bitWidth}`;
    case Type.Float: return ['FLOAT16', 'FLOAT', 'DOUBLE'][t.precision as number];
    case Type.Decimal: return `DECIMAL(${t.precision},${t.scale})`;
    case Type.Utf8: case Type.LargeUtf8: return 'STRING';
    case Type.Binary: case Type.LargeBinary: return 'BINARY';
    case Type.Bool: return 'BOOLEAN';
    case Type.Date: return 'DATE';
    case Type.Timestamp: return `TIMESTAMP(${TIME_UNITS[t.unit as number]}${t.timezone ? ', UTC' : ''})`;
    case Type.Null: return 'NULL';
    case Type.Dictionary: return describe(valueType(type));
    default: return String(type).toUpperCase();
  }
}

/** Why a file column cannot load into `target`, or null when it can. */
export function loadProblem(col: ParquetColumn, target: SqlType): string | null {
  const kind = kindOf(col.type);
  if (kind === undefined) return `Parquet type ${col.description} is not supported`;
  const into = targetKind(target);
  const v = valueType(col.type) as DataType & { scale?: number };
  const ok = into !== null && LOADS[kind].includes(into) && !(kind === 'decimal' && into === 'int' && v.scale !== 0);
  return ok ? null : `cannot load Parquet type ${col.description} into ${typeName(target)}`;
}

// ---------------------------------------------------------------- Arrow data -> Vector

interface At { row0: number; column: string }

function fail(at: At, i: number, message: string): never {
  throw new ParquetValueError(at.row0 + i + 1, at.column, message);
}

/** Validity bytes from an Arrow null bitmap (null when the data has no NULLs). */
function validity(data: Data): Uint8Array | null {
  const n = data.length;
  if (data.typeId === Type.Null) return new Uint8Array(n);
  if (data.nullCount === 0 || !data.nullBitmap || data.nullBitmap.length === 0) return null;
  const bm = data.nullBitmap, off = data.offset;
  const valid = new Uint8Array(n);
  for (let i = 0; i < n; i++) valid[i] = (bm[(off + i) >> 3] >> ((off + i) & 7)) & 1;
  return valid;
}

/** Converts one column's Arrow data into a Vector of SQL type `target` (already checked by loadProblem). */
export function convertData(data: Data, target: SqlType, at: At): Vector {
  if (data.typeId === Type.Dictionary) return convertDictionary(data, target, at);
  const out = allocVector(target, data.length);
  out.valid = validity(data);
  if (data.typeId === Type.Null) return out;
  CONVERT[kindOf(data.type) as Exclude<SourceKind, 'null'>](data, out, at);
  return out;
}

type Converter = (data: Data, out: Vector, at: At) => void;

function overflow(target: SqlType, text: string): string {
  return isDecimal(target)
    ? `numeric overflow: value ${text} is out of range for ${typeName(target)}`
    : `value ${text} is out of range for type ${errorTypeName(target)}`;
}

/** Stores an exact integer `v` (the source value's text is `text()`, for errors) into an integer or DECIMAL target. */
function storeScaled(out: Vector, i: number, v: number, at: At, text: () => string): void {
  const t = out.type;
  if (isDecimal(t)) {
    const s = t.scale ?? 0, p = t.precision ?? 18;
    const m = v * POW10[s];
    if (!Number.isSafeInteger(v) || !(Math.abs(m) <= MAX_EXACT) || (p < 23 && Math.abs(m) >= POW10[p])) fail(at, i, overflow(t, text()));
    out.values[i] = m === 0 ? 0 : m;
    return;
  }
  const [lo, hi] = TYPES[t.id].range!;
  if (!(v >= lo && v <= hi)) fail(at, i, overflow(t, text()));
  out.values[i] = v;
}

const I64_MAX = 2n ** 63n - 1n;

function storeBigint(out: Vector, i: number, x: bigint, at: At): void {
  if (x > I64_MAX) fail(at, i, overflow(out.type, String(x)));
  out.values[i] = Number(x);
  (out.big ??= new Array<bigint | null>(out.values.length).fill(null))[i] = x;
}

function storeFloat(out: Vector, i: number, v: number, at: At): void {
  if (isReal(out.type)) {
    const f = Math.fround(v);
    if (!Number.isFinite(f) && Number.isFinite(v)) fail(at, i, `value ${v} is out of range for type real`);
    out.values[i] = f;
  } else out.values[i] = v;
}

const TWO32 = 4294967296;

/**
 * 64-bit integers as numbers without a BigInt per row (each read of a BigInt64Array allocates):
 * row i from its two 32-bit halves. With `exact`, NaN when beyond 2^53 (not exact as a double);
 * otherwise the nearest double (as Number(bigint) gives), for timestamps, held as doubles anyway.
 */
function int64Reader(values: BigInt64Array | BigUint64Array, exact = true): (i: number) => number {
  const w = new Int32Array(values.buffer, values.byteOffset, values.length * 2);
  if (values instanceof BigUint64Array) {
    return (i) => {
      const hi = w[2 * i + 1] >>> 0;
      return hi < 0x200000 || !exact ? hi * TWO32 + (w[2 * i] >>> 0) : NaN;
    };
  }
  return (i) => {
    const hi = w[2 * i + 1];
    return (hi < 0x200000 && hi >= -0x200000) || !exact ? hi * TWO32 + (w[2 * i] >>> 0) : NaN;
  };
}

const intConverter: Converter = (data, out, at) => {
  const src = data.values as Int8Array | Int16Array | Int32Array | Uint8Array | Uint16Array | Uint32Array | BigInt64Array | BigUint64Array;
  const valid = out.valid;
  const n = data.length;
  const into = targetKind(out.type);
  if (src instanceof BigInt64Array || src instanceof BigUint64Array) {
    const at64 = int64Reader(src);
    for (let i = 0; i < n; i++) {
      if (valid !== null && !valid[i]) continue;
      const v = at64(i);
      // past 2^53 a BIGINT keeps the exact value beside its double (Vector.big)
      if (Number.isNaN(v) && isBigint(out.type)) { storeBigint(out, i, src[i], at); continue; }
      if (into === 'float') storeFloat(out, i, Number.isNaN(v) ? Number(src[i]) : v, at);
      else storeScaled(out, i, v, at, () => String(src[i]));
    }
    return;
  }
  if (!isDecimal(out.type) && out.values.constructor === src.constructor) {
    // same width (INT32 into INTEGER, INT16 into SMALLINT): copy
    (out.values as Int32Array).set(src as Int32Array);
    if (valid) for (let i = 0; i < n; i++) if (!valid[i]) out.values[i] = 0;
    return;
  }
  for (let i = 0; i < n; i++) {
    if (valid !== null && !valid[i]) continue;
    if (into === 'float') storeFloat(out, i, src[i], at);
    else storeScaled(out, i, src[i], at, () => String(src[i]));
  }
};

const floatConverter: Converter = (data, out, at) => {
  const src = data.values as Float32Array | Float64Array;
  const valid = out.valid;
  for (let i = 0; i < data.length; i++) if (valid === null || valid[i]) storeFloat(out, i, src[i], at);
};

/** Decimal value i of `words` (w 32-bit little-endian words each) as a number when |v| <= 2^53, else null. */
function unscaledNumber(words: Uint32Array, i: number, w: number): number | null {
  const base = i * w;
  const hi = words[base + 1] | 0;
  const ext = hi < 0 ? 0xffffffff : 0;
  for (let k = 2; k < w; k++) if (words[base + k] !== ext) return null;
  if (hi > 0x1fffff || hi < -0x200000) return null;
  return hi * 4294967296 + words[base];
}

function unscaledBigInt(words: Uint32Array, i: number, w: number): bigint {
  let v = 0n;
  for (let k = w - 1; k >= 0; k--) v = (v << 32n) | BigInt(words[i * w + k]);
  return BigInt.asIntN(w * 32, v);
}

function bigText(v: bigint, scale: number): string {
  if (scale === 0) return String(v);
  const neg = v < 0n;
  const digits = String(neg ? -v : v).padStart(scale + 1, '0');
  return `${neg ? '-' : ''}${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
}

const decimalConverter: Converter = (data, out, at) => {
  const type = data.type as Decimal;
  const words = data.values as Uint32Array;
  const w = (type.bitWidth ?? 128) / 32;
  const ss = type.scale;
  const valid = out.valid;
  const t = out.type;
  const into = targetKind(t);
  const ts = scaleOf(t), p = precisionOf(t);
  const text = (i: number) => bigText(unscaledBigInt(words, i, w), ss);
  for (let i = 0; i < data.length; i++) {
    if (valid !== null && !valid[i]) continue;
    const num = unscaledNumber(words, i, w);
    if (into === 'float') {
      const v = num ?? Number(unscaledBigInt(words, i, w));
      storeFloat(out, i, ss <= 22 ? v / POW10[ss] : v * 10 ** -ss, at);
    } else if (into === 'int') {
      storeScaled(out, i, num ?? NaN, at, () => text(i)); // scale 0 (loadProblem checked)
    } else if (ts >= ss) {
      // exact: more (or as many) fraction digits; past 2^53 only a DECIMAL of more than 15 digits holds it
      const m = num === null ? NaN : num * POW10[ts - ss];
      storeDecimal(out, i, Math.abs(m) <= MAX_EXACT ? m : unscaledBigInt(words, i, w) * 10n ** BigInt(ts - ss), p, at, () => text(i));
    } else {
      // fewer fraction digits: round half away from zero, as text input does
      const b = num === null ? unscaledBigInt(words, i, w) : BigInt(num);
      const div = 10n ** BigInt(ss - ts);
      let q = b / div;
      const r = b % div;
      if ((r < 0n ? -r : r) * 2n >= div) q += b < 0n ? -1n : 1n;
      storeDecimal(out, i, q, p, at, () => text(i));
    }
  }
};

const MAX_EXACT_N = BigInt(MAX_EXACT);

/** A scaled DECIMAL value into row i: a double below 2^53, else the exact value beside it (Vector.big). */
function storeDecimal(out: Vector, i: number, m: number | bigint, p: number, at: At, text: () => string): void {
  if (typeof m === 'number' || (m <= MAX_EXACT_N && m >= -MAX_EXACT_N)) {
    const x = Number(m);
    if (p <= 22 && Math.abs(x) >= POW10[p]) fail(at, i, overflow(out.type, text()));
    out.values[i] = x === 0 ? 0 : x;
    return;
  }
  const limit = 10n ** BigInt(p);
  if (!isWideDecimal(out.type) || m >= limit || m <= -limit) fail(at, i, overflow(out.type, text()));
  out.values[i] = Number(m);
  (out.big ??= new Array<bigint | null>(out.values.length).fill(null))[i] = m;
}

const stringConverter: Converter = (data, out, at) => {
  let offsets = data.valueOffsets as Int32Array | BigInt64Array;
  if (offsets instanceof BigInt64Array) offsets = Int32Array.from(offsets, (o) => Number(o));
  const { codes, dict } = internUtf8(offsets as Int32Array, data.values as Uint8Array, out.valid, data.length);
  // length checks (and CHAR's trailing blanks) per distinct string; a dropped blank may merge two
  const index = new Map<string, number>();
  const final: string[] = [];
  const remap = new Int32Array(dict.length);
  for (let c = 0; c < dict.length; c++) {
    let s: string;
    try {
      s = checkStringLength(dict[c], out.type);
    } catch (e) {
      fail(at, codes.indexOf(c), (e as Error).message);
    }
    let k = index.get(s);
    if (k === undefined) { k = final.length; final.push(s); index.set(s, k); }
    remap[c] = k;
  }
  const merged = final.length !== dict.length;
  if (merged) for (let i = 0; i < codes.length; i++) codes[i] = remap[codes[i]];
  out.values = codes;
  out.dict = final;
};

const boolConverter: Converter = (data, out) => {
  const bm = data.values as Uint8Array, off = data.offset;
  for (let i = 0; i < data.length; i++) out.values[i] = (bm[(off + i) >> 3] >> ((off + i) & 7)) & 1;
  if (out.valid) for (let i = 0; i < data.length; i++) if (!out.valid[i]) out.values[i] = 0;
};

const MS_PER_DAY = 86_400_000;
const MIN_MICROS = MIN_DAY * MICROS_PER_DAY;
const MAX_MICROS = (MAX_DAY + 1) * MICROS_PER_DAY; // inclusive: doubles round the last microseconds of 9999 up to it

const dateConverter: Converter = (data, out, at) => {
  const src = data.values as Int32Array | BigInt64Array;
  const ms = src instanceof BigInt64Array ? int64Reader(src, false) : null; // DATE64: milliseconds
  const valid = out.valid;
  const ts = isTimestamp(out.type);
  for (let i = 0; i < data.length; i++) {
    if (valid !== null && !valid[i]) continue;
    const days = ms ? Math.floor(ms(i) / MS_PER_DAY) : (src[i] as number);
    if (!(days >= MIN_DAY && days <= MAX_DAY)) fail(at, i, `date out of range (${String(src[i])} ${ms ? 'milliseconds' : 'days'} from 1970-01-01)`);
    out.values[i] = ts ? (ms ? ms(i) * 1000 : days * MICROS_PER_DAY) : days;
  }
};

const timestampConverter: Converter = (data, out, at) => {
  const src = data.values as BigInt64Array;
  const unit = (data.type as TimestampMicrosecond).unit as number; // 0 s, 1 ms, 2 us, 3 ns
  const valid = out.valid;
  const mul = [1e6, 1e3, 1][unit];
  const at64 = int64Reader(src, false);
  const w = new Int32Array(src.buffer, src.byteOffset, src.length * 2);
  for (let i = 0; i < data.length; i++) {
    if (valid !== null && !valid[i]) continue;
    let us: number;
    if (unit === 3) {
      // nanoseconds (always past 2^53): divide the two halves by 1000 exactly, rounding half up
      const hi = w[2 * i + 1], lo = w[2 * i] >>> 0;
      const hq = Math.floor(hi / 1000);
      const rest = (hi - hq * 1000) * TWO32 + lo;
      const rq = Math.floor(rest / 1000);
      us = hq * TWO32 + rq + (rest - rq * 1000 >= 500 ? 1 : 0);
    } else us = at64(i) * mul;
    if (!(us >= MIN_MICROS && us <= MAX_MICROS)) fail(at, i, `timestamp out of range (${String(src[i])} ${TIME_UNITS[unit].toLowerCase()} from 1970-01-01)`);
    out.values[i] = us;
  }
};

/** One converter per source kind; each handles every target kind LOADS allows for it. */
const CONVERT: Record<Exclude<SourceKind, 'null'>, Converter> = {
  int: intConverter,
  float: floatConverter,
  decimal: decimalConverter,
  string: stringConverter,
  bool: boolConverter,
  date: dateConverter,
  timestamp: timestampConverter,
};

/** Dictionary-encoded columns: convert the dictionary once, then pick entries by index. */
function convertDictionary(data: Data, target: SqlType, at: At): Vector {
  const indices = data.values as ArrayLike<number | bigint>;
  const valid = validity(data);
  const dictData = (data.dictionary as unknown as { data: Data[] }).data;
  if (dictData.length !== 1) throw new Error('a dictionary of several chunks is not supported');
  let dv: Vector;
  try {
    dv = convertData(dictData[0], target, { row0: 0, column: at.column });
  } catch (e) {
    if (!(e instanceof ParquetValueError)) throw e;
    let r = 0;
    while (r < data.length && (Number(indices[r]) !== e.row - 1 || (valid !== null && !valid[r]))) r++;
    throw new ParquetValueError(at.row0 + r + 1, at.column, e.message);
  }
  const out = allocVector(target, data.length);
  out.valid = valid;
  for (let i = 0; i < data.length; i++) {
    if (valid !== null && !valid[i]) continue;
    const k = Number(indices[i]);
    out.values[i] = dv.values[k];
    if (dv.valid && !dv.valid[k]) (out.valid ??= new Uint8Array(data.length).fill(1))[i] = 0;
  }
  if (dv.dict) out.dict = dv.dict;
  return out;
}

// ---------------------------------------------------------------- Vector -> Arrow data -> Parquet

function nullBitmap(v: Vector, n: number): { nullBitmap?: Uint8Array; nullCount: number } {
  if (!v.valid) return { nullCount: 0 };
  const bm = new Uint8Array((n + 7) >> 3);
  let nulls = 0;
  for (let i = 0; i < n; i++) {
    if (v.valid[i]) bm[i >> 3] |= 1 << (i & 7);
    else nulls++;
  }
  return nulls ? { nullBitmap: bm, nullCount: nulls } : { nullCount: 0 };
}

/** Integral doubles (|v| < 2^63) as INT64, written as 32-bit halves (no BigInt per row). */
function toBigInt64(values: ArrayLike<number>, n: number): BigInt64Array {
  const out = new BigInt64Array(n);
  const w = new Uint32Array(out.buffer);
  for (let i = 0; i < n; i++) {
    const x = Math.round(values[i]) || 0;
    const hi = Math.floor(x / TWO32);
    w[2 * i] = x - hi * TWO32;
    w[2 * i + 1] = hi >>> 0;
  }
  return out;
}

/** How each SQL type is written: its Arrow type (which parquet-wasm maps to a Parquet logical type) and data. */
const TO_ARROW: Record<TypeId, (v: Vector, n: number) => Data> = {
  SMALLINT: (v, n) => makeData({ type: new Int16(), length: n, ...nullBitmap(v, n), data: v.values.subarray(0, n) as Int16Array }),
  INTEGER: (v, n) => makeData({ type: new Int32(), length: n, ...nullBitmap(v, n), data: v.values.subarray(0, n) as Int32Array }),
  BIGINT: (v, n) => makeData({ type: new Int64(), length: n, ...nullBitmap(v, n), data: toInt64(v, n) }),
  DECIMAL: (v, n) => makeData({ type: new Decimal(scaleOf(v.type), precisionOf(v.type), 128), length: n, ...nullBitmap(v, n), data: toDecimal128(v, n) }),
  REAL: (v, n) => makeData({ type: new Float32(), length: n, ...nullBitmap(v, n), data: v.values.subarray(0, n) as Float32Array }),
  'DOUBLE PRECISION': (v, n) => makeData({ type: new Float64(), length: n, ...nullBitmap(v, n), data: v.values.subarray(0, n) as Float64Array }),
  BOOLEAN: (v, n) => {
    const bits = new Uint8Array((n + 7) >> 3);
    for (let i = 0; i < n; i++) if (v.values[i]) bits[i >> 3] |= 1 << (i & 7);
    return makeData({ type: new Bool(), length: n, ...nullBitmap(v, n), data: bits });
  },
  CHAR: (v, n) => utf8Data(v, n),
  VARCHAR: (v, n) => utf8Data(v, n),
  DATE: (v, n) => makeData({ type: new DateDay(), length: n, ...nullBitmap(v, n), data: v.values.subarray(0, n) as Int32Array }),
  TIMESTAMP: (v, n) => makeData({ type: new TimestampMicrosecond(), length: n, ...nullBitmap(v, n), data: toBigInt64(v.values, n) }),
  NULL: (_v, n) => makeData({ type: new Null(), length: n }),
};

function utf8Data(v: Vector, n: number): Data {
  // only the entries the piece's rows use are encoded (a piece keeps the whole result's dictionary)
  const { codes, dict } = usedEntries(v, n);
  const { offsets, bytes } = gatherUtf8(encodeStrings(dict), codes, v.valid, n);
  return makeData({ type: new Utf8(), length: n, ...nullBitmap(v, n), valueOffsets: offsets, data: bytes });
}

/** A column of a result to write: its name and SQL type. */
export interface WriteField { name: string; type: SqlType }

/** Rows in one row group of a streamed Parquet file: what the writer holds, encoded, at most. */
export const PARQUET_ROW_GROUP_ROWS = 131_072;

/**
 * Encodes batches, as `next` hands them over until it returns null, as one Parquet file given
 * back in pieces of bytes as its row groups are finished, SNAPPY-compressed, with logical types
 * DECIMAL(p,s), DATE, TIMESTAMP(MICROS), STRING, INT16/32/64, FLOAT/DOUBLE, BOOLEAN. The writer
 * holds at most one row group (PARQUET_ROW_GROUP_ROWS rows, or 64 MB encoded) and the batch it
 * is given, never the whole file. An error thrown by `next` is thrown here as it was.
 */
export async function* parquetPieces(fields: WriteField[], next: () => Promise<Batch | null>): AsyncGenerator<Uint8Array> {
  const arrowFields = fields.map((f) => new Field(f.name, TO_ARROW[f.type.id](allocVector(f.type, 0), 0).type, true));
  const schema = new Schema(arrowFields);
  let failure: { error: unknown } | undefined;
  let sent = false;
  const batches = new ReadableStream({
    async pull(ctrl) {
      let b: Batch | null;
      try {
        b = await next();
      } catch (e) {
        // parquet-wasm takes an erroring source for its end and finishes a valid file, so the
        // error is kept here, the source ends, and the pieces' reader throws it
        failure = { error: e };
        ctrl.close();
        return;
      }
      // an empty result still writes a file with the schema, from one batch without rows
      if (!b && sent) { ctrl.close(); return; }
      const n = b?.length ?? 0;
      const children = fields.map((f, c) => (b ? TO_ARROW[f.type.id](b.columns[c], n) : TO_ARROW[f.type.id](allocVector(f.type, 0), 0)));
      const rb = new RecordBatch(schema, makeData({ type: new Struct(arrowFields), length: n, children }));
      const table = WasmTable.fromIPCStream(tableToIPC(new Table(schema, [rb]), 'stream'));
      for (const w of table.recordBatches()) ctrl.enqueue(w);
      table.free();
      sent = true;
      if (!b) ctrl.close();
    },
  }, { highWaterMark: 0 });
  const props = new WriterPropertiesBuilder().setCompression(Compression.SNAPPY).setCreatedBy('strata')
    .setMaxRowGroupSize(PARQUET_ROW_GROUP_ROWS).setMaxRowGroupBytes(64 << 20).build();
  // the writer pulls the first batch (for the schema) before it returns
  const reader = (await transformParquetStream(batches, props).catch((e) => { throw failure ? failure.error : e; })).getReader();
  try {
    for (;;) {
      const piece = await reader.read();
      if (failure) throw failure.error;
      if (piece.done) return;
      yield piece.value;
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
}
