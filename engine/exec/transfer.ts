// Which buffers can move (not copy) to another thread with a batch's vectors.
import type { Vector } from '../types/vector.ts';

/** The distinct, non-shared ArrayBuffers behind these vectors, for postMessage's transfer list. */
export function transferList(vectors: Vector[]): ArrayBuffer[] {
  const seen = new Set<ArrayBuffer>();
  for (const v of vectors) {
    for (const a of [v.values, v.valid]) {
      if (a && a.buffer instanceof ArrayBuffer && a.byteOffset === 0 && a.byteLength === a.buffer.byteLength) seen.add(a.buffer);
    }
  }
  return [...seen];
}
