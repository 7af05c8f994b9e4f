// A spill file: batches written one after another as blocks in a plain typed-array layout, read
// back block by block. A block is a 4-byte header length, a JSON header (rows; per column its
// type, array kind and byte sizes, the dictionary entries its codes use, exact wide values) and
// then each column's value bytes and validity bytes. Only the dictionary entries a block's rows
// use are written, so a partition of a large string column stays small.
import { closeSync, openSync, readSync, writeSync } from 'node:fs';
import { deserialize, serialize } from 'node:v8';
import { makeVector, usedEntries, type Batch, type Vector } from '../../types/vector.ts';
import type { SqlType } from '../../types/types.ts';
import { FILE_MODE } from '../../storage/durable.ts';
import { SqlError } from '../../errors.ts';
import { rowRange } from '../batches.ts';

interface ColumnHeader {
  type: SqlType;
  array: string;
  bytes: number;
  valid: boolean;
  dict?: string[];
  big?: (string | null)[];
}

interface BlockHeader { rows: number; columns: ColumnHeader[] }

const ARRAYS: Record<string, new (b: ArrayBuffer, offset: number, length: number) => Vector['values']> = {
  Int8Array, Uint8Array, Int16Array, Uint16Array, Int32Array, Uint32Array, Float32Array, Float64Array, BigInt64Array, BigUint64Array,
} as never;

/**
 * Appends batches to a new file (owner-only); tells `written` the bytes of each block (it may
 * refuse more). A batch whose arrays pass `blockBytes` is written as several blocks, so a reader
 * holds at most about that much of it at once.
 */
export class SpillWriter {
  private readonly fd: number;
  /** rows and bytes of the blocks written so far */
  rows = 0;
  bytes = 0;

  constructor(readonly path: string, private readonly written: (bytes: number) => void = () => {}, private readonly blockBytes = Infinity) {
    this.fd = openSync(path, 'wx', FILE_MODE);
  }

  write(b: Batch): void {
    if (b.length === 0) return;
    let bytes = 0;
    for (const v of b.columns) bytes += v.values.byteLength + (v.valid?.byteLength ?? 0);
    const blocks = Math.min(b.length, Math.ceil(bytes / this.blockBytes));
    if (blocks <= 1) { this.writeBlock(b); return; }
    const rows = Math.ceil(b.length / blocks);
    for (let start = 0; start < b.length; start += rows) this.writeBlock(rowRange(b, start, Math.min(rows, b.length - start)));
  }

  private writeBlock(b: Batch): void {
    const columns: ColumnHeader[] = [];
    const bodies: Uint8Array[] = [];
    for (const v of b.columns) {
      // a string column keeps only the dictionary entries its rows use
      const used = v.dict ? usedEntries(v) : null;
      const values = used?.codes ?? v.values;
      const h: ColumnHeader = { type: v.type, array: values.constructor.name, bytes: values.byteLength, valid: v.valid !== null };
      if (used) h.dict = used.dict;
      if (v.big) h.big = v.big.map((x) => (x === null ? null : x.toString()));
      columns.push(h);
      bodies.push(new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
      if (v.valid) bodies.push(v.valid);
    }
    const header = Buffer.from(JSON.stringify({ rows: b.length, columns } satisfies BlockHeader));
    const len = Buffer.alloc(4);
    len.writeUInt32LE(header.length);
    let bytes = 0;
    for (const part of [len, header, ...bodies]) bytes += this.put(part);
    this.rows += b.length;
    this.bytes += bytes;
    this.written(bytes);
  }

  /**
   * Appends one structured-clonable value (aggregate states: typed arrays, Sets, plain objects),
   * serialized as a thread message would be; read back with `SpillReader.nextValue`.
   */
  writeValue(value: unknown): void {
    const body = serialize(value);
    const len = Buffer.alloc(4);
    len.writeUInt32LE(body.length);
    this.written(this.put(len) + this.put(body));
  }

  private put(bytes: Uint8Array): number {
    let off = 0;
    while (off < bytes.length) off += writeSync(this.fd, bytes, off, bytes.length - off);
    return bytes.length;
  }

  close(): void {
    closeSync(this.fd);
  }
}

/** Reads a spill file's blocks in order. */
export class SpillReader {
  private readonly fd: number;
  private pos = 0;

  constructor(readonly path: string) {
    this.fd = openSync(path, 'r');
  }

  /** The next block, or null at the end of the file. */
  next(): Batch | null {
    const len = this.read(4, true);
    if (!len) return null;
    const header = JSON.parse(Buffer.from(this.read(new DataView(len.buffer, len.byteOffset).getUint32(0, true))!).toString()) as BlockHeader;
    const n = header.rows;
    const columns: Vector[] = header.columns.map((h) => {
      const Ctor = ARRAYS[h.array];
      if (!Ctor) throw new SqlError('INTERNAL_ERROR', `spill file ${this.path}: unknown array kind ${h.array}`);
      const raw = this.read(h.bytes)!;
      const values = new Ctor(raw.buffer as ArrayBuffer, raw.byteOffset, h.bytes / (Ctor as unknown as { BYTES_PER_ELEMENT: number }).BYTES_PER_ELEMENT);
      const valid = h.valid ? this.read(n)! : null;
      return makeVector(h.type, n, values, valid, h.dict, h.big?.map((x) => (x === null ? null : BigInt(x))));
    });
    return { length: n, columns };
  }

  /** The next value `writeValue` appended (the file must be at one). */
  nextValue(): unknown {
    const len = this.read(4)!;
    return deserialize(this.read(new DataView(len.buffer, len.byteOffset).getUint32(0, true))!);
  }

  /** Reads every remaining block. */
  all(): Batch[] {
    const out: Batch[] = [];
    for (let b = this.next(); b; b = this.next()) out.push(b);
    return out;
  }

  private read(n: number, atEnd = false): Uint8Array | null {
    // a fresh buffer per read: typed arrays over it must be aligned and must not share it
    const buf = new Uint8Array(new ArrayBuffer(Math.ceil(n / 8) * 8), 0, n);
    let got = 0;
    while (got < n) {
      const r = readSync(this.fd, buf, got, n - got, this.pos + got);
      if (r === 0) break;
      got += r;
    }
    if (got === 0 && atEnd) return null;
    if (got < n) throw new SqlError('INTERNAL_ERROR', `spill file ${this.path} is truncated`);
    this.pos += n;
    return buf;
  }

  close(): void {
    closeSync(this.fd);
  }
}
