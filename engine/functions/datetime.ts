// Runtime helpers for date/time functions over day numbers (DATE) and microseconds (TIMESTAMP).
// Date parts follow Redshift: EXTRACT yields integers (second truncated, millisecond and
// microsecond are the fraction only), weeks start on Monday (ISO), dow counts Sunday as 0.
import { SqlError } from '../errors.ts';
import {
  MICROS_PER_DAY, MICROS_PER_HOUR, MICROS_PER_MINUTE, MICROS_PER_SECOND,
  addMonthsToDays, civilFromDays, dayOfWeek, daysFromCivil, daysInMonth, isoWeek, splitTimestamp,
} from '../types/calendar.ts';
import { intervalUnit } from '../types/interval.ts';

/** Date part names: interval units plus the parts that are not units (dow, doy, epoch...). */
export type DatePart = NonNullable<ReturnType<typeof intervalUnit>> | 'dow' | 'isodow' | 'doy' | 'epoch' | 'isoyear';

const EXTRA_PARTS: Record<string, DatePart> = {
  dow: 'dow', dayofweek: 'dow', dw: 'dow', weekday: 'dow',
  isodow: 'isodow',
  doy: 'doy', dayofyear: 'doy', dy: 'doy', yearday: 'doy',
  epoch: 'epoch', isoyear: 'isoyear',
};

/** Canonical date part for a name ('mons', 'yr', 'dw'), or throws naming the bad part. */
export function datePart(name: string): DatePart {
  const hit = PART_CACHE.get(name); // per-row calls pass the same literal: no lower-casing per row
  if (hit) return hit;
  const n = name.trim().toLowerCase();
  const p = Object.hasOwn(EXTRA_PARTS, n) ? EXTRA_PARTS[n] : intervalUnit(n);
  if (!p) throw new SqlError('INVALID_PARAMETER', `date part "${name}" is not recognized`);
  if (PART_CACHE.size < 1000) PART_CACHE.set(name, p);
  return p;
}

const PART_CACHE = new Map<string, DatePart>();

// ---------------------------------------------------------------- EXTRACT / DATE_PART

/** EXTRACT(part FROM ts) as Redshift returns it (an integer). */
export function extract(part: string, us: number): number {
  const p = datePart(part);
  const { days, time } = splitTimestamp(us);
  switch (p) {
    case 'year': return civilFromDays(days).year;
    case 'quarter': return Math.floor((civilFromDays(days).month - 1) / 3) + 1;
    case 'month': return civilFromDays(days).month;
    case 'week': return isoWeek(days).week;
    case 'isoyear': return isoWeek(days).year;
    case 'day': return civilFromDays(days).day;
    case 'dow': return dayOfWeek(days);
    case 'isodow': return dayOfWeek(days) || 7;
    case 'doy': { const y = civilFromDays(days).year; return days - daysFromCivil(y, 1, 1) + 1; }
    case 'hour': return Math.floor(time / MICROS_PER_HOUR);
    case 'minute': return Math.floor((time % MICROS_PER_HOUR) / MICROS_PER_MINUTE);
    case 'second': return Math.floor((time % MICROS_PER_MINUTE) / MICROS_PER_SECOND);
    case 'millisecond': return Math.floor((time % MICROS_PER_SECOND) / 1000);
    case 'microsecond': return time % MICROS_PER_SECOND;
    case 'epoch': return Math.floor(us / MICROS_PER_SECOND);
    case 'decade': return Math.floor(civilFromDays(days).year / 10);
    case 'century': return Math.ceil(civilFromDays(days).year / 100);
    case 'millennium': return Math.ceil(civilFromDays(days).year / 1000);
  }
}

/** DATE_PART returns DOUBLE PRECISION; epoch keeps its fraction of a second. */
export function datePartValue(part: string, us: number): number {
  if (datePart(part) === 'epoch') return us / MICROS_PER_SECOND;
  return extract(part, us);
}

// ---------------------------------------------------------------- DATE_TRUNC / DATEADD / DATEDIFF

