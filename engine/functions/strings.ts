// Runtime helpers for string functions, LIKE and regular expressions. Positions and lengths
// count characters (code points), as SQL does; the common all-BMP case takes the fast
// UTF-16 path. Patterns compile to RegExp once and are cached by their text.
import { createHash } from 'node:crypto';
import { SqlError } from '../errors.ts';

const SURROGATE = /[\uD800-\uDFFF]/;

/** The string as an array of code points, or null when every code point is one UTF-16 unit. */
function codePoints(s: string): string[] | null {
  return SURROGATE.test(s) ? Array.from(s) : null;
}

export function charLength(s: string): number {
  const cp = codePoints(s);
  return cp ? cp.length : s.length;
}

export function octetLength(s: string): number {
  return Buffer.byteLength(s, 'utf8');
}

/** SQL SUBSTRING(s FROM start [FOR len]): 1-based; a start before 1 still counts toward len. */
export function substr(s: string, start: number, len?: number): string {
  if (len !== undefined && len < 0) throw new SqlError('INVALID_PARAMETER', 'negative substring length not allowed');
  const cp = codePoints(s);
  const n = cp ? cp.length : s.length;
  let b = start - 1;
  let e = len === undefined ? n : b + len;
  if (b < 0) b = 0;
  if (e > n) e = n;
  if (e <= b) return '';
  return cp ? cp.slice(b, e).join('') : s.slice(b, e);
}

/** POSITION(sub IN s): 1-based character index of the first match, 0 when absent. */
export function position(sub: string, s: string): number {
  const i = s.indexOf(sub);
  if (i <= 0) return i + 1;
  return SURROGATE.test(s) ? Array.from(s.slice(0, i)).length + 1 : i + 1;
}

function trimSet(chars: string): Set<string> {
  return new Set(Array.from(chars));
}

export function btrim(s: string, chars = ' '): string {
  return rtrim(ltrim(s, chars), chars);
}
export function ltrim(s: string, chars = ' '): string {
  if (chars === ' ') return s.replace(/^ +/, '');
  const set = trimSet(chars);
  const cp = Array.from(s);
  let i = 0;
  while (i < cp.length && set.has(cp[i])) i++;
  return cp.slice(i).join('');
}
export function rtrim(s: string, chars = ' '): string {
  if (chars === ' ') return s.replace(/ +$/, '');
  const set = trimSet(chars);
  const cp = Array.from(s);
  let e = cp.length;
  while (e > 0 && set.has(cp[e - 1])) e--;
  return cp.slice(0, e).join('');
}

export function replace(s: string, from: string, to: string): string {
  return from === '' ? s : s.split(from).join(to);
}

/** TRANSLATE: each character of `from` becomes the character at the same place in `to`, or is deleted. */
export function translate(s: string, from: string, to: string): string {
  const f = Array.from(from);
  const t = Array.from(to);
  const map = new Map<string, string>();
  f.forEach((c, i) => { if (!map.has(c)) map.set(c, t[i] ?? ''); });
  let out = '';
  for (const c of s) {
    const r = map.get(c);
    out += r === undefined ? c : r;
  }
  return out;
}

export function left(s: string, n: number): string {
  const cp = codePoints(s);
  const len = cp ? cp.length : s.length;
  const e = n >= 0 ? Math.min(n, len) : Math.max(0, len + n);
  return cp ? cp.slice(0, e).join('') : s.slice(0, e);
}

export function right(s: string, n: number): string {
  const cp = codePoints(s);
  const len = cp ? cp.length : s.length;
  const b = n >= 0 ? Math.max(0, len - n) : Math.min(len, -n);
  return cp ? cp.slice(b).join('') : s.slice(b);
}

function pad(s: string, len: number, fill: string, atStart: boolean): string {
  if (len <= 0) return '';
  const cp = Array.from(s);
  if (cp.length >= len) return cp.slice(0, len).join('');
  if (fill === '') return s;
  const f = Array.from(fill);
  const need = len - cp.length;
  let padding = '';
  for (let i = 0; i < need; i++) padding += f[i % f.length];
  return atStart ? padding + s : s + padding;
}
export function lpad(s: string, len: number, fill = ' '): string { return pad(s, len, fill, true); }
export function rpad(s: string, len: number, fill = ' '): string { return pad(s, len, fill, false); }

export function splitPart(s: string, delim: string, n: number): string {
  if (n <= 0) throw new SqlError('INVALID_PARAMETER', 'field position must be greater than zero');
  if (delim === '') return n === 1 ? s : '';
  return s.split(delim)[n - 1] ?? '';
}

export function reverse(s: string): string {
  return Array.from(s).reverse().join('');
}

