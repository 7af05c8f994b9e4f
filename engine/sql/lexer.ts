// Hand-written SQL lexer over char codes: one pass, no per-character regexes. It produces the
// whole token list up front (statements are small next to the data they touch), with each
// token's 1-based line:column so every later error can point at the source.

import { SqlError } from '../errors.ts';
import type { Pos } from './ast.ts';

export type TokenType = 'ident' | 'qident' | 'string' | 'number' | 'param' | 'op' | 'eof';

/** One token. `value` is the lower-cased word for `ident`, the decoded text for `qident` and
 * `string`, the digits for `number`/`param`, the operator for `op`. `text` is the raw source. */
export interface Token {
  type: TokenType;
  value: string;
  text: string;
  pos: Pos;
  /** offset just past the token */
  end: number;
  /** for strings: how the literal was quoted (needed to map offsets inside it) */
  quote?: 'standard' | 'escape' | 'dollar';
}

const C = {
  tab: 9, nl: 10, cr: 13, space: 32, bang: 33, dquote: 34, dollar: 36, percent: 37, quote: 39,
  lparen: 40, rparen: 41, star: 42, plus: 43, comma: 44, minus: 45, dot: 46, slash: 47,
  d0: 48, d9: 57, colon: 58, semi: 59, lt: 60, eq: 61, gt: 62, A: 65, E: 69, N: 78, Z: 90,
  at: 64, lbrack: 91, backslash: 92, rbrack: 93, caret: 94, under: 95, a: 97, e: 101, n: 110, z: 122, bar: 124,
};

const isDigit = (c: number) => c >= C.d0 && c <= C.d9;
const isHex = (c: number) => isDigit(c) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);
const isIdentStart = (c: number) =>
  (c >= C.a && c <= C.z) || (c >= C.A && c <= C.Z) || c === C.under || c >= 128;
const isIdentPart = (c: number) => isIdentStart(c) || isDigit(c) || c === C.dollar;

/** Redshift's limit on the length of a name, in UTF-8 bytes. */
export const MAX_IDENTIFIER_BYTES = 127;

