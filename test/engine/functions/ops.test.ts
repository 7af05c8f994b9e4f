import { describe, expect, it } from 'vitest';
import { T, scaleOf, type SqlType } from '../../../engine/types/types.ts';
import { INTERVAL } from '../../../engine/types/coerce.ts';
import { parseInterval } from '../../../engine/types/interval.ts';
import { formatValue, parseValue } from '../../../engine/types/values.ts';
import {
  canCast, emitArithmetic, emitCast, emitComparison, emitConcat, emitIntervalLiteral, emitLike, emitNegate, likeMatcher,
} from '../../../engine/functions/ops.ts';
import { lit, run } from './helpers.ts';

const dec = T.decimal;
const vc = (length?: number): SqlType => (length === undefined ? { id: 'VARCHAR' } : { id: 'VARCHAR', length });

/** Evaluates `a op b` on SQL text operands and formats the result. */
function arith(op: '+' | '-' | '*' | '/' | '%', lt: SqlType, a: string, rt: SqlType, b: string) {
  const { type, code } = emitArithmetic(op, lt, rt, lit(parseValue(lt, a)), lit(parseValue(rt, b)));
  return { type, value: formatValue(type, run(code) as number) };
}

describe('emitArithmetic: exact decimals', () => {
  it('hand-computed values', () => {
    expect(arith('+', dec(15, 2), '0.10', dec(15, 2), '0.20').value).toBe('0.30');
    expect(arith('-', T.int, '1', dec(15, 2), '0.06').value).toBe('0.94');
    expect(arith('*', dec(15, 2), '1234.56', dec(15, 2), '0.94').value).toBe('1160.4864');
    expect(arith('+', dec(10, 2), '1.5', dec(10, 4), '0.0001').value).toBe('1.5001');
    expect(arith('/', dec(3, 2), '1.00', dec(3, 2), '3.00')).toEqual({ type: dec(7, 4), value: '0.3333' });
    expect(arith('/', dec(3, 2), '2.00', dec(3, 2), '3.00').value).toBe('0.6667');
    expect(arith('/', dec(3, 2), '-2.00', dec(3, 2), '3.00').value).toBe('-0.6667');
    expect(arith('%', dec(5, 2), '10.50', T.int, '3').value).toBe('1.50');
    expect(arith('%', dec(5, 2), '-10.50', T.int, '3').value).toBe('-1.50');
    expect(arith('+', dec(5, 2), '0.1', T.double, '0.2').value).toBeCloseTo(0.3, 15);
  });

  it('TPC-H Q1 expression stays exact', () => {
    const price = dec(15, 2), disc = dec(15, 2), tax = dec(15, 2);
    const oneMinus = emitArithmetic('-', T.int, disc, '1', 'd');
    const dp = emitArithmetic('*', price, oneMinus.type, 'p', oneMinus.code);
    const onePlus = emitArithmetic('+', T.int, tax, '1', 't');
    const charge = emitArithmetic('*', dp.type, onePlus.type, dp.code, onePlus.code);
    expect(scaleOf(charge.type)).toBe(6);
    const f = new Function('rt', 'p', 'd', 't', `return ${charge.code}`);
    // 90123.45 * (1 - 0.07) * (1 + 0.05) = 88005.548925
    const value = f(run('rt'), 9012345, 7, 5);
    expect(formatValue(charge.type, value)).toBe('88005.548925');
  });

  it('matches a BigInt reference on random operands', () => {
    let seed = 7;
    const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2147483648) % n);
    for (let i = 0; i < 3000; i++) {
      const s1 = rnd(4), s2 = rnd(4);
      const a = rnd(2_000_000) - 1_000_000, b = rnd(2_000_000) - 1_000_000 || 1;
      const ta = dec(12, s1), tb = dec(12, s2);
      for (const op of ['+', '-', '*', '/'] as const) {
        const { type, code } = emitArithmetic(op, ta, tb, lit(a), lit(b));
        const got = run(code) as number;
        const s = scaleOf(type);
        const A = BigInt(a), B = BigInt(b);
        let want: bigint;
        if (op === '*') want = A * B;
        else if (op === '/') {
          const n = A * 10n ** BigInt(s + s2 - s1 >= 0 ? s + s2 - s1 : 0);
          const d = B * 10n ** BigInt(s + s2 - s1 < 0 ? s1 - s - s2 : 0);
          const neg = (n < 0n) !== (d < 0n);
          const an = n < 0n ? -n : n, ad = d < 0n ? -d : d;
          let q = an / ad;
          if (2n * (an % ad) >= ad) q += 1n;
          want = neg ? -q : q;
        } else {
          const x = A * 10n ** BigInt(s - s1), y = B * 10n ** BigInt(s - s2);
          want = op === '+' ? x + y : x - y;
        }
        expect(got).toBe(Number(want));
      }
    }
  });

  it('overflow and division by zero', () => {
    // past 2^53 a DECIMAL result is exact (a bigint); past 38 digits it overflows
    expect(arith('*', dec(18, 0), '999999999999', dec(18, 0), '999999999').value).toBe('999999998999000000001');
    const wide = emitArithmetic('*', dec(38, 0), dec(38, 0), '(10n ** 20n)', '(10n ** 18n)');
    expect(() => run(wide.code)).toThrow(/numeric overflow/);
    expect(() => arith('*', dec(5, 0), '99999', dec(5, 0), '99999')).not.toThrow();
    expect(() => arith('/', dec(5, 2), '1', dec(5, 2), '0')).toThrow('division by zero');
    expect(() => arith('%', dec(5, 2), '1', dec(5, 2), '0')).toThrow('division by zero');
    try { arith('/', T.int, '1', T.int, '0'); } catch (e) { expect((e as { code: string }).code).toBe('DIVISION_BY_ZERO'); }
    expect(() => arith('/', T.double, '1', T.double, '0')).toThrow('division by zero');
  });
});

