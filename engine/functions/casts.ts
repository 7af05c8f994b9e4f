// CAST code generation: one table keyed by (source kind, target kind). Each entry emits a JS
// expression converting the physical value; impossible pairs are absent from the table and
// fail with DATATYPE_MISMATCH. Numeric casts round half away from zero (DECIMAL -> INTEGER, as
// Postgres) or half to even (float -> integer, Postgres rint) and check ranges.
import { SqlError } from '../errors.ts';
import { asDecimal } from '../types/coerce.ts';
import { TYPES, isBigint, isChar, isDouble, isReal, isVarchar, isWide, isWideDecimal, kindOf, lengthOf, unhandledType, type SqlType, type TypeKind } from '../types/types.ts';
import { errorTypeName, POW10 } from '../types/values.ts';

type Kind = TypeKind;

/** How a cast is used: explicit CAST truncates strings; assignment (INSERT) rejects too-long strings. */
export type CastMode = 'explicit' | 'assignment';

type Emit = (c: string, from: SqlType, to: SqlType, mode: CastMode) => string;

/** The runtime range check of an integer type by its width (rt.chkI16, chkI32, chkI64 in functions/numeric.ts), for every emitter. */
export const intCheck = (t: SqlType): string => `rt.chkI${TYPES[t.id].bits}`;

/** JS source for 10^k as a number literal. */
export const pow10 = (k: number): string => String(POW10[k] ?? Number(`1e${k}`));

const real = (c: string, to: SqlType) => (isReal(to) ? `Math.fround(${c})` : c);

/** Fits a scaled value into DECIMAL(p,s) unless the source can never exceed it. */
function decFit(c: string, to: SqlType, sourceIntDigits: number, sourceFracScale: number): string {
  const { precision: p, scale: s } = asDecimal(to);
  if (sourceIntDigits <= p - s && sourceIntDigits + s <= 15 && sourceFracScale <= s) return c;
  return `rt.decFit(${c}, ${pow10(p)}, ${p}, ${s})`;
}

/** Converts any type's value to its SQL text. */
function toText(c: string, from: SqlType): string {
  const kind = kindOf(from);
  switch (kind) {
    case 'integer': return `String(${c})`;
    case 'decimal': return `rt.decTxt(${c}, ${asDecimal(from).scale})`;
    case 'float': return `rt.fltTxt(${c}, ${isReal(from)})`;
    case 'boolean': return `(${c} ? "true" : "false")`;
    case 'date': return `rt.dateTxt(${c})`;
    case 'timestamp': return `rt.tsTxt(${c})`;
    case 'string': case 'null': return c;
    default: return unhandledType(kind);
  }
}

function fitString(c: string, to: SqlType, mode: CastMode, from: SqlType | null): string {
  const length = lengthOf(to);
  if (length === undefined) return c;
  const fromLength = from ? lengthOf(from) : undefined;
  // a value that fits already passes as it is (CHAR(n) to VARCHAR(m >= n) too: its bytes fit, and only a cast to CHAR trims)
  if (from && (from.id === to.id || !isChar(to)) && kindOf(from) === 'string' && fromLength !== undefined && fromLength <= length) return c;
  const fn = mode === 'assignment' ? 'rt.txtFit' : 'rt.txtCut';
  return `${fn}(${c}, ${length}, ${isChar(to)})`;
}

const FROM_TEXT: Record<Kind, ((c: string, to: SqlType) => string) | undefined> = {
  // the parser of the integer's width: txtI16, txtI32, txtI64
  integer: (c, to) => `rt.txtI${TYPES[to.id].bits}(${c})`,
  decimal: (c, to) => { const { precision, scale } = asDecimal(to); return `rt.${isWideDecimal(to) ? 'txtDecWide' : 'txtDec'}(${c}, ${scale}, ${precision})`; },
  float: (c, to) => `rt.${isReal(to) ? 'txtReal' : 'txtDouble'}(${c})`,
  boolean: (c) => `rt.txtBool(${c})`,
  date: (c) => `rt.txtDate(${c})`,
  timestamp: (c) => `rt.txtTs(${c})`,
  string: undefined,
  null: undefined,
};

