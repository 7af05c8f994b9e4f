import { describe, expect, it } from 'vitest';
import { T, type SqlType } from '../../../engine/types/types.ts';
import {
  describeSignatures, functionNotFound, isScalarFunction, lookupScalar, resolveScalar,
} from '../../../engine/functions/registry.ts';
import { emitExtract, extractType } from '../../../engine/functions/dates.ts';
import { formatValue, parseValue } from '../../../engine/types/values.ts';
import { argCode, callFn, fnValue as f, lit, NOW, run } from './helpers.ts';

const dec = T.decimal;
const vc: SqlType = { id: 'VARCHAR' };
const s = (v: string | null): [SqlType, string | null] => [vc, v];
const i = (v: number | null): [SqlType, number | null] => [T.int, v];
const d = (v: string): [SqlType, string] => [T.date, v];
const ts = (v: string): [SqlType, string] => [T.timestamp, v];
const num = (p: number, sc: number, v: string): [SqlType, string] => [dec(p, sc), v];
const dbl = (v: number): [SqlType, number] => [T.double, v];

describe('registry', () => {
  it('resolves names case-insensitively and reports candidates', () => {
    expect(isScalarFunction('SUBSTRING')).toBe(true);
    expect(isScalarFunction('nope')).toBe(false);
    expect(lookupScalar('substring', [T.int])).toBeNull();
    expect(functionNotFound('substring', [T.int]).message).toBe(
      'function substring(integer) does not exist; candidates: substring(varchar, integer[, integer])');
    expect(functionNotFound('substring', [T.int]).code).toBe('UNDEFINED_FUNCTION');
    expect(describeSignatures('log')).toBe('log(double precision), log(double precision, double precision)');
    expect(() => resolveScalar('frobnicate', [], [])).toThrow('function frobnicate() does not exist');
    expect(lookupScalar('coalesce', [T.int, T.int])!.strict).toBe(false);
    expect(lookupScalar('random', [])!.volatile).toBe(true);
  });
});

describe('math', () => {
  it('abs, sign, ceil, floor', () => {
    expect(f('abs', num(5, 2, '-1.25'))).toBe('1.25');
    expect(f('abs', i(-3))).toBe(3);
    expect(() => f('abs', i(-2147483648))).toThrow('integer out of range');
    expect(f('ceil', num(5, 2, '-1.25'))).toBe('-1');
    expect(f('ceiling', num(5, 2, '1.25'))).toBe('2');
    expect(f('floor', num(5, 2, '-1.25'))).toBe('-2');
    expect(f('floor', num(5, 2, '3.00'))).toBe('3');
    expect(f('floor', dbl(-1.5))).toBe(-2);
    expect(f('sign', num(5, 2, '-1.25'))).toBe('-1');
    expect(f('sign', dbl(0))).toBe(0);
  });

  it('round and trunc are exact for decimals', () => {
    expect(callFn('round', num(10, 4, '2.5000'))).toEqual({ value: '3', type: dec(7, 0) });
    expect(f('round', num(10, 4, '-2.5000'))).toBe('-3');
    expect(callFn('round', num(10, 4, '1.2345'), i(2))).toEqual({ value: '1.23', type: dec(9, 2) });
    expect(f('round', num(10, 4, '1.2350'), i(2))).toBe('1.24');
    expect(f('round', num(10, 4, '-1.2350'), i(2))).toBe('-1.24');
    expect(f('round', num(10, 4, '1.2350'), i(6))).toBe('1.2350');
    expect(f('round', num(10, 2, '1250.50'), i(-2))).toBe('1300');
    expect(f('round', num(10, 2, '1249.50'), i(-2))).toBe('1200');
    expect(f('trunc', num(10, 2, '-1299.99'), i(-2))).toBe('-1200');
    expect(f('round', i(1250), i(-2))).toBe(1300);
    expect(f('round', i(-1250), i(-2))).toBe(-1300);
    expect(f('round', dbl(2.5))).toBe(3);
    expect(f('round', dbl(-2.5))).toBe(-3);
    expect(f('round', dbl(1.005), i(2))).toBe(1.01);
    expect(f('round', dbl(123.456), i(-1))).toBe(120);
    expect(f('trunc', num(10, 4, '-1.2399'), i(2))).toBe('-1.23');
    expect(f('trunc', num(10, 4, '9.99'))).toBe('9');
    expect(f('trunc', dbl(-1.99))).toBe(-1);
    expect(f('trunc', ts('2024-03-05 10:11:12'))).toBe('2024-03-05');
    // n not constant: keeps the input scale, rounds at run time
    const fn = lookupScalar('round', [dec(10, 4), T.int])!;
    expect(fn.returnType).toEqual(dec(11, 4));
    expect(formatValue(fn.returnType, run(fn.emit(['12345', '(k)'].map((c) => c.replace('(k)', '2')))) as number)).toBe('1.2300');
  });

  it('round(decimal) agrees with BigInt half-away rounding', () => {
    for (let v = -20000; v <= 20000; v += 7) {
      const got = f('round', [dec(10, 3), v], i(1)) as string;
      const q = Math.abs(v) / 100;
      const want = Math.sign(v) * Math.floor(q + 0.5 + 1e-9);
      expect(Number(got)).toBe(want / 10 === 0 ? 0 : want / 10);
    }
  });

  it('doubles', () => {
    expect(f('sqrt', num(5, 2, '2.25'))).toBe(1.5);
    expect(() => f('sqrt', dbl(-1))).toThrow('cannot take square root of a negative number');
    expect(f('cbrt', dbl(27))).toBe(3);
    expect(f('power', i(2), i(10))).toBe(1024);
    expect(f('pow', dbl(-8), dbl(1 / 3 * 3))).toBe(-8);
    expect(() => f('power', dbl(-8), dbl(0.5))).toThrow(/complex/);
    expect(f('ln', dbl(Math.E))).toBe(1);
    expect(f('log', dbl(1000))).toBe(3);
    expect(f('log', dbl(2), dbl(8))).toBeCloseTo(3, 12);
    expect(() => f('ln', dbl(0))).toThrow('cannot take logarithm of zero');
    expect(f('exp', dbl(0))).toBe(1);
    expect(f('mod', i(7), i(-3))).toBe(1);
    expect(f('mod', num(5, 2, '7.50'), i(2))).toBe('1.50');
    expect(() => f('mod', i(7), i(0))).toThrow('division by zero');
    expect(f('pi')).toBe(Math.PI);
    expect(f('degrees', dbl(Math.PI))).toBe(180);
    expect(f('radians', dbl(180))).toBe(Math.PI);
    expect(f('atan2', dbl(1), dbl(1))).toBe(Math.PI / 4);
    const r = f('random') as number;
    expect(r >= 0 && r < 1).toBe(true);
  });
});

