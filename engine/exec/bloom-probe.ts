// Bloom filter lookups over one numeric key column, as a join filter runs them on the probe
// side's scan: one generated loop per kind of typed array, with the raw key hash (rawKeyHash:
// an int32 value multiplied out, no conversion to a KeyBatch) and the one-word lookup
// (BloomFilter.mayContain) written out inline. A loop shared by every array kind is polymorphic:
// V8 then reads the elements through its generic path, and the calls per row cost several times
// the lookup.
import type { TypedArray } from '../types/types.ts';
import { BIT_MIX, KEY_MIX, rawKeyHash } from './bloom-filter.ts';

/** Writes to `out` the rows (`sel`'s first `count`, or 0..count-1) whose key the filter may hold; returns how many. */
type ProbeLoop = (vals: TypedArray, valid: Uint8Array | null, sel: Uint32Array | null, count: number, words: Int32Array, shift: number, out: Uint32Array, slowHash: (v: number) => number) => number;

const loops = new Map<string, ProbeLoop>();

function source(integral: boolean): string {
  const mix = `h = Math.imul(${integral ? 'v' : 'v | 0'}, ${KEY_MIX}); h ^= h >>> 16;`;
  return `
  let m = 0;
  for (let i = 0; i < count; i++) {
    const r = sel === null ? i : sel[i];
    if (valid !== null && valid[r] === 0) continue; // a NULL key matches nothing
    const v = vals[r];
    let h = 0;
    ${integral ? mix : `if (v === (v | 0)) { ${mix} } else h = slowHash(v);`}
    const g = Math.imul(h, ${BIT_MIX});
    const bits = (1 << (g >>> 27)) | (1 << ((g >>> 22) & 31)) | (1 << ((g >>> 17) & 31));
    if ((words[h >>> shift] & bits) !== bits) continue;
    out[m++] = r;
  }
  return m;
  //# sourceURL=strata-bloom-probe.js`;
}

/** The selected rows of `vals` whose raw key hash (rawKeyHash) the Bloom filter `words` (`shift`: 32 - log2 of its length) may hold. */
export function bloomProbe(vals: TypedArray, valid: Uint8Array | null, sel: Uint32Array | null, count: number, words: Int32Array, shift: number, out: Uint32Array): number {
  const kind = vals.constructor.name;
  let loop = loops.get(kind);
  if (!loop) {
    // integer arrays below 32 bits always hold int32 values; others may hold any double
    const integral = vals instanceof Int32Array || vals instanceof Int16Array || vals instanceof Int8Array || vals instanceof Uint16Array || vals instanceof Uint8Array;
    // eslint-disable-next-line no-new-func -- fixed source; only its feedback differs per array kind
    loop = new Function('vals', 'valid', 'sel', 'count', 'words', 'shift', 'out', 'slowHash', source(integral)) as ProbeLoop;
    loops.set(kind, loop);
  }
  return loop(vals, valid, sel, count, words, shift, out, rawKeyHash);
}
