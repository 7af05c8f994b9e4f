// INTERVAL values. Intervals are not a column type in Strata: they appear as constants in
// date/time arithmetic (`d - INTERVAL '90' DAY`). Like Postgres, an interval keeps months, days
// and microseconds apart, because a month or a day has no fixed length in microseconds.
import { SqlError } from '../errors.ts';
import { addMonthsToDays, MICROS_PER_DAY, MICROS_PER_HOUR, MICROS_PER_MINUTE, MICROS_PER_SECOND, splitTimestamp } from './calendar.ts';

export interface Interval { months: number; days: number; micros: number }

type Unit = 'millennium' | 'century' | 'decade' | 'year' | 'quarter' | 'month' | 'week' | 'day' | 'hour' | 'minute' | 'second' | 'millisecond' | 'microsecond';

const UNIT_NAMES: Record<string, Unit> = {};
function alias(unit: Unit, ...names: string[]) { for (const n of names) UNIT_NAMES[n] = unit; }
alias('millennium', 'millennium', 'millennia', 'millenniums', 'mil', 'mils');
alias('century', 'century', 'centuries', 'c', 'cent', 'cents');
alias('decade', 'decade', 'decades', 'dec', 'decs');
alias('year', 'year', 'years', 'y', 'yr', 'yrs');
alias('quarter', 'quarter', 'quarters', 'qtr', 'qtrs');
alias('month', 'month', 'months', 'mon', 'mons');
alias('week', 'week', 'weeks', 'w');
alias('day', 'day', 'days', 'd');
alias('hour', 'hour', 'hours', 'h', 'hr', 'hrs');
alias('minute', 'minute', 'minutes', 'm', 'min', 'mins');
alias('second', 'second', 'seconds', 's', 'sec', 'secs');
alias('millisecond', 'millisecond', 'milliseconds', 'ms', 'msec', 'msecs', 'msecond', 'mseconds', 'millisec', 'millisecs');
alias('microsecond', 'microsecond', 'microseconds', 'us', 'usec', 'usecs', 'usecond', 'useconds', 'microsec', 'microsecs');

const MONTHS_PER: Partial<Record<Unit, number>> = { millennium: 12000, century: 1200, decade: 120, year: 12, quarter: 3, month: 1 };
const MICROS_PER: Partial<Record<Unit, number>> = {
  hour: MICROS_PER_HOUR, minute: MICROS_PER_MINUTE, second: MICROS_PER_SECOND, millisecond: 1000, microsecond: 1,
};

function bad(text: string): SqlError {
  return new SqlError('INVALID_TEXT_REPRESENTATION', `invalid input syntax for type interval: "${text}"`);
}

/** Adds `n` of `unit` to an interval; fractions carry down (0.5 month = 15 days, 1.5 days = 1 day 12 hours), as in Postgres. */
function addUnit(iv: Interval, unit: Unit, n: number): void {
  const months = MONTHS_PER[unit];
  if (months !== undefined) {
    const total = n * months;
    const whole = Math.trunc(total);
    iv.months += whole;
    addUnit(iv, 'day', (total - whole) * 30);
    return;
  }
  if (unit === 'week' || unit === 'day') {
    const total = unit === 'week' ? n * 7 : n;
    const whole = Math.trunc(total);
    iv.days += whole;
    iv.micros += Math.round((total - whole) * MICROS_PER_DAY);
    return;
  }
  iv.micros += Math.round(n * MICROS_PER[unit]!);
}

/** Resolves a date part name ('mons', 'hrs', 'qtr') to its canonical unit, or undefined. */
export function intervalUnit(name: string): Unit | undefined {
  const n = name.trim().toLowerCase();
  return Object.hasOwn(UNIT_NAMES, n) ? UNIT_NAMES[n] : undefined;
}

/**
 * Parses an interval literal. With a unit (`INTERVAL '90' DAY`, `INTERVAL '1-2' YEAR TO MONTH`)
 * the text is a number of that unit; without one it is Postgres text ('3 months', '1 year 2 mons',
 * '2 hours 30 minutes', '1 day 02:00:00', '-1 week ago') or ISO 8601 ('P1Y2M3DT4H5M6S').
 */