describe('strings', () => {
  it('basics', () => {
    expect(f('upper', s('abc'))).toBe('ABC');
    expect(f('lower', s('ÀBC'))).toBe('àbc');
    expect(f('length', s('héllo😀'))).toBe(6);
    expect(f('len', s('ab '))).toBe(3);
    expect(f('octet_length', s('é'))).toBe(2);
    expect(f('substring', s('hello'), i(2), i(3))).toBe('ell');
    expect(f('substr', s('hello'), i(0), i(3))).toBe('he');
    expect(f('substring', s('hello'), i(-5), i(3))).toBe('');
    expect(f('substring', s('hello'), i(3))).toBe('llo');
    expect(f('substring', s('a😀bc'), i(2), i(2))).toBe('😀b');
    expect(() => f('substring', s('hello'), i(1), i(-1))).toThrow('negative substring length not allowed');
    expect(f('position', s('lo'), s('hello'))).toBe(4);
    expect(f('strpos', s('hello'), s('z'))).toBe(0);
    expect(f('charindex', s('l'), s('hello'))).toBe(3);
    expect(f('position', s(''), s('hello'))).toBe(1);
  });
  it('trimming, padding, pieces', () => {
    expect(f('btrim', s('  ab  '))).toBe('ab');
    expect(f('trim', s('xxabxyx'), s('xy'))).toBe('ab');
    expect(f('ltrim', s('  ab  '))).toBe('ab  ');
    expect(f('rtrim', s('abxx'), s('x'))).toBe('ab');
    expect(f('replace', s('abcabc'), s('b'), s('XY'))).toBe('aXYcaXYc');
    expect(f('replace', s('abc'), s(''), s('X'))).toBe('abc');
    expect(f('translate', s('12345'), s('143'), s('ax'))).toBe('a2x5');
    expect(f('concat', s('ab'), s('cd'))).toBe('abcd');
    expect(f('concat', s('n='), i(5))).toBe('n=5');
    expect(f('left', s('hello'), i(2))).toBe('he');
    expect(f('left', s('hello'), i(-2))).toBe('hel');
    expect(f('right', s('hello'), i(2))).toBe('lo');
    expect(f('right', s('hello'), i(-2))).toBe('llo');
    expect(f('lpad', s('hi'), i(5))).toBe('   hi');
    expect(f('lpad', s('hi'), i(5), s('xy'))).toBe('xyxhi');
    expect(f('rpad', s('hello'), i(3))).toBe('hel');
    expect(f('split_part', s('a,b,c'), s(','), i(2))).toBe('b');
    expect(f('split_part', s('a,b,c'), s(','), i(5))).toBe('');
    expect(() => f('split_part', s('a,b'), s(','), i(0))).toThrow('field position must be greater than zero');
    expect(f('reverse', s('ab😀'))).toBe('😀ba');
    expect(f('repeat', s('ab'), i(3))).toBe('ababab');
    expect(f('repeat', s('ab'), i(-1))).toBe('');
    expect(f('initcap', s('hello wORLD foo-bar'))).toBe('Hello World Foo-Bar');
    expect(f('md5', s('abc'))).toBe('900150983cd24fb0d6963f7d28e17f72');
    expect(f('chr', i(65))).toBe('A');
    expect(f('ascii', s('A'))).toBe(65);
    expect(f('ascii', s(''))).toBe(0);
    expect(f('starts_with', s('hello'), s('he'))).toBe(true);
    expect(f('quote_ident', s('Foo'))).toBe('"Foo"');
    expect(f('quote_ident', s('foo'))).toBe('foo');
    expect(f('quote_literal', s("O'Reilly"))).toBe("'O''Reilly'");
  });
  it('regular expressions', () => {
    expect(f('regexp_replace', s('a1b22c333'), s('[0-9]+'), s('#'))).toBe('a#b#c#');
    expect(f('regexp_replace', s('john smith'), s('(\\w+) (\\w+)'), s('\\2, \\1'))).toBe('smith, john');
    expect(f('regexp_replace', s('cost $5'), s('[0-9]'), s('$'))).toBe('cost $$');
    expect(f('regexp_replace', s('abc'), s('b'))).toBe('ac');
    expect(f('regexp_substr', s('a1b22c333'), s('[0-9]+'))).toBe('1');
    expect(f('regexp_substr', s('a1b22c333'), s('[0-9]+'), i(1), i(3))).toBe('333');
    expect(f('regexp_substr', s('a1b22'), s('z'))).toBe('');
    expect(f('regexp_substr', s('key=val'), s('key=(\\w+)'), i(1), i(1), s('e'))).toBe('val');
    expect(f('regexp_count', s('a1b22c333'), s('[[:digit:]]+'))).toBe(3);
    expect(f('regexp_count', s('AaA'), s('a'), i(1), s('i'))).toBe(3);
    expect(f('regexp_instr', s('a1b22'), s('[0-9]+'), i(1), i(2))).toBe(4);
    expect(() => f('regexp_count', s('a'), s('('))).toThrow(/invalid regular expression/);
  });
});

