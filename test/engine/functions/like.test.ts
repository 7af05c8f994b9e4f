import { describe, it, expect } from 'vitest';
import { like, LikeMatcher } from '../../../engine/functions/like.ts';

/** LIKE by brute force over every way to split the text: the reference the matcher must agree with. */
function reference(s: string, p: string): boolean {
  const t = Array.from(s);
  const q = Array.from(p);
  const go = (i: number, j: number): boolean => {
    if (j === q.length) return i === t.length;
    if (q[j] === '%') { for (let k = i; k <= t.length; k++) if (go(k, j + 1)) return true; return false; }
    return i < t.length && (q[j] === '_' || q[j] === t[i]) && go(i + 1, j + 1);
  };
  return go(0, 0);
}

describe('LIKE matcher', () => {
  it('agrees with a brute-force reference on every short pattern over a small alphabet', () => {
    const alphabet = ['a', 'b', '%', '_'];
    const patterns: string[] = [''];
    for (let len = 1; len <= 4; len++) for (const p of patterns.filter((x) => x.length === len - 1)) for (const c of alphabet) patterns.push(p + c);
    const texts = ['', 'a', 'b', 'ab', 'ba', 'aab', 'abab', 'bbba', 'aaaa'];
    let checked = 0;
    for (const p of patterns) for (const s of texts) { expect(like(s, p, null, false), `${s} LIKE ${p}`).toBe(reference(s, p)); checked++; }
    expect(checked).toBe(patterns.length * texts.length);
  });

  it('agrees with the reference on patterns of literals and % over text with surrogate pairs (no code points needed)', () => {
    const alphabet = ['a', '\u{1F600}', '%'];
    const patterns: string[] = [''];
    for (let len = 1; len <= 4; len++) for (const p of patterns.filter((x) => Array.from(x).length === len - 1)) for (const c of alphabet) patterns.push(p + c);
    const texts = ['', 'a', '\u{1F600}', 'a\u{1F600}', '\u{1F600}a\u{1F600}', 'aa\u{1F600}\u{1F600}', '\u{1F600}\u{1F600}a', '\uD83D', '\uDE00a'];
    for (const p of patterns) for (const s of texts) expect(like(s, p, null, false), `${s} LIKE ${p}`).toBe(reference(s, p));
  });

  it("treats regex metacharacters as literals ('row-%' used to fail with Invalid escape)", () => {
    expect(like('row-17', 'row-%', '\\', false)).toBe(true);
    expect(like('row_17', 'row-%', '\\', false)).toBe(false);
    for (const c of ['-', '.', '*', '+', '?', '(', ')', '[', ']', '{', '}', '|', '^', '$', '/']) {
      expect(like(`x${c}y`, `x${c}%`, '\\', false), c).toBe(true);
      expect(like('xzy', `x${c}y`, '\\', false), c).toBe(false);
    }
  });

  it('counts code points and folds case for ILIKE', () => {
    expect(like('x😀y', 'x_y', '\\', false)).toBe(true);
    expect(like('x😀y', 'x__y', '\\', false)).toBe(false);
    expect(like('😀😀', '%😀', '\\', false)).toBe(true);
    expect(like('ÉCOLE', 'école', '\\', true)).toBe(true);
    expect(like('ÉCOLE', 'école', '\\', false)).toBe(false);
    expect(like('AbC', 'a_c', '\\', true)).toBe(true);
  });

  it('escapes: default backslash, custom, none', () => {
    expect(like('50%', '50\\%', '\\', false)).toBe(true);
    expect(like('500', '50\\%', '\\', false)).toBe(false);
    expect(like('a_b', 'a#_b', '#', false)).toBe(true);
    expect(like('axb', 'a#_b', '#', false)).toBe(false);
    expect(like('a\\b', 'a\\b', '', false)).toBe(true);
    expect(() => new LikeMatcher('ab\\', '\\')).toThrow('must not end with escape character');
  });

  it('does not backtrack: a many-% pattern over a long text finishes at once', () => {
    const p = '%a'.repeat(30) + 'b';
    const s = 'a'.repeat(100_000);
    const t0 = performance.now();
    expect(like(s, p, '\\', false)).toBe(false);
    expect(like(s + 'b', p, '\\', false)).toBe(true);
    // generous: a backtracking matcher needs astronomically long here; linear takes milliseconds
    expect(performance.now() - t0).toBeLessThan(5000);
  });
});
