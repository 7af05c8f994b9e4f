// Code emitters for SQL operators: arithmetic, comparison, string concatenation and LIKE.
// They return JS expression source over the operands' physical values (see DESIGN: DECIMAL is
// a scaled integer, DATE a day number, TIMESTAMP microseconds). Operands are evaluated once.
import { SqlError } from '../errors.ts';
import {
  arithmeticType, asDecimal, commonSupertype, isInterval, type ArithOp, type OperandType,
} from '../types/coerce.ts';
import { MICROS_PER_DAY } from '../types/calendar.ts';
import type { Interval } from '../types/interval.ts';
import { NARROW_DIGITS, T, isBigint, isDate, isDecimal, isFloat, isInteger, isNullType, isReal, isString, isTimestamp, isWide, isWideDecimal, sameType, scaleOf, type SqlType } from '../types/types.ts';
import { errorTypeName } from '../types/values.ts';
import { emitCast, intCheck, pow10 } from './casts.ts';
import { likeMatcher } from './like.ts';

export { emitCast, canCast, emitCastNullable, type CastMode } from './casts.ts';
export { likeMatcher, LikeMatcher } from './like.ts';

export type CompareOp = '=' | '<>' | '!=' | '<' | '<=' | '>' | '>=';


/** BIGINT arithmetic: exact over int64 (doubles while they are exact, BigInt past 2^53). */
const I64_OP: Record<ArithOp, string> = { '+': 'i64Add', '-': 'i64Sub', '*': 'i64Mul', '/': 'i64Div', '%': 'i64Mod' };

const opName = (t: OperandType) => (isInterval(t) ? 'interval' : errorTypeName(t));

function noOperator(op: string, a: OperandType, b: OperandType): SqlError {
  return new SqlError('DATATYPE_MISMATCH', `operator does not exist: ${opName(a)} ${op} ${opName(b)}`);
}

/** JS source for an interval constant; emitArithmetic recognizes it and inlines its parts. */
export function emitIntervalLiteral(iv: Interval): string {
  return `({months:${iv.months},days:${iv.days},micros:${iv.micros}})`;
}

const INTERVAL_LITERAL = /^\(\{months:(-?\d+),days:(-?\d+),micros:(-?\d+)\}\)$/;
const INT_LITERAL = /^-?\d+$/;

/** code * 10^k, exact (checked), folded when the operand is an integer literal. */
function scaleUp(code: string, k: number): string {
  if (k === 0) return code;
  if (INT_LITERAL.test(code)) {
    const v = Number(code) * Number(pow10(k));
    if (Number.isSafeInteger(v)) return String(v);
  }
  return `rt.up(${code}, ${pow10(k)})`;
}

const asDouble = (code: string, t: SqlType) => {
  const c = isWide(t) ? `rt.wnum(${code})` : code;
  return isDecimal(t) && (t.scale ?? 0) > 0 ? `(${c} / ${pow10(t.scale!)})` : c;
};

/**
 * Emits `left op right`. Integer results are range-checked (SMALLINT/INTEGER like Postgres;
 * BIGINT at 2^53 where exactness ends); DECIMAL results are rescaled exactly and checked; division
 * by zero raises DIVISION_BY_ZERO for every numeric type.
 */