describe('emitArithmetic: integers, floats, dates', () => {
  it('integer semantics', () => {
    expect(arith('/', T.int, '7', T.int, '2').value).toBe(3);
    expect(arith('/', T.int, '-7', T.int, '2').value).toBe(-3);
    expect(arith('%', T.int, '-7', T.int, '2').value).toBe(-1);
    expect(arith('+', T.smallint, '1', T.smallint, '2').type).toEqual(T.smallint);
    expect(() => arith('+', T.smallint, '32767', T.smallint, '1')).toThrow('smallint out of range');
    expect(() => arith('*', T.int, '65536', T.int, '65536')).toThrow('integer out of range');
    expect(() => arith('/', T.int, '-2147483648', T.int, '-1')).toThrow('integer out of range');
    expect(() => arith('*', T.bigint, '4294967296', T.bigint, '4294967296')).toThrow('bigint out of range');
    expect(arith('*', T.int, '65536', T.bigint, '65536').value).toBe(4294967296);
    expect(run(emitNegate(T.int, lit(5)))).toBe(-5);
    expect(() => run(emitNegate(T.int, lit(-2147483648)))).toThrow('integer out of range');
  });
  it('REAL results are rounded to float32', () => {
    const { code } = emitArithmetic('+', T.real, T.real, lit(Math.fround(0.1)), lit(Math.fround(0.2)));
    expect(run(code)).toBe(Math.fround(Math.fround(0.1) + Math.fround(0.2)));
  });
  it('dates and intervals', () => {
    expect(arith('+', T.date, '2024-02-28', T.int, '1').value).toBe('2024-02-29');
    expect(arith('-', T.date, '2024-03-01', T.date, '2024-02-01').value).toBe(29);
    const iv = emitIntervalLiteral(parseInterval('90', 'day'));
    const d = lit(parseValue(T.date, '1998-12-01'));
    const r = emitArithmetic('-', T.date, INTERVAL, d, iv);
    expect(r.type).toEqual(T.timestamp);
    expect(formatValue(T.timestamp, run(r.code) as number)).toBe('1998-09-02 00:00:00');
    // usable against DATE columns through the DATE -> TIMESTAMP supertype
    const cmp = emitComparison('<=', T.date, T.timestamp, lit(parseValue(T.date, '1998-09-02')), r.code);
    expect(run(cmp)).toBe(true);
    const m = emitArithmetic('+', T.timestamp, INTERVAL, lit(parseValue(T.timestamp, '2024-01-31 12:00:00')), emitIntervalLiteral(parseInterval('1 month 2 hours')));
    expect(formatValue(T.timestamp, run(m.code) as number)).toBe('2024-02-29 14:00:00');
    const dyn = emitArithmetic('-', T.timestamp, INTERVAL, lit(0), '({months:1,days:0,micros:0,extra:1})');
    expect(formatValue(T.timestamp, run(dyn.code) as number)).toBe('1969-12-01 00:00:00');
  });
  it('rejects operators that do not exist', () => {
    expect(() => emitArithmetic('+', T.date, T.date, 'a', 'b')).toThrow('operator does not exist: date + date');
    expect(() => emitArithmetic('*', vc(), T.int, 'a', 'b')).toThrow('operator does not exist: character varying * integer');
  });
});

