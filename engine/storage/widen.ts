// Copies between typed arrays of different kinds, one generated loop per (source, target) pair.
// A loop shared by many array kinds is polymorphic and V8 runs it through slow generic element
// access; decoding a segment column (FOR deltas to their type, dictionary indexes to codes)
// would then cost ~20 ns a value instead of ~1.
import type { TypedArray } from '../types/types.ts';

type Widen = (src: TypedArray, dst: TypedArray, n: number, base: number) => void;

const loops = new Map<string, Widen>();

/** dst[i] = src[i] + base for i < n. */
export function widenInto(src: TypedArray, dst: TypedArray, n: number, base = 0): void {
  const key = `${src.constructor.name}>${dst.constructor.name}`;
  let loop = loops.get(key);
  if (!loop) {
    // eslint-disable-next-line no-new-func -- fixed source; only its feedback differs per pair
    loop = new Function('src', 'dst', 'n', 'base', 'for (let i = 0; i < n; i++) dst[i] = src[i] + base;') as Widen;
    loops.set(key, loop);
  }
  loop(src, dst, n, base);
}