const MAX_STRING = 64 * 1024 * 1024;

export function repeat(s: string, n: number): string {
  if (n <= 0 || s === '') return '';
  if (s.length * n > MAX_STRING) throw new SqlError('INVALID_PARAMETER', 'requested length too large');
  return s.repeat(n);
}

/** INITCAP: upper-cases the first letter of each run of letters/digits, lower-cases the rest. */
export function initcap(s: string): string {
  let out = '';
  let inWord = false;
  for (const c of s) {
    const alnum = /[\p{L}\p{N}]/u.test(c);
    out += alnum ? (inWord ? c.toLowerCase() : c.toUpperCase()) : c;
    inWord = alnum;
  }
  return out;
}

export function md5(s: string): string {
  return createHash('md5').update(s, 'utf8').digest('hex');
}

export function chr(n: number): string {
  if (n === 0) throw new SqlError('INVALID_PARAMETER', 'null character not permitted');
  if (!Number.isInteger(n) || n < 0 || n > 0x10ffff || (n >= 0xd800 && n <= 0xdfff)) {
    throw new SqlError('INVALID_PARAMETER', `requested character too large for encoding: ${n}`);
  }
  return String.fromCodePoint(n);
}

export function ascii(s: string): number {
  return s.codePointAt(0) ?? 0;
}

const RESERVED = new Set(['all', 'and', 'any', 'as', 'asc', 'between', 'by', 'case', 'cast', 'check', 'column', 'create',
  'default', 'desc', 'distinct', 'else', 'end', 'false', 'from', 'group', 'having', 'in', 'is', 'join', 'limit', 'not',
  'null', 'on', 'or', 'order', 'select', 'table', 'then', 'to', 'true', 'union', 'user', 'when', 'where', 'with']);

