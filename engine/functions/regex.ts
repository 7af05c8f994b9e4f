// Redshift's REGEXP_* functions over RE2 (the `re2js` port): matching takes time linear in the
// text for every pattern, so a hostile pattern such as '^(a+)+$' cannot stall a slice or the
// server the way a backtracking engine (JS RegExp) does. RE2 has no backreferences; patterns
// using them are refused with a clear error. POSIX classes ([[:digit:]]) are native to RE2.
// Offsets are UTF-16 units internally and code points (SQL characters) at the interface.
// Linear is not bounded: re2js runs synchronously, in time about text length × pattern program
// size, and a slice cannot be canceled inside one call, so each call's work is capped up front
// (REGEX_WORK_LIMIT) and statement_timeout stops the statement between calls.
import { createRequire } from 'node:module';
import type { RE2JS, Matcher } from 're2js';
import { SqlError } from '../errors.ts';

// re2js takes ~100 ms to load: it loads with the first regular expression, not with every process
let re2: typeof RE2JS | undefined;
const RE2 = (): typeof RE2JS => (re2 ??= (createRequire(import.meta.url)('re2js') as typeof import('re2js')).RE2JS);

const SURROGATE = /[\uD800-\uDFFF]/;
const CACHE_LIMIT = 10_000;
const cache = new Map<string, RE2JS>();

/**
 * Most steps one call may take: text length (UTF-16 units) × (pattern program size + 16). The 16
 * covers the per-match cost of small patterns ('x*' matches at every character). Measured on
 * re2js 2.10 (2 busy cores): at most ~60 ns per step, so a call stays under ~120 ms. Any text a
 * Redshift VARCHAR holds (65,535 bytes) fits with a pattern of program size up to 14
 * ('[0-9]+', '(\\w+) (\\w+)'); a 1,000-character text fits patterns up to size 1,984.
 */
export const REGEX_WORK_LIMIT = 2_000_000;
/** Longest pattern: compiling takes up to ~6 µs per character. */
export const REGEX_PATTERN_LIMIT = 16_384;
const PER_CHAR = 16;

// Many calls in one batch add up: a slice runs its batches under withRegexCheck, and every
// REGEX_WORK_LIMIT steps the statement's cancel check runs (QUERY_CANCELED on timeout).
let check: (() => void) | null = null;
let spent = 0;

/** Runs `f` (synchronous) with `stop` called after about every REGEX_WORK_LIMIT steps of regular expressions in it. */
export function withRegexCheck<T>(stop: () => void, f: () => T): T {
  const outer = check;
  check = stop;
  try { return f(); } finally { check = outer; }
}

/** Throws LIMIT_EXCEEDED naming `fn` when matching `s` against `re` could take more than REGEX_WORK_LIMIT steps. */
function bounded(fn: string, s: string, re: RE2JS): RE2JS {
  const size = re.programSize();
  const steps = s.length * (size + PER_CHAR);
  if (steps <= REGEX_WORK_LIMIT) {
    if (check && (spent += steps) >= REGEX_WORK_LIMIT) { spent = 0; check(); }
    return re;
  }
  const most = Math.floor(REGEX_WORK_LIMIT / (size + PER_CHAR));
  throw new SqlError('LIMIT_EXCEEDED', `${fn}: the text (${s.length.toLocaleString('en-US')} characters) is too long for this pattern (program size ${size}): `
    + `one regular expression call may take at most ${REGEX_WORK_LIMIT.toLocaleString('en-US')} steps (text length × (program size + ${PER_CHAR})), `
    + `so this pattern allows texts of at most ${most.toLocaleString('en-US')} characters; use a shorter text or a simpler pattern`);
}

