// SQL types and their in-memory (physical) representation.
// Type dispatch lives here, in one table, not in switches across the engine.

export type TypeId =
  | 'SMALLINT' | 'INTEGER' | 'BIGINT' | 'DECIMAL' | 'REAL' | 'DOUBLE PRECISION'
  | 'BOOLEAN' | 'CHAR' | 'VARCHAR' | 'DATE' | 'TIMESTAMP'
  | 'NULL'; // the type of a bare NULL literal before it is coerced

/** A SQL type. DECIMAL carries precision/scale; CHAR/VARCHAR carry an optional length. */
export interface SqlType {
  id: TypeId;
  precision?: number;
  scale?: number;
  length?: number;
}

export type TypedArray =
  | Int8Array | Uint8Array | Int16Array | Uint16Array | Int32Array | Uint32Array
  | Float32Array | Float64Array;

export type ArrayCtor =
  | Int16ArrayConstructor | Int32ArrayConstructor | Float32ArrayConstructor
  | Float64ArrayConstructor | Uint8ArrayConstructor;

/** How each type is held in memory: the typed array for its values and how it behaves. */
export interface PhysicalInfo {
  array: ArrayCtor;
  /** numeric-like (orderable numbers); strings are dictionary codes, not numeric */
  numeric: boolean;
  string: boolean;
}

// DATE: Int32 days since 1970-01-01. TIMESTAMP: Float64 microseconds since epoch.
// DECIMAL(p,s): Float64 holding the exact scaled integer (value * 10^s) while |v| < 2^53.
// BIGINT: Float64, exact while |v| < 2^53 (overflow beyond that is reported, never rounded).
// CHAR/VARCHAR: Int32 codes into the vector's dictionary (`dict`).
export const PHYSICAL: Record<TypeId, PhysicalInfo> = {
  SMALLINT: { array: Int16Array, numeric: true, string: false },
  INTEGER: { array: Int32Array, numeric: true, string: false },
  BIGINT: { array: Float64Array, numeric: true, string: false },
  DECIMAL: { array: Float64Array, numeric: true, string: false },
  REAL: { array: Float32Array, numeric: true, string: false },
  'DOUBLE PRECISION': { array: Float64Array, numeric: true, string: false },
  BOOLEAN: { array: Uint8Array, numeric: false, string: false },
  CHAR: { array: Int32Array, numeric: false, string: true },
  VARCHAR: { array: Int32Array, numeric: false, string: true },
  DATE: { array: Int32Array, numeric: false, string: false },
  TIMESTAMP: { array: Float64Array, numeric: false, string: false },
  NULL: { array: Uint8Array, numeric: false, string: false },
};

export const T = {
  smallint: { id: 'SMALLINT' } as SqlType,
  int: { id: 'INTEGER' } as SqlType,
  bigint: { id: 'BIGINT' } as SqlType,
  real: { id: 'REAL' } as SqlType,
  double: { id: 'DOUBLE PRECISION' } as SqlType,
  bool: { id: 'BOOLEAN' } as SqlType,
  varchar: { id: 'VARCHAR' } as SqlType,
  date: { id: 'DATE' } as SqlType,
  timestamp: { id: 'TIMESTAMP' } as SqlType,
  null: { id: 'NULL' } as SqlType,
  decimal: (precision: number, scale: number): SqlType => ({ id: 'DECIMAL', precision, scale }),
};

export const MAX_EXACT = 9007199254740991; // 2^53 - 1

export const isString = (t: SqlType) => PHYSICAL[t.id].string;
export const isNumeric = (t: SqlType) => PHYSICAL[t.id].numeric;
export const isInteger = (t: SqlType) => t.id === 'SMALLINT' || t.id === 'INTEGER' || t.id === 'BIGINT';
export const isFloat = (t: SqlType) => t.id === 'REAL' || t.id === 'DOUBLE PRECISION';
export const isTemporal = (t: SqlType) => t.id === 'DATE' || t.id === 'TIMESTAMP';
export const scaleOf = (t: SqlType) => (t.id === 'DECIMAL' ? t.scale ?? 0 : 0);
/** Digits a DECIMAL held in a double keeps exactly (|v| < 2^53 ~ 9.007e15). */
export const NARROW_DIGITS = 15;
/**
 * A DECIMAL whose values may pass 2^53: in generated code they are a number or, past 2^53, a
 * bigint (see functions/numeric.ts); in vectors the nearest double plus the exact `big` value.
 */
export const isWideDecimal = (t: SqlType) => t.id === 'DECIMAL' && (t.precision ?? 18) > NARROW_DIGITS;

/** The type's name as SQL prints it: DECIMAL(12,2), VARCHAR(25), INTEGER. */
export function typeName(t: SqlType): string {
  if (t.id === 'DECIMAL') return `DECIMAL(${t.precision ?? 18},${t.scale ?? 0})`;
  if ((t.id === 'VARCHAR' || t.id === 'CHAR') && t.length !== undefined) return `${t.id}(${t.length})`;
  return t.id;
}

export function sameType(a: SqlType, b: SqlType): boolean {
  return a.id === b.id && (a.id !== 'DECIMAL' || (a.scale ?? 0) === (b.scale ?? 0));
}

const ALIASES: Record<string, TypeId> = {
  SMALLINT: 'SMALLINT', INT2: 'SMALLINT',
  INTEGER: 'INTEGER', INT: 'INTEGER', INT4: 'INTEGER',
  BIGINT: 'BIGINT', INT8: 'BIGINT',
  DECIMAL: 'DECIMAL', NUMERIC: 'DECIMAL',
  REAL: 'REAL', FLOAT4: 'REAL',
  'DOUBLE PRECISION': 'DOUBLE PRECISION', DOUBLE: 'DOUBLE PRECISION', FLOAT8: 'DOUBLE PRECISION', FLOAT: 'DOUBLE PRECISION',
  BOOLEAN: 'BOOLEAN', BOOL: 'BOOLEAN',
  CHAR: 'CHAR', CHARACTER: 'CHAR', NCHAR: 'CHAR', BPCHAR: 'CHAR',
  VARCHAR: 'VARCHAR', 'CHARACTER VARYING': 'VARCHAR', NVARCHAR: 'VARCHAR', TEXT: 'VARCHAR', STRING: 'VARCHAR',
  DATE: 'DATE',
  TIMESTAMP: 'TIMESTAMP', 'TIMESTAMP WITHOUT TIME ZONE': 'TIMESTAMP', DATETIME: 'TIMESTAMP',
};

/** Resolves a type name written in SQL (with its optional parameters) to a SqlType, or null if unknown. */
export function resolveTypeName(name: string, params: number[] = []): SqlType | null {
  const id = ALIASES[name.toUpperCase().replace(/\s+/g, ' ')];
  if (!id) return null;
  if (id === 'DECIMAL') return { id, precision: params[0] ?? 18, scale: params[1] ?? 0 };
  if (id === 'CHAR') return { id, length: params[0] ?? 1 };
  if (id === 'VARCHAR') return params[0] !== undefined ? { id, length: params[0] } : { id, length: 256 };
  return { id };
}
