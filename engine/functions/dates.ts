// Date/time scalar functions (Redshift names) and EXTRACT. Date parts given as constants are
// validated when the call is compiled, so a typo fails before any row is read.
import { SqlError } from '../errors.ts';
import { T, isDate, isFloat, isInteger, isNullType, isTemporal, type SqlType } from '../types/types.ts';
import { MICROS_PER_DAY, MICROS_PER_SECOND } from '../types/calendar.ts';
import { datePart } from './datetime.ts';
import { emitCast } from './casts.ts';
import { toDays, asDouble, toMicros } from './emit-util.ts';
import { constantString } from './ops.ts';
import type { FunctionTable, Signature } from './registry.ts';

/** Validates a constant date part now; returns its code for the runtime call. */
function partCode(code: string): string {
  const c = constantString(code);
  if (c !== undefined) datePart(c);
  return code;
}

const now = 'rt.now';

const DATES: Record<string, Signature[]> = {
  date_trunc: [{ params: ['str', 'temporal'], returns: T.timestamp, emit: ([u, x], [, t]) => `rt.dateTrunc(${partCode(u)}, ${toMicros(x, t)})` }],
  date_part: [{ params: ['str', 'temporal'], returns: T.double, emit: ([u, x], [, t]) => `rt.datePartValue(${partCode(u)}, ${toMicros(x, t)})` }],
  dateadd: [{ params: ['str', 'int', 'temporal'], returns: T.timestamp, emit: ([u, n, x], [, , t]) => `rt.dateAdd(${partCode(u)}, ${n}, ${toMicros(x, t)})` }],
  datediff: [{
    params: ['str', 'temporal', 'temporal'], returns: T.bigint,
    emit: ([u, a, b], [, ta, tb]) => `rt.dateDiff(${partCode(u)}, ${toMicros(a, ta)}, ${toMicros(b, tb)})`,
  }],
  add_months: [{ params: ['temporal', 'int'], returns: T.timestamp, emit: ([x, n], [t]) => `rt.addMonths(${toMicros(x, t)}, ${n})` }],
  last_day: [{ params: ['temporal'], returns: T.date, emit: ([x], [t]) => `rt.lastDay(${toDays(x, t)})` }],
  months_between: [{
    params: ['temporal', 'temporal'], returns: T.double,
    emit: ([a, b], [ta, tb]) => `rt.monthsBetween(${toDays(a, ta)}, ${toDays(b, tb)})`,
  }],
  current_date: [{ params: [], returns: T.date, emit: () => `Math.floor(${now} / ${MICROS_PER_DAY})` }],
  // GETDATE has no fractional seconds in Redshift; SYSDATE and CURRENT_TIMESTAMP keep microseconds.
  getdate: [{ params: [], returns: T.timestamp, emit: () => `(Math.floor(${now} / ${MICROS_PER_SECOND}) * ${MICROS_PER_SECOND})` }],
  sysdate: [{ params: [], returns: T.timestamp, emit: () => now }],
  to_date: [{ params: ['str', 'str'], returns: T.date, emit: ([s, f]) => `rt.toDate(${s}, ${f})` }],
  to_timestamp: [
    { params: ['str', 'str'], returns: T.timestamp, emit: ([s, f]) => `rt.parseWithFormat(${s}, ${f})` },
    { params: ['dbl'], returns: T.timestamp, emit: ([x], [t]) => `Math.round(${asDouble(x, t)} * ${MICROS_PER_SECOND})` },
  ],
  to_char: [
    { params: ['temporal', 'str'], returns: T.varchar, emit: ([x, f], [t]) => `rt.toCharTs(${toMicros(x, t)}, ${f})` },
    { params: ['num', 'str'], returns: T.varchar, emit: ([x, f], [t]) => `rt.toCharNumber(${numberText(x, t)}, ${f})` },
  ],
  date: [
    { params: ['temporal'], returns: T.date, emit: ([x], [t]) => toDays(x, t) },
    { params: ['str'], returns: T.date, emit: ([x]) => `rt.txtDate(${x})` },
  ],
};

/** A number's exact decimal text (floats at 15 significant digits), for TO_CHAR. */
function numberText(code: string, t: SqlType): string {
  if (isInteger(t)) return `String(${code})`;
  if (isFloat(t)) return `String(Number((${code}).toPrecision(15)))`;
  return emitCast(t, T.varchar, code);
}

const ALIASES: Record<string, string> = {
  datepart: 'date_part', pgdate_part: 'date_part', date_add: 'dateadd', date_diff: 'datediff',
  current_timestamp: 'sysdate', now: 'sysdate', localtimestamp: 'sysdate', transaction_timestamp: 'sysdate',
  statement_timestamp: 'sysdate',
};
for (const [alias, target] of Object.entries(ALIASES)) DATES[alias] = DATES[target];

export const DATE_FUNCTIONS: FunctionTable = DATES;

const SUB_DAY = new Set(['hour', 'minute', 'second', 'millisecond', 'microsecond']);

/** Result type of EXTRACT(field FROM x): INTEGER as in Redshift, BIGINT for epoch. Throws for a bad field. */
export function extractType(field: string, argType: SqlType): SqlType {
  if (!isTemporal(argType) && !isNullType(argType)) {
    throw new SqlError('DATATYPE_MISMATCH', `EXTRACT needs a DATE or TIMESTAMP, not ${argType.id.toLowerCase()}`);
  }
  return datePart(field) === 'epoch' ? T.bigint : T.int;
}

/**
 * EXTRACT(field FROM x) as JS code: integers (Redshift): second is truncated, millisecond and
 * microsecond are the fraction of the second only, week is the ISO week, dow counts Sunday as 0.
 */
export function emitExtract(field: string, type: SqlType, code: string): string {
  extractType(field, type);
  const part = datePart(field);
  if (isDate(type) && SUB_DAY.has(part)) return '0';
  return `rt.extract(${JSON.stringify(part)}, ${toMicros(code, type)})`;
}