describe('emitComparison', () => {
  const cmp = (op: '=' | '<' | '<>' | '>=', lt: SqlType, a: string, rt: SqlType, b: string) =>
    run(emitComparison(op, lt, rt, lit(parseValue(lt, a)), lit(parseValue(rt, b))));
  it('rescales decimals and mixes numeric types', () => {
    expect(cmp('=', dec(5, 2), '1.50', dec(6, 3), '1.5')).toBe(true);
    expect(cmp('<', dec(5, 2), '1.49', dec(6, 3), '1.495')).toBe(true);
    expect(cmp('=', T.int, '2', dec(5, 2), '2.00')).toBe(true);
    expect(cmp('<', dec(5, 2), '0.10', T.double, '0.1000001')).toBe(true);
    expect(cmp('>=', T.bigint, '3', T.smallint, '3')).toBe(true);
  });
  it('dates, timestamps, strings, booleans', () => {
    expect(cmp('<', T.date, '2024-01-01', T.timestamp, '2024-01-01 00:00:01')).toBe(true);
    expect(cmp('=', T.date, '2024-01-01', T.timestamp, '2024-01-01')).toBe(true);
    expect(cmp('<', vc(), 'B', vc(), 'a')).toBe(true); // C collation: uppercase first
    expect(cmp('<>', vc(), 'a', { id: 'CHAR', length: 3 }, 'a  ')).toBe(false);
    expect(cmp('<', T.bool, 'false', T.bool, 'true')).toBe(true);
  });
  it('rejects incomparable types', () => {
    expect(() => emitComparison('=', T.date, T.int, 'a', 'b')).toThrow('operator does not exist: date = integer');
  });
});