/** Splits SQL text into tokens, ending with one `eof` token. Throws SqlError on bad input. */
export function tokenize(src: string): Token[] {
  const out: Token[] = [];
  const n = src.length;
  let i = 0;
  let line = 1;
  let lineStart = 0;

  const posAt = (offset: number): Pos => ({ line, column: offset - lineStart + 1, offset });
  const fail = (msg: string, p: Pos): never => { throw new SqlError('SYNTAX_ERROR', msg, p); };
  /** Advances over src[from, to) counting newlines (for multi-line strings and comments). */
  const countLines = (from: number, to: number) => {
    for (let k = from; k < to; k++) if (src.charCodeAt(k) === C.nl) { line++; lineStart = k + 1; }
  };
  // names end up in manifests and internal keys: Redshift's limits keep them bounded and clean
  const checkIdentifier = (name: string, p: Pos) => {
    if (name.includes('\0')) fail('identifiers may not contain the NUL character', p);
    const bytes = Buffer.byteLength(name, 'utf8');
    if (bytes > MAX_IDENTIFIER_BYTES) fail(`identifier "${name.slice(0, 20)}..." is ${bytes} bytes long; the limit is ${MAX_IDENTIFIER_BYTES}`, p);
  };
  const push = (type: TokenType, value: string, start: Pos, end: number, quote?: Token['quote']) => {
    const t: Token = { type, value, text: src.slice(start.offset, end), pos: start, end };
    if (quote) t.quote = quote;
    out.push(t);
  };

  while (i < n) {
    const c = src.charCodeAt(i);
    if (c === C.nl) { i++; line++; lineStart = i; continue; }
    if (c === C.space || c === C.tab || c === C.cr || c === 12 || c === 11) { i++; continue; }
    const start = posAt(i);

    if (c === C.minus && src.charCodeAt(i + 1) === C.minus) {
      while (i < n && src.charCodeAt(i) !== C.nl) i++;
      continue;
    }
    if (c === C.slash && src.charCodeAt(i + 1) === C.star) {
      // block comments nest, as in PostgreSQL
      let depth = 1;
      let k = i + 2;
      while (k < n && depth > 0) {
        const d = src.charCodeAt(k);
        if (d === C.slash && src.charCodeAt(k + 1) === C.star) { depth++; k += 2; }
        else if (d === C.star && src.charCodeAt(k + 1) === C.slash) { depth--; k += 2; }
        else k++;
      }
      if (depth > 0) fail('unterminated /* comment', start);
      countLines(i, k);
      i = k;
      continue;
    }

    if (isIdentStart(c)) {
      // E'...' escape strings and N'...' national strings
      if ((c === C.E || c === C.e || c === C.N || c === C.n) && src.charCodeAt(i + 1) === C.quote) {
        if (c === C.E || c === C.e) scanEscapeString(i + 1);
        else scanStandardString(i + 1);
        continue;
      }
      let k = i + 1;
      while (k < n && isIdentPart(src.charCodeAt(k))) k++;
      checkIdentifier(src.slice(i, k), start);
      push('ident', src.slice(i, k).toLowerCase(), start, k);
      i = k;
      continue;
    }

    if (isDigit(c) || (c === C.dot && isDigit(src.charCodeAt(i + 1)))) {
      let k = i;
      while (k < n && isDigit(src.charCodeAt(k))) k++;
      if (src.charCodeAt(k) === C.dot && src.charCodeAt(k + 1) !== C.dot) {
        k++;
        while (k < n && isDigit(src.charCodeAt(k))) k++;
      }
      const e = src.charCodeAt(k);
      if (e === C.e || e === C.E) {
        let j = k + 1;
        const s = src.charCodeAt(j);
        if (s === C.plus || s === C.minus) j++;
        if (isDigit(src.charCodeAt(j))) {
          k = j;
          while (k < n && isDigit(src.charCodeAt(k))) k++;
        }
      }
      if (k < n && isIdentPart(src.charCodeAt(k))) {
        let j = k;
        while (j < n && isIdentPart(src.charCodeAt(j))) j++;
        fail(`trailing junk after numeric literal at or near "${src.slice(i, j)}"`, start);
      }
      push('number', src.slice(i, k), start, k);
      i = k;
      continue;
    }

    if (c === C.quote) { scanStandardString(i); continue; }

    if (c === C.dquote) {
      let k = i + 1;
      let value = '';
      let chunk = k;
      for (;;) {
        if (k >= n) fail('unterminated quoted identifier', start);
        const d = src.charCodeAt(k);
        if (d === C.dquote) {
          if (src.charCodeAt(k + 1) === C.dquote) { value += src.slice(chunk, k + 1); k += 2; chunk = k; continue; }
          value += src.slice(chunk, k);
          k++;
          break;
        }
        k++;
      }
      if (value.length === 0) fail('zero-length delimited identifier', start);
      checkIdentifier(value, start);
      push('qident', value, start, k);
      countLines(i, k);
      i = k;
      continue;
    }

    if (c === C.dollar) {
      const d = src.charCodeAt(i + 1);
      if (isDigit(d)) {
        let k = i + 1;
        while (k < n && isDigit(src.charCodeAt(k))) k++;
        push('param', src.slice(i + 1, k), start, k);
        i = k;
        continue;
      }
      // $tag$ ... $tag$
      let k = i + 1;
      while (k < n && isIdentPart(src.charCodeAt(k)) && src.charCodeAt(k) !== C.dollar) k++;
      if (src.charCodeAt(k) === C.dollar && (k === i + 1 || !isDigit(src.charCodeAt(i + 1)))) {
        const delim = src.slice(i, k + 1);
        const close = src.indexOf(delim, k + 1);
        if (close < 0) fail('unterminated dollar-quoted string', start);
        const end = close + delim.length;
        push('string', src.slice(k + 1, close), start, end, 'dollar');
        countLines(i, end);
        i = end;
        continue;
      }
      fail('syntax error at or near "$"', start);
    }

    // operators and punctuation
    const c2 = src.charCodeAt(i + 1);
    let op = '';
    switch (c) {
      case C.lt: op = c2 === C.eq ? '<=' : c2 === C.gt ? '<>' : '<'; break;
      case C.gt: op = c2 === C.eq ? '>=' : '>'; break;
      case C.bang: if (c2 === C.eq) op = '!='; break;
      case C.bar: if (c2 === C.bar) op = '||'; break;
      case C.colon: op = c2 === C.colon ? '::' : ':'; break;
      case C.lparen: case C.rparen: case C.comma: case C.semi: case C.dot: case C.star: case C.plus:
      case C.minus: case C.slash: case C.percent: case C.eq: case C.lbrack: case C.rbrack: case C.caret: case C.at:
        op = src[i]; break;
    }
    if (!op) {
      const cp = src.codePointAt(i) ?? c;
      fail(`syntax error at or near "${String.fromCodePoint(cp)}"`, start);
    }
    push('op', op, start, i + op.length);
    i += op.length;
  }
  out.push({ type: 'eof', value: '', text: '', pos: posAt(n), end: n });
  return out;

  /** '...' with '' as the only escape; `q` is the offset of the opening quote. */
  function scanStandardString(q: number): void {
    const start = posAt(i);
    let k = q + 1;
    let value = '';
    let chunk = k;
    for (;;) {
      if (k >= n) fail('unterminated quoted string', start);
      if (src.charCodeAt(k) === C.quote) {
        if (src.charCodeAt(k + 1) === C.quote) { value += src.slice(chunk, k + 1); k += 2; chunk = k; continue; }
        value += src.slice(chunk, k);
        k++;
        break;
      }
      k++;
    }
    push('string', value, start, k, 'standard');
    countLines(i, k);
    i = k;
  }

  /** E'...' with backslash escapes (\n, \t, \\, \', \ooo, \xhh, \uXXXX) and ''. */
  function scanEscapeString(q: number): void {
    const start = posAt(i);
    let k = q + 1;
    let value = '';
    for (;;) {
      if (k >= n) fail('unterminated quoted string', start);
      const d = src.charCodeAt(k);
      if (d === C.quote) {
        if (src.charCodeAt(k + 1) === C.quote) { value += "'"; k += 2; continue; }
        k++;
        break;
      }
      if (d === C.backslash && k + 1 < n) {
        const r = decodeEscape(src, k);
        value += r.text;
        k = r.next;
        continue;
      }
      value += src[k];
      k++;
    }
    push('string', value, start, k, 'escape');
    countLines(i, k);
    i = k;
  }
}

