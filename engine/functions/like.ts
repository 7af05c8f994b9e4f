// LIKE / ILIKE matching without regular expressions. A pattern is split at '%' into segments of
// literal characters and '_' wildcards; matching anchors the first and last segments and finds
// the middle ones leftmost-first, which is exact for LIKE and takes at most O(text × pattern)
// steps, so no user pattern can make a scan backtrack (a RegExp built from '%a%a%a...b' can
// take O(text^k)). Characters are code points, as SQL counts them; text without surrogates (the
// common case) is read in place with native string search for literal segments.
import { SqlError } from '../errors.ts';

const SURROGATE = /[\uD800-\uDFFF]/;
/** A segment position that matches any one character ('_'). */
const ANY = -1;

/** A run of the pattern between two '%': code points (ANY for '_'), and the text when it has no '_'. */
interface Segment { codes: Int32Array; literal: string | null }

/** A compiled LIKE pattern; `test` is the only thing callers need. */
export class LikeMatcher {
  private readonly segments: Segment[];
  /** whether the pattern has no '%' at all (the one segment must cover the whole text) */
  private readonly exact: boolean;

  constructor(pattern: string, escape: string | null = '\\', private readonly caseInsensitive = false) {
    const escCp = Array.from(escape ?? ''); // null or '': no escape character
    if (escCp.length > 1) throw new SqlError('INVALID_PARAMETER', 'invalid escape string');
    const escape0 = escCp.length ? escCp[0].codePointAt(0)! : -2;
    const segments: number[][] = [[]];
    const cps = Array.from(pattern, (c) => c.codePointAt(0)!);
    for (let i = 0; i < cps.length; i++) {
      const c = cps[i];
      const seg = segments[segments.length - 1];
      if (c === escape0) {
        if (i + 1 >= cps.length) throw new SqlError('INVALID_PARAMETER', 'LIKE pattern must not end with escape character');
        seg.push(this.fold(cps[++i]));
      } else if (c === 0x25 /* % */) segments.push([]);
      else if (c === 0x5f /* _ */) seg.push(ANY);
      else seg.push(this.fold(c));
    }
    this.exact = segments.length === 1;
    this.segments = segments.map((s) => ({ codes: Int32Array.from(s), literal: s.includes(ANY) ? null : String.fromCodePoint(...s) }));
    if (!caseInsensitive && this.segments.every((s) => s.literal !== null)) this.literals = this.segments.map((s) => s.literal!);
  }

  /**
   * The segments' texts when none has a '_' (and case matters): then matching needs no code
   * points. A literal is well-formed UTF-16, so it only matches at character boundaries, and
   * lengths in UTF-16 units compare as well as in characters.
   */
  private readonly literals: string[] | null = null;

  /** Whether `s` matches the whole pattern. */
  test(s: string): boolean {
    if (this.literals !== null) return this.testLiterals(s, this.literals);
    const t = this.caseInsensitive ? foldText(s) : s;
    return t !== null && !SURROGATE.test(t) ? this.run(new StringText(t)) : this.run(new CodeText(this.codePoints(s)));
  }

  /** '%'-separated literal segments: the first anchored at the start, the last at the end, the others leftmost between. */
  private testLiterals(s: string, lits: string[]): boolean {
    if (lits.length === 1) return s === lits[0];
    const first = lits[0], last = lits[lits.length - 1];
    const end = s.length - last.length;
    if (first.length > end || !s.startsWith(first) || !s.endsWith(last)) return false;
    let at = first.length;
    for (let k = 1; k < lits.length - 1; k++) {
      const found = s.indexOf(lits[k], at);
      if (found < 0 || found + lits[k].length > end) return false;
      at = found + lits[k].length;
    }
    return true;
  }

  private run(text: Text): boolean {
    const n = text.length;
    const segs = this.segments;
    const first = segs[0];
    if (this.exact) return first.codes.length === n && text.matchesAt(first, 0);
    const last = segs[segs.length - 1];
    const end = n - last.codes.length;
    if (first.codes.length > end) return false;
    if (!text.matchesAt(first, 0) || !text.matchesAt(last, end)) return false;
    let at = first.codes.length;
    for (let k = 1; k < segs.length - 1; k++) {
      const found = text.indexOf(segs[k], at, end);
      if (found < 0) return false;
      at = found + segs[k].codes.length;
    }
    return true;
  }

