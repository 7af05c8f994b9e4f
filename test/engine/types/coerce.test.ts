import { describe, expect, it } from 'vitest';
import { T, type SqlType } from '../../../engine/types/types.ts';
import {
  arithmeticType, canImplicitlyCast, commonSupertype, commonSupertypeOf, divisionScale, INTERVAL,
} from '../../../engine/types/coerce.ts';

const dec = T.decimal;
const vc = (length?: number): SqlType => (length === undefined ? { id: 'VARCHAR' } : { id: 'VARCHAR', length });
const ch = (length: number): SqlType => ({ id: 'CHAR', length });

describe('commonSupertype', () => {
  const table: [SqlType, SqlType, SqlType | null][] = [
    [T.smallint, T.int, T.int],
    [T.int, T.bigint, T.bigint],
    [T.smallint, T.smallint, T.smallint],
    [T.int, dec(5, 2), dec(12, 2)],
    [T.bigint, dec(15, 2), dec(21, 2)],
    [dec(5, 2), dec(10, 4), dec(10, 4)],
    [dec(15, 2), dec(3, 3), dec(16, 3)],
    [dec(10, 2), T.double, T.double],
    [T.int, T.real, T.double],
    [T.real, T.real, T.real],
    [T.real, T.double, T.double],
    [ch(3), vc(10), vc(10)],
    [ch(3), ch(5), ch(5)],
    [vc(), vc(4), vc(4)],
    [T.date, T.timestamp, T.timestamp],
    [T.null, T.date, T.date],
    [T.bool, T.bool, T.bool],
    [T.int, vc(), null],
    [T.date, T.int, null],
    [T.bool, T.int, null],
  ];
  it.each(table)('%o with %o', (a, b, want) => {
    expect(commonSupertype(a, b)).toEqual(want);
    expect(commonSupertype(b, a)).toEqual(want);
  });

  it('an untyped string literal takes the other side type', () => {
    expect(commonSupertype(vc(), T.date, { aUntypedLiteral: true })).toEqual(T.date);
    expect(commonSupertype(dec(12, 2), vc(), { bUntypedLiteral: true })).toEqual(dec(12, 2));
  });

  it('of many', () => {
    expect(commonSupertypeOf([T.null, T.int, dec(5, 1), T.smallint])).toEqual(dec(11, 1));
    expect(commonSupertypeOf([T.int, T.date])).toBeNull();
  });
});

describe('canImplicitlyCast', () => {
  it('widens only', () => {
    expect(canImplicitlyCast(T.smallint, T.bigint)).toBe(true);
    expect(canImplicitlyCast(T.bigint, T.int)).toBe(false);
    expect(canImplicitlyCast(T.int, dec(12, 2))).toBe(true);
    expect(canImplicitlyCast(dec(5, 2), dec(10, 2))).toBe(true);
    expect(canImplicitlyCast(dec(10, 2), dec(10, 4))).toBe(false);
    expect(canImplicitlyCast(dec(10, 2), T.double)).toBe(true);
    expect(canImplicitlyCast(T.date, T.timestamp)).toBe(true);
    expect(canImplicitlyCast(T.timestamp, T.date)).toBe(false);
    expect(canImplicitlyCast(ch(2), vc())).toBe(true);
    expect(canImplicitlyCast(vc(), T.int)).toBe(false);
    expect(canImplicitlyCast(T.null, T.bool)).toBe(true);
  });
});

describe('arithmeticType', () => {
  it('follows Redshift numeric rules', () => {
    expect(arithmeticType('+', T.smallint, T.smallint)).toEqual(T.smallint);
    expect(arithmeticType('*', T.smallint, T.int)).toEqual(T.int);
    expect(arithmeticType('/', T.int, T.int)).toEqual(T.int);
    expect(arithmeticType('%', T.bigint, T.int)).toEqual(T.bigint);
    expect(arithmeticType('+', T.real, T.real)).toEqual(T.real);
    expect(arithmeticType('+', T.real, T.int)).toEqual(T.double);
    expect(arithmeticType('+', dec(10, 2), T.real)).toEqual(T.double);
    expect(arithmeticType('+', dec(15, 2), dec(10, 4))).toEqual(dec(18, 4));
    expect(arithmeticType('-', T.int, dec(15, 2))).toEqual(dec(16, 2));
    expect(arithmeticType('*', dec(15, 2), dec(15, 2))).toEqual(dec(31, 4));
    expect(arithmeticType('*', dec(20, 10), dec(20, 10))).toEqual(dec(38, 20));
    // Redshift's documented example: 8-2+2+max(4, 2+8-2+1) = DECIMAL(17,9)
    expect(arithmeticType('/', dec(8, 2), dec(8, 2))).toEqual(dec(17, 9));
    expect(arithmeticType('/', dec(3, 2), dec(3, 2))).toEqual(dec(7, 4));
    expect(arithmeticType('/', dec(15, 2), dec(15, 2))).toEqual(dec(31, 16));
    // past 38 digits the integer digits stay and the scale keeps at least min(scale, 6)
    expect(divisionScale(38, 2, 38, 2)).toBe(6);
    expect(arithmeticType('/', dec(38, 6), dec(38, 4))).toEqual(dec(38, 6));
    expect(arithmeticType('/', dec(20, 2), dec(10, 2))).toEqual(dec(31, 11));
  });

  it('dates and intervals', () => {
    expect(arithmeticType('+', T.date, T.int)).toEqual(T.date);
    expect(arithmeticType('+', T.int, T.date)).toEqual(T.date);
    expect(arithmeticType('-', T.date, T.int)).toEqual(T.date);
    expect(arithmeticType('-', T.date, T.date)).toEqual(T.int);
    expect(arithmeticType('-', T.date, INTERVAL)).toEqual(T.timestamp);
    expect(arithmeticType('+', INTERVAL, T.timestamp)).toEqual(T.timestamp);
    expect(arithmeticType('-', INTERVAL, T.timestamp)).toBeNull();
    expect(arithmeticType('*', T.date, T.int)).toBeNull();
    expect(arithmeticType('+', T.timestamp, T.int)).toBeNull();
    expect(arithmeticType('+', vc(), T.int)).toBeNull();
  });
});