const MONTH_STEP: Partial<Record<DatePart, number>> = { month: 1, quarter: 3, year: 12, decade: 120, century: 1200, millennium: 12000 };
const TIME_STEP: Partial<Record<DatePart, number>> = {
  day: MICROS_PER_DAY, hour: MICROS_PER_HOUR, minute: MICROS_PER_MINUTE, second: MICROS_PER_SECOND,
  millisecond: 1000, microsecond: 1,
};

/** DATE_TRUNC(part, ts): start of the period; weeks start Monday; centuries start at years ..01. */
export function dateTrunc(part: string, us: number): number {
  const p = datePart(part);
  const step = TIME_STEP[p];
  if (step !== undefined) return Math.floor(us / step) * step;
  const { days } = splitTimestamp(us);
  if (p === 'week') return (days - ((dayOfWeek(days) + 6) % 7)) * MICROS_PER_DAY;
  const c = civilFromDays(days);
  let y = c.year;
  let m = c.month;
  switch (p) {
    case 'month': break;
    case 'quarter': m = Math.floor((m - 1) / 3) * 3 + 1; break;
    case 'year': m = 1; break;
    case 'decade': y = Math.floor(y / 10) * 10; m = 1; break;
    case 'century': y = Math.floor((y - 1) / 100) * 100 + 1; m = 1; break;
    case 'millennium': y = Math.floor((y - 1) / 1000) * 1000 + 1; m = 1; break;
    default: throw new SqlError('INVALID_PARAMETER', `date_trunc unit "${part}" not supported`);
  }
  return daysFromCivil(y, m, 1) * MICROS_PER_DAY;
}

/** DATEADD(part, n, ts): calendar units clamp to the month's end (Jan 31 + 1 month = Feb 28/29). */
export function dateAdd(part: string, n: number, us: number): number {
  const p = datePart(part);
  if (!Number.isInteger(n)) throw new SqlError('INVALID_PARAMETER', 'dateadd interval must be an integer');
  const months = MONTH_STEP[p];
  if (months !== undefined) {
    const { days, time } = splitTimestamp(us);
    return addMonthsToDays(days, n * months) * MICROS_PER_DAY + time;
  }
  if (p === 'week') return us + n * 7 * MICROS_PER_DAY;
  const step = TIME_STEP[p];
  if (step === undefined) throw new SqlError('INVALID_PARAMETER', `dateadd unit "${part}" not supported`);
  return us + n * step;
}

const monthIndex = (days: number) => { const c = civilFromDays(days); return c.year * 12 + c.month - 1; };
/** Monday-based week number since the epoch (1970-01-01 was a Thursday). */
const weekIndex = (days: number) => Math.floor((days + 3) / 7);

/** DATEDIFF(part, a, b): how many part boundaries lie between a and b (Redshift semantics). */
export function dateDiff(part: string, a: number, b: number): number {
  const p = datePart(part);
  const step = TIME_STEP[p];
  if (step !== undefined) return Math.floor(b / step) - Math.floor(a / step);
  const da = splitTimestamp(a).days;
  const db = splitTimestamp(b).days;
  if (p === 'week') return weekIndex(db) - weekIndex(da);
  const months = MONTH_STEP[p];
  if (months === undefined) throw new SqlError('INVALID_PARAMETER', `datediff unit "${part}" not supported`);
  if (months === 1) return monthIndex(db) - monthIndex(da);
  if (months === 3) return Math.floor(monthIndex(db) / 3) - Math.floor(monthIndex(da) / 3);
  const ya = civilFromDays(da).year;
  const yb = civilFromDays(db).year;
  const per = months / 12;
  if (p === 'century' || p === 'millennium') return Math.floor((yb - 1) / per) - Math.floor((ya - 1) / per);
  return Math.floor(yb / per) - Math.floor(ya / per);
}

