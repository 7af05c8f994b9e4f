import { describe, expect, it } from 'vitest';
import { ExplanationText } from '../../../ml/explain/explanation_text.ts';

/** Each value as its own row's text. */
function write(xs: number[]): string[] {
  const t = new ExplanationText(xs.length, false);
  for (const x of xs) { t.number(x); t.endRow(); }
  const dict = t.dictionary();
  return Array.from(t.codes, (c) => dict[c]);
}

describe('explanation text', () => {
  it('writes numbers as JavaScript does when 15 digits hold them, in JSON', () => {
    const exact = [0, 0.5, -2.5, 1.25, 3, 100, 0.1, 0.000123, 1e-6, 1.5e-7, 2e-7, 1e21, 1.5e21, 1e300, 123456789012345, 1e20, -0.03125];
    expect(write(exact)).toEqual(exact.map(String));
    expect(write([-0, NaN, Infinity, -Infinity])).toEqual(['0', 'null', 'null', 'null']);
  });

  it('rounds at the 15th significant digit, within one unit of it, over the whole range', () => {
    // a fixed pseudo-random sweep of magnitudes 1e-300 .. 1e300 and signs
    let seed = 12345;
    const rand = () => { seed = (Math.imul(seed, 1103515245) + 12345) >>> 0; return seed / 2 ** 32; };
    const xs = Array.from({ length: 5_000 }, () => (rand() - 0.5) * 10 ** Math.floor(rand() * 600 - 300));
    xs.push(0.30000000000000004, 0.9999999999999999, 999999999999999.9, 5e-324, 1.7976931348623157e308, -1.7976931348623157e308);
    const texts = write(xs);
    const wrong = xs.filter((x, i) => {
      const s = texts[i];
      const want = Number(x.toPrecision(15)), got = JSON.parse(s) as number;
      const digits = s.replace(/^-|e.*$|\./g, '').replace(/^0+|0+$/g, '').length;
      // the largest doubles would round past the range at 15 digits: they are written in full
      const largest = Math.abs(x) > 1.79769313486231e308;
      return !/^-?(0|[1-9]\d*)(\.\d+)?(e[+-]\d+)?$/.test(s) || Math.abs(got - want) > Math.abs(want) * 1.5e-14
        || (largest ? got !== x : digits > 15);
    });
    expect(wrong).toEqual([]);
    expect(texts.slice(-6, -2)).toEqual(['0.3', '1', '1000000000000000', '4.94065645841247e-324']);
  });

  it('gives equal row texts one dictionary entry and keeps different ones apart', () => {
    const t = new ExplanationText(5, false);
    const row = (label: string, xs: number[]) => { t.text(`{"label":${label},"v":[`); xs.forEach((x, i) => { if (i) t.text(','); t.number(x); }); t.text(']}'); t.endRow(); };
    row('"a"', [1, 2.5]);
    row('"b"', [1, 2.5]); // same numbers, another label
    row('"a"', [1, 2.5]);
    row('"a"', [1, 2.500000000000001]); // equal once written with 15 digits
    row('"a"', [2.5, 1]);
    const dict = t.dictionary();
    expect(dict).toEqual(['{"label":"a","v":[1,2.5]}', '{"label":"b","v":[1,2.5]}', '{"label":"a","v":[2.5,1]}']);
    expect(Array.from(t.codes)).toEqual([0, 1, 0, 0, 2]);
  });

  it('grows past its first guess of the texts\' length', () => {
    const t = new ExplanationText(2, false);
    const xs = Array.from({ length: 2000 }, (_, i) => i / 7);
    for (let r = 0; r < 2; r++) { t.text('['); xs.forEach((x, i) => { if (i) t.text(','); t.number(x + r); }); t.text(']'); t.endRow(); }
    const dict = t.dictionary();
    expect(dict.map((s) => (JSON.parse(s) as number[]).length)).toEqual([2000, 2000]);
    expect((JSON.parse(dict[1]) as number[])[1999]).toBeCloseTo(1999 / 7 + 1, 10);
  });

  it('holds names past Latin-1 in a wide buffer', () => {
    const names = ['"größe":', '"高さ":'];
    expect(ExplanationText.needsWide(names)).toBe(true);
    expect(ExplanationText.needsWide(['"größe":'])).toBe(false);
    const t = new ExplanationText(2, true);
    for (const x of [1.5, -3]) { t.text('{'); t.text(names[0]); t.number(x); t.text(','); t.text(names[1]); t.number(x * 2); t.text('}'); t.endRow(); }
    expect(t.dictionary().map((s) => JSON.parse(s))).toEqual([{ größe: 1.5, 高さ: 3 }, { größe: -3, 高さ: -6 }]);
  });
});