describe('dates', () => {
  it('date_trunc, date_part, extract', () => {
    expect(f('date_trunc', s('month'), ts('2024-03-05 14:07:09'))).toBe('2024-03-01 00:00:00');
    expect(f('date_trunc', s('week'), d('2024-03-07'))).toBe('2024-03-04 00:00:00');
    expect(f('date_trunc', s('quarter'), d('2024-08-07'))).toBe('2024-07-01 00:00:00');
    expect(f('date_trunc', s('hour'), ts('1969-12-31 23:59:59'))).toBe('1969-12-31 23:00:00');
    expect(f('date_trunc', s('century'), d('2000-05-05'))).toBe('1901-01-01 00:00:00');
    expect(() => f('date_trunc', s('fortnight'), d('2000-05-05'))).toThrow('date part "fortnight" is not recognized');
    expect(f('date_part', s('dow'), d('2024-03-10'))).toBe(0);
    expect(f('date_part', s('epoch'), ts('1970-01-01 00:00:01.5'))).toBe(1.5);
    expect(f('datepart', s('doy'), d('2024-12-31'))).toBe(366);
    const x = (field: string, t: SqlType, text: string) => run(emitExtract(field, t, lit(parseValue(t, text))));
    expect(x('year', T.date, '1998-12-01')).toBe(1998);
    expect(x('quarter', T.date, '1998-12-01')).toBe(4);
    expect(x('week', T.date, '2021-01-03')).toBe(53);
    expect(x('ms', T.timestamp, '2009-09-09 12:08:43.101')).toBe(101);
    expect(x('second', T.timestamp, '2009-09-09 12:08:43.101')).toBe(43);
    expect(x('minute', T.timestamp, '2009-09-09 12:08:43')).toBe(8);
    expect(x('hour', T.date, '2009-09-09')).toBe(0);
    expect(x('epoch', T.date, '1970-01-02')).toBe(86400);
    expect(extractType('epoch', T.timestamp)).toEqual(T.bigint);
    expect(extractType('year', T.date)).toEqual(T.int);
    expect(() => extractType('year', T.int)).toThrow(/EXTRACT needs a DATE or TIMESTAMP/);
  });

  it('dateadd and datediff with Redshift semantics', () => {
    expect(f('dateadd', s('month'), i(1), d('2024-01-31'))).toBe('2024-02-29 00:00:00');
    expect(f('dateadd', s('day'), i(-1), d('2024-03-01'))).toBe('2024-02-29 00:00:00');
    expect(f('dateadd', s('hours'), i(25), ts('2024-03-01 00:30:00'))).toBe('2024-03-02 01:30:00');
    expect(f('dateadd', s('qtr'), i(1), d('2024-11-30'))).toBe('2025-02-28 00:00:00');
    expect(f('datediff', s('year'), d('2019-12-31'), d('2020-01-01'))).toBe(1);
    expect(f('datediff', s('month'), d('2020-01-31'), d('2020-02-01'))).toBe(1);
    expect(f('datediff', s('day'), ts('2020-01-01 23:59:59'), ts('2020-01-02 00:00:00'))).toBe(1);
    expect(f('datediff', s('week'), d('2009-01-01'), d('2009-12-31'))).toBe(52);
    expect(f('datediff', s('week'), d('2024-03-10'), d('2024-03-11'))).toBe(1); // Sunday -> Monday
    expect(f('datediff', s('quarter'), d('2024-03-31'), d('2024-04-01'))).toBe(1);
    expect(f('datediff', s('hour'), ts('2024-01-01 10:59:00'), ts('2024-01-01 11:00:00'))).toBe(1);
    expect(f('datediff', s('day'), d('2024-03-01'), d('2024-02-01'))).toBe(-29);
  });

  it('add_months, last_day, months_between', () => {
    expect(f('add_months', d('2024-02-29'), i(1))).toBe('2024-03-31 00:00:00');
    expect(f('add_months', d('2024-01-30'), i(1))).toBe('2024-02-29 00:00:00');
    expect(f('add_months', ts('2024-03-15 10:00:00'), i(-3))).toBe('2023-12-15 10:00:00');
    expect(f('last_day', d('2023-02-10'))).toBe('2023-02-28');
    expect(f('last_day', ts('2024-02-10 10:00:00'))).toBe('2024-02-29');
    expect(f('months_between', d('2024-03-15'), d('2024-01-15'))).toBe(2);
    expect(f('months_between', d('2024-02-29'), d('2024-01-31'))).toBe(1);
    expect(f('months_between', d('2024-01-31'), d('2024-01-01'))).toBeCloseTo(30 / 31, 12);
  });

  it('now-based functions read rt.now', () => {
    expect(f('current_date')).toBe('2024-03-05');
    expect(f('sysdate')).toBe('2024-03-05 14:07:09.123456');
    expect(f('getdate')).toBe('2024-03-05 14:07:09');
    expect(f('current_timestamp')).toBe(formatValue(T.timestamp, NOW));
  });

  it('to_char and to_date', () => {
    const t = ts('2024-03-05 14:07:09.5');
    expect(f('to_char', t, s('YYYY-MM-DD HH24:MI:SS'))).toBe('2024-03-05 14:07:09');
    expect(f('to_char', t, s('DD Mon YYYY, HH12:MI AM'))).toBe('05 Mar 2024, 02:07 PM');
    expect(f('to_char', t, s('Month'))).toBe('March    ');
    expect(f('to_char', t, s('FMMonth FMDD, Day'))).toBe('March 5, Tuesday  ');
    expect(f('to_char', t, s('DY dy Q "Q" IW MS'))).toBe('TUE tue 1 Q 10 500');
    expect(f('to_char', d('2024-03-05'), s('YYYYMMDD'))).toBe('20240305');
    expect(f('to_char', num(10, 2, '1234.5'), s('9999.99'))).toBe(' 1234.50');
    expect(f('to_char', num(10, 2, '-1234.5'), s('9,999.9'))).toBe('-1,234.5');
    expect(f('to_char', i(12), s('0000'))).toBe(' 0012');
    expect(f('to_char', i(12), s('FM9999'))).toBe('12');
    expect(f('to_char', i(12345), s('999'))).toBe(' ###');
    expect(f('to_char', dbl(0.5), s('9.99'))).toBe('  .50');
    expect(f('to_date', s('05 Mar 2024'), s('DD Mon YYYY'))).toBe('2024-03-05');
    expect(f('to_date', s('20240305'), s('YYYYMMDD'))).toBe('2024-03-05');
    expect(f('to_date', s('2024/3/5'), s('YYYY-MM-DD'))).toBe('2024-03-05');
    expect(f('to_timestamp', s('2024-03-05 02:07:09 PM'), s('YYYY-MM-DD HH:MI:SS AM'))).toBe('2024-03-05 14:07:09');
    expect(() => f('to_date', s('2024-02-30'), s('YYYY-MM-DD'))).toThrow(/out of range/);
    expect(() => f('to_date', s('hello'), s('YYYY-MM-DD'))).toThrow('invalid value "hello" for format "YYYY-MM-DD"');
  });

  it('date arithmetic agrees with a naive day loop across leap years', () => {
    let days = parseValue(T.date, '1895-01-01') as number;
    for (let k = 0; k < 60000; k += 97) {
      const got = f('dateadd', s('day'), i(k), d('1895-01-01')) as string;
      expect(got).toBe(formatValue(T.timestamp, (days + k) * 86400e6));
    }
    // months: dateadd month n times by 1 vs once by n (no clamping on day 1)
    days = parseValue(T.date, '1999-01-01') as number;
    let cur = 'x';
    for (let m = 0; m < 400; m++) {
      cur = f('dateadd', s('month'), i(m), d('1999-01-01')) as string;
      const y = 1999 + Math.floor(m / 12), mo = (m % 12) + 1;
      expect(cur).toBe(`${y}-${String(mo).padStart(2, '0')}-01 00:00:00`);
    }
  });
});