/** ADD_MONTHS: like Oracle, the last day of a month maps to the last day of the result month. */
export function addMonths(us: number, n: number): number {
  const { days, time } = splitTimestamp(us);
  const c = civilFromDays(days);
  let r = addMonthsToDays(days, Math.trunc(n));
  if (c.day === daysInMonth(c.year, c.month)) {
    const rc = civilFromDays(r);
    r = daysFromCivil(rc.year, rc.month, daysInMonth(rc.year, rc.month));
  }
  return r * MICROS_PER_DAY + time;
}

export function lastDay(days: number): number {
  const c = civilFromDays(days);
  return daysFromCivil(c.year, c.month, daysInMonth(c.year, c.month));
}

/** MONTHS_BETWEEN(a, b): whole months when days match or both are month ends, else a 31-day fraction. */
export function monthsBetween(a: number, b: number): number {
  const ca = civilFromDays(a);
  const cb = civilFromDays(b);
  const whole = (ca.year - cb.year) * 12 + (ca.month - cb.month);
  const endA = ca.day === daysInMonth(ca.year, ca.month);
  const endB = cb.day === daysInMonth(cb.year, cb.month);
  if (ca.day === cb.day || (endA && endB)) return whole;
  return whole + (ca.day - cb.day) / 31;
}

// ---------------------------------------------------------------- TO_CHAR / TO_DATE

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

// Longest first, so 'HH24' wins over 'HH' and 'MONTH' over 'MON' over 'MM'.
const TOKENS = ['HH24', 'HH12', 'YYYY', 'IYYY', 'MONTH', 'Month', 'month', 'A.M.', 'P.M.', 'a.m.', 'p.m.',
  'DDD', 'YYY', 'MON', 'Mon', 'mon', 'DAY', 'Day', 'day', 'HH', 'MI', 'SS', 'MS', 'US', 'AM', 'PM', 'am', 'pm',
  'YY', 'MM', 'DD', 'DY', 'Dy', 'dy', 'IW', 'WW', 'CC', 'ID', 'Y', 'D', 'Q', 'J', 'W'];

type Piece = { token: string; fm: boolean } | { text: string };

const FORMAT_CACHE = new Map<string, Piece[]>();

/** Splits a to_char/to_date format into tokens and literal text ("quoted" text is literal). */
function parseFormat(fmt: string): Piece[] {
  let pieces = FORMAT_CACHE.get(fmt);
  if (pieces) return pieces;
  pieces = [];
  let i = 0;
  let fm = false;
  while (i < fmt.length) {
    if (fmt.startsWith('FM', i) || fmt.startsWith('fm', i)) { fm = true; i += 2; continue; }
    if (fmt[i] === '"') {
      const end = fmt.indexOf('"', i + 1);
      const stop = end < 0 ? fmt.length : end;
      pieces.push({ text: fmt.slice(i + 1, stop) });
      i = stop + 1;
      continue;
    }
    const tok = TOKENS.find((t) => fmt.startsWith(t, i));
    if (tok) { pieces.push({ token: tok, fm }); fm = false; i += tok.length; continue; }
    pieces.push({ text: fmt[i] });
    i++;
  }
  if (FORMAT_CACHE.size > 1000) FORMAT_CACHE.clear();
  FORMAT_CACHE.set(fmt, pieces);
  return pieces;
}

const casing = (tok: string, name: string) =>
  tok === tok.toUpperCase() ? name.toUpperCase() : tok === tok.toLowerCase() ? name.toLowerCase() : name;

