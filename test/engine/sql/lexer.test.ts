import { describe, expect, it } from 'vitest';
import { SqlError } from '../../../engine/errors.ts';
import { tokenize } from '../../../engine/sql/lexer.ts';

const kinds = (sql: string) => tokenize(sql).map(t => `${t.type}:${t.value}`);

function lexError(sql: string): SqlError {
  try {
    tokenize(sql);
  } catch (e) {
    expect(e).toBeInstanceOf(SqlError);
    return e as SqlError;
  }
  throw new Error(`expected a lexer error for ${sql}`);
}

describe('lexer', () => {
  it('refuses identifiers with NUL or longer than 127 bytes (Redshift), quoted or not', () => {
    expect(kinds(`SELECT ${'a'.repeat(127)}, "${'é'.repeat(63)}"`).length).toBe(5);
    for (const sql of [`SELECT ${'a'.repeat(128)}`, `SELECT "${'b'.repeat(128)}"`, `SELECT "${'é'.repeat(64)}"`]) {
      const e = lexError(sql);
      expect(e.code).toBe('SYNTAX_ERROR');
      expect(e.message).toMatch(/bytes long; the limit is 127 at line 1, column 8/);
    }
    expect(lexError('CREATE TABLE "\u0000models" (a int)').message).toMatch(/NUL character at line 1, column 14/);
    expect(lexError('SELECT 1 FROM "a\u0000"').message).toMatch(/NUL/);
  });

  it('folds unquoted identifiers and keeps quoted ones', () => {
    expect(kinds('SELECT Foo, "Bar", "a""b"')).toEqual([
      'ident:select', 'ident:foo', 'op:,', 'qident:Bar', 'op:,', 'qident:a"b', 'eof:',
    ]);
  });

  it('reads numbers as written', () => {
    expect(kinds('1 1.5 .5 1e-3 2E+10 12.30 7.')).toEqual([
      'number:1', 'number:1.5', 'number:.5', 'number:1e-3', 'number:2E+10', 'number:12.30', 'number:7.', 'eof:',
    ]);
  });

  it('reads strings with every quoting style', () => {
    const toks = tokenize(`'it''s' E'a\\nb\\'c\\\\' $$x 'y'$$ $tag$ $$ $tag$ N'n'`);
    expect(toks.slice(0, -1).map(t => t.value)).toEqual(["it's", "a\nb'c\\", "x 'y'", ' $$ ', 'n']);
  });

  it('reads operators and parameters', () => {
    expect(kinds('a<=b<>c!=d>=e||f::g $1 %')).toEqual([
      'ident:a', 'op:<=', 'ident:b', 'op:<>', 'ident:c', 'op:!=', 'ident:d', 'op:>=', 'ident:e', 'op:||',
      'ident:f', 'op:::', 'ident:g', 'param:1', 'op:%', 'eof:',
    ]);
  });

  it('skips comments, nested block comments included', () => {
    expect(kinds('a -- x\n/* b /* c */ d */ e')).toEqual(['ident:a', 'ident:e', 'eof:']);
  });

  it('tracks line and column across lines, strings and comments', () => {
    const toks = tokenize("select\n  'a\nb' /* x\n y */ z");
    expect(toks[1].pos).toEqual({ line: 2, column: 3, offset: 9 });
    expect(toks[2].pos).toEqual({ line: 4, column: 7, offset: 26 });
  });

  it('reports unterminated strings, identifiers and comments at their start', () => {
    expect(lexError("select 'abc").message).toBe('unterminated quoted string at line 1, column 8');
    expect(lexError('select\n "abc').message).toBe('unterminated quoted identifier at line 2, column 2');
    expect(lexError('select /* x').message).toBe('unterminated /* comment at line 1, column 8');
    expect(lexError('select $$x').message).toBe('unterminated dollar-quoted string at line 1, column 8');
    expect(lexError("select E'x\\'").message).toBe('unterminated quoted string at line 1, column 8');
  });

  it('reports bad characters', () => {
    const e = lexError('select a # b');
    expect(e.code).toBe('SYNTAX_ERROR');
    expect(e.message).toBe('syntax error at or near "#" at line 1, column 10');
    expect(lexError('select 12abc').message).toContain('trailing junk');
    expect(lexError('select ""').message).toContain('zero-length');
  });
});
