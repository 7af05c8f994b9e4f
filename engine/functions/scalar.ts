// Math and string scalar functions. Each entry is a list of overloads (registry.ts); emitters
// return JS source over argument codes. DECIMAL math stays exact (scaled integers); functions
// that are inherently inexact (sqrt, ln, ...) work in doubles.
import { asDecimal, MAX_PRECISION } from '../types/coerce.ts';
import { T, isBoolean, isDecimal, isFloat, isInteger, isNullType, isString, isTimestamp, isWide, scaleOf, type SqlType } from '../types/types.ts';
import { intCheck, pow10 } from './casts.ts';
import { constantInt, asDouble } from './emit-util.ts';
import { emitArithmetic, emitConcat } from './ops.ts';
import type { FunctionTable, Signature } from './registry.ts';


const dec = (p: number, s: number) => T.decimal(Math.min(MAX_PRECISION, Math.max(p, 1)), s);
const strLen = (t: SqlType): SqlType => (isString(t) && t.length !== undefined ? { id: 'VARCHAR', length: t.length } : T.varchar);

function table(entries: [string[], Signature[]][]): FunctionTable {
  const out: FunctionTable = {};
  for (const [names, sigs] of entries) for (const n of names) out[n] = sigs;
  return out;
}

/** A double -> double function over one numeric argument. */
const unaryDouble = (fn: string): Signature[] => [{ params: ['dbl'], returns: T.double, emit: ([x], [t]) => `${fn}(${asDouble(x, t)})` }];

// ---------------------------------------------------------------- rounding family

type RoundKind = 'round' | 'trunc';

/** Result type of round/trunc(x [, n]): DECIMAL scale becomes n when n is a constant below the input scale. */
function roundType(kind: RoundKind, types: SqlType[], args: string[]): SqlType {
  const t = types[0];
  if (isFloat(t)) return T.double;
  if (!isDecimal(t)) return isNullType(t) ? T.double : t;
  const { precision: p, scale: s } = asDecimal(t);
  const n = types.length > 1 ? constantInt(args[1] ?? '') : 0;
  const extra = kind === 'round' ? 1 : 0; // rounding can carry into a new integer digit
  if (n === undefined) return dec(p + extra, s);
  const ns = Math.max(0, Math.min(n, s));
  return dec(p - s + extra + ns, ns);
}

function roundEmit(kind: RoundKind): Signature['emit'] {
  return ([x, nCode], [t], ret) => {
    const n = nCode === undefined ? '0' : nCode;
    if (isFloat(t)) return kind === 'round' ? `rt.roundFloat(${x}, ${n})` : `rt.truncFloat(${x}, ${n})`;
    if (isInteger(t)) {
      if (nCode === undefined) return x;
      const digits = kind === 'round' ? 'rt.decRoundDigits' : 'rt.decTruncDigits';
      return `${intCheck(t)}(${digits}(${x}, 0, ${n}))`;
    }
    const s = asDecimal(t).scale;
    const rs = scaleOf(ret);
    const fn = kind === 'round' ? 'rt.decRound' : 'rt.decTrunc';
    if (rs < s) {
      // constant n below the input scale: the result type already has scale max(n, 0)
      const c = constantInt(n) ?? 0;
      if (c < 0) return `rt.up(${fn}(${x}, ${pow10(s - c)}), ${pow10(-c)})`; // one rounding step, never two
      return `${fn}(${x}, ${pow10(s - rs)})`;
    }
    return `${kind === 'round' ? 'rt.decRoundDigits' : 'rt.decTruncDigits'}(${x}, ${s}, ${n})`;
  };
}

function ceilFloor(fn: 'ceil' | 'floor'): Signature[] {
  return [{
    params: ['num'],
    exact: true,
    returns: ([t]) => (isFloat(t) || isNullType(t) ? T.double : isDecimal(t) ? dec(asDecimal(t).precision - asDecimal(t).scale + 1, 0) : t),
    emit: ([x], [t]) => {
      if (isFloat(t)) return `Math.${fn}(${x})`;
      if (!isDecimal(t) || (t.scale ?? 0) === 0) return x;
      return `rt.dec${fn === 'ceil' ? 'Ceil' : 'Floor'}(${x}, ${pow10(t.scale!)})`;
    },
  }];
}