const SIMPLE_ESCAPES: Record<string, string> = { b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };

/** Decodes one backslash escape at src[k] (the backslash); returns its text and the next offset. */
export function decodeEscape(src: string, k: number): { text: string; next: number } {
  const e = src[k + 1];
  if (SIMPLE_ESCAPES[e] !== undefined) return { text: SIMPLE_ESCAPES[e], next: k + 2 };
  const hexRun = (from: number, max: number) => {
    let j = from;
    while (j < from + max && j < src.length && isHex(src.charCodeAt(j))) j++;
    return j;
  };
  if (e === 'x') {
    const j = hexRun(k + 2, 2);
    if (j > k + 2) return { text: String.fromCharCode(parseInt(src.slice(k + 2, j), 16)), next: j };
  }
  if (e === 'u' || e === 'U') {
    const len = e === 'u' ? 4 : 8;
    const j = hexRun(k + 2, len);
    if (j === k + 2 + len) {
      const cp = parseInt(src.slice(k + 2, j), 16);
      if (cp <= 0x10ffff) return { text: String.fromCodePoint(cp), next: j };
    }
  }
  if (e >= '0' && e <= '7') {
    let j = k + 1;
    while (j < k + 4 && src[j] >= '0' && src[j] <= '7') j++;
    return { text: String.fromCharCode(parseInt(src.slice(k + 1, j), 8) & 0xff), next: j };
  }
  return { text: e, next: k + 2 };
}

/** Maps an offset inside a string token's decoded value back to its offset in the source, so
 * errors in SQL nested inside a string (UNLOAD) point at the right place. */
export function sourceOffsetInString(src: string, tok: Token, inner: number): number {
  if (tok.quote === 'dollar') {
    const open = src.indexOf('$', tok.pos.offset + 1) + 1;
    return open + inner;
  }
  let k = tok.pos.offset + (tok.quote === 'escape' ? 2 : 1);
  if (tok.quote === 'standard' && src.charCodeAt(tok.pos.offset) !== C.quote) k = tok.pos.offset + 2; // N'..'
  let decoded = 0;
  while (decoded < inner && k < tok.end - 1) {
    if (src.charCodeAt(k) === C.quote) { k += 2; decoded++; continue; }
    if (tok.quote === 'escape' && src.charCodeAt(k) === C.backslash) {
      const r = decodeEscape(src, k);
      decoded += r.text.length;
      k = r.next;
      continue;
    }
    k++;
    decoded++;
  }
  return k;
}

/** The 1-based line:column of an offset in `src`. */
export function positionOf(src: string, offset: number): Pos {
  let line = 1;
  let lineStart = 0;
  for (let k = 0; k < offset && k < src.length; k++) {
    if (src.charCodeAt(k) === C.nl) { line++; lineStart = k + 1; }
  }
  return { line, column: offset - lineStart + 1, offset };
}
