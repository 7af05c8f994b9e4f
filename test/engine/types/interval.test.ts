import { describe, expect, it } from 'vitest';
import { addIntervalToTimestamp, formatInterval, parseInterval } from '../../../engine/types/interval.ts';
import { parseTimestamp, formatTimestamp } from '../../../engine/types/values.ts';

const H = 3_600_000_000;

describe('parseInterval', () => {
  it('value with a unit', () => {
    expect(parseInterval('90', 'DAY')).toEqual({ months: 0, days: 90, micros: 0 });
    expect(parseInterval('3', 'month')).toEqual({ months: 3, days: 0, micros: 0 });
    expect(parseInterval('1', 'year')).toEqual({ months: 12, days: 0, micros: 0 });
    expect(parseInterval('1.5', 'second')).toEqual({ months: 0, days: 0, micros: 1_500_000 });
    expect(() => parseInterval('1', 'fortnight')).toThrow(/not recognized/);
  });
  it('Postgres text forms', () => {
    expect(parseInterval('3 months')).toEqual({ months: 3, days: 0, micros: 0 });
    expect(parseInterval('1 year 2 mons')).toEqual({ months: 14, days: 0, micros: 0 });
    expect(parseInterval('2 hours 30 minutes')).toEqual({ months: 0, days: 0, micros: 2.5 * H });
    expect(parseInterval('1 day 02:00:00')).toEqual({ months: 0, days: 1, micros: 2 * H });
    expect(parseInterval('-1 week')).toEqual({ months: 0, days: -7, micros: 0 });
    expect(parseInterval('1.5 days')).toEqual({ months: 0, days: 1, micros: 12 * H });
    expect(parseInterval('2 days ago')).toEqual({ months: 0, days: -2, micros: 0 });
    expect(parseInterval('10d')).toEqual({ months: 0, days: 10, micros: 0 });
    expect(() => parseInterval('soon')).toThrow('invalid input syntax for type interval: "soon"');
  });
  it('ISO 8601', () => {
    expect(parseInterval('P1Y2M3DT4H5M6S')).toEqual({ months: 14, days: 3, micros: 4 * H + 5 * 60e6 + 6e6 });
    expect(parseInterval('PT1.5S')).toEqual({ months: 0, days: 0, micros: 1_500_000 });
    expect(() => parseInterval('P')).toThrow(/invalid input syntax/);
  });
  it('adds to timestamps month first, clamping', () => {
    const ts = parseTimestamp('2024-01-31 10:00:00');
    expect(formatTimestamp(addIntervalToTimestamp(ts, parseInterval('1 month 1 day'), 1))).toBe('2024-03-01 10:00:00');
    expect(formatTimestamp(addIntervalToTimestamp(ts, parseInterval('1 month'), -1))).toBe('2023-12-31 10:00:00');
    expect(formatInterval(parseInterval('1 year 2 mons 3 days 04:05:06.5'))).toBe('1 year 2 mons 3 days 04:05:06.5');
  });
});