const MATH: [string[], Signature[]][] = [
  [['abs'], [{
    params: ['num'],
    exact: true,
    returns: ([t]) => (isNullType(t) ? T.double : t),
    emit: ([x], [t]) => {
      if (isFloat(t)) return `Math.abs(${x})`;
      const abs = isWide(t) ? `rt.decAbs(${x})` : `Math.abs(${x})`;
      return isInteger(t) ? `${intCheck(t)}(${abs})` : abs;
    },
  }]],
  [['round'], [{ params: ['num'], optional: ['int'], exact: true, returns: (t, a) => roundType('round', t, a), emit: roundEmit('round') }]],
  [['trunc', 'truncate'], [
    { params: ['num'], optional: ['int'], exact: true, returns: (t, a) => roundType('trunc', t, a), emit: roundEmit('trunc') },
    { params: ['temporal'], returns: T.date, emit: ([x], [t]) => (isTimestamp(t) ? `rt.tsDate(${x})` : x) },
  ]],
  [['ceil', 'ceiling'], ceilFloor('ceil')],
  [['floor'], ceilFloor('floor')],
  [['sqrt'], [{ params: ['dbl'], returns: T.double, emit: ([x], [t]) => `rt.sqrt(${asDouble(x, t)})` }]],
  [['cbrt'], unaryDouble('Math.cbrt')],
  [['exp', 'dexp'], unaryDouble('rt.exp')],
  [['ln', 'dlog1'], unaryDouble('rt.ln')],
  [['log', 'dlog10'], [
    { params: ['dbl'], returns: T.double, emit: ([x], [t]) => `rt.log10(${asDouble(x, t)})` },
    { params: ['dbl', 'dbl'], returns: T.double, emit: ([b, x], [tb, tx]) => `rt.logb(${asDouble(b, tb)}, ${asDouble(x, tx)})` },
  ]],
  [['power', 'pow'], [{ params: ['dbl', 'dbl'], returns: T.double, emit: ([a, b], [ta, tb]) => `rt.power(${asDouble(a, ta)}, ${asDouble(b, tb)})` }]],
  [['mod'], [{
    params: ['num', 'num'],
    exact: true,
    returns: ([a, b]) => emitArithmetic('%', a, b, 'a', 'b').type,
    emit: ([a, b], [ta, tb]) => emitArithmetic('%', ta, tb, a, b).code,
  }]],
  [['sign'], [{
    params: ['num'],
    exact: true,
    returns: ([t]) => (isFloat(t) || isNullType(t) ? T.double : isInteger(t) ? t : dec(1, 0)),
    emit: ([x], [t]) => (isFloat(t) ? `Math.sign(${x})` : `rt.sign(${x})`),
  }]],
  [['pi'], [{ params: [], returns: T.double, emit: () => 'Math.PI' }]],
  [['random'], [{ params: [], returns: T.double, volatile: true, emit: () => 'Math.random()' }]],
  [['degrees'], [{ params: ['dbl'], returns: T.double, emit: ([x], [t]) => `(${asDouble(x, t)} * 180 / Math.PI)` }]],
  [['radians'], [{ params: ['dbl'], returns: T.double, emit: ([x], [t]) => `(${asDouble(x, t)} * Math.PI / 180)` }]],
  [['sin'], unaryDouble('Math.sin')],
  [['cos'], unaryDouble('Math.cos')],
  [['tan'], unaryDouble('Math.tan')],
  [['cot'], [{ params: ['dbl'], returns: T.double, emit: ([x], [t]) => `(1 / Math.tan(${asDouble(x, t)}))` }]],
  [['asin'], unaryDouble('rt.asin')],
  [['acos'], unaryDouble('rt.acos')],
  [['atan'], unaryDouble('Math.atan')],
  [['atan2'], [{ params: ['dbl', 'dbl'], returns: T.double, emit: ([y, x], [ty, tx]) => `Math.atan2(${asDouble(y, ty)}, ${asDouble(x, tx)})` }]],
];

// ---------------------------------------------------------------- strings

const s1 = (fn: string, returns: SqlType | ((t: SqlType[]) => SqlType) = T.varchar): Signature[] =>
  [{ params: ['str'], returns, emit: ([x]) => `${fn}(${x})` }];

/** Optional trailing arguments emitted positionally into an rt call. */
const call = (fn: string) => (args: string[]) => `${fn}(${args.join(', ')})`;