export function emitArithmetic(op: ArithOp, leftType: OperandType, rightType: OperandType, left: string, right: string): { type: SqlType; code: string } {
  const type = arithmeticType(op, leftType, rightType);
  if (!type) throw noOperator(op, leftType, rightType);
  if (isInterval(leftType) || isInterval(rightType)) {
    const [t, tc, ivc] = isInterval(leftType) ? [rightType as SqlType, right, left] : [leftType, left, right];
    return { type, code: emitIntervalArithmetic(op === '-' ? -1 : 1, t, tc, ivc) };
  }
  const lt = isNullType(leftType) ? rightType : leftType;
  const rt = isNullType(rightType) ? leftType : rightType;
  if (isDate(type) || isDate(lt)) return { type, code: `(${left} ${op} ${right})` };
  if (isFloat(type)) {
    const l = asDouble(left, lt), r = asDouble(right, rt);
    let code = op === '/' ? `rt.fdiv(${l}, ${r})` : op === '%' ? `rt.fmod(${l}, ${r})` : `(${l} ${op} ${r})`;
    if (isReal(type)) code = `Math.fround(${code})`;
    return { type, code };
  }
  if (isInteger(type)) {
    if (isBigint(type)) return { type, code: `rt.${I64_OP[op]}(${left}, ${right})` };
    const chk = intCheck(type);
    if (op === '/') return { type, code: `${chk}(rt.idiv(${left}, ${right}))` };
    if (op === '%') return { type, code: `rt.imod(${left}, ${right})` };
    return { type, code: `${chk}(${left} ${op} ${right})` };
  }
  const s1 = asDecimal(lt).scale, s2 = asDecimal(rt).scale, s = scaleOf(type);
  // a result that may pass 2^53 is computed exactly past it (see functions/numeric.ts)
  const wide = isWideDecimal(type);
  switch (op) {
    case '+': case '-': {
      const a = scaleUp(left, s - s1), b = scaleUp(right, s - s2);
      return { type, code: wide ? `rt.${op === '+' ? 'decAdd' : 'decSub'}(${a}, ${b})` : `rt.chkDec(${a} ${op} ${b})` };
    }
    case '*':
      return { type, code: wide ? `rt.decMul(${left}, ${right})` : `rt.chkDec(${left} * ${right})` };
    case '/':
      return { type, code: `rt.decDiv(${left}, ${right}, ${s + s2 - s1})` };
    case '%': {
      const c = Math.max(s1, s2);
      // scaling an operand up may pass 2^53: decMod is exact either way
      return { type, code: `rt.decMod(${scaleUp(left, c - s1)}, ${scaleUp(right, c - s2)})` };
    }
  }
}

/** DATE|TIMESTAMP ± INTERVAL -> TIMESTAMP; constant intervals are inlined. */
function emitIntervalArithmetic(sign: 1 | -1, t: SqlType, code: string, ivCode: string): string {
  const ts = isDate(t) ? `(${code} * ${MICROS_PER_DAY})` : code;
  const lit = INTERVAL_LITERAL.exec(ivCode);
  if (!lit) return `rt.tsAddIv(${ts}, ${ivCode}, ${sign})`;
  const months = sign * Number(lit[1]);
  const fixed = sign * (Number(lit[2]) * MICROS_PER_DAY + Number(lit[3]));
  if (months !== 0) return `rt.addIv(${ts}, ${months}, 0, ${fixed})`;
  return fixed === 0 ? ts : `(${ts} + ${fixed})`;
}

/** Emits unary minus with the same overflow rules as subtraction. */
export function emitNegate(type: SqlType, code: string): string {
  if (isBigint(type)) return `rt.i64Neg(${code})`;
  if (isInteger(type)) return `${intCheck(type)}(0 - ${code})`;
  if (isWideDecimal(type)) return `rt.decNeg(${code})`;
  if (isDecimal(type) || isFloat(type)) return `(0 - ${code})`;
  throw new SqlError('DATATYPE_MISMATCH', `operator does not exist: - ${errorTypeName(type)}`);
}

/** Converts a value to the representation of `target` for comparing (no range checks needed). */
function comparable(code: string, from: SqlType, target: SqlType): string {
  if (isNullType(from) || sameType(from, target)) return code;
  if (isDecimal(target)) {
    const k = scaleOf(target) - asDecimal(from).scale;
    if (k === 0) return code;
    // rescaling may pass 2^53: exact through rt.up unless the digits provably fit
    if (asDecimal(from).precision + k > NARROW_DIGITS) return scaleUp(code, k);
    return INT_LITERAL.test(code) ? String(Number(code) * Number(pow10(k))) : `(${code} * ${pow10(k)})`;
  }
  if (isFloat(target)) return asDouble(code, from);
  if (isTimestamp(target) && isDate(from)) return `(${code} * ${MICROS_PER_DAY})`;
  return code;
}

