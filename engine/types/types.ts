// SQL types and their in-memory (physical) representation.
// Type dispatch lives here, in one table (TYPES), not in switches across the engine: code asks
// the table what a type is (its kind, physical array, integer rank, names) and checks a single
// type id only where that one type is genuinely special.

export type TypeId =
  | 'SMALLINT' | 'INTEGER' | 'BIGINT' | 'DECIMAL' | 'REAL' | 'DOUBLE PRECISION'
  | 'BOOLEAN' | 'CHAR' | 'VARCHAR' | 'DATE' | 'TIMESTAMP'
  | 'NULL'; // the type of a bare NULL literal before it is coerced

/** DECIMAL(p,s): p significant digits, s of them after the point. */
export interface DecimalType { id: 'DECIMAL'; precision: number; scale: number }
/** CHAR(n)/VARCHAR(n): n bytes (absent for an unsized string, e.g. a literal). */
export interface StringType { id: 'CHAR' | 'VARCHAR'; length?: number }
/** Every other type has no parameters. */
export interface PlainType { id: Exclude<TypeId, 'DECIMAL' | 'CHAR' | 'VARCHAR'> }
/** A SQL type: a discriminated union on `id`; only DECIMAL and the strings carry parameters. */
export type SqlType = DecimalType | StringType | PlainType;

export type TypedArray =
  | Int8Array | Uint8Array | Int16Array | Uint16Array | Int32Array | Uint32Array
  | Float32Array | Float64Array;

export type ArrayCtor =
  | Int16ArrayConstructor | Int32ArrayConstructor | Float32ArrayConstructor
  | Float64ArrayConstructor | Uint8ArrayConstructor;

/** The families of types that behave alike; per-kind behaviour (text I/O, casts) is keyed by it. */
export type TypeKind = 'integer' | 'decimal' | 'float' | 'boolean' | 'string' | 'date' | 'timestamp' | 'null';

/** What each type is and how it is held in memory. */
export interface TypeInfo {
  kind: TypeKind;
  array: ArrayCtor;
  /** numeric-like (orderable numbers); strings are dictionary codes, not numeric */
  numeric: boolean;
  string: boolean;
  /** integers: SMALLINT 1 < INTEGER 2 < BIGINT 3 (implicit widening); 0 otherwise */
  rank: number;
  /** integers: the decimal digits they need as DECIMAL(p,0) */
  digits: number;
  /** the lower-case name PostgreSQL/Redshift use in messages ("integer", "numeric") */
  errorName: string;
  /** information_schema.columns.numeric_precision of binary types (bits) */
  bits: number | null;
}

// DATE: Int32 days since 1970-01-01. TIMESTAMP: Float64 microseconds since epoch.
// DECIMAL(p,s): Float64 holding the exact scaled integer (value * 10^s) while |v| < 2^53.
// BIGINT: Float64, exact while |v| < 2^53 (overflow beyond that is reported, never rounded).
// CHAR/VARCHAR: Int32 codes into the vector's dictionary (`dict`).
const info = (kind: TypeKind, array: ArrayCtor, errorName: string, extra: Partial<TypeInfo> = {}): TypeInfo => ({
  kind, array, errorName,
  numeric: kind === 'integer' || kind === 'decimal' || kind === 'float',
  string: kind === 'string',
  rank: 0, digits: 0, bits: null,
  ...extra,
});

export const TYPES: Record<TypeId, TypeInfo> = {
  SMALLINT: info('integer', Int16Array, 'smallint', { rank: 1, digits: 5, bits: 16 }),
  INTEGER: info('integer', Int32Array, 'integer', { rank: 2, digits: 10, bits: 32 }),
  BIGINT: info('integer', Float64Array, 'bigint', { rank: 3, digits: 19, bits: 64 }),
  DECIMAL: info('decimal', Float64Array, 'numeric'),
  REAL: info('float', Float32Array, 'real', { bits: 24 }),
  'DOUBLE PRECISION': info('float', Float64Array, 'double precision', { bits: 53 }),
  BOOLEAN: info('boolean', Uint8Array, 'boolean'),
  CHAR: info('string', Int32Array, 'character'),
  VARCHAR: info('string', Int32Array, 'character varying'),
  DATE: info('date', Int32Array, 'date'),
  TIMESTAMP: info('timestamp', Float64Array, 'timestamp'),
  NULL: info('null', Uint8Array, 'unknown'),
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
  decimal: (precision: number, scale: number): DecimalType => ({ id: 'DECIMAL', precision, scale }),
};

export const MAX_EXACT = 9007199254740991; // 2^53 - 1

export const kindOf = (t: SqlType): TypeKind => TYPES[t.id].kind;
export const isString = (t: SqlType): t is StringType => TYPES[t.id].string;
export const isNumeric = (t: SqlType) => TYPES[t.id].numeric;
export const isInteger = (t: SqlType) => TYPES[t.id].kind === 'integer';
export const isFloat = (t: SqlType) => TYPES[t.id].kind === 'float';
export const isDecimal = (t: SqlType): t is DecimalType => t.id === 'DECIMAL';
export const isTemporal = (t: SqlType) => TYPES[t.id].kind === 'date' || TYPES[t.id].kind === 'timestamp';
export const isNullType = (t: SqlType) => t.id === 'NULL';
export const scaleOf = (t: SqlType) => (isDecimal(t) ? t.scale ?? 0 : 0);
export const precisionOf = (t: SqlType) => (isDecimal(t) ? t.precision ?? 18 : TYPES[t.id].digits);
/** The declared byte length of a CHAR/VARCHAR, or undefined (unsized, or not a string). */
export const lengthOf = (t: SqlType) => (isString(t) ? t.length : undefined);
/** Digits a DECIMAL held in a double keeps exactly (|v| < 2^53 ~ 9.007e15). */
export const NARROW_DIGITS = 15;
/**
 * A DECIMAL whose values may pass 2^53: in generated code they are a number or, past 2^53, a
 * bigint (see functions/numeric.ts); in vectors the nearest double plus the exact `big` value.
 */
export const isWideDecimal = (t: SqlType) => isDecimal(t) && (t.precision ?? 18) > NARROW_DIGITS;

/**
 * Values in generated code may be bigints past 2^53 (functions/numeric.ts), and vectors carry
 * their exact values beside the doubles (`Vector.big`): BIGINT and wide DECIMALs.
 */
export const isWide = (t: SqlType) => t.id === 'BIGINT' || isWideDecimal(t);

/** The lower-case type name Postgres/Redshift use in error messages ("integer", "numeric"). */
export function errorTypeName(t: SqlType): string {
  return TYPES[t.id].errorName;
}

/** The type's name as SQL prints it: DECIMAL(12,2), VARCHAR(25), INTEGER. */
export function typeName(t: SqlType): string {
  if (isDecimal(t)) return `DECIMAL(${t.precision ?? 18},${t.scale ?? 0})`;
  if (isString(t) && t.length !== undefined) return `${t.id}(${t.length})`;
  return t.id;
}

/** Same type for the engine's purposes: equal ids, and equal scales for DECIMAL (precision only bounds values). */
export function sameType(a: SqlType, b: SqlType): boolean {
  return a.id === b.id && (!isDecimal(a) || scaleOf(a) === scaleOf(b));
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
