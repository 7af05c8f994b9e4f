import { describe, expect, it } from 'vitest';
import {
  addMonthsToDays, civilFromDays, dayOfWeek, daysFromCivil, daysInMonth, isLeapYear, isoWeek, MAX_DAY, MIN_DAY,
} from '../../../engine/types/calendar.ts';

describe('calendar', () => {
  it('matches a naive day-by-day walk over years 1..9999', () => {
    let y = 1, m = 1, d = 1;
    for (let days = MIN_DAY; days <= MAX_DAY; days++) {
      if (daysFromCivil(y, m, d) !== days) throw new Error(`daysFromCivil(${y},${m},${d}) != ${days}`);
      const c = civilFromDays(days);
      if (c.year !== y || c.month !== m || c.day !== d) throw new Error(`civilFromDays(${days}) = ${JSON.stringify(c)}`);
      const dim = m === 2 ? (y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0) ? 29 : 28) : [31, 0, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m - 1];
      if (++d > dim) { d = 1; if (++m > 12) { m = 1; y++; } }
    }
    expect(y).toBe(10000);
  });

  it('agrees with Date.UTC where JS dates are reliable', () => {
    for (let days = -40000; days < 60000; days += 37) {
      const js = new Date(days * 86400000);
      expect(civilFromDays(days)).toEqual({ year: js.getUTCFullYear(), month: js.getUTCMonth() + 1, day: js.getUTCDate() });
      expect(dayOfWeek(days)).toBe(js.getUTCDay());
    }
  });

  it('leap years and month lengths', () => {
    expect([1900, 2000, 2004, 2100, 2400].map(isLeapYear)).toEqual([false, true, true, false, true]);
    expect(daysInMonth(2024, 2)).toBe(29);
    expect(daysInMonth(2023, 2)).toBe(28);
  });

  it('adds months clamping to the end of month', () => {
    const d = (y: number, m: number, dd: number) => daysFromCivil(y, m, dd);
    expect(addMonthsToDays(d(2024, 1, 31), 1)).toBe(d(2024, 2, 29));
    expect(addMonthsToDays(d(2023, 1, 31), 1)).toBe(d(2023, 2, 28));
    expect(addMonthsToDays(d(2023, 3, 31), -13)).toBe(d(2022, 2, 28));
    expect(addMonthsToDays(d(1999, 12, 15), 1)).toBe(d(2000, 1, 15));
  });

  it('ISO weeks', () => {
    expect(isoWeek(daysFromCivil(2021, 1, 3))).toEqual({ year: 2020, week: 53 });
    expect(isoWeek(daysFromCivil(2021, 1, 4))).toEqual({ year: 2021, week: 1 });
    expect(isoWeek(daysFromCivil(2024, 12, 30))).toEqual({ year: 2025, week: 1 });
  });
});