describe('conditionals (non-strict)', () => {
  it('coalesce / nvl / nvl2 / nullif', () => {
    expect(callFn('coalesce', i(null), num(5, 2, '1.50'))).toEqual({ value: '1.50', type: dec(12, 2) });
    expect(f('coalesce', i(3), num(5, 2, '1.50'))).toBe('3.00');
    expect(f('coalesce', i(null), i(null))).toBe(null);
    expect(f('nvl', s(null), s('x'))).toBe('x');
    expect(f('nvl2', i(1), s('a'), s('b'))).toBe('a');
    expect(f('nvl2', i(null), s('a'), s('b'))).toBe('b');
    expect(f('nullif', i(1), i(1))).toBe(null);
    expect(f('nullif', i(1), num(5, 2, '1.00'))).toBe(null);
    expect(f('nullif', i(1), i(2))).toBe(1);
    expect(f('nullif', i(null), i(2))).toBe(null);
    expect(() => lookupScalar('coalesce', [T.int, T.date])).toThrow('COALESCE types integer and date cannot be matched');
  });
  it('coalesce is lazy', () => {
    const { code } = resolveScalar('coalesce', [T.int, T.int], ['1', 'rt.idiv(1, 0)']);
    expect(run(code)).toBe(1);
  });
  it('greatest / least skip NULLs', () => {
    expect(f('greatest', i(1), i(null), num(5, 2, '2.50'))).toBe('2.50');
    expect(f('least', i(1), i(null), num(5, 2, '2.50'))).toBe('1.00');
    expect(f('greatest', s('a'), s('B'))).toBe('a');
    expect(f('least', d('2024-01-01'), ts('2023-12-31 10:00:00'))).toBe('2023-12-31 10:00:00');
    expect(f('greatest', i(null), i(null))).toBe(null);
  });
  it('decode matches NULL to NULL', () => {
    expect(f('decode', i(2), i(1), s('one'), i(2), s('two'), s('other'))).toBe('two');
    expect(f('decode', i(9), i(1), s('one'), s('other'))).toBe('other');
    expect(f('decode', i(9), i(1), s('one'))).toBe(null);
    expect(f('decode', i(null), i(1), s('one'), i(null), s('null!'))).toBe('null!');
    expect(f('decode', num(5, 2, '1.00'), i(1), s('one'))).toBe('one');
  });
});

describe('argument codes are quoted', () => {
  it('strings with quotes and code-like text are data, not code', () => {
    const evil = '"); throw new Error("pwned"); ("';
    expect(f('upper', s(evil))).toBe(evil.toUpperCase());
    expect(argCode(s('a"b'))).toBe('"a\\"b"');
  });
});
