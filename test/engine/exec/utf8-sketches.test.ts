// COPY sketches and zone-maps string columns from their UTF-8 bytes, and numbers through a cache
// of recent values (exec/stats-gather.ts, storage/column-stats.ts). Table statistics merge those
// sketches with ones made from JS strings (INSERT, ANALYZE), so each must equal what the plain
// path over the decoded values gives: same hashes, same registers, same bounds.
import { describe, expect, it } from 'vitest';
import { hash52, hash52Ascii } from '../../../engine/functions/aggregates/approx-count-distinct.ts';
import { addVector, emptyFigures, sketchColumns } from '../../../engine/exec/stats-gather.ts';
import { computeStats } from '../../../engine/storage/column-stats.ts';
import { MIN_ENTRIES, Utf8DictionaryBuilder } from '../../../engine/exec/utf8-dictionary.ts';
import { T } from '../../../engine/types/types.ts';
import type { Vector } from '../../../engine/types/vector.ts';
import { rng } from '../../support/rng.ts';

/** A string column built the way COPY builds it, and the same column with its dictionary decoded. */
function column(values: (string | null)[]): { bytes: Vector; text: Vector; utf8: ReturnType<Utf8DictionaryBuilder['take']> } {
  const b = new Utf8DictionaryBuilder();
  const codes = new Int32Array(values.length);
  const valid = values.includes(null) ? new Uint8Array(values.length).fill(1) : null;
  values.forEach((v, i) => {
    if (v === null) { valid![i] = 0; return; }
    const buf = Buffer.from(v);
    codes[i] = b.code(buf, 0, buf.length);
  });
  const utf8 = b.take();
  const dict = Array.from({ length: utf8.offsets.length - 1 }, (_, k) => Buffer.from(utf8.bytes.subarray(utf8.offsets[k], utf8.offsets[k + 1])).toString('utf8'));
  const bytes: Vector = { type: T.varchar, length: values.length, values: codes, valid };
  return { bytes, text: { ...bytes, dict }, utf8 };
}

const words = (n: number, seed: number, pool: string[], distinct: boolean): (string | null)[] => {
  const r = rng(seed);
  return Array.from({ length: n }, (_, i) => (r() < 0.05 ? null : `${pool[Math.floor(r() * pool.length)]}${distinct ? ` ${i}` : ''}`));
};

describe('string sketches and bounds from UTF-8 bytes', () => {
  it('hash52Ascii equals hash52 of the string the bytes spell', () => {
    for (const s of ['', 'a', 'DELIVER IN PERSON', 'furiously ironic packages 123', 'x'.repeat(300)]) {
      const b = Buffer.from(`..${s}..`);
      expect(hash52Ascii(b, 2, 2 + s.length), s).toBe(hash52(s));
    }
  });

  const cases: [string, (string | null)[]][] = [
    ['repeated ASCII values', words(5000, 1, ['AIR', 'RAIL', 'TRUCK', 'MAIL', 'A', 'R'], false)],
    ['distinct ASCII values, past where interning stops', words(MIN_ENTRIES + 5000, 2, ['quickly', 'bold', 'Zeta', 'alpha'], true)],
    ['multi-byte values', words(3000, 3, ['é', '東京', 'smile 😀', 'Zürich', 'plain', ''], false)],
    ['distinct multi-byte values', words(20_000, 4, ['é', '東京', 'naïve', 'ÆØÅ'], true)],
  ];
  for (const [name, values] of cases) {
    it(`${name}: the same sketch, bounds, codes and bytes as from the decoded strings`, () => {
      const { bytes, text, utf8 } = column(values);
      const fromBytes = sketchColumns([bytes], [utf8])[0];
      const fromText = addVector(emptyFigures(), text).sketch;
      expect(fromBytes).toEqual(fromText);
      const a = computeStats(bytes, utf8), b = computeStats(text);
      expect([a.min, a.max, a.nullCount, a.runs, a.distinct, a.rowBytes]).toEqual([b.min, b.max, b.nullCount, b.runs, b.distinct, b.rowBytes]);
      expect(Array.from(a.values)).toEqual(Array.from(b.values));
      expect(Buffer.from(a.utf8!.bytes).equals(Buffer.from(b.utf8!.bytes))).toBe(true);
      expect(Array.from(a.utf8!.offsets)).toEqual(Array.from(b.utf8!.offsets));
    });
  }

  it('repeated values share one entry; values that rarely repeat each get their own', () => {
    const repeated = column(words(30_000, 5, ['AIR', 'RAIL', 'TRUCK'], false)).utf8;
    expect(repeated.offsets.length - 1).toBe(3);
    const rare = column(words(MIN_ENTRIES + 20_000, 6, ['a', 'b'], true)).utf8;
    expect(rare.offsets.length - 1).toBeGreaterThan(MIN_ENTRIES + 15_000);
    // ~98k distinct values over 400k rows in random order stay interned: each entry is kept once
    const r = rng(8);
    const values = Array.from({ length: 400_000 }, () => `v${Math.floor(r() * 100_000)}`);
    const some = column(values).utf8;
    expect(some.offsets.length - 1).toBe(new Set(values).size);
    expect(some.offsets.length - 1).toBeGreaterThan(MIN_ENTRIES);
  });

  it('numeric sketches skip repeats yet equal the sketch of every value', () => {
    const r = rng(9);
    for (const make of [() => Math.floor(r() * 50), () => Math.floor(r() * 1e7) / 4, () => (r() < 0.01 ? NaN : r() < 0.5 ? -0 : 0)]) {
      const values = Float64Array.from({ length: 20_000 }, make);
      const valid = Uint8Array.from({ length: values.length }, () => (r() < 0.1 ? 0 : 1));
      const v: Vector = { type: T.double, length: values.length, values, valid };
      expect(sketchColumns([v])[0]).toEqual(addVector(emptyFigures(), v).sketch);
    }
  });
});