const TABLE: Partial<Record<`${Kind}>${Kind}`, Emit>> = {
  'integer>integer': (c, f, t) => (TYPES[t.id].rank >= TYPES[f.id].rank ? c : `${intCheck(t)}(${c})`),
  'integer>decimal': (c, f, t) => {
    const s = asDecimal(t).scale;
    const scaled = s === 0 ? c : isWideDecimal(t) || isWide(f) ? `rt.up(${c}, ${pow10(s)})` : `(${c} * ${pow10(s)})`;
    return decFit(scaled, t, asDecimal(f).precision, 0);
  },
  'integer>float': (c, f, t) => real(isWide(f) ? `rt.wnum(${c})` : c, t),
  'integer>boolean': (c) => `(${c} !== 0)`,
  'integer>string': (c, f, t, m) => fitString(toText(c, f), t, m, null),
  'decimal>integer': (c, f, t) => {
    const s = asDecimal(f).scale;
    const rounded = s === 0 ? c : `rt.decRound(${c}, ${pow10(s)})`;
    // a wide value fits a BIGINT exactly (range-checked) and other integers only as a double
    if (isBigint(t)) return isWideDecimal(f) ? `rt.chkI64(${rounded})` : rounded;
    const v = isWideDecimal(f) ? `rt.narrow(${rounded})` : rounded;
    const fromDigits = asDecimal(f).precision - s;
    const [, hi] = TYPES[t.id].range!;
    return fromDigits + 1 < String(hi).length ? v : `${intCheck(t)}(${v})`;
  },
  'decimal>decimal': (c, f, t) => {
    const a = asDecimal(f), b = asDecimal(t);
    let v = c;
    // past 15 digits a rescaled value may leave the double range: rt.up keeps it exact
    if (b.scale > a.scale) v = a.precision + b.scale - a.scale > 15 ? `rt.up(${c}, ${pow10(b.scale - a.scale)})` : `(${c} * ${pow10(b.scale - a.scale)})`;
    else if (b.scale < a.scale) v = `rt.decRound(${c}, ${pow10(a.scale - b.scale)})`;
    const fitted = decFit(v, t, a.precision - a.scale + (b.scale < a.scale ? 1 : 0), Math.min(a.scale, b.scale));
    // a wide value may only flow into a wide type
    return isWideDecimal(f) && !isWideDecimal(t) && fitted === v ? `rt.narrow(${v})` : fitted;
  },
  'decimal>float': (c, f, t) => {
    const s = asDecimal(f).scale;
    const x = isWideDecimal(f) ? `rt.wnum(${c})` : c;
    return real(s === 0 ? x : `(${x} / ${pow10(s)})`, t);
  },
  'decimal>string': (c, f, t, m) => fitString(toText(c, f), t, m, null),
  'float>integer': (c, _f, t) => {
    if (isBigint(t)) return `rt.floatToI64(${c})`;
    const [lo, hi] = TYPES[t.id].range!;
    return `rt.floatToInt(${c}, ${lo}, ${hi}, ${JSON.stringify(errorTypeName(t))})`;
  },
  'float>decimal': (c, _f, t) => { const { precision, scale } = asDecimal(t); return `rt.floatToDec(${c}, ${scale}, ${precision})`; },
  'float>float': (c, f, t) => (f.id === t.id || isDouble(t) ? c : `Math.fround(${c})`),
  'float>string': (c, f, t, m) => fitString(toText(c, f), t, m, null),
  'boolean>boolean': (c) => c,
  'boolean>integer': (c) => `(${c} ? 1 : 0)`,
  'boolean>string': (c, f, t, m) => fitString(toText(c, f), t, m, null),
  'string>string': (c, f, t, m) => fitString(isVarchar(f) && isChar(t) ? `rt.rtrim(${c})` : c, t, m, f),
  'date>date': (c) => c,
  'date>timestamp': (c) => `(${c} * 86400000000)`,
  'date>string': (c, f, t, m) => fitString(toText(c, f), t, m, null),
  'timestamp>timestamp': (c) => c,
  'timestamp>date': (c) => `rt.tsDate(${c})`,
  'timestamp>string': (c, f, t, m) => fitString(toText(c, f), t, m, null),
};

/** Whether CAST(from AS to) exists (it may still fail at run time on a bad value). */
export function canCast(from: SqlType, to: SqlType): boolean {
  const a = kindOf(from), b = kindOf(to);
  if (a === undefined || b === undefined) return false;
  if (a === 'null') return true;
  if (a === 'string') return b === 'string' || FROM_TEXT[b] !== undefined;
  return TABLE[`${a}>${b}`] !== undefined;
}

/**
 * JS code converting `code` (a value of `from`) to `to`. `mode` 'assignment' makes too-long
 * strings an error instead of truncating them. Throws DATATYPE_MISMATCH for impossible casts.
 */
export function emitCast(from: SqlType, to: SqlType, code: string, mode: CastMode = 'explicit'): string {
  if (!canCast(from, to)) {
    throw new SqlError('DATATYPE_MISMATCH', `cannot cast type ${errorTypeName(from)} to ${errorTypeName(to)}`);
  }
  const a = kindOf(from), b = kindOf(to);
  if (a === 'null') return code;
  if (a === 'string' && b !== 'string') return FROM_TEXT[b]!(code, to);
  return TABLE[`${a}>${b}`]!(code, from, to, mode);
}

/** emitCast guarded for NULL inputs, for non-strict contexts (COALESCE, CASE, GREATEST). */
export function emitCastNullable(from: SqlType, to: SqlType, code: string, mode: CastMode = 'explicit'): string {
  const cast = emitCast(from, to, '$v', mode);
  if (cast === '$v') return code;
  return `(($v) => $v === null ? null : ${cast})(${code})`;
}
