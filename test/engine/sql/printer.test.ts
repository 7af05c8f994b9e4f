import { describe, expect, it } from 'vitest';
import { parse, parseOne } from '../../../engine/sql/parser.ts';
import { printExpr, printStatement } from '../../../engine/sql/printer.ts';
import type { Expr } from '../../../engine/sql/ast.ts';
import { stripPos } from './helpers.ts';
import { STATEMENTS } from './statements.ts';

describe('printer round trip', () => {
  it.each(STATEMENTS)('%s', sql => {
    const first = parseOne(sql);
    const printed = printStatement(first);
    const second = parseOne(printed);
    expect(stripPos(second)).toEqual(stripPos(first));
    // printing is a fixed point after one trip
    expect(printStatement(second)).toBe(printed);
  });

  it('round-trips the whole corpus as one script', () => {
    const script = STATEMENTS.map(s => s.replace(/;\s*$/, '')).join('\n;\n');
    const stmts = parse(script);
    expect(stmts).toHaveLength(STATEMENTS.length);
    const again = parse(stmts.map(printStatement).join(';\n'));
    expect(stripPos(again)).toEqual(stripPos(stmts));
  });
});

describe('printExpr', () => {
  const exprOf = (sql: string): Expr => {
    const s = parseOne(`SELECT ${sql}`);
    if (s.kind !== 'Query' || s.query.kind !== 'Select') throw new Error('not a select');
    return s.query.columns[0].expr;
  };
  it.each([
    ['a+b*c', 'a + b * c'],
    ['(a+b)*c', '(a + b) * c'],
    ['a-(b-c)', 'a - (b - c)'],
    ['- -1', '- -1'],
    ['-(1)::int', '-1::INTEGER'],
    ['(-1)::int', '(-1)::INTEGER'],
    ['not (a and b)', 'NOT (a AND b)'],
    ['(a or b) and c', '(a OR b) AND c'],
    ['x not between 1 and 2', 'x NOT BETWEEN 1 AND 2'],
    ["'it''s'", "'it''s'"],
    ['"Weird"."Col"', '"Weird"."Col"'],
    ['"select"', '"select"'],
    ['12.30', '12.30'],
  ])('%s -> %s', (input, out) => {
    expect(printExpr(exprOf(input))).toBe(out);
  });
});
