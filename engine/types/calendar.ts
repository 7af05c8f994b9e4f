// Proleptic Gregorian calendar arithmetic on day numbers (days since 1970-01-01) and
// microsecond timestamps. Pure integer math (Hinnant's civil algorithms): no JS Date, so no
// time zones, no two-digit-year quirks and no range limits within years 1..9999.

export const MICROS_PER_SECOND = 1_000_000;
export const MICROS_PER_MINUTE = 60_000_000;
export const MICROS_PER_HOUR = 3_600_000_000;
export const MICROS_PER_DAY = 86_400_000_000;

/** First and last day numbers SQL accepts (0001-01-01 .. 9999-12-31). */
export const MIN_DAY = -719162;
export const MAX_DAY = 2932896;

export function isLeapYear(y: number): boolean {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}

const MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

export function daysInMonth(y: number, m: number): number {
  return m === 2 && isLeapYear(y) ? 29 : MONTH_DAYS[m - 1];
}

/** Day number of a civil date; month 1..12. Valid for any year (eras of 400 years). */
export function daysFromCivil(y: number, m: number, d: number): number {
  y -= m <= 2 ? 1 : 0;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const mp = (m + 9) % 12;
  const doy = Math.floor((153 * mp + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

/** A civil date: year, month 1..12, day 1..31. */
export interface Civil { year: number; month: number; day: number }

/** Inverse of daysFromCivil. */
export function civilFromDays(days: number): Civil {
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  return { year: yoe + era * 400 + (month <= 2 ? 1 : 0), month, day };
}

/** Day of week, 0 = Sunday .. 6 = Saturday (1970-01-01 was a Thursday). */
export function dayOfWeek(days: number): number {
  const r = (days + 4) % 7;
  return r < 0 ? r + 7 : r + 0; // + 0: no -0 for negative multiples of 7
}

/** Splits a timestamp into its day number and the microseconds into that day (0 <= t < 1 day). */
export function splitTimestamp(us: number): { days: number; time: number } {
  let days = Math.floor(us / MICROS_PER_DAY);
  let time = us - days * MICROS_PER_DAY;
  if (time < 0) { days -= 1; time += MICROS_PER_DAY; } else if (time >= MICROS_PER_DAY) { days += 1; time -= MICROS_PER_DAY; }
  return { days, time };
}

/** Adds months to a day number, clamping the day to the end of the target month (Jan 31 + 1 month = Feb 28/29). */
export function addMonthsToDays(days: number, months: number): number {
  const c = civilFromDays(days);
  const total = c.year * 12 + (c.month - 1) + months;
  const y = Math.floor(total / 12);
  const m = total - y * 12 + 1;
  return daysFromCivil(y, m, Math.min(c.day, daysInMonth(y, m)));
}

/** ISO-8601 week number (weeks start Monday; week 1 holds the year's first Thursday). */
export function isoWeek(days: number): { year: number; week: number } {
  const dow = (dayOfWeek(days) + 6) % 7; // Monday = 0
  const thursday = days - dow + 3;
  const year = civilFromDays(thursday).year;
  const jan1 = daysFromCivil(year, 1, 1);
  return { year, week: Math.floor((thursday - jan1) / 7) + 1 };
}