/** TO_CHAR(ts, fmt) with the Postgres patterns; names pad to 9 characters unless FM. */
export function toCharTs(us: number, fmt: string): string {
  const { days, time } = splitTimestamp(us);
  const c = civilFromDays(days);
  const h = Math.floor(time / MICROS_PER_HOUR);
  const num = (v: number, width: number, fm: boolean) => (fm ? String(v) : String(v).padStart(width, '0'));
  let out = '';
  for (const p of parseFormat(fmt)) {
    if ('text' in p) { out += p.text; continue; }
    const { token: t, fm } = p;
    const name = (s: string) => (fm ? s : s.padEnd(9, ' '));
    switch (t.toUpperCase()) {
      case 'YYYY': out += num(c.year, 4, fm); break;
      case 'IYYY': out += num(isoWeek(days).year, 4, fm); break;
      case 'YYY': out += num(c.year % 1000, 3, fm); break;
      case 'YY': out += num(c.year % 100, 2, fm); break;
      case 'Y': out += String(c.year % 10); break;
      case 'CC': out += num(Math.ceil(c.year / 100), 2, fm); break;
      case 'MONTH': out += name(casing(t, MONTHS[c.month - 1])); break;
      case 'MON': out += casing(t, MONTHS[c.month - 1].slice(0, 3)); break;
      case 'MM': out += num(c.month, 2, fm); break;
      case 'DAY': out += name(casing(t, DAYS[dayOfWeek(days)])); break;
      case 'DY': out += casing(t, DAYS[dayOfWeek(days)].slice(0, 3)); break;
      case 'DDD': out += num(days - daysFromCivil(c.year, 1, 1) + 1, 3, fm); break;
      case 'DD': out += num(c.day, 2, fm); break;
      case 'D': out += String(dayOfWeek(days) + 1); break;
      case 'ID': out += String(dayOfWeek(days) || 7); break;
      case 'IW': out += num(isoWeek(days).week, 2, fm); break;
      case 'WW': out += num(Math.floor((days - daysFromCivil(c.year, 1, 1)) / 7) + 1, 2, fm); break;
      case 'W': out += String(Math.floor((c.day - 1) / 7) + 1); break;
      case 'Q': out += String(Math.floor((c.month - 1) / 3) + 1); break;
      case 'J': out += String(days + 2440588); break;
      case 'HH24': out += num(h, 2, fm); break;
      case 'HH': case 'HH12': out += num(h % 12 === 0 ? 12 : h % 12, 2, fm); break;
      case 'MI': out += num(Math.floor((time % MICROS_PER_HOUR) / MICROS_PER_MINUTE), 2, fm); break;
      case 'SS': out += num(Math.floor((time % MICROS_PER_MINUTE) / MICROS_PER_SECOND), 2, fm); break;
      case 'MS': out += num(Math.floor((time % MICROS_PER_SECOND) / 1000), 3, fm); break;
      case 'US': out += num(time % MICROS_PER_SECOND, 6, fm); break;
      case 'AM': case 'PM': out += casing(t, h < 12 ? 'AM' : 'PM'); break;
      case 'A.M.': case 'P.M.': out += casing(t, h < 12 ? 'A.M.' : 'P.M.'); break;
    }
  }
  return out;
}

function badFormat(text: string, fmt: string): SqlError {
  return new SqlError('INVALID_TEXT_REPRESENTATION', `invalid value "${text}" for format "${fmt}"`);
}

const WIDTH: Record<string, number> = { YYYY: 4, IYYY: 4, YYY: 3, YY: 2, Y: 1, MM: 2, DD: 2, DDD: 3, HH24: 2, HH12: 2, HH: 2, MI: 2, SS: 2, MS: 3, US: 6, CC: 2, J: 7 };

