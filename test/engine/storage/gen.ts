// Seeded random vectors of every SQL type, with NULLs, for round-trip tests.
import { TYPES, T, type SqlType } from '../../../engine/types/types.ts';
import { stringVector, type Vector } from '../../../engine/types/vector.ts';
import { rng } from './lineitem.ts';

export const ALL_TYPES: SqlType[] = [
  T.smallint, T.int, T.bigint, T.decimal(18, 2), T.decimal(38, 0), T.real, T.double, T.bool,
  { id: 'CHAR', length: 3 }, T.varchar, T.date, T.timestamp,
];

const STRINGS = ['', 'a', 'Ab', 'zz top', 'héllo', '日本語', '🙂 emoji', 'tab\tnew\nline', 'x'.repeat(300)];

/** A random vector of `type` with about `nullRate` NULLs. */
export function randomVector(type: SqlType, n: number, seed: number, nullRate = 0.1): Vector {
  const r = rng(seed);
  const valid = nullRate > 0 ? new Uint8Array(n).map(() => (r() < nullRate ? 0 : 1)) : null;
  if (TYPES[type.id].string) {
    const items = Array.from({ length: n }, (_, i) =>
      valid && !valid[i] ? null : r() < 0.5 ? STRINGS[Math.floor(r() * STRINGS.length)] : `s${Math.floor(r() * 1000)}`);
    return stringVector(type, items);
  }
  const values = new TYPES[type.id].array(n);
  for (let i = 0; i < n; i++) {
    if (valid && !valid[i]) continue;
    const u = r();
    switch (type.id) {
      case 'SMALLINT': values[i] = Math.floor(u * 65536) - 32768; break;
      case 'INTEGER': values[i] = Math.floor(u * 2 ** 32) - 2 ** 31; break;
      case 'BIGINT': case 'DECIMAL': values[i] = Math.floor((u - 0.5) * 2 ** 54); break; // |v| up to 2^53
      case 'REAL': case 'DOUBLE PRECISION': values[i] = (u - 0.5) * 10 ** Math.floor(r() * 40 - 20); break;
      case 'BOOLEAN': values[i] = u < 0.5 ? 1 : 0; break;
      case 'DATE': values[i] = Math.floor(u * 40000) - 10000; break;
      case 'TIMESTAMP': values[i] = Math.floor((u - 0.5) * 2 ** 52); break;
    }
  }
  return { type, length: n, values, valid };
}

/** The vector's rows as plain JS values (null for NULL, strings for strings), for deep equality. */
export function rowsOf(v: Vector): unknown[] {
  const out: unknown[] = new Array(v.length);
  for (let i = 0; i < v.length; i++) {
    if (v.valid && v.valid[i] === 0) { out[i] = null; continue; }
    const x = v.values[i];
    out[i] = v.dict ? v.dict[x] : Object.is(x, -0) ? '-0' : x;
  }
  return out;
}
