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

/** How a value of the type looks in generated code and results (vectors hold booleans as 0/1 bytes, strings as dictionary codes). */
export type JsForm = 'number' | 'boolean' | 'string';

/** The apache-arrow DataType class a raw (unencoded) stored column uses (storage/arrow-types.ts builds it). */
export type ArrowTypeName = 'Int16' | 'Int32' | 'Int64' | 'Float32' | 'Float64' | 'Bool' | 'Utf8' | 'Uint8';

/** The PostgreSQL wire type (pg_type.typname) values of the type travel as (api/pgwire/types.ts encodes them). */
export type PgTypeName = 'bool' | 'int2' | 'int4' | 'int8' | 'float4' | 'float8' | 'numeric' | 'bpchar' | 'varchar' | 'text' | 'date' | 'timestamp';

/** What each type is, how it is held in memory, stored and sent: everything the engine knows per type. */
export interface TypeInfo {
  /** the family: per-kind behaviour (text I/O, casts, implicit casts) is keyed by it */
  kind: TypeKind;
  array: ArrayCtor;
  /** numeric-like (orderable numbers); strings are dictionary codes, not numeric */
  numeric: boolean;
  string: boolean;
  /** the JS form of a value in generated code, kernels and results */
  js: JsForm;
  /** physical values are always integers (DECIMAL's scaled integer, DATE's day, TIMESTAMP's microsecond): frame-of-reference can encode them */
  integral: boolean;
  /** integers: SMALLINT 1 < INTEGER 2 < BIGINT 3 (implicit widening); 0 otherwise */
  rank: number;
  /** integers: the decimal digits they need as DECIMAL(p,0) */
  digits: number;
  /** the lower-case name PostgreSQL/Redshift use in messages ("integer", "numeric") */
  errorName: string;
  /** integers: the values held exactly as a JS number, [min, max] (BIGINT: +-(2^53-1); past that a bigint) */
  range: readonly [number, number] | null;
  /** information_schema.columns.numeric_precision of binary types (bits); integers: their width */
  bits: number | null;
  /** the Arrow type of a raw stored column */
  arrow: ArrowTypeName;
  /** the PostgreSQL wire type */
  pg: PgTypeName;
}

export const MAX_EXACT = 9007199254740991; // 2^53 - 1

// DATE: Int32 days since 1970-01-01. TIMESTAMP: Float64 microseconds since epoch.
// DECIMAL(p,s): Float64 holding the exact scaled integer (value * 10^s) while |v| < 2^53.
// BIGINT: Float64, exact while |v| < 2^53 (overflow beyond that is reported, never rounded).
// CHAR/VARCHAR: Int32 codes into the vector's dictionary (`dict`).
const info = (kind: TypeKind, array: ArrayCtor, arrow: ArrowTypeName, pg: PgTypeName, errorName: string, extra: Partial<TypeInfo> = {}): TypeInfo => ({
  kind, array, arrow, pg, errorName,
  numeric: kind === 'integer' || kind === 'decimal' || kind === 'float',
  string: kind === 'string',
  js: kind === 'string' ? 'string' : kind === 'boolean' ? 'boolean' : 'number',
  integral: kind === 'integer' || kind === 'decimal' || kind === 'date' || kind === 'timestamp',
  rank: 0, digits: 0, bits: null, range: null,
  ...extra,
});