const JS_COMPARE: Record<CompareOp, string> = { '=': '===', '<>': '!==', '!=': '!==', '<': '<', '<=': '<=', '>': '>', '>=': '>=' };

/**
 * Emits a comparison after bringing both sides to their common supertype: DECIMALs of different
 * scales are rescaled, DATE meets TIMESTAMP in microseconds, strings compare by UTF-16 code
 * units (C collation).
 */
export function emitComparison(op: CompareOp, leftType: SqlType, rightType: SqlType, left: string, right: string): string {
  const js = JS_COMPARE[op];
  if (!js) throw new SqlError('SYNTAX_ERROR', `unknown comparison operator ${op}`);
  const target = commonSupertype(leftType, rightType);
  if (!target) throw noOperator(op, leftType, rightType);
  return `(${comparable(left, leftType, target)} ${js} ${comparable(right, rightType, target)})`;
}

/** Emits `a || b`: both sides as text (numbers and dates in their SQL text form). */
export function emitConcat(leftType: SqlType, rightType: SqlType, left: string, right: string): { type: SqlType; code: string } {
  const text = (t: SqlType, c: string) => (isString(t) || isNullType(t) ? c : emitCast(t, T.varchar, c));
  const la = isString(leftType) ? leftType.length : undefined;
  const lb = isString(rightType) ? rightType.length : undefined;
  const type: SqlType = la !== undefined && lb !== undefined ? { id: 'VARCHAR', length: la + lb } : { id: 'VARCHAR' };
  return { type, code: `(${text(leftType, left)} + ${text(rightType, right)})` };
}

// ---------------------------------------------------------------- LIKE

export interface LikeOptions {
  /** JS code of the ESCAPE string; default backslash, '""' for none. */
  escape?: string;
  caseInsensitive?: boolean;
  negated?: boolean;
}

const JSON_STRING = /^"(?:[^"\\]|\\.)*"$/;

/** The value of a JSON string literal in emitted code, or undefined when the code is not a constant. */
export function constantString(code: string): string | undefined {
  return JSON_STRING.test(code) ? (JSON.parse(code) as string) : undefined;
}

/**
 * Emits LIKE / ILIKE. A constant pattern is validated now and, when it is a plain prefix, suffix,
 * substring or exact match, becomes startsWith/endsWith/includes/===; otherwise the matcher
 * (like.ts) is compiled once and cached by its text.
 */
export function emitLike(value: string, pattern: string, opts: LikeOptions = {}): string {
  const escCode = opts.escape ?? JSON.stringify('\\');
  const ci = opts.caseInsensitive ?? false;
  const not = opts.negated ? '!' : '';
  const p = constantString(pattern);
  const esc = constantString(escCode);
  if (p !== undefined && esc !== undefined) {
    likeMatcher(p, esc, ci); // validate now: a bad pattern fails at compile time
    const fast = ci ? undefined : simpleLike(p, esc);
    if (fast) return `${not}${fast(value)}`;
  }
  return `${not}rt.like(${value}, ${pattern}, ${escCode}, ${ci})`;
}

/** Recognizes 'abc', 'abc%', '%abc', '%abc%' (no other wildcards or escapes). */
function simpleLike(p: string, esc: string): ((v: string) => string) | undefined {
  const starts = p.startsWith('%');
  const ends = p.endsWith('%') && p.length > 1;
  const core = p.slice(starts ? 1 : 0, ends ? -1 : undefined);
  if (/[%_]/.test(core) || (esc !== '' && core.includes(esc))) return undefined;
  const lit = JSON.stringify(core);
  if (starts && ends) return (v) => `(${v}).includes(${lit})`;
  if (starts) return (v) => `(${v}).endsWith(${lit})`;
  if (ends) return (v) => `(${v}).startsWith(${lit})`;
  return (v) => `(${v} === ${lit})`;
}
