// DICT: strings as an Arrow Dictionary (Utf8 values) with the narrowest signed index type that fits.
import { Dictionary, Int16, Int32, Int8, Utf8, makeData, makeVector, type Data } from 'apache-arrow';
import type { SqlType } from '../types/types.ts';
import type { Vector } from '../types/vector.ts';
import type { ColumnStats } from './column-stats.ts';
import { decodeUtf8 } from './utf8.ts';
import { corrupt, need, readValidity, validityProps, type Codec, type DecodedColumn, type EncodedColumn } from './codec.ts';
import { widenInto } from './widen.ts';

/** Bytes per row of the index for a dictionary of `size` entries. */
export function dictIndexWidth(size: number): 1 | 2 | 4 {
  return size <= 0x80 ? 1 : size <= 0x8000 ? 2 : 4;
}

export const dictCodec: Codec = {
  encode(v: Vector, s: ColumnStats, column: number): EncodedColumn {
    const n = v.length, size = s.distinct!, codes = s.values as Int32Array;
    const width = dictIndexWidth(size);
    const indexType = width === 1 ? new Int8() : width === 2 ? new Int16() : new Int32();
    const indices = width === 1 ? new Int8Array(n) : width === 2 ? new Int16Array(n) : null;
    if (indices !== null) for (let i = 0; i < n; i++) indices[i] = codes[i];
    const { offsets, bytes } = s.utf8!;
    const dictionary = makeVector(makeData({ type: new Utf8(), length: size, nullCount: 0, valueOffsets: offsets, data: bytes }));
    const type = new Dictionary(new Utf8(), indexType, column);
    const data = makeData({ type, length: n, ...validityProps(v, s), data: indices ?? codes, dictionary } as never) as Data;
    return { type, data, meta: new Map() };
  },

  decode(d: Data, _meta, _type: SqlType, rows: number): DecodedColumn {
    const dv = d.dictionary?.data[0];
    if (!(d.type instanceof Dictionary) || !dv || !(dv.type instanceof Utf8)) throw corrupt(`dictionary column has Arrow type ${d.type}`);
    const dict = decodeUtf8(need(dv.valueOffsets as Int32Array, dv.length + 1, 'dictionary offsets'), dv.values as Uint8Array, dv.length);
    const idx = need(d.values, rows, 'index');
    const valid = readValidity(d, rows);
    const codes = new Int32Array(rows);
    widenInto(idx, codes, rows);
    const size = dict.length;
    for (let i = 0; i < rows; i++) {
      const c = codes[i];
      if (c >= 0 && c < size) continue;
      if (valid === null || valid[i] !== 0) throw corrupt('dictionary index out of range');
      codes[i] = 0;
    }
    if (valid !== null) for (let i = 0; i < rows; i++) if (valid[i] === 0) codes[i] = 0;
    return { values: codes, valid, dict };
  },
};
