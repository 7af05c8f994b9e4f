import { describe, expect, it } from 'vitest';
import { T } from '../../../engine/types/types.ts';
import {
  formatDecimal, formatFloatText, formatValue, parseDecimalScaled, parseValue, valueToText,
} from '../../../engine/types/values.ts';

const dec = T.decimal;

describe('parseValue', () => {
  it('integers with range checks per type', () => {
    expect(parseValue(T.int, ' -42 ')).toBe(-42);
    expect(parseValue(T.smallint, '+32767')).toBe(32767);
    expect(() => parseValue(T.smallint, '32768')).toThrow('value "32768" is out of range for type smallint');
    expect(() => parseValue(T.int, '2147483648')).toThrow(/out of range for type integer/);
    expect(parseValue(T.bigint, '9007199254740991')).toBe(9007199254740991);
    // BIGINT is exact over int64: a bigint past 2^53, an error past 2^63 - 1
    expect(parseValue(T.bigint, '9007199254740993')).toBe(9007199254740993n);
    expect(parseValue(T.bigint, ' -9223372036854775808')).toBe(-9223372036854775808n);
    expect(() => parseValue(T.bigint, '9223372036854775808')).toThrow(/out of range for type bigint/);
    expect(() => parseValue(T.int, 'abc')).toThrow('invalid input syntax for type integer: "abc"');
    expect(() => parseValue(T.int, '1.5')).toThrow(/invalid input syntax/);
  });

  it('decimals exactly, rounding half away from zero', () => {
    expect(parseValue(dec(5, 2), '12.3')).toBe(1230);
    expect(parseValue(dec(5, 2), '-0.05')).toBe(-5);
    expect(parseValue(dec(5, 2), '1.005')).toBe(101);
    expect(parseValue(dec(5, 2), '-1.005')).toBe(-101);
    expect(parseValue(dec(5, 2), '1.00499999')).toBe(100);
    expect(parseValue(dec(5, 2), '.5')).toBe(50);
    expect(parseValue(dec(5, 2), '7.')).toBe(700);
    expect(parseValue(dec(10, 2), '1.5e3')).toBe(150000);
    expect(parseValue(dec(10, 4), '12E-3')).toBe(120);
    expect(parseValue(dec(18, 0), '000123')).toBe(123);
    expect(() => parseValue(dec(5, 2), '1000')).toThrow('numeric overflow: value out of range for DECIMAL(5,2)');
    expect(() => parseValue(dec(5, 2), '999.995')).toThrow('numeric overflow: value out of range for DECIMAL(5,2)');
    expect(parseValue(dec(5, 2), '999.994')).toBe(99999);
    expect(() => parseValue(dec(5, 2), '1.2.3')).toThrow('invalid input syntax for type numeric: "1.2.3"');
    expect(() => parseValue(dec(5, 2), '')).toThrow(/invalid input syntax/);
    // a DECIMAL of more than 15 digits reads past 2^53 exactly, up to its precision
    expect(parseValue(dec(38, 2), '123456789012345678')).toBe(12345678901234567800n);
    expect(parseValue(dec(38, 2), '-90071992547409.93')).toBe(-9007199254740993n);
    expect(() => parseValue(dec(38, 2), '1' + '0'.repeat(36))).toThrow(/numeric overflow/);
    expect(() => parseValue(dec(15, 2), '123456789012345678')).toThrow(/numeric overflow/);
  });

  it('parseDecimalScaled agrees with a BigInt reference on random text', () => {
    let seed = 42;
    const rnd = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
    for (let i = 0; i < 5000; i++) {
      const intPart = String(Math.floor(rnd() * 1e6));
      const frac = String(Math.floor(rnd() * 1e6)).padStart(6, '0').slice(0, 1 + Math.floor(rnd() * 6));
      const neg = rnd() < 0.5;
      const text = `${neg ? '-' : ''}${intPart}.${frac}`;
      const scale = Math.floor(rnd() * 5);
      // reference: scaled = round_half_away(text * 10^scale)
      const digits = BigInt(intPart + frac.padEnd(10, '0'));
      const div = 10n ** BigInt(10 - scale);
      let q = digits / div;
      if ((digits % div) * 2n >= div) q += 1n;
      const expected = Number(neg ? -q : q);
      expect(parseDecimalScaled(text, scale, 18)).toBe(expected === 0 ? 0 : expected);
    }
  });

  it('floats', () => {
    expect(parseValue(T.double, '1.5e3')).toBe(1500);
    expect(parseValue(T.double, 'NaN')).toBeNaN();
    expect(parseValue(T.double, '-Infinity')).toBe(-Infinity);
    expect(parseValue(T.double, 'inf')).toBe(Infinity);
    expect(parseValue(T.real, '0.1')).toBe(Math.fround(0.1));
    expect(() => parseValue(T.real, '1e39')).toThrow(/out of range for type real/);
    expect(() => parseValue(T.double, '1e400')).toThrow(/out of range for type double precision/);
    expect(() => parseValue(T.double, 'x1')).toThrow('invalid input syntax for type double precision: "x1"');
  });

  it('booleans', () => {
    for (const t of ['true', 'T', 'yes', 'on', '1', ' TRUE ']) expect(parseValue(T.bool, t)).toBe(true);
    for (const f of ['false', 'f', 'NO', 'off', '0']) expect(parseValue(T.bool, f)).toBe(false);
    expect(() => parseValue(T.bool, 'maybe')).toThrow('invalid input syntax for type boolean: "maybe"');
  });

  it('dates', () => {
    expect(parseValue(T.date, '1970-01-01')).toBe(0);
    expect(parseValue(T.date, '1998-12-01')).toBe(10561);
    expect(parseValue(T.date, '2000/02/29')).toBe(11016);
    expect(parseValue(T.date, '0001-01-01')).toBe(-719162);
    expect(parseValue(T.date, '9999-12-31')).toBe(2932896);
    expect(parseValue(T.date, '2024-03-05 10:11:12')).toBe(parseValue(T.date, '2024-03-05'));
    expect(() => parseValue(T.date, '2023-02-29')).toThrow('date/time field value out of range: "2023-02-29"');
    expect(() => parseValue(T.date, '2023-13-01')).toThrow(/out of range/);
    expect(() => parseValue(T.date, '0000-01-01')).toThrow(/out of range/);
    expect(() => parseValue(T.date, 'yesterday')).toThrow('invalid input syntax for type date: "yesterday"');
  });

  it('timestamps', () => {
    expect(parseValue(T.timestamp, '1970-01-01 00:00:01')).toBe(1_000_000);
    expect(parseValue(T.timestamp, '1970-01-01T00:00:00.5')).toBe(500_000);
    expect(parseValue(T.timestamp, '1969-12-31 23:59:59.999999')).toBe(-1);
    expect(parseValue(T.timestamp, '2024-03-05')).toBe(parseValue(T.date, '2024-03-05') as number * 86400e6);
    expect(parseValue(T.timestamp, '2024-03-05 10:00:00Z')).toBe(parseValue(T.timestamp, '2024-03-05 10:00'));
    expect(parseValue(T.timestamp, '1970-01-01 00:00:00.0000005')).toBe(1);
    expect(() => parseValue(T.timestamp, '2024-03-05 25:00:00')).toThrow(/out of range/);
    expect(() => parseValue(T.timestamp, '2024-03-05 10:00:00 junk')).toThrow(/invalid input syntax for type timestamp/);
  });

  it('strings with Redshift length checks (bytes)', () => {
    expect(parseValue({ id: 'VARCHAR', length: 3 }, 'abc')).toBe('abc');
    expect(() => parseValue({ id: 'VARCHAR', length: 10 }, 'abcdefghijk')).toThrow('value too long for type character varying(10)');
    expect(() => parseValue({ id: 'VARCHAR', length: 3 }, 'ééé')).toThrow(/character varying\(3\)/);
    expect(parseValue({ id: 'CHAR', length: 3 }, 'ab     ')).toBe('ab');
    expect(() => parseValue({ id: 'CHAR', length: 1 }, 'ab')).toThrow('value too long for type character(1)');
  });
});

