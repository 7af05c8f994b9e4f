// Non-strict functions: they see NULL arguments and decide themselves (COALESCE, NVL, NVL2,
// NULLIF, GREATEST, LEAST, DECODE). Arguments after the first are evaluated lazily where SQL
// says so (COALESCE stops at the first non-NULL), via small arrow functions in the emitted code.
import { SqlError } from '../errors.ts';
import { commonSupertypeOf } from '../types/coerce.ts';
import { isNullType, type SqlType } from '../types/types.ts';
import { errorTypeName } from '../types/values.ts';
import { emitCast, emitCastNullable } from './casts.ts';
import { fresh } from './emit-util.ts';
import { emitComparison } from './ops.ts';
import type { FunctionTable, Signature } from './registry.ts';

function supertype(name: string, types: SqlType[]): SqlType {
  const t = commonSupertypeOf(types);
  if (!t) {
    const names = [...new Set(types.filter((x) => !isNullType(x)).map(errorTypeName))].join(' and ');
    throw new SqlError('DATATYPE_MISMATCH', `${name.toUpperCase()} types ${names} cannot be matched`);
  }
  return t;
}

/** First non-NULL argument, converted to the common type. */
function coalesceCode(args: string[], types: SqlType[], ret: SqlType): string {
  const n = args.length;
  let acc = emitCastNullable(types[n - 1], ret, args[n - 1]);
  for (let i = n - 2; i >= 0; i--) {
    const v = fresh();
    acc = `((${v}) => ${v} !== null ? ${emitCast(types[i], ret, v)} : ${acc})(${args[i]})`;
  }
  return acc;
}

/** GREATEST/LEAST ignore NULLs; the result is NULL only when every argument is. */
function extremeCode(pick: '>=' | '<=') {
  return (args: string[], types: SqlType[], ret: SqlType): string => {
    let acc = emitCastNullable(types[0], ret, args[0]);
    for (let i = 1; i < args.length; i++) {
      const x = fresh(), y = fresh();
      acc = `((${x}, ${y}) => ${x} === null ? ${y} : ${y} === null ? ${x} : ${x} ${pick} ${y} ? ${x} : ${y})(${acc}, ${emitCastNullable(types[i], ret, args[i])})`;
    }
    return acc;
  };
}

/** DECODE(expr, search1, result1, ... [, default]); unlike `=`, a NULL search matches a NULL expr. */
function decodeCode(args: string[], types: SqlType[], ret: SqlType): string {
  const e = fresh('e');
  const pairs = Math.floor((args.length - 1) / 2);
  const hasDefault = (args.length - 1) % 2 === 1;
  let acc = hasDefault ? emitCastNullable(types[args.length - 1], ret, args[args.length - 1]) : 'null';
  for (let k = pairs - 1; k >= 0; k--) {
    const si = 1 + 2 * k;
    const s = fresh('s');
    const eq = emitComparison('=', types[0], types[si], e, s);
    const cond = `((${s}) => ${s} === null ? ${e} === null : ${e} !== null && ${eq})(${args[si]})`;
    acc = `(${cond} ? ${emitCastNullable(types[si + 1], ret, args[si + 1])} : ${acc})`;
  }
  return `((${e}) => ${acc})(${args[0]})`;
}

function decodeType(types: SqlType[]): SqlType {
  const results: SqlType[] = [];
  for (let i = 2; i < types.length; i += 2) results.push(types[i]);
  if ((types.length - 1) % 2 === 1) results.push(types[types.length - 1]);
  for (let i = 1; i + 1 < types.length; i += 2) supertype('decode', [types[0], types[i]]); // comparable?
  return supertype('decode', results);
}

// conditionals pass values on and compare them: exact for values past 2^53 too
const nonStrict = (sig: Omit<Signature, 'strict'>): Signature => ({ ...sig, strict: false, exact: true });

const coalesce = [nonStrict({ params: [], variadic: 'any', minArgs: 1, returns: (t) => supertype('coalesce', t), emit: coalesceCode })];

export const CONDITIONAL_FUNCTIONS: FunctionTable = {
  coalesce,
  nvl: coalesce,
  nvl2: [nonStrict({
    params: ['any', 'any', 'any'],
    returns: ([, b, c]) => supertype('nvl2', [b, c]),
    emit: ([a, b, c], [, tb, tc], ret) => {
      const v = fresh();
      return `((${v}) => ${v} !== null ? ${emitCastNullable(tb, ret, b)} : ${emitCastNullable(tc, ret, c)})(${a})`;
    },
  })],
  nullif: [nonStrict({
    params: ['any', 'any'],
    returns: ([a, b]) => { supertype('nullif', [a, b]); return isNullType(a) ? b : a; },
    emit: ([a, b], [ta, tb]) => {
      const x = fresh(), y = fresh();
      return `((${x}, ${y}) => ${x} === null || ${y} === null ? ${x} : ${emitComparison('=', ta, tb, x, y)} ? null : ${x})(${a}, ${b})`;
    },
  })],
  greatest: [nonStrict({ params: [], variadic: 'any', minArgs: 1, returns: (t) => supertype('greatest', t), emit: extremeCode('>=') })],
  least: [nonStrict({ params: [], variadic: 'any', minArgs: 1, returns: (t) => supertype('least', t), emit: extremeCode('<=') })],
  decode: [nonStrict({ params: ['any', 'any', 'any'], variadic: 'any', returns: decodeType, emit: decodeCode })],
};