  private codePoints(s: string): number[] {
    const out: number[] = [];
    for (const ch of s) out.push(this.fold(ch.codePointAt(0)!));
    return out;
  }

  /** ILIKE compares characters by their one-character lower case. */
  private fold(c: number): number {
    if (!this.caseInsensitive) return c;
    if (c < 0x80) return c >= 0x41 && c <= 0x5a ? c + 32 : c;
    if (c === FINAL_SIGMA) return SIGMA;
    const lower = String.fromCodePoint(c).toLowerCase();
    const l = lower.codePointAt(0)!;
    return lower.length === String.fromCodePoint(l).length ? l : c;
  }
}

const SIGMA = 0x3c3;
const FINAL_SIGMA = 0x3c2;

/** Lower-cased text when lower-casing maps each character to one character (else null: per code point). */
function foldText(s: string): string | null {
  let t = s.toLowerCase();
  if (t.length !== s.length) return null;
  if (t.includes('\u03c2')) t = t.replace(/\u03c2/g, '\u03c3'); // toLowerCase picks final sigma by context
  return t;
}

/** The text being matched, one code per character. */
interface Text {
  readonly length: number;
  matchesAt(seg: Segment, at: number): boolean;
  /** the first position in [from, end - seg length] where `seg` matches, or -1 */
  indexOf(seg: Segment, from: number, end: number): number;
}

/** A string without surrogates: its UTF-16 units are its characters (read in place). */
class StringText implements Text {
  readonly length: number;
  constructor(private readonly s: string) { this.length = s.length; }
  matchesAt(seg: Segment, at: number): boolean {
    if (seg.literal !== null) return this.s.startsWith(seg.literal, at);
    const c = seg.codes;
    for (let j = 0; j < c.length; j++) if (c[j] !== ANY && this.s.charCodeAt(at + j) !== c[j]) return false;
    return true;
  }
  indexOf(seg: Segment, from: number, end: number): number {
    if (seg.literal !== null) {
      const i = this.s.indexOf(seg.literal, from);
      return i >= 0 && i + seg.literal.length <= end ? i : -1;
    }
    for (let i = from; i + seg.codes.length <= end; i++) if (this.matchesAt(seg, i)) return i;
    return -1;
  }
}

/** Text as an array of (case-folded) code points. */
class CodeText implements Text {
  readonly length: number;
  constructor(private readonly cps: number[]) { this.length = cps.length; }
  matchesAt(seg: Segment, at: number): boolean {
    const c = seg.codes;
    for (let j = 0; j < c.length; j++) if (c[j] !== ANY && this.cps[at + j] !== c[j]) return false;
    return true;
  }
  indexOf(seg: Segment, from: number, end: number): number {
    for (let i = from; i + seg.codes.length <= end; i++) if (this.matchesAt(seg, i)) return i;
    return -1;
  }
}

const CACHE_LIMIT = 10_000;
const cache = new Map<string, LikeMatcher>();

/** The compiled matcher for a pattern, cached by pattern, escape and case sensitivity. */
export function likeMatcher(pattern: string, escape: string | null, caseInsensitive: boolean): LikeMatcher {
  const key = `${caseInsensitive ? 'i' : 'c'}${escape === null ? '\u0001' : escape}\u0000${pattern}`;
  let m = cache.get(key);
  if (!m) {
    m = new LikeMatcher(pattern, escape, caseInsensitive);
    if (cache.size >= CACHE_LIMIT) cache.clear();
    cache.set(key, m);
  }
  return m;
}

/** s LIKE pattern [ESCAPE escape] (ILIKE when caseInsensitive). */
export function like(s: string, pattern: string, escape: string | null, caseInsensitive: boolean): boolean {
  return likeMatcher(pattern, escape, caseInsensitive).test(s);
}
