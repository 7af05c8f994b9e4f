// The CLI's table printer: psql's aligned layout without trailing blanks, expanded records (\x),
// multi-line cells, and a last column wrapped to a terminal's width (SHOW MODEL's long values).
import { describe, expect, it } from 'vitest';
import type { Result } from '../../engine/result.ts';
import { formatResult } from '../../api/output.ts';

const kv = (rows: [string, string][]): Result => ({ command: 'SHOW', rowCount: rows.length, columns: [{ name: 'key', type: 'VARCHAR' }, { name: 'value', type: 'VARCHAR' }], rows });

describe('formatResult, table', () => {
  it('aligns, right-aligns numbers, shows NULL and pads no last column', () => {
    const r: Result = { command: 'SELECT', rowCount: 2, columns: [{ name: 'n', type: 'INTEGER' }, { name: 'name', type: 'VARCHAR' }], rows: [[1, 'a'], [200, null]] };
    expect(formatResult(r, 'table')).toBe('n   | name\n----+-----\n  1 | a\n200 | NULL\n(2 rows)\n');
  });

  it('stacks the lines of a multi-line cell', () => {
    expect(formatResult(kv([['a', 'one\ntwo'], ['bb', 'x']]), 'table')).toBe('key | value\n----+------\na   | one\n    | two\nbb  | x\n(2 rows)\n');
  });

  it('wraps a long last column to the width at spaces, and only when one is given', () => {
    const long = 'plan: one-hot (4 categories); region: one-hot (6 categories); tenure: numeric';
    const wrapped = formatResult(kv([['Preprocessing', long]]), 'table', false, 40);
    const lines = wrapped.split('\n');
    expect(Math.max(...lines.map((l) => l.length))).toBeLessThanOrEqual(39);
    // the pieces put back together are the value
    expect(lines.slice(2, -2).map((l) => l.slice('Preprocessing | '.length)).join(' ')).toBe(long);
    expect(lines[2]).toBe('Preprocessing | plan: one-hot (4'); // 23 columns left for the value
    expect(formatResult(kv([['Preprocessing', long]]), 'table')).toContain(long);
  });

  it('leaves lines alone when the last column would get too narrow to read', () => {
    const out = formatResult(kv([['a very long key name indeed', 'x'.repeat(50)]]), 'table', false, 40);
    expect(out).toContain('x'.repeat(50));
  });
});

describe('formatResult, expanded (\\x)', () => {
  it('prints one record per row', () => {
    const r: Result = { command: 'SELECT', rowCount: 1, columns: [{ name: 'id', type: 'INTEGER' }, { name: 'region', type: 'VARCHAR' }], rows: [[1, 'north']] };
    expect(formatResult(r, 'table', true)).toBe('-[ RECORD 1 ]\nid     | 1\nregion | north\n(1 row)\n');
    expect(formatResult({ ...r, rowCount: 0, rows: [] }, 'table', true)).toBe('(0 rows)\n');
  });
});