export const TYPES: Record<TypeId, TypeInfo> = {
  SMALLINT: info('integer', Int16Array, 'Int16', 'int2', 'smallint', { rank: 1, digits: 5, bits: 16, range: [-32768, 32767] }),
  INTEGER: info('integer', Int32Array, 'Int32', 'int4', 'integer', { rank: 2, digits: 10, bits: 32, range: [-2147483648, 2147483647] }),
  // stored as exact int64 (in memory a double plus the exact value past 2^53; see storage/int64.ts)
  BIGINT: info('integer', Float64Array, 'Int64', 'int8', 'bigint', { rank: 3, digits: 19, bits: 64, range: [-MAX_EXACT, MAX_EXACT] }),
  DECIMAL: info('decimal', Float64Array, 'Float64', 'numeric', 'numeric'), // stored as the scaled integer
  REAL: info('float', Float32Array, 'Float32', 'float4', 'real', { bits: 24 }),
  'DOUBLE PRECISION': info('float', Float64Array, 'Float64', 'float8', 'double precision', { bits: 53 }),
  BOOLEAN: info('boolean', Uint8Array, 'Bool', 'bool', 'boolean'),
  CHAR: info('string', Int32Array, 'Utf8', 'bpchar', 'character'),
  VARCHAR: info('string', Int32Array, 'Utf8', 'varchar', 'character varying'),
  DATE: info('date', Int32Array, 'Int32', 'date', 'date'),
  TIMESTAMP: info('timestamp', Float64Array, 'Float64', 'timestamp', 'timestamp'),
  // a bare NULL literal's type travels as text, as PostgreSQL's "unknown" does
  NULL: info('null', Uint8Array, 'Uint8', 'text', 'unknown'),
};

/**
 * The default branch of an exhaustive `switch` over TypeKind or TypeId: it type-checks only when
 * every case is handled, so adding a type or kind fails to compile where it must be handled.
 */
export function unhandledType(x: never): never {
  throw new Error(`unhandled type ${String(x)}`);
}

/** Whether a name is a TypeId (a canonical type name, as typeName prints it without parameters). */
export const isTypeId = (name: string): name is TypeId => Object.hasOwn(TYPES, name);

/** The table entry of a type: `typeInfo(t).numeric`, `typeInfo(t).pg`. */
export const typeInfo = (t: SqlType): TypeInfo => TYPES[t.id];

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

export const kindOf = (t: SqlType): TypeKind => TYPES[t.id].kind;
export const isString = (t: SqlType): t is StringType => TYPES[t.id].string;
export const isNumeric = (t: SqlType) => TYPES[t.id].numeric;
export const isInteger = (t: SqlType) => TYPES[t.id].kind === 'integer';
export const isFloat = (t: SqlType) => TYPES[t.id].kind === 'float';
export const isDecimal = (t: SqlType): t is DecimalType => TYPES[t.id].kind === 'decimal';
export const isBoolean = (t: SqlType) => TYPES[t.id].kind === 'boolean';
export const isDate = (t: SqlType) => TYPES[t.id].kind === 'date';
export const isTimestamp = (t: SqlType) => TYPES[t.id].kind === 'timestamp';
export const isTemporal = (t: SqlType) => isDate(t) || isTimestamp(t);
/** The type of a bare NULL literal before coercion: it converts to anything. */
export const isNullType = (t: SqlType) => TYPES[t.id].kind === 'null';
// The types below are special within their kind, so they are named here, once.
/** BIGINT: exact over int64 (a double, or a bigint past 2^53; see isWide). */
export const isBigint = (t: SqlType) => t.id === 'BIGINT';
/** REAL: a float32, so arithmetic rounds through Math.fround. */
export const isReal = (t: SqlType) => t.id === 'REAL';
/** DOUBLE PRECISION: the widest float. */
export const isDouble = (t: SqlType) => t.id === 'DOUBLE PRECISION';
/** CHAR(n): blank-padded, so trailing blanks are insignificant. */
export const isChar = (t: SqlType): t is StringType => t.id === 'CHAR';
/** VARCHAR(n): the widest string. */
export const isVarchar = (t: SqlType): t is StringType => t.id === 'VARCHAR';
/** A bare NULL literal's type resolved for output: VARCHAR, as Redshift does. */
export const orVarchar = (t: SqlType): SqlType => (isNullType(t) ? T.varchar : t);
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
export const isWide = (t: SqlType) => isBigint(t) || isWideDecimal(t);

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

/** A type written as text with its parameters ("DECIMAL(10,2)", "varchar(20)", "double precision") to a SqlType, or null. */
export function parseTypeText(text: string): SqlType | null {
  const m = /^\s*([a-z][a-z0-9 ]*?)\s*(?:\(\s*(\d+)\s*(?:,\s*(\d+)\s*)?\))?\s*$/i.exec(text);
  return m ? resolveTypeName(m[1], [m[2], m[3]].filter((x) => x !== undefined).map(Number)) : null;
}
