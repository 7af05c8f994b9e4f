// Cross-checks function results against DuckDB where the two engines agree on semantics
// (DuckDB's DECIMAL arithmetic, rounding and calendar functions match Redshift/Postgres here).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { T, type SqlType } from '../../../engine/types/types.ts';
import { emitArithmetic, emitCast } from '../../../engine/functions/ops.ts';
import { emitExtract } from '../../../engine/functions/dates.ts';
import { formatValue, parseValue } from '../../../engine/types/values.ts';
import { daysFromCivil } from '../../../engine/types/calendar.ts';
import { fnValue, lit, run, type Arg } from './helpers.ts';

let con: DuckDBConnection;

beforeAll(async () => {
  const instance = await DuckDBInstance.create(':memory:');
  con = await instance.connect();
});
afterAll(() => {
  con?.closeSync();
});

/** Runs `SELECT expr::VARCHAR` for each expression in one query; returns the texts. */
async function duck(exprs: string[]): Promise<(string | null)[]> {
  const sql = `SELECT ${exprs.map((e, i) => `(${e})::VARCHAR AS c${i}`).join(', ')}`;
  const reader = await con.runAndReadAll(sql);
  const row = reader.getRowObjects()[0] as Record<string, string | null>;
  return exprs.map((_, i) => row[`c${i}`]);
}

const dec = T.decimal;
const vc: SqlType = { id: 'VARCHAR' };
const s = (v: string): Arg => [vc, v];
const i = (v: number): Arg => [T.int, v];
const d = (v: string): Arg => [T.date, v];
const ts = (v: string): Arg => [T.timestamp, v];

/** Our value as DuckDB prints it (timestamps without fraction when zero, dates plain). */
const text = (v: unknown) => (v === null ? null : String(v));

