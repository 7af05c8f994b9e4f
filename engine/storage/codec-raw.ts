// RAW: values stored as-is in their natural Arrow type (booleans bit-packed, strings as Utf8).
import { Bool, Decimal, Utf8, makeData, type Data } from 'apache-arrow';
import { TYPES, isBigint, isBoolean, isDecimal, precisionOf, scaleOf, type SqlType } from '../types/types.ts';
import type { Vector } from '../types/vector.ts';
import type { ColumnStats } from './column-stats.ts';
import { rawArrowType } from './arrow-types.ts';
import { packBits, unpackBits } from './bitmap.ts';
import { decodeUtf8, gatherUtf8, internUtf8 } from './utf8.ts';
import { fromInt64, toInt64 } from './int64.ts';
import { fromDecimal128, toDecimal128 } from './decimal128.ts';
import { corrupt, need, readValidity, validityProps, type Codec, type DecodedColumn, type EncodedColumn } from './codec.ts';

export const rawCodec: Codec = {
  encode(v: Vector, s: ColumnStats): EncodedColumn {
    const n = v.length, validity = validityProps(v, s), type = rawArrowType(v.type.id);
    let data: Data;
    if (type instanceof Utf8) {
      const codes = s.values as Int32Array, dictBufs = s.utf8!;
      // all non-NULL rows distinct: compaction numbered them 0, 1, 2, ... so the reader need not intern
      const distinct = s.distinct === n - s.nullCount;
      const { offsets, bytes } = distinct && s.nullCount === 0 ? dictBufs : gatherUtf8(dictBufs, codes, v.valid, n);
      data = makeData({ type, length: n, ...validity, valueOffsets: offsets, data: bytes });
      if (distinct) return { type, data, meta: new Map([[DISTINCT, '1']]) };
    } else if (isBigint(v.type)) {
      data = makeData({ type, length: n, ...validity, data: toInt64(v, n) } as never);
    } else if (isDecimal(v.type) && s.wide) {
      // values past 2^53: 128-bit words hold them exactly (other DECIMAL segments stay Float64)
      const wide = new Decimal(scaleOf(v.type), Math.max(precisionOf(v.type), 1), 128);
      return { type: wide, data: makeData({ type: wide, length: n, ...validity, data: toDecimal128(v, n) } as never), meta: new Map() };
    } else if (type instanceof Bool) {
      data = makeData({ type, length: n, ...validity, data: packBits(s.values as Uint8Array, n) });
    } else {
      data = makeData({ type, length: n, ...validity, data: s.values } as never);
    }
    return { type, data, meta: new Map() };
  },

  decode(d: Data, meta: Map<string, string>, type: SqlType, rows: number): DecodedColumn {
    const valid = readValidity(d, rows);
    const phys = TYPES[type.id];
    if (phys.string) {
      if (!(d.type instanceof Utf8)) throw corrupt(`raw string column has Arrow type ${d.type}`);
      const offsets = need(d.valueOffsets as Int32Array, rows + 1, 'offsets'), bytes = need(d.values as Uint8Array, 0, 'string');
      const { codes, dict } = meta.get(DISTINCT) === '1' ? numberDistinct(offsets, bytes, valid, rows) : internUtf8(offsets, bytes, valid, rows);
      return { values: codes, valid, dict };
    }
    if (d.type instanceof Bool) {
      if (!isBoolean(type)) throw corrupt(`raw ${type.id} column has Arrow type Bool`);
      return { values: unpackBits(need(d.values as Uint8Array, (rows + 7) >> 3, 'boolean'), rows), valid };
    }
    if (d.type instanceof Decimal) {
      if (!isDecimal(type) || d.type.bitWidth !== 128) throw corrupt(`raw ${type.id} column has Arrow type ${d.type}`);
      return { ...fromDecimal128(need(d.values as Uint32Array, rows * 4, 'decimal'), rows), valid };
    }
    const values = need(d.values, rows, 'value');
    if (values instanceof BigInt64Array && isBigint(type)) return { ...fromInt64(values, rows), valid };
    if (!(values instanceof phys.array)) throw corrupt(`raw ${type.id} column has Arrow type ${d.type}`);
    return { values: values.slice(0, rows), valid };
  },
};

const DISTINCT = 'strata.distinct';

/** Codes for rows the writer marked all-distinct: the k-th non-NULL row gets code k. */
function numberDistinct(offsets: Int32Array, bytes: Uint8Array, valid: Uint8Array | null, rows: number): { codes: Int32Array; dict: string[] } {
  const all = decodeUtf8(offsets, bytes, rows);
  if (valid === null) {
    const codes = new Int32Array(rows);
    for (let i = 0; i < rows; i++) codes[i] = i;
    return { codes, dict: all };
  }
  const codes = new Int32Array(rows), dict: string[] = [];
  for (let i = 0; i < rows; i++) if (valid[i] !== 0) { codes[i] = dict.length; dict.push(all[i]); }
  return { codes, dict };
}
