// The Arrow type each SQL type is stored as when written raw: one lookup table, keyed by TypeId.
import { Bool, Float32, Float64, Int16, Int32, Int64, Uint8, Utf8, type DataType } from 'apache-arrow';
import type { TypeId } from '../types/types.ts';

const RAW: Record<TypeId, () => DataType> = {
  SMALLINT: () => new Int16(),
  INTEGER: () => new Int32(),
  BIGINT: () => new Int64(), // exact int64 (in memory a double plus the exact value past 2^53; see int64.ts)
  DECIMAL: () => new Float64(), // scaled integer
  REAL: () => new Float32(),
  'DOUBLE PRECISION': () => new Float64(),
  BOOLEAN: () => new Bool(),
  CHAR: () => new Utf8(),
  VARCHAR: () => new Utf8(),
  DATE: () => new Int32(), // days since epoch
  TIMESTAMP: () => new Float64(), // microseconds since epoch
  NULL: () => new Uint8(),
};

/** The Arrow type of a raw (unencoded) column of SQL type `id`. */
export function rawArrowType(id: TypeId): DataType {
  return RAW[id]();
}

/** SQL types whose physical values are always integers, so frame-of-reference can encode them. */
export const INTEGRAL: ReadonlySet<TypeId> = new Set<TypeId>(['SMALLINT', 'INTEGER', 'BIGINT', 'DECIMAL', 'DATE', 'TIMESTAMP']);
