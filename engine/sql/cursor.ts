// The parser's view of the token list: lookahead, keyword matching and the one way to report a
// syntax error (at the offending token, PostgreSQL style). Grammar modules share one Cursor.

import { SqlError } from '../errors.ts';
import type { Name, Pos } from './ast.ts';
import { tokenize, type Token } from './lexer.ts';

/** Words that can never be a bare identifier or an implicit alias (lower case). Other keywords
 * (DISTKEY, MODEL, TARGET, ...) are contextual and remain usable as names. */
export const RESERVED = new Set([
  'all', 'and', 'any', 'array', 'as', 'asc', 'between', 'both', 'case', 'cast', 'check', 'collate',
  'column', 'constraint', 'create', 'cross', 'current_date', 'current_time', 'current_timestamp',
  'current_user', 'default', 'desc', 'distinct', 'do', 'else', 'end', 'except', 'false', 'fetch',
  'for', 'foreign', 'from', 'full', 'grant', 'group', 'having', 'ilike', 'in', 'inner', 'intersect',
  'into', 'is', 'join', 'leading', 'left', 'like', 'limit', 'localtime', 'localtimestamp', 'natural',
  'not', 'null', 'offset', 'on', 'only', 'or', 'order', 'outer', 'primary', 'references', 'returning',
  'right', 'select', 'session_user', 'similar', 'some', 'sysdate', 'table', 'then', 'to', 'trailing',
  'true', 'union', 'unique', 'user', 'using', 'when', 'where', 'window', 'with',
]);

/** Deepest nesting of expressions/queries accepted, so hostile input cannot overflow the stack. */
const MAX_DEPTH = 400;

export class Cursor {
  readonly src: string;
  readonly tokens: Token[];
  i = 0;
  private depth = 0;

  constructor(src: string) {
    this.src = src;
    this.tokens = tokenize(src);
  }

  peek(k = 0): Token {
    const j = this.i + k;
    return this.tokens[j < this.tokens.length ? j : this.tokens.length - 1];
  }
  next(): Token {
    const t = this.peek();
    if (t.type !== 'eof') this.i++;
    return t;
  }
  get pos(): Pos { return this.peek().pos; }
  atEnd(): boolean { return this.peek().type === 'eof'; }

  /** Throws `syntax error at or near "<token>"` at the given (default: current) token. */
  fail(tok: Token = this.peek()): never {
    if (tok.type === 'eof') throw new SqlError('SYNTAX_ERROR', 'syntax error at end of input', tok.pos);
    throw new SqlError('SYNTAX_ERROR', `syntax error at or near "${tok.text}"`, tok.pos);
  }
  /** A syntax error with a specific message at a token. */
  failWith(message: string, tok: Token = this.peek()): never {
    throw new SqlError('SYNTAX_ERROR', message, tok.pos);
  }

  // ---- keywords (unquoted identifiers only) ----
  isKw(word: string, k = 0): boolean {
    const t = this.peek(k);
    return t.type === 'ident' && t.value === word;
  }
  /** True if the next tokens are exactly these keywords. */
  isKws(...words: string[]): boolean {
    for (let k = 0; k < words.length; k++) if (!this.isKw(words[k], k)) return false;
    return true;
  }
  /** Consumes the keyword sequence if present. */
  acceptKw(...words: string[]): boolean {
    if (!this.isKws(...words)) return false;
    this.i += words.length;
    return true;
  }
  expectKw(...words: string[]): void {
    for (const w of words) {
      if (!this.isKw(w)) this.fail();
      this.i++;
    }
  }
  /** Consumes and returns one of the given keywords (lower case), or undefined. */
  acceptOneOf(...words: string[]): string | undefined {
    const t = this.peek();
    if (t.type === 'ident' && words.includes(t.value)) { this.i++; return t.value; }
    return undefined;
  }
  expectOneOf(...words: string[]): string {
    return this.acceptOneOf(...words) ?? this.fail();
  }

  // ---- operators ----
  isOp(op: string, k = 0): boolean {
    const t = this.peek(k);
    return t.type === 'op' && t.value === op;
  }
  acceptOp(op: string): boolean {
    if (!this.isOp(op)) return false;
    this.i++;
    return true;
  }
  expectOp(op: string): void {
    if (!this.isOp(op)) this.fail();
    this.i++;
  }

  // ---- identifiers and literals ----
  /** True if the token can be a plain identifier (quoted, or an unreserved word). */
  isIdent(k = 0): boolean {
    const t = this.peek(k);
    return t.type === 'qident' || (t.type === 'ident' && !RESERVED.has(t.value));
  }
  /** An identifier (unreserved word or quoted). */
  ident(): string {
    if (!this.isIdent()) this.fail();
    return this.next().value;
  }
  /** Any word, reserved or not (after AS, after a dot). */
  anyIdent(): string {
    const t = this.peek();
    if (t.type !== 'ident' && t.type !== 'qident') this.fail();
    return this.next().value;
  }
  /** A dotted name: ident { '.' word }. */
  name(): Name {
    const parts = [this.ident()];
    while (this.isOp('.') && (this.peek(1).type === 'ident' || this.peek(1).type === 'qident')) {
      this.i++;
      parts.push(this.anyIdent());
    }
    return parts;
  }
  /** A comma-separated list of at least one item. */
  list<T>(item: () => T): T[] {
    const out = [item()];
    while (this.acceptOp(',')) out.push(item());
    return out;
  }
  /** '(' ident, ... ')' */
  identList(): string[] {
    this.expectOp('(');
    const out = this.list(() => this.ident());
    this.expectOp(')');
    return out;
  }
  string(): string {
    const t = this.peek();
    if (t.type !== 'string') this.fail();
    return this.next().value;
  }
  /** An unsigned integer literal. */
  integer(): number {
    const t = this.peek();
    if (t.type !== 'number' || !/^\d+$/.test(t.text)) this.fail();
    this.i++;
    return Number(t.text);
  }
  /** A possibly signed number literal. */
  number(): number {
    const neg = this.acceptOp('-');
    if (!neg) this.acceptOp('+');
    const t = this.peek();
    if (t.type !== 'number') this.fail();
    this.i++;
    return neg ? -Number(t.text) : Number(t.text);
  }
  /** TRUE | FALSE | ON | OFF (for options). */
  bool(): boolean {
    const w = this.expectOneOf('true', 'false', 'on', 'off');
    return w === 'true' || w === 'on';
  }

  /** Runs a nested production with a depth guard. */
  nested<T>(f: () => T): T {
    if (++this.depth > MAX_DEPTH) this.failWith('statement is too deeply nested');
    try { return f(); } finally { this.depth--; }
  }
}
