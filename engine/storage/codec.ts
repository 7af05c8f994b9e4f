// The contract every column encoding implements, plus the validity helpers they share.
import type { Data, DataType } from 'apache-arrow';
import type { SqlType, TypedArray } from '../types/types.ts';
import type { Frame, Vector } from '../types/vector.ts';
import type { ColumnStats } from './column-stats.ts';
import { packBits, unpackBits } from './bitmap.ts';

/** An encoded column: its Arrow type and data, plus field metadata the decoder needs. */
export interface EncodedColumn {
  type: DataType;
  data: Data;
  meta: Map<string, string>;
}

/** A decoded column in Strata's in-memory layout (see engine/types/vector.ts). */
export interface DecodedColumn {
  values: TypedArray;
  valid: Uint8Array | null;
  dict?: string[];
  /** BIGINT and DECIMAL(p>15): exact values of the rows past 2^53 (Vector.big) */
  big?: (bigint | null)[];
  /** integers of a narrow range: their one- or two-byte differences from the minimum (Vector.frame) */
  frame?: Frame;
}

/** One encoding: writes a column as Arrow data and reads it back exactly. */
export interface Codec {
  encode(v: Vector, stats: ColumnStats, column: number): EncodedColumn;
  decode(data: Data, meta: Map<string, string>, type: SqlType, rows: number): DecodedColumn;
}

/** Arrow null bitmap props for a column, omitted when it has no NULLs. */
export function validityProps(v: Vector, stats: ColumnStats): { nullCount: number; nullBitmap?: Uint8Array } {
  if (stats.nullCount === 0 || v.valid === null) return { nullCount: 0 };
  return { nullCount: stats.nullCount, nullBitmap: packBits(v.valid, v.length) };
}

/** Byte-per-row validity from Arrow data (null when there are no NULLs). */
export function readValidity(d: Data, rows: number): Uint8Array | null {
  if (d.nullCount <= 0) return null;
  const bits = d.nullBitmap;
  if (!bits || bits.length < (rows + 7) >> 3) throw corrupt('null bitmap is truncated');
  return unpackBits(bits, rows);
}

/** Checks that a decoded buffer has at least `need` elements. */
export function need<A extends { length: number }>(a: A | undefined | null, need: number, what: string): A {
  if (!a || a.length < need) throw corrupt(`${what} buffer is truncated`);
  return a;
}

/** The error for data that cannot be what a writer produced; segment.ts turns it into a SqlError naming the file. */
export function corrupt(detail: string): Error {
  return new Error(detail);
}
