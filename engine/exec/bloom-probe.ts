// Bloom filter lookups over one numeric key column, as a join filter runs them on the probe
// side's scan: one generated loop per kind of typed array, with the key hash (KeyBatch's hash of
// a one-column key, oneNumberKeyHash) and the split-block lookup (BloomFilter.mayContain)
// written out inline. A loop shared by every array kind is polymorphic: V8 then reads the
// elements through its generic path, and the calls per row cost several times the lookup.
import type { TypedArray } from '../types/types.ts';
import { oneNumberKeyHash } from './hash-table.ts';
import { SALT } from './bloom-filter.ts';

/** Writes to `out` the rows (`sel`'s first `count`, or 0..count-1) whose key the filter may hold; returns how many. */
type ProbeLoop = (vals: TypedArray, valid: Uint8Array | null, sel: Uint32Array | null, count: number, words: Uint32Array, out: Uint32Array, slowHash: (v: number) => number) => number;

const loops = new Map<string, ProbeLoop>();

/** murmur3's finalizer on `h` (an int32 variable), as hash-table.ts's fmix, in place. */
const fmix = (h: string) => `${h} ^= ${h} >>> 16; ${h} = Math.imul(${h}, 0x85ebca6b); ${h} ^= ${h} >>> 13; ${h} = Math.imul(${h}, 0xc2b2ae35); ${h} ^= ${h} >>> 16;`;

function source(integral: boolean): string {
  // a word has about half its bits set, so a branch per word would go either way at random: the
  // first four words are tested together without branches (a key not added fails them about
  // nine times in ten), then the other four, as BloomFilter.mayContain does
  const miss = (i: number) => `(~words[b + ${i}] & (1 << (Math.imul(h, ${SALT[i]}) >>> 27)))`;
  const lookups = `if ((${[0, 1, 2, 3].map(miss).join(' | ')}) !== 0) continue;
    if ((${[4, 5, 6, 7].map(miss).join(' | ')}) !== 0) continue;`;
  return `
  const blocks = words.length >>> 3;
  let m = 0;
  for (let i = 0; i < count; i++) {
    const r = sel === null ? i : sel[i];
    if (valid !== null && valid[r] === 0) continue; // a NULL key matches nothing
    const v = vals[r];
    let h;
    ${integral ? '' : 'if (v === (v | 0)) {'}
      h = v | 0;
      ${fmix('h')}
      ${fmix('h')}
    ${integral ? '' : '} else h = slowHash(v) | 0;'}
    const x = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d) >>> 0;
    const b = Math.floor(((x ^ (x >>> 12)) >>> 0) * blocks / 4294967296) << 3;
    ${lookups}
    out[m++] = r;
  }
  return m;
  //# sourceURL=strata-bloom-probe.js`;
}

/** The selected rows of `vals` whose one-column key hash the Bloom filter `words` may hold. */
export function bloomProbe(vals: TypedArray, valid: Uint8Array | null, sel: Uint32Array | null, count: number, words: Uint32Array, out: Uint32Array): number {
  const kind = vals.constructor.name;
  let loop = loops.get(kind);
  if (!loop) {
    // integer arrays below 32 bits always hold int32 values; others may hold any double
    const integral = vals instanceof Int32Array || vals instanceof Int16Array || vals instanceof Int8Array || vals instanceof Uint16Array || vals instanceof Uint8Array;
    // eslint-disable-next-line no-new-func -- fixed source; only its feedback differs per array kind
    loop = new Function('vals', 'valid', 'sel', 'count', 'words', 'out', 'slowHash', source(integral)) as ProbeLoop;
    loops.set(kind, loop);
  }
  return loop(vals, valid, sel, count, words, out, oneNumberKeyHash);
}
