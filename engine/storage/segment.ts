// Immutable column segments: one Arrow IPC file per segment, each column encoded on its own and
// summarized by a zone map. Readers decode straight into Strata's typed-array vectors.
import { Field, RecordBatch, RecordBatchFileWriter, Schema, Struct, Table, makeData, tableFromIPC, type Data } from 'apache-arrow';
import { readFile } from 'node:fs/promises';
import { TYPES, sameType, typeName, type SqlType, type TypeId } from '../types/types.ts';
import type { Vector } from '../types/vector.ts';
import { makeVector } from '../types/vector.ts';
import { SqlError } from '../errors.ts';
import { computeStats } from './column-stats.ts';
import { chooseEncoding } from './choose.ts';
import { CODECS, isEncoding } from './codecs.ts';
import { resolveEncodingName } from './encodings.ts';
import { CRC_KEY, columnChecksum } from './checksum.ts';
import { writeChunksDurable } from './durable.ts';
import type { Utf8Buffers } from './utf8.ts';

/**
 * Zone map and encoding of one column. Bounds are physical values (scaled integers for DECIMAL,
 * day numbers for DATE, microseconds for TIMESTAMP, 0/1 for BOOLEAN, strings for CHAR/VARCHAR),
 * ignore NULLs and NaN, and are null when no such value exists. Float bounds may be ±Infinity,
 * which plain JSON cannot hold: serialize them with care.
 */
export interface ColumnMeta {
  encoding: string;
  min: number | string | null;
  max: number | string | null;
  nullCount: number;
  /** the column holds NaN, which sorts above every number and is not reflected in `max` */
  hasNaN?: boolean;
  /** values past 2^53 (BIGINT, wide DECIMAL): the exact bounds as digits; min/max are their nearest doubles */
  exactMin?: string;
  exactMax?: string;
}

/** What a writer learns about the segment it wrote: enough for the manifest and for pruning. */
export interface SegmentMeta {
  rows: number;
  bytes: number;
  columns: ColumnMeta[];
}

const FORMAT_KEY = 'strata.segment', FORMAT_VERSION = '1', ROWS_KEY = 'strata.rows';
const TYPE_KEY = 'strata.type', ENCODING_KEY = 'strata.encoding';
const MAGIC = 'ARROW1';

/**
 * Writes one immutable segment file and fsyncs it. `opts.encodings[i]` requests column i's encoding
 * by Redshift ENCODE name (RAW, BYTEDICT, DELTA, AZ64, RUNLENGTH, ZSTD, ...); undefined = automatic.
 * `opts.utf8[i]`, for a string column, is its dictionary as UTF-8 bytes (the entries the codes
 * index), given instead of `dict` so the strings need never be JS strings.
 * The directory entry is made durable by the commit that references the file (ManifestStore.commit).
 */
export async function writeSegment(path: string, columns: Vector[], opts: SegmentOptions = {}): Promise<SegmentMeta> {
  const { chunks, rows, columns: metas } = await encodeSegment(columns, opts);
  const bytes = await writeChunksDurable(path, chunks);
  return { rows, bytes, columns: metas };
}

/** How writeSegment encodes columns: `encodings[i]` column i's ENCODE name, `utf8[i]` a string column's dictionary as bytes. */
export interface SegmentOptions { encodings?: (string | undefined)[]; utf8?: (Utf8Buffers | undefined)[] }

/** A segment's file bytes (in the chunks the Arrow writer made) and its columns' metadata, as writeSegment writes them. */
export async function encodeSegment(columns: Vector[], opts: SegmentOptions = {}): Promise<{ chunks: Uint8Array[]; rows: number; columns: ColumnMeta[] }> {
  const rows = columns.length > 0 ? columns[0].length : 0;
  const fields: Field[] = [];
  const children: Data[] = [];
  const metas: ColumnMeta[] = [];
  columns.forEach((v, i) => {
    checkVector(v, i, rows);
    const stats = computeStats(v, opts.utf8?.[i]);
    const encoding = chooseEncoding(v.type, stats, resolveEncodingName(opts.encodings?.[i]));
    const enc = CODECS[encoding].encode(v, stats, i);
    const meta = new Map(enc.meta);
    meta.set(TYPE_KEY, JSON.stringify(v.type));
    meta.set(ENCODING_KEY, encoding);
    meta.set(CRC_KEY, columnChecksum(enc.data, meta));
    fields.push(new Field(`c${i}`, enc.type, true, meta));
    children.push(enc.data);
    const cm: ColumnMeta = { encoding, min: stats.min, max: stats.max, nullCount: stats.nullCount };
    if (stats.hasNaN) cm.hasNaN = true;
    if (stats.exactMin !== undefined) { cm.exactMin = String(stats.exactMin); cm.exactMax = String(stats.exactMax); }
    metas.push(cm);
  });
  const schema = new Schema(fields, new Map([[FORMAT_KEY, FORMAT_VERSION], [ROWS_KEY, String(rows)]]));
  const batch = new RecordBatch(schema, makeData({ type: new Struct(fields), length: rows, nullCount: 0, children }));
  // stream the writer's chunks straight to the file: joining them first would copy the whole segment
  const writer = RecordBatchFileWriter.writeAll(new Table(schema, [batch])).finish();
  const chunks: Uint8Array[] = [];
  for await (const chunk of writer) chunks.push(chunk);
  return { chunks, rows, columns: metas };
}

