// Generated functions of this isolate (each slice's worker, or the leader) by their source
// text. A function V8 has optimized keeps that code for as long as it lives, so a query shape
// seen before runs on code optimized by an earlier query instead of having V8 compile it again
// on its helper threads. Functions take every per-query value (literals, dictionaries, constant
// sets, layouts) as arguments, never in their text or in a closure, so one source serves every
// query that generates it. Bounded by entries and by source bytes, least recently used first out.

/** What a code cache did: its counters since the isolate started, and what it holds now. */
export interface CodeCacheCounts {
  /** functions compiled from source (a miss) */
  compiled: number;
  /** functions handed out again for a source compiled before (a hit) */
  reused: number;
  /** functions dropped to stay within the bounds */
  evicted: number;
  entries: number;
  /** UTF-16 code units of the sources held */
  bytes: number;
}

export class CodeCache {
  private readonly fns = new Map<string, Function>();
  private bytes = 0;
  private compiled = 0;
  private reused = 0;
  private evicted = 0;

  constructor(readonly maxEntries: number, readonly maxBytes: number) {}

  /**
   * The function with these parameter names and body, compiled once. Its source must come from
   * the engine's own code generation (bound plans, never user text): it runs with the engine's rights.
   */
  fn<F extends Function>(params: readonly string[], body: string): F {
    const key = `${params.join(',')}\n${body}`;
    const hit = this.fns.get(key);
    if (hit) {
      // most recently used last: a Map iterates in insertion order
      this.fns.delete(key);
      this.fns.set(key, hit);
      this.reused++;
      return hit as F;
    }
    // eslint-disable-next-line no-new-func -- generated from our own bound plan, never from user text
    const made = new Function(...params, body);
    this.compiled++;
    this.fns.set(key, made);
    this.bytes += key.length;
    while (this.fns.size > this.maxEntries || (this.bytes > this.maxBytes && this.fns.size > 1)) {
      const oldest = this.fns.keys().next().value as string;
      this.fns.delete(oldest);
      this.bytes -= oldest.length;
      this.evicted++;
    }
    return made as F;
  }

  counts(): CodeCacheCounts {
    return { compiled: this.compiled, reused: this.reused, evicted: this.evicted, entries: this.fns.size, bytes: this.bytes };
  }
}

/**
 * The isolate's cache of generated kernels (filters, projections, aggregate updates). 4,000
 * functions or 16 MB of source: TPC-H's 22 queries generate a few hundred per slice.
 */
export const generatedCode = new CodeCache(4000, 16 * 1024 * 1024);
