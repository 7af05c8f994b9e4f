// FOR (frame of reference): integer values stored as value - base in the narrowest unsigned int that
// fits; the base (the column minimum) lives in the field metadata as an exact decimal string.
import { Uint16, Uint32, Uint8, makeData, type Data } from 'apache-arrow';
import { TYPES, type SqlType } from '../types/types.ts';
import type { Vector } from '../types/vector.ts';
import type { ColumnStats } from './column-stats.ts';
import { corrupt, need, readValidity, validityProps, type Codec, type DecodedColumn, type EncodedColumn } from './codec.ts';
import { widenInto } from './widen.ts';

const BASE = 'strata.for.base';

/** Bytes per row FOR needs for this column, or null when the range does not fit 32 bits. */
export function forWidth(stats: ColumnStats): 1 | 2 | 4 | null {
  if (!stats.integral) return null;
  if (stats.min === null) return 1;
  const range = (stats.max as number) - (stats.min as number);
  return range <= 0xff ? 1 : range <= 0xffff ? 2 : range <= 0xffffffff ? 4 : null;
}

export const forCodec: Codec = {
  encode(v: Vector, s: ColumnStats): EncodedColumn {
    const width = forWidth(s);
    if (width === null) throw new Error('FOR chosen for a column it cannot hold'); // chooser guarantees this
    const n = v.length, values = s.values, valid = v.valid;
    const base = s.min === null ? 0 : (s.min as number);
    const deltas = width === 1 ? new Uint8Array(n) : width === 2 ? new Uint16Array(n) : new Uint32Array(n);
    // differences of integers below 2^53 whose result is below 2^32 are exact in doubles
    if (valid === null) for (let i = 0; i < n; i++) deltas[i] = values[i] - base;
    else for (let i = 0; i < n; i++) if (valid[i] !== 0) deltas[i] = values[i] - base;
    const type = width === 1 ? new Uint8() : width === 2 ? new Uint16() : new Uint32();
    const data = makeData({ type, length: n, ...validityProps(v, s), data: deltas } as never) as Data;
    return { type, data, meta: new Map([[BASE, String(base)]]) };
  },

  decode(d: Data, meta: Map<string, string>, type: SqlType, rows: number): DecodedColumn {
    const base = Number(meta.get(BASE));
    if (!Number.isInteger(base)) throw corrupt(`frame-of-reference base "${meta.get(BASE)}" is not an integer`);
    const deltas = need(d.values, rows, 'delta');
    if (!(deltas instanceof Uint8Array || deltas instanceof Uint16Array || deltas instanceof Uint32Array)) {
      throw corrupt(`frame-of-reference column has Arrow type ${d.type}`);
    }
    const out = new TYPES[type.id].array(rows);
    widenInto(deltas, out, rows, base);
    // one- and two-byte deltas stay beside the values (a copy: the view holds the whole file's buffer)
    const frame = deltas instanceof Uint32Array ? undefined : { base, deltas: deltas.slice(0, rows) };
    return { values: out, valid: readValidity(d, rows), ...(frame ? { frame } : {}) };
  },
};