/**
 * Reads a segment back into vectors of the given types (all columns, or just `columnIndexes`, in
 * that order). Missing, truncated or corrupt files throw SqlError('INTERNAL_ERROR') naming the file.
 */
export async function readSegment(path: string, types: SqlType[], columnIndexes?: number[]): Promise<Vector[]> {
  let buf: Uint8Array;
  try {
    buf = await readFile(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new SqlError('INTERNAL_ERROR', `segment file ${path} cannot be read: ${code === 'ENOENT' ? 'it does not exist' : (e as Error).message}`);
  }
  try {
    return decodeSegment(buf, types, columnIndexes);
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    throw new SqlError('INTERNAL_ERROR', e instanceof SqlError ? `segment file ${path}: ${msg}` : `segment file ${path} is corrupt: ${msg}`);
  }
}

/** A segment file's columns from its bytes (see readSegment); throws on a file that is not a sound segment. */
export function decodeSegment(buf: Uint8Array, types: SqlType[], columnIndexes?: number[]): Vector[] {
  if (buf.length < 2 * MAGIC.length + 8 || magicAt(buf, 0) !== MAGIC || magicAt(buf, buf.length - MAGIC.length) !== MAGIC) {
    throw new Error('not an Arrow IPC file (bad magic bytes; truncated?)');
  }
  const table = tableFromIPC(buf);
  const schema = table.schema;
  if (schema.metadata.get(FORMAT_KEY) !== FORMAT_VERSION) throw new Error('not a Strata segment (format metadata missing)');
  const rows = Number(schema.metadata.get(ROWS_KEY));
  if (table.batches.length !== 1 || table.batches[0].numRows !== rows) throw new Error(`expected one record batch of ${rows} rows`);
  if (types.length !== schema.fields.length) throw new Error(`segment has ${schema.fields.length} columns, caller expects ${types.length}`);
  const batch = table.batches[0];
  const wanted = columnIndexes ?? types.map((_, i) => i);
  return wanted.map((i) => {
    const field = schema.fields[i], data = batch.data.children[i], type = types[i];
    if (!field || !data || !type) throw new Error(`column ${i} does not exist`);
    if (data.length !== rows) throw new Error(`column ${i} has ${data.length} rows, expected ${rows}`);
    const meta = field.metadata;
    checkStoredType(meta.get(TYPE_KEY), type, i);
    if (meta.get(CRC_KEY) !== columnChecksum(data, meta)) throw new Error(`column ${i} fails its checksum`);
    const encoding = meta.get(ENCODING_KEY);
    if (!isEncoding(encoding)) throw new Error(`column ${i} has unknown encoding ${encoding}`);
    const dec = CODECS[encoding].decode(data, meta, type, rows);
    if (dec.valid !== null && !TYPES[type.id].string) {
      // NULL slots read as 0 whatever the encoding stored there
      const values = dec.values, valid = dec.valid;
      for (let r = 0; r < rows; r++) if (valid[r] === 0) values[r] = 0;
    }
    return makeVector(type, rows, dec.values, dec.valid, TYPES[type.id].string ? dec.dict ?? [] : undefined, dec.big, dec.frame);
  });
}

function checkStoredType(stored: string | undefined, expected: SqlType, i: number): void {
  let t: SqlType;
  try {
    t = JSON.parse(stored ?? '') as SqlType;
  } catch {
    throw new Error(`column ${i} has no readable type`);
  }
  if (typeof t !== 'object' || t === null || !(t.id in TYPES)) throw new Error(`column ${i} has unknown type`);
  if (!sameType(t, expected)) {
    throw new SqlError('INTERNAL_ERROR', `column ${i} holds ${typeName(t)}, expected ${typeName(expected)}`);
  }
}

function checkVector(v: Vector, i: number, rows: number): void {
  if (v.length !== rows) throw new SqlError('INTERNAL_ERROR', `segment column ${i} has ${v.length} rows, column 0 has ${rows}`);
  const info = TYPES[v.type.id as TypeId];
  if (!info) throw new SqlError('INTERNAL_ERROR', `segment column ${i} has unknown type ${v.type.id}`);
  if (!(v.values instanceof info.array) || v.values.length < rows) {
    throw new SqlError('INTERNAL_ERROR', `segment column ${i} (${typeName(v.type)}) needs ${rows} values in a ${info.array.name}`);
  }
  if (v.valid !== null && v.valid.length < rows) throw new SqlError('INTERNAL_ERROR', `segment column ${i} validity is shorter than its rows`);
}

function magicAt(buf: Uint8Array, at: number): string {
  return String.fromCharCode(...buf.subarray(at, at + MAGIC.length));
}
