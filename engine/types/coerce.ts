// The type rules, in one place: implicit casts, the common supertype of two types (comparisons,
// CASE, UNION, IN) and the result type of arithmetic (Redshift's DECIMAL precision/scale rules).
import { SqlError } from '../errors.ts';
import { T, TYPES, isChar, isDate, isDecimal, isDouble, isFloat, isInteger, isNullType, isNumeric, isReal, isString, isTemporal, isTimestamp, isVarchar, kindOf, lengthOf, typeName, unhandledType, type SqlType } from './types.ts';

/** Operand of date/time arithmetic that is an INTERVAL constant (intervals are not a column type). */
export interface IntervalType { id: 'INTERVAL' }
export const INTERVAL: IntervalType = { id: 'INTERVAL' };
/** A SQL type or the INTERVAL marker, for arithmetic operands. */
export type OperandType = SqlType | IntervalType;
export type ArithOp = '+' | '-' | '*' | '/' | '%';

export const MAX_PRECISION = 38;

export const isInterval = (t: OperandType): t is IntervalType => t.id === 'INTERVAL';


/** Any numeric type viewed as DECIMAL(p,s): integers are DECIMAL(5|10|19, 0). */
export function asDecimal(t: SqlType): { precision: number; scale: number } {
  if (isDecimal(t)) return { precision: t.precision ?? 18, scale: t.scale ?? 0 };
  return { precision: TYPES[t.id].digits || 19, scale: 0 };
}

const dec = (precision: number, scale: number): SqlType =>
  T.decimal(Math.min(MAX_PRECISION, Math.max(precision, scale, 1)), Math.min(scale, MAX_PRECISION - 1));

/** Whether a value of `from` converts to `to` without an explicit CAST (widening only). */
export function canImplicitlyCast(from: SqlType, to: SqlType): boolean {
  if (isNullType(from)) return true;
  if (from.id === to.id) {
    if (!isDecimal(from)) return true;
    const a = asDecimal(from), b = asDecimal(to);
    return b.scale >= a.scale && b.precision - b.scale >= a.precision - a.scale;
  }
  // within a kind, widening follows rank (SMALLINT < INTEGER < BIGINT, REAL < DOUBLE, CHAR < VARCHAR)
  const kind = kindOf(from);
  switch (kind) {
    case 'integer': return isInteger(to) ? TYPES[to.id].rank > TYPES[from.id].rank : isDecimal(to) || isFloat(to);
    case 'decimal': return isFloat(to);
    case 'float': return isDouble(to);
    case 'string': return isVarchar(to);
    case 'date': return isTimestamp(to);
    case 'boolean': case 'timestamp': case 'null': return false;
    default: return unhandledType(kind);
  }
}

export interface SupertypeOptions {
  /** `a` is an untyped string literal ('1998-12-01'): it takes the other side's type. */
  aUntypedLiteral?: boolean;
  bUntypedLiteral?: boolean;
}

/**
 * The type both sides convert to for comparison, CASE, UNION or IN, or null when there is none
 * (the binder reports DATATYPE_MISMATCH). Integers widen SMALLINT < INTEGER < BIGINT < DECIMAL <
 * DOUBLE; DECIMALs keep the larger scale and enough integer digits for both.
 */
export function commonSupertype(a: SqlType, b: SqlType, opts: SupertypeOptions = {}): SqlType | null {
  if (isNullType(a)) return b;
  if (isNullType(b)) return a;
  if (opts.aUntypedLiteral && !opts.bUntypedLiteral) return isString(b) ? widerString(a, b) : b;
  if (opts.bUntypedLiteral && !opts.aUntypedLiteral) return isString(a) ? widerString(a, b) : a;
  if (isNumeric(a) && isNumeric(b)) return numericSupertype(a, b);
  if (isString(a) && isString(b)) return widerString(a, b);
  if (a.id === b.id) return a;
  if (isDate(a) && isTimestamp(b) || isTimestamp(a) && isDate(b)) return T.timestamp;
  return null;
}

function widerString(a: SqlType, b: SqlType): SqlType {
  const la = lengthOf(a);
  const lb = lengthOf(b);
  const length = la === undefined ? lb : lb === undefined ? la : Math.max(la, lb);
  const id = isChar(a) && isChar(b) ? 'CHAR' : 'VARCHAR';
  return length === undefined ? { id } : { id, length };
}

