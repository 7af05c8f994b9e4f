// RLE: runs of equal values as (value, validity, end) triples. apache-arrow JS cannot write Arrow's
// run-end-encoded layout, so the column is an Arrow Null field (no buffers) and the runs travel in
// its field metadata, base64-encoded. The chooser only picks RLE when runs are few (see choose.ts).
import { Null, makeData, type Data } from 'apache-arrow';
import { Buffer } from 'node:buffer';
import { TYPES, type SqlType, type TypedArray } from '../types/types.ts';
import type { Vector } from '../types/vector.ts';
import { dictOf, type ColumnStats } from './column-stats.ts';
import { corrupt, type Codec, type DecodedColumn, type EncodedColumn } from './codec.ts';

const ENDS = 'strata.rle.ends', VALUES = 'strata.rle.values', VALID = 'strata.rle.valid', DICT = 'strata.rle.dict';

export const rleCodec: Codec = {
  encode(v: Vector, s: ColumnStats): EncodedColumn {
    const n = v.length, values = s.values, valid = v.valid;
    const Ctor = values.constructor as new (n: number) => TypedArray;
    const ends = new Int32Array(s.runs), runValues = new Ctor(s.runs), runValid = new Uint8Array(s.runs);
    let r = -1, prevState = -1, prev = 0;
    for (let i = 0; i < n; i++) {
      if (valid !== null && valid[i] === 0) {
        if (prevState !== 0) { r++; prevState = 0; }
        ends[r] = i + 1;
        continue;
      }
      const x = values[i];
      const same = prevState === 1 && (x === prev ? x !== 0 || 1 / x === 1 / prev : x !== x && prev !== prev);
      if (!same) { r++; runValues[r] = x; runValid[r] = 1; }
      prevState = 1;
      prev = x;
      ends[r] = i + 1;
    }
    const meta = new Map([[ENDS, toBase64(ends)], [VALUES, toBase64(runValues)], [VALID, toBase64(runValid)]]);
    if (TYPES[v.type.id].string) meta.set(DICT, JSON.stringify(dictOf(s)));
    return { type: new Null(), data: makeData({ type: new Null(), length: n }), meta };
  },

  decode(d: Data, meta: Map<string, string>, type: SqlType, rows: number): DecodedColumn {
    if (!(d.type instanceof Null)) throw corrupt(`run-length column has Arrow type ${d.type}`);
    const Ctor = TYPES[type.id].array;
    const ends = fromBase64(meta.get(ENDS), Int32Array);
    const runValues = fromBase64(meta.get(VALUES), Ctor as unknown as { new (b: ArrayBuffer): TypedArray; BYTES_PER_ELEMENT: number });
    const runValid = fromBase64(meta.get(VALID), Uint8Array);
    const runs = ends.length;
    if (runValues.length !== runs || runValid.length !== runs) throw corrupt('run-length arrays disagree in length');
    let dict: string[] | undefined;
    if (TYPES[type.id].string) {
      const parsed: unknown = JSON.parse(meta.get(DICT) ?? 'null');
      if (!Array.isArray(parsed) || !parsed.every((x) => typeof x === 'string')) throw corrupt('run-length dictionary is malformed');
      dict = parsed as string[];
    }
    const values = new Ctor(rows);
    let valid: Uint8Array | null = null;
    let start = 0;
    for (let r = 0; r < runs; r++) {
      const end = ends[r];
      if (end < start || end > rows) throw corrupt('run ends are not ascending within the segment');
      if (runValid[r] === 0) {
        valid ??= new Uint8Array(rows).fill(1);
        valid.fill(0, start, end);
      } else {
        const x = runValues[r];
        if (dict !== undefined && !(x >= 0 && x < dict.length)) throw corrupt('run-length dictionary code out of range');
        values.fill(x, start, end);
      }
      start = end;
    }
    if (start !== rows) throw corrupt(`run lengths cover ${start} rows, expected ${rows}`);
    return dict ? { values, valid, dict } : { values, valid };
  },
};

function toBase64(a: TypedArray): string {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');
}

function fromBase64<A extends TypedArray>(s: string | undefined, Ctor: { new (b: ArrayBuffer): A; BYTES_PER_ELEMENT: number }): A {
  if (s === undefined) throw corrupt('run-length metadata is missing');
  const bytes = Buffer.from(s, 'base64');
  if (bytes.length % Ctor.BYTES_PER_ELEMENT !== 0) throw corrupt('run-length metadata has a partial element');
  const copy = new Uint8Array(bytes.length); // aligned copy: Buffer.from may return an unaligned pooled slice
  copy.set(bytes);
  return new Ctor(copy.buffer);
}