const STRINGS: [string[], Signature[]][] = [
  [['upper', 'ucase'], [{ params: ['str'], returns: ([t]) => strLen(t), emit: ([x]) => `(${x}).toUpperCase()` }]],
  [['lower', 'lcase'], [{ params: ['str'], returns: ([t]) => strLen(t), emit: ([x]) => `(${x}).toLowerCase()` }]],
  [['length', 'len', 'char_length', 'character_length', 'textlen'], s1('rt.charLength', T.int)],
  [['octet_length'], s1('rt.octetLength', T.int)],
  [['substring', 'substr'], [{ params: ['str', 'int'], optional: ['int'], returns: ([t]) => strLen(t), emit: call('rt.substr') }]],
  [['position'], [{ params: ['str', 'str'], returns: T.int, emit: ([sub, s]) => `rt.position(${sub}, ${s})` }]],
  [['strpos'], [{ params: ['str', 'str'], returns: T.int, emit: ([s, sub]) => `rt.position(${sub}, ${s})` }]],
  [['charindex'], [{ params: ['str', 'str'], returns: T.int, emit: ([sub, s]) => `rt.position(${sub}, ${s})` }]],
  [['btrim', 'trim'], [{ params: ['str'], optional: ['str'], returns: ([t]) => strLen(t), emit: call('rt.btrim') }]],
  [['ltrim'], [{ params: ['str'], optional: ['str'], returns: ([t]) => strLen(t), emit: call('rt.ltrim') }]],
  [['rtrim'], [{ params: ['str'], optional: ['str'], returns: ([t]) => strLen(t), emit: call('rt.rtrim') }]],
  [['replace'], [{ params: ['str', 'str', 'str'], returns: T.varchar, emit: call('rt.replace') }]],
  [['translate'], [{ params: ['str', 'str', 'str'], returns: ([t]) => strLen(t), emit: call('rt.translate') }]],
  [['concat'], [{
    params: ['any', 'any'],
    returns: ([a, b]) => emitConcat(a, b, 'a', 'b').type,
    emit: ([a, b], [ta, tb]) => emitConcat(ta, tb, a, b).code,
  }]],
  [['left'], [{ params: ['str', 'int'], returns: ([t]) => strLen(t), emit: call('rt.left') }]],
  [['right'], [{ params: ['str', 'int'], returns: ([t]) => strLen(t), emit: call('rt.right') }]],
  [['lpad'], [{ params: ['str', 'int'], optional: ['str'], returns: T.varchar, emit: call('rt.lpad') }]],
  [['rpad'], [{ params: ['str', 'int'], optional: ['str'], returns: T.varchar, emit: call('rt.rpad') }]],
  [['split_part'], [{ params: ['str', 'str', 'int'], returns: ([t]) => strLen(t), emit: call('rt.splitPart') }]],
  [['reverse'], [{ params: ['str'], returns: ([t]) => strLen(t), emit: ([x]) => `rt.reverse(${x})` }]],
  [['repeat', 'replicate'], [{ params: ['str', 'int'], returns: T.varchar, emit: call('rt.repeat') }]],
  [['initcap'], [{ params: ['str'], returns: ([t]) => strLen(t), emit: ([x]) => `rt.initcap(${x})` }]],
  [['md5'], s1('rt.md5', { id: 'VARCHAR', length: 32 })],
  [['regexp_replace'], [{ costly: true, params: ['str', 'str'], optional: ['str', 'int', 'str'], returns: T.varchar, emit: call('rt.regexpReplace') }]],
  // path elements are text; a trailing BOOLEAN is null_if_invalid
  [['json_extract_path_text'], [{
    params: ['str', 'any'], variadic: 'any', minArgs: 2, returns: T.varchar, strict: false,
    emit: (args, types) => {
      const flag = types.length > 2 && isBoolean(types[types.length - 1]);
      const path = (flag ? args.slice(1, -1) : args.slice(1)).map((a, i) => (isString(types[i + 1]) || isNullType(types[i + 1]) ? a : `(${a} === null ? null : String(${a}))`));
      return `rt.jsonExtractPathText(${args[0]}, [${path.join(', ')}], ${flag ? args[args.length - 1] : 'false'})`;
    },
  }]],
  [['regexp_substr'], [{ costly: true, params: ['str', 'str'], optional: ['int', 'int', 'str'], returns: ([t]) => strLen(t), emit: call('rt.regexpSubstr') }]],
  [['regexp_count'], [{ costly: true, params: ['str', 'str'], optional: ['int', 'str'], returns: T.int, emit: call('rt.regexpCount') }]],
  [['regexp_instr'], [{ costly: true, params: ['str', 'str'], optional: ['int', 'int', 'int', 'str'], returns: T.int, emit: call('rt.regexpInstr') }]],
  [['starts_with'], [{ params: ['str', 'str'], returns: T.bool, emit: ([s, p]) => `(${s}).startsWith(${p})` }]],
  [['chr'], [{ params: ['int'], returns: { id: 'VARCHAR', length: 4 }, emit: ([x]) => `rt.chr(${x})` }]],
  [['ascii'], s1('rt.ascii', T.int)],
  [['quote_ident'], s1('rt.quoteIdent')],
  [['quote_literal'], s1('rt.quoteLiteral')],
  [['to_hex'], [{ params: ['int'], exact: true, returns: T.varchar, emit: ([x]) => `rt.toHex(${x})` }]],
];

export const SCALAR_FUNCTIONS: FunctionTable = table([...MATH, ...STRINGS]);