/** Compiles a pattern with Redshift parameters ('i', 'c', 'p', 'e'); cached by both. */
export function compileRegex(pattern: string, params = ''): RE2JS {
  const flags = regexFlags(params);
  const key = `${flags}\u0000${pattern}`;
  let re = cache.get(key);
  if (re) return re;
  if (pattern.length > REGEX_PATTERN_LIMIT) {
    throw new SqlError('LIMIT_EXCEEDED', `regular expression pattern too long (${pattern.length.toLocaleString('en-US')} characters; at most ${REGEX_PATTERN_LIMIT.toLocaleString('en-US')})`);
  }
  try {
    re = RE2().compile(pattern, flags);
  } catch (e) {
    const msg = (e as Error).message;
    if (/invalid escape sequence: `\\[1-9]/.test(msg) || /\\k<|\(\?P=/.test(pattern)) {
      throw new SqlError('FEATURE_NOT_SUPPORTED', `regular expression backreferences (such as \\1) are not supported: patterns must run in linear time (RE2 syntax); pattern: ${preview(pattern)}`);
    }
    throw new SqlError('INVALID_PARAMETER', `invalid regular expression: ${msg.replace(/^error parsing regexp: /, '')}`);
  }
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(key, re);
  return re;
}

function preview(p: string): string {
  return p.length > 60 ? `'${p.slice(0, 60)}...'` : `'${p}'`;
}

/** Redshift regex parameters: 'i' case-insensitive, 'c' case-sensitive (default), 'p'/'e' accepted. */
function regexFlags(params: string): number {
  let ci = false;
  for (const c of params) {
    if (c === 'i') ci = true;
    else if (c === 'c') ci = false;
    else if (c !== 'p' && c !== 'e') throw new SqlError('INVALID_PARAMETER', `invalid regular expression option: "${c}"`);
  }
  return ci ? RE2().CASE_INSENSITIVE : 0;
}

/** Character position (1-based) -> UTF-16 offset. */
function offsetOf(s: string, pos: number): number {
  if (pos < 1) throw new SqlError('INVALID_PARAMETER', 'position must be greater than zero');
  if (!SURROGATE.test(s)) return Math.min(pos - 1, s.length);
  return Array.from(s).slice(0, pos - 1).join('').length;
}

/** UTF-16 offset -> number of characters before it. */
function charsBefore(s: string, off: number): number {
  const head = s.slice(0, off);
  return SURROGATE.test(head) ? Array.from(head).length : off;
}

/** The matcher positioned at the occurrence-th match from `pos`, or null when there is none. */
function nthMatch(fn: string, s: string, pattern: string, pos: number, occurrence: number, params: string): Matcher | null {
  if (occurrence < 1) throw new SqlError('INVALID_PARAMETER', 'occurrence must be greater than zero');
  const m = bounded(fn, s, compileRegex(pattern, params)).matcher(s);
  if (!m.find(offsetOf(s, pos))) return null;
  for (let k = 1; k < occurrence; k++) if (!m.find()) return null;
  return m;
}

/** REGEXP_REPLACE replaces every match from `pos` on; \1..\9 in the replacement are the groups, \\ a backslash. */
export function regexpReplace(s: string, pattern: string, replacement = '', pos = 1, params = ''): string {
  const m = bounded('REGEXP_REPLACE', s, compileRegex(pattern, params)).matcher(s);
  const off = offsetOf(s, pos);
  const groups = m.groupCount();
  let out = s.slice(0, off);
  let last = off;
  if (m.find(off)) {
    do {
      out += s.slice(last, m.start()) + expand(replacement, m, groups);
      last = m.end();
    } while (m.find());
  }
  return out + s.slice(last);
}

/** The replacement text for the current match: \N is group N (empty when it did not take part). */
function expand(rep: string, m: Matcher, groups: number): string {
  if (!rep.includes('\\')) return rep;
  let out = '';
  for (let i = 0; i < rep.length; i++) {
    const c = rep[i];
    const d = rep.charCodeAt(i + 1) - 48;
    if (c === '\\' && rep[i + 1] === '\\') { out += '\\'; i++; }
    else if (c === '\\' && d >= 0 && d <= 9 && d <= groups) { out += m.group(d) ?? ''; i++; }
    else out += c;
  }
  return out;
}

/** REGEXP_SUBSTR: the occurrence-th match ('' when none); parameter 'e' returns the first group. */
export function regexpSubstr(s: string, pattern: string, pos = 1, occurrence = 1, params = ''): string {
  const m = nthMatch('REGEXP_SUBSTR', s, pattern, pos, occurrence, params);
  if (!m) return '';
  return params.includes('e') && m.groupCount() > 0 ? m.group(1) ?? '' : m.group(0) ?? '';
}

export function regexpCount(s: string, pattern: string, pos = 1, params = ''): number {
  const m = bounded('REGEXP_COUNT', s, compileRegex(pattern, params)).matcher(s);
  let n = 0;
  if (m.find(offsetOf(s, pos))) do n++; while (m.find());
  return n;
}

/** REGEXP_INSTR: 1-based character position of the match (option 1: just after it), 0 when none. */
export function regexpInstr(s: string, pattern: string, pos = 1, occurrence = 1, option = 0, params = ''): number {
  const m = nthMatch('REGEXP_INSTR', s, pattern, pos, occurrence, params);
  if (!m) return 0;
  return charsBefore(s, option === 1 ? m.end() : m.start()) + 1;
}

export function regexpLike(s: string, pattern: string, params = ''): boolean {
  return bounded('REGEXP_LIKE', s, compileRegex(pattern, params)).test(s);
}
