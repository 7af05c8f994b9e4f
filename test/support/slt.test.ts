// The sqllogictest harness itself: parsing, rendering, comparison and failure reports,
// run against a fake session so it is tested before (and independently of) the engine.
import { describe, expect, it } from 'vitest';
import { diffLines, formatFailure, groupRecords, parseSlt, renderValue, runRecords, valueMatches, type SessionLike } from './slt.ts';

const FILE = `# comment
## first group
statement ok
CREATE TABLE t (a INTEGER)

# strata-only
statement error UNDEFINED_TABLE nosuch
SELECT * FROM nosuch

## second group
query ITR rowsort
SELECT a, b, c
FROM t
----
2\tNULL\t0.333333333333
1\t(empty)\t1.5

statement error /line \\d+, column 7/
SELECT )

halt

statement ok
NEVER RUN
`;

/** A fake session answering from a table of SQL -> result or error. */
function fake(answers: Record<string, { rows?: unknown[][]; error?: { code: string; message: string } }>): SessionLike & { seen: string[] } {
  const seen: string[] = [];
  return {
    seen,
    async execute(sql: string) {
      seen.push(sql);
      const a = answers[sql];
      if (!a) throw Object.assign(new Error(`no answer for ${sql}`), { code: 'INTERNAL_ERROR' });
      if (a.error) throw Object.assign(new Error(a.error.message), a.error);
      const rows = a.rows ?? [];
      return [{ columns: (rows[0] ?? []).map((_, i) => ({ name: `c${i}` })), rows }];
    },
  };
}

describe('parseSlt', () => {
  it('reads statements, queries, groups, strata-only and halt', () => {
    const records = parseSlt(FILE, 'x.slt');
    expect(records.map((r) => r.kind)).toEqual(['statement', 'statement', 'query', 'statement', 'halt', 'statement']);
    const [ok, err, q, err2] = records;
    expect(ok).toMatchObject({ expect: 'ok', line: 3, group: 'first group', strataOnly: false });
    expect(err).toMatchObject({ expect: 'error', errorCode: 'UNDEFINED_TABLE', errorText: 'nosuch', strataOnly: true });
    expect(q).toMatchObject({ kind: 'query', types: ['I', 'T', 'R'], sort: 'rowsort', sql: 'SELECT a, b, c\nFROM t', group: 'second group' });
    expect(q.kind === 'query' && q.expected).toEqual([['2', 'NULL', '0.333333333333'], ['1', '(empty)', '1.5']]);
    expect(err2).toMatchObject({ errorCode: undefined, errorText: '/line \\d+, column 7/' });
    const groups = groupRecords(records);
    expect(groups.map((g) => [g.name, g.records.length])).toEqual([['first group', 2], ['second group', 2]]);
  });

  it('rejects malformed records with file:line', () => {
    expect(() => parseSlt('query X\nSELECT 1\n----\n1\n', 'bad.slt')).toThrow(/bad\.slt:1/);
    expect(() => parseSlt('query I\nSELECT 1\n', 'bad.slt')).toThrow(/separator/);
    expect(() => parseSlt('frobnicate\n', 'bad.slt')).toThrow(/unknown record/);
  });
});

describe('values', () => {
  it('renders NULL, empty, escapes, numbers and booleans', () => {
    expect([null, '', 'a\tb\nc', 5, -0, true, false, 12n, '12.30'].map(renderValue))
      .toEqual(['NULL', '(empty)', 'a\\tb\\nc', '5', '0', 'true', 'false', '12', '12.30']);
  });

  it('compares R with tolerance and everything else exactly', () => {
    expect(valueMatches('R', '0.333333333333', String(1 / 3))).toBe(true);
    expect(valueMatches('R', '0.1', String(0.1 + 0.2 - 0.2))).toBe(true);
    expect(valueMatches('R', '3.33', '3.3333')).toBe(true); // rounded to the printed digits
    expect(valueMatches('R', '3.34', '3.3333')).toBe(false);
    expect(valueMatches('R', '0.1', String(Math.fround(0.1)))).toBe(true); // REAL printed to 1 digit
    expect(valueMatches('D', '12.30', '12.3')).toBe(false);
    expect(valueMatches('I', '1', '1.0')).toBe(false);
  });
});

describe('runRecords', () => {
  it('passes matching results and stops at halt', async () => {
    const s = fake({
      'CREATE TABLE t (a INTEGER)': {},
      'SELECT * FROM nosuch': { error: { code: 'UNDEFINED_TABLE', message: 'table "nosuch" does not exist' } },
      'SELECT a, b, c\nFROM t': { rows: [[1, '', 1.5], [2, null, 1 / 3]] },
      'SELECT )': { error: { code: 'SYNTAX_ERROR', message: 'unexpected ")" at line 1, column 7' } },
    });
    expect(await runRecords(s, parseSlt(FILE, 'x.slt'))).toEqual([]);
    expect(s.seen).not.toContain('NEVER RUN');
  });

  it('skips strata-only records when asked', async () => {
    const s = fake({ 'CREATE TABLE t (a INTEGER)': {}, 'SELECT a, b, c\nFROM t': { rows: [[1, '', 1.5], [2, null, 1 / 3]] }, 'SELECT )': { error: { code: 'X', message: 'no' } } });
    expect(await runRecords(s, parseSlt(FILE, 'x.slt'), { skipStrataOnly: true, checkErrorText: false })).toEqual([]);
    expect(s.seen).not.toContain('SELECT * FROM nosuch');
  });

  it('reports wrong rows, wrong codes, unexpected success and column counts with file:line', async () => {
    const text = 'query I\nSELECT 1\n----\n1\n2\n\nstatement error DIVISION_BY_ZERO\nSELECT 1/0\n\nstatement error\nSELECT 2\n\nquery II\nSELECT 3\n----\n3\t3\n';
    const s = fake({
      'SELECT 1': { rows: [[1], [3]] },
      'SELECT 1/0': { error: { code: 'NUMERIC_OVERFLOW', message: 'overflow' } },
      'SELECT 2': { rows: [[2]] },
      'SELECT 3': { rows: [[3]] },
    });
    const failures = await runRecords(s, parseSlt(text, 'f.slt'));
    expect(failures.map((f) => f.record.line)).toEqual([1, 7, 10, 13]);
    const report = failures.map(formatFailure).join('\n');
    expect(report).toContain('f.slt:1 (results at line 4): query results differ');
    expect(report).toContain('- 2\n+ 3');
    expect(report).toContain('expected error code DIVISION_BY_ZERO, got NUMERIC_OVERFLOW');
    expect(report).toContain('f.slt:10: statement succeeded but an error was expected');
    expect(report).toContain('header declares 2');
  });

  it('diffs rows as a line diff', () => {
    expect(diffLines(['a', 'b', 'c'], ['a', 'x', 'c'])).toBe('  a\n- b\n+ x\n  c');
  });
});