export function parseInterval(value: string, unit?: string): Interval {
  const iv: Interval = { months: 0, days: 0, micros: 0 };
  const text = value.trim();
  if (unit) {
    const u = unit.trim().toLowerCase().replace(/\s+/g, ' ');
    const range = /^(\w+) to (\w+)$/.exec(u);
    if (range) return parseInterval(text); // '1 02:00:00' DAY TO SECOND etc.: the text form says it all
    const un = intervalUnit(u);
    if (!un) throw new SqlError('INVALID_PARAMETER', `interval unit "${unit}" not recognized`);
    if (/^[+-]?(\d+\.?\d*|\.\d+)$/.test(text)) { addUnit(iv, un, Number(text)); return norm(iv); }
    // a full text form with a unit qualifier ('1 day' DAY): parse the text
  }
  if (text === '') throw bad(value);
  if (/^[+-]?P/i.test(text)) return parseIso(text, value);
  let s = text.toLowerCase().replace(/^@\s*/, '');
  let negateAll = false;
  if (/\sago$/.test(s)) { negateAll = true; s = s.replace(/\s+ago$/, ''); }
  const tokens = s.split(/\s+/);
  for (let i = 0; i < tokens.length; i++) {
    const tok = tokens[i];
    const time = /^([+-])?(\d+):(\d{1,2})(?::(\d{1,2}(?:\.\d*)?))?$/.exec(tok);
    if (time) {
      const sign = time[1] === '-' ? -1 : 1;
      iv.micros += sign * (Number(time[2]) * MICROS_PER_HOUR + Number(time[3]) * MICROS_PER_MINUTE +
        Math.round(Number(time[4] ?? 0) * MICROS_PER_SECOND));
      continue;
    }
    const num = /^([+-]?(?:\d+\.?\d*|\.\d+))([a-z]*)$/.exec(tok);
    if (!num) throw bad(value);
    let unitName = num[2];
    if (unitName === '') {
      unitName = tokens[i + 1] ?? '';
      if (unitName === '') { iv.micros += Math.round(Number(num[1]) * MICROS_PER_SECOND); continue; } // bare number = seconds
      i++;
    }
    const un = intervalUnit(unitName);
    if (!un) throw bad(value);
    addUnit(iv, un, Number(num[1]));
  }
  if (negateAll) { iv.months = -iv.months; iv.days = -iv.days; iv.micros = -iv.micros; }
  return norm(iv);
}

function parseIso(text: string, original: string): Interval {
  const m = /^([+-])?P(?:(\d+(?:\.\d+)?)Y)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)W)?(?:(\d+(?:\.\d+)?)D)?(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$/i.exec(text);
  if (!m || text.replace(/^[+-]/, '').length <= 1 || /T$/i.test(text)) throw bad(original);
  const iv: Interval = { months: 0, days: 0, micros: 0 };
  const units: Unit[] = ['year', 'month', 'week', 'day', 'hour', 'minute', 'second'];
  units.forEach((u, k) => { if (m[k + 2]) addUnit(iv, u, Number(m[k + 2])); });
  if (m[1] === '-') { iv.months = -iv.months; iv.days = -iv.days; iv.micros = -iv.micros; }
  return norm(iv);
}

const norm = (iv: Interval): Interval => ({ months: iv.months + 0, days: iv.days + 0, micros: iv.micros + 0 });

/** timestamp + sign * interval: months first (clamping the day to the month's end), then days, then time. */
export function addIntervalToTimestamp(us: number, iv: Interval, sign: 1 | -1): number {
  let t = us;
  if (iv.months !== 0) {
    const { days, time } = splitTimestamp(t);
    t = addMonthsToDays(days, sign * iv.months) * MICROS_PER_DAY + time;
  }
  return t + sign * (iv.days * MICROS_PER_DAY + iv.micros);
}

/** Postgres-style interval text ('1 year 2 mons 3 days 04:05:06'), for display and errors. */
export function formatInterval(iv: Interval): string {
  const parts: string[] = [];
  const y = Math.trunc(iv.months / 12);
  const mo = iv.months - y * 12;
  if (y) parts.push(`${y} year${Math.abs(y) === 1 ? '' : 's'}`);
  if (mo) parts.push(`${mo} mon${Math.abs(mo) === 1 ? '' : 's'}`);
  if (iv.days) parts.push(`${iv.days} day${Math.abs(iv.days) === 1 ? '' : 's'}`);
  if (iv.micros || parts.length === 0) {
    const neg = iv.micros < 0;
    const a = Math.abs(iv.micros);
    const h = Math.floor(a / MICROS_PER_HOUR);
    const mi = Math.floor((a % MICROS_PER_HOUR) / MICROS_PER_MINUTE);
    const s = Math.floor((a % MICROS_PER_MINUTE) / MICROS_PER_SECOND);
    const f = a % MICROS_PER_SECOND;
    const p2 = (n: number) => String(n).padStart(2, '0');
    let out = `${neg ? '-' : ''}${p2(h)}:${p2(mi)}:${p2(s)}`;
    if (f) out += '.' + String(f).padStart(6, '0').replace(/0+$/, '');
    parts.push(out);
  }
  return parts.join(' ');
}