/** TO_TIMESTAMP(text, fmt): reads the fields the format names; separators match loosely. */
export function parseWithFormat(text: string, fmt: string): number {
  let y = 1970, mo = 1, d = 1, h = 0, mi = 0, s = 0, frac = 0, doy = 0;
  let pm: boolean | null = null;
  let i = 0;
  const pieces = parseFormat(fmt);
  for (let k = 0; k < pieces.length; k++) {
    const p = pieces[k];
    if ('text' in p) {
      for (const ch of p.text) {
        if (i < text.length && (text[i] === ch || (!/[A-Za-z0-9]/.test(text[i]) && !/[A-Za-z0-9]/.test(ch)))) i++;
        else if (ch !== ' ') throw badFormat(text, fmt);
      }
      continue;
    }
    while (i < text.length && text[i] === ' ') i++;
    const t = p.token.toUpperCase();
    const width = WIDTH[t];
    if (width !== undefined) {
      const next = pieces[k + 1];
      const fixed = next !== undefined && 'token' in next; // adjacent tokens (YYYYMMDD) read fixed widths
      let j = i;
      while (j < text.length && j - i < (fixed ? width : Math.max(width, 9)) && text[j] >= '0' && text[j] <= '9') j++;
      if (j === i) throw badFormat(text, fmt);
      const v = Number(text.slice(i, j));
      const digits = j - i;
      i = j;
      switch (t) {
        case 'YYYY': case 'IYYY': y = v; break;
        case 'YYY': y = digits < 3 ? 2000 + v : v + 1000 * Math.floor(2000 / 1000); break;
        case 'YY': y = digits <= 2 ? (v < 70 ? 2000 + v : 1900 + v) : v; break;
        case 'Y': y = 2000 + v; break;
        case 'MM': mo = v; break;
        case 'DD': d = v; break;
        case 'DDD': doy = v; break;
        case 'HH24': h = v; break;
        case 'HH': case 'HH12': h = v % 12; break;
        case 'MI': mi = v; break;
        case 'SS': s = v; break;
        case 'MS': frac = Number(text.slice(i - digits, i).padEnd(3, '0')) * 1000; break;
        case 'US': frac = Number(text.slice(i - digits, i).padEnd(6, '0')); break;
        case 'CC': y = (v - 1) * 100 + 1; break;
        case 'J': { const c = civilFromDays(v - 2440588); y = c.year; mo = c.month; d = c.day; break; }
      }
      continue;
    }
    if (t === 'MONTH' || t === 'MON') {
      const rest = text.slice(i).toLowerCase();
      const idx = MONTHS.findIndex((m) => rest.startsWith(t === 'MON' ? m.slice(0, 3).toLowerCase() : m.toLowerCase()));
      const idx3 = idx >= 0 ? idx : MONTHS.findIndex((m) => rest.startsWith(m.slice(0, 3).toLowerCase()));
      if (idx3 < 0) throw badFormat(text, fmt);
      mo = idx3 + 1;
      const full = MONTHS[idx3].toLowerCase();
      i += rest.startsWith(full) ? full.length : 3;
      continue;
    }
    if (t === 'DAY' || t === 'DY') {
      const rest = text.slice(i).toLowerCase();
      const idx = DAYS.findIndex((dn) => rest.startsWith(dn.slice(0, 3).toLowerCase()));
      if (idx < 0) throw badFormat(text, fmt);
      const full = DAYS[idx].toLowerCase();
      i += rest.startsWith(full) ? full.length : 3;
      continue;
    }
    if (t === 'AM' || t === 'PM' || t === 'A.M.' || t === 'P.M.') {
      const rest = text.slice(i).toUpperCase();
      const m = /^(A\.?M\.?|P\.?M\.?)/.exec(rest);
      if (!m) throw badFormat(text, fmt);
      pm = m[1][0] === 'P';
      i += m[1].length;
      continue;
    }
    // D, ID, IW, WW, W, Q: parsed and ignored, like Postgres does for most of them
    while (i < text.length && text[i] >= '0' && text[i] <= '9') i++;
  }
  if (text.slice(i).trim() !== '') throw badFormat(text, fmt);
  if (pm !== null) h = (h % 12) + (pm ? 12 : 0);
  if (y < 1 || y > 9999 || mo < 1 || mo > 12 || d < 1 || d > daysInMonth(y, mo) || h > 23 || mi > 59 || s > 59) {
    throw new SqlError('INVALID_TEXT_REPRESENTATION', `date/time field value out of range: "${text}"`);
  }
  const days = doy > 0 ? daysFromCivil(y, 1, 1) + doy - 1 : daysFromCivil(y, mo, d);
  return days * MICROS_PER_DAY + h * MICROS_PER_HOUR + mi * MICROS_PER_MINUTE + s * MICROS_PER_SECOND + frac;
}

export function toDate(text: string, fmt: string): number {
  return splitTimestamp(parseWithFormat(text, fmt)).days;
}