function numericSupertype(a: SqlType, b: SqlType): SqlType {
  if (isFloat(a) || isFloat(b)) return isReal(a) && isReal(b) ? T.real : T.double;
  if (isInteger(a) && isInteger(b)) return TYPES[a.id].rank >= TYPES[b.id].rank ? a : b;
  const da = asDecimal(a), db = asDecimal(b);
  const scale = Math.max(da.scale, db.scale);
  return dec(Math.max(da.precision - da.scale, db.precision - db.scale) + scale, scale);
}

/** Supertype of many types (CASE branches, IN lists, COALESCE args), or null. */
export function commonSupertypeOf(types: SqlType[]): SqlType | null {
  let acc: SqlType = T.null;
  for (const t of types) {
    const next = commonSupertype(acc, t);
    if (!next) return null;
    acc = next;
  }
  return acc;
}

/** Like commonSupertype but throws DATATYPE_MISMATCH naming both types. */
export function requireSupertype(a: SqlType, b: SqlType, context = 'compare'): SqlType {
  const t = commonSupertype(a, b);
  if (!t) throw new SqlError('DATATYPE_MISMATCH', `cannot ${context} ${typeName(a)} and ${typeName(b)}`);
  return t;
}

/** Result type of numeric arithmetic (Redshift's table: INT2 op INT2 is INT2, FLOAT4 op FLOAT4 is FLOAT4, DECIMAL rules). */
function numericArithmetic(op: ArithOp, a: SqlType, b: SqlType): SqlType {
  if (isFloat(a) || isFloat(b)) return isReal(a) && isReal(b) ? T.real : T.double;
  if (isInteger(a) && isInteger(b)) return TYPES[a.id].rank >= TYPES[b.id].rank ? a : b;
  const { precision: p1, scale: s1 } = asDecimal(a);
  const { precision: p2, scale: s2 } = asDecimal(b);
  switch (op) {
    case '+': case '-': {
      const s = Math.max(s1, s2);
      return dec(Math.max(p1 - s1, p2 - s2) + 1 + s, s);
    }
    case '*':
      return dec(p1 + p2 + 1, s1 + s2);
    case '/': {
      const s = divisionScale(p1, s1, p2, s2);
      return dec(p1 - s1 + s2 + s, s);
    }
    case '%': {
      const s = Math.max(s1, s2);
      return dec(Math.min(p1 - s1, p2 - s2) + s, s);
    }
  }
}

/**
 * Scale of a DECIMAL quotient: Redshift's max(4, s1 + p2 - s2 + 1). Quotients past 2^53 are exact
 * BigInts, so nothing narrower is needed. Where integer digits (p1 - s1 + s2) plus that scale pass
 * 38, Redshift documents only the cap: the integer digits are kept and the scale takes what is
 * left, but never less than min(scale, 6) (SQL Server's rule), e.g. TPC-H Q14's
 * DECIMAL(38,6) / DECIMAL(38,4) is DECIMAL(38,6).
 */
export function divisionScale(p1: number, s1: number, p2: number, s2: number): number {
  const redshift = Math.max(4, s1 + p2 - s2 + 1);
  const intDigits = p1 - s1 + s2;
  if (intDigits + redshift <= MAX_PRECISION) return redshift;
  return Math.min(MAX_PRECISION - 1, Math.max(MAX_PRECISION - intDigits, Math.min(redshift, 6)));
}

/**
 * Result type of `a op b`, or null when the operator does not apply. Dates: DATE ± INTEGER is DATE,
 * DATE - DATE is INTEGER (days), DATE|TIMESTAMP ± INTERVAL is TIMESTAMP (as in Redshift; it still
 * compares with DATE columns through the DATE -> TIMESTAMP supertype).
 */
export function arithmeticType(op: ArithOp, a: OperandType, b: OperandType): SqlType | null {
  if (isInterval(a) || isInterval(b)) {
    const other = isInterval(a) ? b : a;
    if (isInterval(other)) return null;
    if (!isTemporal(other)) return null;
    if (op === '+' || (op === '-' && isInterval(b))) return T.timestamp;
    return null;
  }
  if (isNullType(a) && isNullType(b)) return null;
  if (isDate(a) || isDate(b)) {
    if (op === '+' && isDate(a) && (isInteger(b) || isNullType(b))) return T.date;
    if (op === '+' && isDate(b) && (isInteger(a) || isNullType(a))) return T.date;
    if (op === '-' && isDate(a) && (isInteger(b) || isNullType(b))) return T.date;
    if (op === '-' && isDate(a) && isDate(b)) return T.int;
    return null;
  }
  const na = isNullType(a) ? b : a;
  const nb = isNullType(b) ? a : b;
  if (!isNumeric(na) || !isNumeric(nb)) return null;
  return numericArithmetic(op, na, nb);
}
