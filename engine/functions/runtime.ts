// `rt`: the one object generated code calls for anything beyond plain JS operators. It is a
// flat object of small functions (V8 inlines them) plus `now`, the statement's start time,
// which the executor sets per query via createRuntime so CURRENT_DATE etc. are stable.
import * as numeric from './numeric.ts';
import * as strings from './strings.ts';
import * as datetime from './datetime.ts';
import { toNumber, strtol, sha1, sha2 } from './conversions.ts';
import { MICROS_PER_DAY, splitTimestamp } from '../types/calendar.ts';
import { addIntervalToTimestamp, type Interval } from '../types/interval.ts';
import { T } from '../types/types.ts';
import { sketchAdd } from './aggregates/approx-count-distinct.ts';
import { sumSpill } from './aggregates/sum.ts';
import {
  checkStringLength, formatDate, formatDecimal, formatFloatText, formatTimestamp, parseBoolean,
  parseDate, parseDecimalScaled, parseDecimalWide, parseFloatText, parseInteger, parseTimestamp,
} from '../types/values.ts';

const VARCHAR_N = new Map<number, { id: 'VARCHAR'; length: number }>();
const CHAR_N = new Map<number, { id: 'CHAR'; length: number }>();

/** Cuts a string to at most n bytes of UTF-8 without splitting a character (explicit CAST to VARCHAR(n)). */
function truncateBytes(s: string, n: number): string {
  if (s.length * 3 <= n) return s;
  if (s.length <= n) {
    // ASCII text of at most n characters is at most n bytes: no need to encode it
    let i = 0;
    while (i < s.length && s.charCodeAt(i) < 0x80) i++;
    if (i === s.length) return s;
  }
  const buf = Buffer.from(s, 'utf8');
  if (buf.length <= n) return s;
  let end = n;
  while (end > 0 && (buf[end] & 0xc0) === 0x80) end--; // back up to a character boundary
  return buf.subarray(0, end).toString('utf8');
}

const conversions = {
  txtI16: (s: string) => parseInteger(s, T.smallint),
  txtI32: (s: string) => parseInteger(s, T.int),
  txtI64: (s: string) => parseInteger(s, T.bigint),
  txtDec: (s: string, scale: number, precision: number) => parseDecimalScaled(s, scale, precision),
  txtDecWide: (s: string, scale: number, precision: number) => parseDecimalWide(s, scale, precision),
  txtReal: (s: string) => parseFloatText(s, T.real),
  txtDouble: (s: string) => parseFloatText(s, T.double),
  txtBool: parseBoolean,
  txtDate: parseDate,
  txtTs: parseTimestamp,
  /** Assignment to VARCHAR(n)/CHAR(n): error when too long. */
  txtFit: (s: string, n: number, isChar: boolean): string => {
    const cache = isChar ? CHAR_N : VARCHAR_N;
    let t = cache.get(n);
    if (!t) { t = { id: isChar ? 'CHAR' : 'VARCHAR', length: n } as never; cache.set(n, t!); }
    return checkStringLength(s, t!);
  },
  /** Explicit CAST to VARCHAR(n)/CHAR(n): silently truncates, as Redshift does. */
  txtCut: (s: string, n: number, isChar: boolean): string => {
    const r = truncateBytes(s, n);
    return isChar ? r.replace(/ +$/, '') : r;
  },
  decTxt: formatDecimal,
  fltTxt: formatFloatText,
  dateTxt: formatDate,
  tsTxt: formatTimestamp,
  tsDate: (us: number) => splitTimestamp(us).days,
  /** timestamp + sign * interval with the interval's parts inlined by the emitter. */
  addIv: (us: number, months: number, days: number, micros: number): number =>
    addIntervalToTimestamp(us, { months, days, micros }, 1),
  /** timestamp + sign * interval for an interval object computed at run time. */
  tsAddIv: (us: number, iv: Interval, sign: 1 | -1): number => addIntervalToTimestamp(us, iv, sign),
  dayMicros: MICROS_PER_DAY,
};

/** The runtime object, `rt` in generated code. */
export const rt = {
  ...numeric,
  ...strings,
  ...datetime,
  ...conversions,
  toNumber, strtol, sha1, sha2,
  /** APPROXIMATE COUNT(DISTINCT): adds a value to a group's HyperLogLog sketch */
  sketchAdd,
  /** SUM: moves a large partial into the group's exact BigInt part */
  sumSpill,
  /** Statement start time in microseconds since epoch (UTC); createRuntime sets it per query. */
  now: Date.now() * 1000,
};

export type Runtime = typeof rt;

/** A runtime for one statement: same helpers, `now` fixed to the statement's start. */
export function createRuntime(nowMicros: number = Date.now() * 1000): Runtime {
  return { ...rt, now: nowMicros };
}

/** Compiles an emitted expression into a function of `rt` (tests and constant folding use this). */
export function evalEmitted(code: string, runtime: Runtime = rt): unknown {
  return new Function('rt', `"use strict"; return (${code});`)(runtime);
}
