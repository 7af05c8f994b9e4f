// REGEXP_* over RE2: answers cross-checked with DuckDB (also RE2-based) and by hand, linear time
// on patterns that make a backtracking engine run for minutes, and backreferences refused.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { regexpCount, regexpInstr, regexpLike, regexpReplace, regexpSubstr, compileRegex, REGEX_WORK_LIMIT, withRegexCheck } from '../../../engine/functions/regex.ts';

let con: DuckDBConnection;
beforeAll(async () => {
  con = await (await DuckDBInstance.create(':memory:')).connect();
});
afterAll(() => con?.closeSync());

const q = (s: string) => `'${s.replace(/'/g, "''")}'`;

async function duck(exprs: string[]): Promise<unknown[]> {
  const reader = await con.runAndReadAll(`SELECT ${exprs.map((e, i) => `${e} AS c${i}`).join(', ')}`);
  const row = reader.getRowObjects()[0] as Record<string, unknown>;
  return exprs.map((_, i) => row[`c${i}`]);
}

const CASES: [string, string][] = [
  ['a1b22c333', '[0-9]+'],
  ['a1b22c333', '[[:digit:]]+'],
  ['john smith, jane doe', '(\\w+) (\\w+)'],
  ['x😀y😀z', '😀'],
  ['AbcABCabc', '[Aa]bc'],
  ['aaaa', 'a{2}'],
  ['path/to/file.txt', '[^/]+$'],
  ['no match here', 'xyz'],
];

describe('regular expressions agree with DuckDB (RE2)', () => {
  it('replace, substr, count, like', async () => {
    const ours: unknown[] = [];
    const sql: string[] = [];
    for (const [s, p] of CASES) {
      const rep = p.includes('(') ? '<\\2>' : '<\\0>';
      ours.push(regexpReplace(s, p, rep));
      sql.push(`regexp_replace(${q(s)}, ${q(p)}, ${q(rep)}, 'g')`);
      ours.push(regexpSubstr(s, p));
      sql.push(`regexp_extract(${q(s)}, ${q(p)}, 0)`);
      ours.push(regexpCount(s, p));
      sql.push(`len(regexp_extract_all(${q(s)}, ${q(p)}))`);
      ours.push(regexpLike(s, p));
      sql.push(`regexp_matches(${q(s)}, ${q(p)})`);
    }
    const theirs = (await duck(sql)).map((v) => (typeof v === 'bigint' ? Number(v) : v));
    expect(ours).toEqual(theirs);
  });
});

describe('Redshift semantics by hand', () => {
  it('positions count characters; occurrences; the e parameter', () => {
    expect(regexpInstr('x😀ab12', '[0-9]+')).toBe(5);
    expect(regexpInstr('x😀ab12', '[0-9]+', 1, 1, 1)).toBe(7);
    expect(regexpInstr('a1b22', '[0-9]+', 1, 2)).toBe(4);
    expect(regexpInstr('a1b22', '[0-9]+', 1, 3)).toBe(0);
    expect(regexpSubstr('a1b22c333', '[0-9]+', 1, 3)).toBe('333');
    expect(regexpSubstr('a1b22c333', '[0-9]+', 4)).toBe('22');
    expect(regexpSubstr('key=val', 'key=(\\w+)', 1, 1, 'e')).toBe('val');
    expect(regexpCount('AaA', 'a', 1, 'i')).toBe(3);
    expect(regexpCount('AaA', 'a', 1, 'ic')).toBe(1);
    expect(regexpCount('abc', 'x*')).toBe(4);
    expect(regexpReplace('john smith', '(\\w+) (\\w+)', '\\2, \\1')).toBe('smith, john');
    expect(regexpReplace('cost $5', '[0-9]', '$')).toBe('cost $$');
    expect(regexpReplace('a.b', '\\.', '\\\\')).toBe('a\\b');
    expect(regexpReplace('aaa', 'a', 'b', 2)).toBe('abb');
  });

  it('bad patterns and options are clear errors', () => {
    expect(() => regexpCount('a', '(')).toThrow(/invalid regular expression: missing closing \)/);
    expect(() => regexpCount('a', 'a', 1, 'z')).toThrow(/invalid regular expression option: "z"/);
    try { compileRegex('^(a+)+\\1$'); expect.unreachable(); } catch (e) {
      expect((e as { code: string }).code).toBe('FEATURE_NOT_SUPPORTED');
      expect((e as Error).message).toMatch(/backreferences/);
    }
  });

  it('catastrophic-backtracking patterns finish at once with the right answer', () => {
    // JS RegExp needs minutes on these (2^30 paths); RE2 is linear in the text
    const t0 = performance.now();
    expect(regexpCount('a'.repeat(30) + '!', '^(a+)+$')).toBe(0);
    expect(regexpLike('a'.repeat(5000) + '!', '(a|aa)*$')).toBe(true);
    expect(regexpCount('a'.repeat(30), '^(a|a?)+$')).toBe(1);
    expect(regexpSubstr('x'.repeat(20_000) + 'y', '(x+x+)+y')).toBe('x'.repeat(20_000) + 'y');
    expect(performance.now() - t0).toBeLessThan(10_000);
  });

  it('one call is capped at REGEX_WORK_LIMIT steps: text length x (program size + 16)', () => {
    const size = compileRegex('a+b').programSize();
    const most = Math.floor(REGEX_WORK_LIMIT / (size + 16));
    expect(regexpCount('a'.repeat(most - 1) + 'b', 'a+b')).toBe(1);
    for (const call of [
      () => regexpCount('a'.repeat(most + 1), 'a+b'),
      () => regexpReplace('a'.repeat(most + 1), 'a+b', 'x'),
      () => regexpLike('a'.repeat(most + 1), 'a+b'),
    ]) {
      try { call(); expect.unreachable(); } catch (e) {
        expect((e as { code: string }).code).toBe('LIMIT_EXCEEDED');
        expect((e as Error).message).toContain(`allows texts of at most ${most.toLocaleString('en-US')} characters`);
      }
    }
    // a bigger pattern allows a shorter text
    expect(() => regexpSubstr('a'.repeat(1000), 'a{1,1000}b')).toThrow(/REGEXP_SUBSTR: the text \(1,000 characters\) is too long for this pattern \(program size 2002\)/);
    expect(regexpInstr('a'.repeat(900) + 'b', 'a{1,1000}b')).toBe(1);
  });

  it('withRegexCheck runs the check after every REGEX_WORK_LIMIT steps, and its throw stops the work', () => {
    const text = 'a'.repeat(50_000); // 'a+b' is program size 5: 50,000 × 21 = 1,050,000 steps a call
    let checks = 0;
    withRegexCheck(() => { checks++; }, () => { for (let i = 0; i < 10; i++) regexpCount(text, 'a+b'); });
    expect(checks).toBeGreaterThanOrEqual(4);
    expect(checks).toBeLessThanOrEqual(5);
    let calls = 0;
    expect(() => withRegexCheck(() => { throw new Error('canceled'); }, () => { for (;;) { regexpCount(text, 'a+b'); calls++; } })).toThrow('canceled');
    expect(calls).toBeLessThanOrEqual(2);
    // outside it nothing is checked
    for (let i = 0; i < 4; i++) regexpCount(text, 'a+b');
  });
});