/** Quotes an identifier only when it needs it (mixed case, symbols, reserved word). */
export function quoteIdent(s: string): string {
  if (/^[a-z_][a-z0-9_$]*$/.test(s) && !RESERVED.has(s)) return s;
  return '"' + s.replace(/"/g, '""') + '"';
}

export function quoteLiteral(s: string): string {
  return "'" + s.replace(/'/g, "''") + "'";
}

/** TO_HEX: negative values print as their 64-bit two's complement, as Postgres does for BIGINT. */
export function toHex(n: number): string {
  return n >= 0 ? n.toString(16) : BigInt.asUintN(64, BigInt(n)).toString(16);
}

export function concat(a: string, b: string): string {
  return a + b;
}

// ---------------------------------------------------------------- LIKE

/**
 * Translates a LIKE pattern to an anchored RegExp: % is any run, _ one character, the escape
 * character (default backslash; '' for none) makes the next character literal.
 */
export function likeToRegExp(pattern: string, escape: string | null = '\\', caseInsensitive = false): RegExp {
  escape ??= ''; // null: no escape character
  if (Array.from(escape).length > 1) throw new SqlError('INVALID_PARAMETER', 'invalid escape string');
  let src = '^';
  const cp = Array.from(pattern);
  for (let i = 0; i < cp.length; i++) {
    const c = cp[i];
    if (escape !== '' && c === escape) {
      if (i + 1 >= cp.length) throw new SqlError('INVALID_PARAMETER', 'LIKE pattern must not end with escape character');
      src += escapeRegExp(cp[++i]);
    } else if (c === '%') src += '.*';
    else if (c === '_') src += '.';
    else src += escapeRegExp(c);
  }
  return new RegExp(src + '$', caseInsensitive ? 'isu' : 'su');
}

function escapeRegExp(c: string): string {
  return /[\\^$.*+?()[\]{}|/-]/.test(c) ? '\\' + c : c;
}

const LIKE_CS = new Map<string, Map<string, RegExp>>();
const LIKE_CI = new Map<string, Map<string, RegExp>>();
const CACHE_LIMIT = 10_000;

/** Cached compiled LIKE pattern; two map lookups and no allocation per row. */
export function likeRe(pattern: string, escape: string, caseInsensitive: boolean): RegExp {
  const byEscape = caseInsensitive ? LIKE_CI : LIKE_CS;
  let cache = byEscape.get(escape);
  if (!cache) { cache = new Map(); byEscape.set(escape, cache); }
  let re = cache.get(pattern);
  if (!re) {
    if (cache.size > CACHE_LIMIT) cache.clear();
    re = likeToRegExp(pattern, escape, caseInsensitive);
    cache.set(pattern, re);
  }
  return re;
}

export function like(s: string, pattern: string, escape: string, caseInsensitive: boolean): boolean {
  return likeRe(pattern, escape, caseInsensitive).test(s);
}

// ---------------------------------------------------------------- regular expressions (POSIX-ish over JS RegExp)

const POSIX_CLASSES: Record<string, string> = {
  alpha: '\\p{L}', digit: '0-9', alnum: '\\p{L}\\p{N}', upper: '\\p{Lu}', lower: '\\p{Ll}', space: '\\s',
  punct: '!-\\/:-@\\[-`{-~', xdigit: '0-9A-Fa-f', blank: ' \\t', cntrl: '\\x00-\\x1f\\x7f', word: '\\w',
};

const REGEX_CACHE = new Map<string, RegExp>();

/** Compiles a Redshift regex (POSIX classes like [[:digit:]] allowed) with flags; cached. */
export function regex(pattern: string, flags: string): RegExp {
  const key = flags + '\u0000' + pattern;
  let re = REGEX_CACHE.get(key);
  if (re) return re;
  const src = pattern.replace(/\[:(\w+):\]/g, (m, name: string) => POSIX_CLASSES[name] ?? m);
  try {
    re = new RegExp(src, flags);
  } catch (e) {
    throw new SqlError('INVALID_PARAMETER', `invalid regular expression: ${(e as Error).message}`);
  }
  if (REGEX_CACHE.size > CACHE_LIMIT) REGEX_CACHE.clear();
  REGEX_CACHE.set(key, re);
  return re;
}

/** Redshift regex parameters: 'i' case-insensitive, 'c' case-sensitive (default), 'p'/'e' accepted. */
function regexFlags(params: string, global: boolean): string {
  let flags = global ? 'gu' : 'u';
  for (const c of params) {
    if (c === 'i') flags += flags.includes('i') ? '' : 'i';
    else if (c === 'c') flags = flags.replace('i', '');
    else if (c !== 'p' && c !== 'e') throw new SqlError('INVALID_PARAMETER', `invalid regular expression option: "${c}"`);
  }
  return flags;
}

/** Character position (1-based) -> UTF-16 offset. */
function offsetOf(s: string, pos: number): number {
  if (pos < 1) throw new SqlError('INVALID_PARAMETER', 'position must be greater than zero');
  if (!SURROGATE.test(s)) return Math.min(pos - 1, s.length);
  return Array.from(s).slice(0, pos - 1).join('').length;
}

/** REGEXP_REPLACE replaces every match from `pos` on; \1..\9 in the replacement are back-references. */
export function regexpReplace(s: string, pattern: string, replacement = '', pos = 1, params = ''): string {
  const re = regex(pattern, regexFlags(params, true));
  const off = offsetOf(s, pos);
  const rep = replacement.replace(/\$/g, '$$$$').replace(/\\(\d)/g, '$$$1').replace(/\\\\/g, '\\');
  return s.slice(0, off) + s.slice(off).replace(re, rep);
}

function nthMatch(s: string, pattern: string, pos: number, occurrence: number, params: string): RegExpExecArray | null {
  if (occurrence < 1) throw new SqlError('INVALID_PARAMETER', 'occurrence must be greater than zero');
  const re = regex(pattern, regexFlags(params, true));
  re.lastIndex = offsetOf(s, pos);
  let m: RegExpExecArray | null = null;
  for (let k = 0; k < occurrence; k++) {
    m = re.exec(s);
    if (!m) return null;
    if (m[0] === '') re.lastIndex++;
  }
  return m;
}

/** REGEXP_SUBSTR: the occurrence-th match ('' when none); parameter 'e' returns the first group. */
export function regexpSubstr(s: string, pattern: string, pos = 1, occurrence = 1, params = ''): string {
  const m = nthMatch(s, pattern, pos, occurrence, params);
  if (!m) return '';
  return params.includes('e') && m.length > 1 ? m[1] ?? '' : m[0];
}

export function regexpCount(s: string, pattern: string, pos = 1, params = ''): number {
  const re = regex(pattern, regexFlags(params, true));
  re.lastIndex = offsetOf(s, pos);
  let n = 0;
  for (let m = re.exec(s); m; m = re.exec(s)) {
    n++;
    if (m[0] === '') re.lastIndex++;
  }
  return n;
}

/** REGEXP_INSTR: 1-based character position of the match (option 1: just after it), 0 when none. */
export function regexpInstr(s: string, pattern: string, pos = 1, occurrence = 1, option = 0, params = ''): number {
  const m = nthMatch(s, pattern, pos, occurrence, params);
  if (!m) return 0;
  const off = m.index + (option === 1 ? m[0].length : 0);
  return charLength(s.slice(0, off)) + 1;
}

export function regexpLike(s: string, pattern: string, params = ''): boolean {
  return regex(pattern, regexFlags(params, false)).test(s);
}