describe('cross-check with DuckDB', () => {
  it('decimal arithmetic and rounding', async () => {
    let seed = 11;
    const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2147483648) % n);
    const ours: (string | null)[] = [];
    const sql: string[] = [];
    for (let k = 0; k < 200; k++) {
      const s1 = rnd(4), s2 = rnd(4);
      const a = (rnd(2_000_000) - 1_000_000) / 10 ** s1, b = (rnd(2_000_000) - 1_000_000) / 10 ** s2;
      const ta = dec(12, s1), tb = dec(12, s2);
      const at = a.toFixed(s1), bt = b.toFixed(s2);
      for (const op of ['+', '-', '*'] as const) {
        const { type, code } = emitArithmetic(op, ta, tb, lit(parseValue(ta, at)), lit(parseValue(tb, bt)));
        ours.push(text(formatValue(type, run(code) as number)));
        sql.push(`${at}::DECIMAL(12,${s1}) ${op} ${bt}::DECIMAL(12,${s2})`);
      }
      const n = rnd(s1 + 1);
      ours.push(text(fnValue('round', [ta, at], i(n))));
      sql.push(`round(${at}::DECIMAL(12,${s1}), ${n})`);
      ours.push(text(fnValue('round', [ta, at], i(-2))));
      sql.push(`round(${at}::DECIMAL(12,${s1}), -2)::DECIMAL(12,0)`);
      ours.push(text(formatValue(T.int, run(emitCast(ta, T.int, lit(parseValue(ta, at)))) as number)));
      sql.push(`${at}::DECIMAL(12,${s1})::INTEGER`);
    }
    const want = await duck(sql);
    for (let k = 0; k < sql.length; k++) expect(`${sql[k]} = ${ours[k]}`).toBe(`${sql[k]} = ${want[k]}`);
  });

  it('calendar functions over many dates', async () => {
    const ours: (string | null)[] = [];
    const sql: string[] = [];
    let seed = 5;
    const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2147483648) % n);
    const base = daysFromCivil(1890, 1, 1);
    for (let k = 0; k < 150; k++) {
      const day1 = base + rnd(80000), day2 = base + rnd(80000);
      const a = formatValue(T.date, day1) as string, b = formatValue(T.date, day2) as string;
      const sec = rnd(86400);
      const tsText = `${a} ${String(Math.floor(sec / 3600)).padStart(2, '0')}:${String(Math.floor(sec / 60) % 60).padStart(2, '0')}:${String(sec % 60).padStart(2, '0')}`;
      for (const field of ['year', 'quarter', 'month', 'day', 'dow', 'doy', 'week', 'hour', 'minute', 'second']) {
        ours.push(text(run(emitExtract(field, T.timestamp, lit(parseValue(T.timestamp, tsText))))));
        sql.push(`extract(${field} from TIMESTAMP '${tsText}')`);
      }
      for (const unit of ['year', 'quarter', 'month', 'day']) {
        ours.push(text(fnValue('datediff', s(unit), d(a), d(b))));
        sql.push(`date_diff('${unit}', DATE '${a}', DATE '${b}')`);
      }
      for (const unit of ['hour', 'minute', 'second']) {
        ours.push(text(fnValue('datediff', s(unit), ts(tsText), ts(`${b} 12:34:56`))));
        sql.push(`date_diff('${unit}', TIMESTAMP '${tsText}', TIMESTAMP '${b} 12:34:56')`);
      }
      for (const unit of ['year', 'quarter', 'month', 'week', 'day', 'hour', 'minute']) {
        ours.push(text(fnValue('date_trunc', s(unit), ts(tsText))));
        sql.push(`date_trunc('${unit}', TIMESTAMP '${tsText}')::TIMESTAMP`);
      }
      const n = rnd(50) - 25;
      ours.push(text(fnValue('dateadd', s('month'), i(n), d(a))));
      sql.push(`DATE '${a}' + INTERVAL (${n}) MONTH`);
      ours.push(text(fnValue('last_day', d(a))));
      sql.push(`last_day(DATE '${a}')`);
      const dd = rnd(2000) - 1000;
      const sum = emitArithmetic('+', T.date, T.int, lit(day1), lit(dd));
      ours.push(text(formatValue(T.date, run(sum.code) as number)));
      sql.push(`DATE '${a}' + ${dd}`);
    }
    const want = await duck(sql);
    for (let k = 0; k < sql.length; k++) expect(`${sql[k]} = ${ours[k]}`).toBe(`${sql[k]} = ${want[k]}`);
  });

  it('string functions', async () => {
    const cases: [string, Arg[], string][] = [
      ['upper', [s('héllo')], `upper('héllo')`],
      ['lower', [s('HÉLLO')], `lower('HÉLLO')`],
      ['length', [s('héllo😀')], `length('héllo😀')`],
      ['substring', [s('hello world'), i(3), i(4)], `substring('hello world', 3, 4)`],
      ['substring', [s('hello'), i(0), i(3)], `substring('hello', 0, 3)`],
      ['strpos', [s('hello'), s('ll')], `strpos('hello', 'll')`],
      ['position', [s('z'), s('hello')], `position('z' in 'hello')`],
      ['btrim', [s('xxhixx'), s('x')], `trim('xxhixx', 'x')`],
      ['ltrim', [s('  hi  ')], `ltrim('  hi  ')`],
      ['rtrim', [s('  hi  ')], `rtrim('  hi  ')`],
      ['replace', [s('banana'), s('an'), s('AN')], `replace('banana', 'an', 'AN')`],
      ['translate', [s('12345'), s('143'), s('ax')], `translate('12345', '143', 'ax')`],
      ['left', [s('hello'), i(2)], `left('hello', 2)`],
      ['right', [s('hello'), i(3)], `right('hello', 3)`],
      ['lpad', [s('7'), i(3), s('0')], `lpad('7', 3, '0')`],
      ['rpad', [s('ab'), i(5), s('xy')], `rpad('ab', 5, 'xy')`],
      ['split_part', [s('a|b|c'), s('|'), i(3)], `split_part('a|b|c', '|', 3)`],
      ['reverse', [s('abc')], `reverse('abc')`],
      ['repeat', [s('ab'), i(3)], `repeat('ab', 3)`],
      ['md5', [s('The quick brown fox')], `md5('The quick brown fox')`],
      ['regexp_replace', [s('a1b22c333'), s('[0-9]+'), s('#')], `regexp_replace('a1b22c333', '[0-9]+', '#', 'g')`],
      ['ascii', [s('€')], `ascii('€')`],
      ['chr', [i(8364)], `chr(8364)`],
      ['initcap', [s('hello wORLD')], `upper(left('hello wORLD', 1)) || lower(substring('hello wORLD', 2, 5)) || upper(substring('hello wORLD', 7, 1)) || lower(substring('hello wORLD', 8))`],
      ['concat', [s('a'), i(1)], `concat('a', 1)`],
      ['greatest', [i(3), i(7), i(5)], `greatest(3, 7, 5)`],
      ['least', [s('b'), s('a')], `least('b', 'a')`],
      ['coalesce', [[T.int, null], i(4)], `coalesce(NULL, 4)`],
      ['nullif', [i(4), i(4)], `nullif(4, 4)`],
    ];
    const want = await duck(cases.map((c) => c[2]));
    cases.forEach(([name, args, sql], k) => {
      expect(`${sql} = ${text(fnValue(name, ...args))}`).toBe(`${sql} = ${want[k]}`);
    });
  });
});
