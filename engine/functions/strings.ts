// Runtime helpers for string functions, LIKE and regular expressions. Positions and lengths
// count characters (code points), as SQL does; the common all-BMP case takes the fast
// UTF-16 path. LIKE and REGEXP_* live in like.ts and regex.ts (no backtracking engine).
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
export function toHex(n: number | bigint): string {
  return n >= 0 ? n.toString(16) : BigInt.asUintN(64, BigInt(n)).toString(16);
}

export function concat(a: string, b: string): string {
  return a + b;
}

// ---------------------------------------------------------------- LIKE and regular expressions

// Both run in time linear (LIKE: text × pattern) in their input; see like.ts and regex.ts.
export { like } from './like.ts';
export { regexpReplace, regexpSubstr, regexpCount, regexpInstr, regexpLike } from './regex.ts';
export { jsonExtractPathText } from './json.ts';