describe('formatValue', () => {
  it('decimals with exactly scale digits', () => {
    expect(formatValue(dec(5, 2), 1230)).toBe('12.30');
    expect(formatValue(dec(5, 2), -5)).toBe('-0.05');
    expect(formatValue(dec(5, 0), -5)).toBe('-5');
    expect(formatDecimal(0, 3)).toBe('0.000');
    expect(formatDecimal(-0, 2)).toBe('0.00');
    expect(formatDecimal(123456789012345, 4)).toBe('12345678901.2345');
  });
  it('dates and timestamps', () => {
    expect(formatValue(T.date, 10561)).toBe('1998-12-01');
    expect(formatValue(T.date, -719162)).toBe('0001-01-01');
    expect(formatValue(T.timestamp, 1_500_000)).toBe('1970-01-01 00:00:01.5');
    expect(formatValue(T.timestamp, -1)).toBe('1969-12-31 23:59:59.999999');
    expect(formatValue(T.timestamp, 86400e6)).toBe('1970-01-02 00:00:00');
  });
  it('numbers, floats and booleans', () => {
    expect(formatValue(T.bigint, 12)).toBe(12);
    expect(formatValue(T.double, NaN)).toBe('NaN');
    expect(formatValue(T.double, -Infinity)).toBe('-Infinity');
    expect(formatValue(T.real, Math.fround(0.1))).toBe(0.1);
    expect(formatValue(T.bool, true)).toBe(true);
    expect(formatValue(T.int, null)).toBe(null);
  });
  it('float text like Postgres', () => {
    expect(formatFloatText(1e20)).toBe('1e+20');
    expect(formatFloatText(0.00001)).toBe('1e-05');
    expect(formatFloatText(123.456)).toBe('123.456');
    expect(formatFloatText(Math.fround(0.1), true)).toBe('0.1');
    expect(valueToText(T.bool, false)).toBe('false');
  });
  it('round-trips every type through text', () => {
    const cases: [typeof T.int, string][] = [
      [T.int, '-17'], [dec(12, 3), '-123.450'], [T.date, '2024-02-29'], [T.timestamp, '2024-02-29 23:59:59.123'],
      [T.double, '0.1'], [T.varchar, 'héllo'],
    ];
    for (const [t, text] of cases) expect(valueToText(t, parseValue(t, text))).toBe(text);
  });
});