describe('emitCast', () => {
  const cast = (from: SqlType, text: string | number | boolean, to: SqlType, mode?: 'explicit' | 'assignment') => {
    const v = typeof text === 'string' && from.id !== 'VARCHAR' ? parseValue(from, text) : text;
    return formatValue(to, run(emitCast(from, to, lit(v), mode)) as number);
  };
  it('numeric <-> numeric with rounding and range checks', () => {
    expect(cast(dec(5, 2), '2.50', T.int)).toBe(3);
    expect(cast(dec(5, 2), '-2.50', T.int)).toBe(-3);
    expect(cast(dec(5, 2), '2.49', T.int)).toBe(2);
    expect(cast(T.double, '2.5', T.int)).toBe(2); // rint: half to even
    expect(cast(T.double, '3.5', T.int)).toBe(4);
    expect(cast(T.double, '-2.5', T.int)).toBe(-2);
    expect(() => cast(T.double, '3e10', T.int)).toThrow('integer out of range');
    expect(() => cast(T.double, 'NaN', T.int)).toThrow('integer out of range');
    expect(() => cast(T.int, '40000', T.smallint)).toThrow('smallint out of range');
    expect(cast(T.int, '42', dec(5, 2))).toBe('42.00');
    expect(() => cast(T.int, '1000', dec(5, 2))).toThrow('numeric overflow: value out of range for DECIMAL(5,2)');
    expect(cast(dec(10, 4), '1.23456', dec(5, 2))).toBe('1.23');
    expect(cast(dec(10, 4), '1.2350', dec(5, 2))).toBe('1.24');
    expect(cast(dec(10, 4), '-1.2350', dec(5, 2))).toBe('-1.24');
    expect(() => cast(dec(10, 4), '999.9951', dec(5, 2))).toThrow(/DECIMAL\(5,2\)/);
    expect(cast(T.double, '1.005', dec(5, 2))).toBe('1.01');
    expect(cast(dec(5, 2), '1.25', T.double)).toBe(1.25);
    expect(cast(T.double, '0.1', T.real)).toBe(0.1);
  });
  it('to and from text', () => {
    expect(cast(dec(5, 2), '-0.05', vc())).toBe('-0.05');
    expect(cast(T.double, '1e20', vc())).toBe('1e+20');
    expect(cast(T.bool, 'true', vc())).toBe('true');
    expect(cast(T.date, '2024-02-29', vc())).toBe('2024-02-29');
    expect(cast(vc(), ' 12 ', T.int)).toBe(12);
    expect(cast(vc(), '12.345', dec(5, 2))).toBe('12.35');
    expect(cast(vc(), 'yes', T.bool)).toBe(true);
    expect(cast(vc(), '2024-02-29 10:00:00', T.timestamp)).toBe('2024-02-29 10:00:00');
    expect(() => cast(vc(), 'abc', T.int)).toThrow('invalid input syntax for type integer: "abc"');
    expect(cast(vc(), 'abcdef', vc(3))).toBe('abc');
    expect(() => cast(vc(), 'abcdef', vc(3), 'assignment')).toThrow('value too long for type character varying(3)');
    expect(cast(T.int, 12345, vc(3))).toBe('123');
  });
  it('date <-> timestamp and bool <-> int', () => {
    expect(cast(T.date, '2024-02-29', T.timestamp)).toBe('2024-02-29 00:00:00');
    expect(cast(T.timestamp, '1969-12-31 23:59:59', T.date)).toBe('1969-12-31');
    expect(cast(T.bool, 'true', T.int)).toBe(1);
    expect(cast(T.int, 0, T.bool)).toBe(false);
  });
  it('impossible casts', () => {
    expect(canCast(T.date, T.int)).toBe(false);
    expect(canCast(T.bool, dec(5, 2))).toBe(false);
    expect(canCast(vc(), T.date)).toBe(true);
    expect(canCast(T.null, T.date)).toBe(true);
    expect(() => emitCast(T.date, T.int, 'x')).toThrow('cannot cast type date to integer');
    try { emitCast(T.timestamp, T.bool, 'x'); } catch (e) { expect((e as { code: string }).code).toBe('DATATYPE_MISMATCH'); }
  });
});

describe('LIKE', () => {
  const like = (s: string, p: string, opts: Parameters<typeof emitLike>[2] = {}) => run(emitLike(lit(s), lit(p), opts));
  it('wildcards, escapes and case', () => {
    expect(like('abc', 'a%')).toBe(true);
    expect(like('abc', '%c')).toBe(true);
    expect(like('abc', '%b%')).toBe(true);
    expect(like('abc', 'abc')).toBe(true);
    expect(like('abc', 'a_c')).toBe(true);
    expect(like('abbc', 'a_c')).toBe(false);
    expect(like('a\nb', 'a%b')).toBe(true);
    expect(like('50%', '50\\%')).toBe(true);
    expect(like('500', '50\\%')).toBe(false);
    expect(like('5_0', '5#_0', { escape: lit('#') })).toBe(true);
    expect(like('a.c', 'a.c')).toBe(true);
    expect(like('abc', 'a.c')).toBe(false);
    expect(like('ABC', 'a%', { caseInsensitive: true })).toBe(true);
    expect(like('abc', 'a%', { negated: true })).toBe(false);
    expect(like('x😀y', 'x_y')).toBe(true);
  });
  it('fast paths for constant patterns', () => {
    expect(emitLike('s', '"abc%"')).toBe('(s).startsWith("abc")');
    expect(emitLike('s', '"%abc"')).toBe('(s).endsWith("abc")');
    expect(emitLike('s', '"%a\\"bc%"')).toBe('(s).includes("a\\"bc")');
    expect(emitLike('s', 'p')).toBe('rt.like(s, p, "\\\\", false)');
  });
  it('errors', () => {
    expect(() => emitLike('s', '"ab\\\\"')).toThrow('LIKE pattern must not end with escape character');
    expect(() => likeMatcher('a', 'xy', false)).toThrow('invalid escape string');
    expect(likeMatcher('a%_', null, false).test('a\\')).toBe(true);
  });
});

describe('concat operator', () => {
  it('converts non-strings to text', () => {
    const { type, code } = emitConcat(vc(3), dec(5, 2), lit('ab'), lit(-5));
    expect(type).toEqual(T.varchar);
    expect(run(code)).toBe('ab-0.05');
  });
});