// ---------------------------------------------------------------- TO_CHAR for numbers

/**
 * TO_CHAR(number, fmt) for the common numeric patterns: 9 (digit or space), 0 (digit), . or D
 * (decimal point), , or G (group separator), S / MI / PR (sign), $ / L, FM (no padding).
 * `text` is the number's exact decimal text, so DECIMAL values round exactly.
 */
export function toCharNumber(text: string, fmt: string): string {
  const f = fmt.replace(/FM/gi, '');
  const fm = f.length !== fmt.length;
  const dot = f.search(/[.D]/);
  const intPat = dot < 0 ? f : f.slice(0, dot);
  const fracPat = dot < 0 ? '' : f.slice(dot + 1);
  const fracDigits = (fracPat.match(/[09]/g) ?? []).length;
  const intSlots = (intPat.match(/[09]/g) ?? []).length;
  let neg = text.startsWith('-');
  let [ip, fp = ''] = text.replace(/^[-+]/, '').split('.');
  // round half away from zero at fracDigits
  if (fp.length > fracDigits) {
    const up = fp.charCodeAt(fracDigits) >= 53;
    fp = fp.slice(0, fracDigits);
    if (up) {
      const all = (ip + fp).split('').map(Number);
      let k = all.length - 1;
      while (k >= 0) { if (all[k] === 9) { all[k] = 0; k--; } else { all[k]++; break; } }
      const joined = (k < 0 ? '1' : '') + all.join('');
      ip = joined.slice(0, joined.length - fracDigits);
      fp = joined.slice(joined.length - fracDigits);
    }
  }
  fp = fp.padEnd(fracDigits, '0');
  ip = ip.replace(/^0+/, '');
  if (/^0*$/.test(ip + fp)) neg = false;
  if (ip.length > intSlots) {
    return (fm ? '' : ' ') + f.replace(/[90]/g, '#').replace(/D/g, '.');
  }
  // integer part, right to left
  let intOut = '';
  let di = ip.length - 1;
  const firstZero = intPat.indexOf('0');
  for (let k = intPat.length - 1; k >= 0; k--) {
    const c = intPat[k];
    if (c === '9' || c === '0') {
      if (di >= 0) intOut = ip[di--] + intOut;
      else if (c === '0' || (firstZero >= 0 && k >= firstZero)) intOut = '0' + intOut;
      else intOut = ' ' + intOut;
    } else if (c === ',' || c === 'G') {
      intOut = (di >= 0 || /^0/.test(intOut) ? ',' : ' ') + intOut;
    } else if (c === '$' || c === 'L') intOut = '$' + intOut;
    else if (c === 'S' || c === 'M' || c === 'I' || c === 'P' || c === 'R') continue;
    else intOut = c + intOut;
  }
  if (fracDigits === 0 && ip === '' && intSlots > 0 && !/0/.test(intOut)) intOut = intOut.replace(/ $/, '0');
  let fracOut = '';
  let fi = 0;
  for (const c of fracPat) {
    if (c === '9' || c === '0') fracOut += fp[fi++];
    else fracOut += c;
  }
  if (fm) fracOut = fracOut.replace(/0+$/, '');
  let body = dot >= 0 ? `${intOut}.${fracOut}` : intOut;
  const signed = /S/i.test(f) ? 'S' : /MI/i.test(f) ? 'MI' : /PR/i.test(f) ? 'PR' : '';
  const firstNonSpace = body.search(/\S/);
  const lead = firstNonSpace < 0 ? body.length : firstNonSpace;
  if (signed === 'S') body = body.slice(0, lead) + (neg ? '-' : '+') + body.slice(lead);
  else if (signed === 'MI') body = body + (neg ? '-' : ' ');
  else if (signed === 'PR') body = neg ? `<${body.trimStart()}>` : ` ${body} `;
  else body = body.slice(0, lead) + (neg ? '-' : ' ') + body.slice(lead); // the sign takes its own column
  return fm ? body.trim() : body;
}
