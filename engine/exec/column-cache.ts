// The slices' cache of decoded segment columns. One budget for the whole process: every slice
// counts its entries (values, validity, a string column's dictionary, exact wide values) into a
// shared counter, and a slice adding columns evicts its own least recently used ones while the
// process-wide total is over the budget, or while the process itself (RSS, all threads) is over
// the pressure mark, so what queries hold comes before what the cache keeps.
import type { Vector } from '../types/vector.ts';
import type { SqlType } from '../types/types.ts';
import { vectorBytes } from './memory-budget.ts';

/**
 * What every slice's cache counts into: one KB counter per slice in a SharedArrayBuffer (a
 * restarted worker's is reset: its cache died with it) and the budget they keep together.
 */
export interface SharedCache {
  counters: Int32Array;
  budgetBytes: number;
  /** process RSS above which caches give their columns back (0: never) */
  pressureBytes: number;
  /**
   * The process's RSS (KB) as the leader's memory watchdog last sampled it (memory-governor.ts,
   * every 100 ms). A slice reads this instead of asking the kernel: reading a process's RSS
   * (/proc) waits for the lock of its memory map, which the other slices' allocations hold, and
   * cost a slice 0.1-15 ms at the end of each request at SF 1.
   */
  rssKb: Int32Array;
}

export function newSharedCache(slices: number, budgetBytes: number, pressureBytes = 0): SharedCache {
  return { counters: new Int32Array(new SharedArrayBuffer(4 * slices)), budgetBytes, pressureBytes, rssKb: new Int32Array(new SharedArrayBuffer(4)) };
}

/** Records the process's RSS where every slice reads it (the leader's watchdog calls this as it samples). */
export function publishRss(shared: SharedCache, bytes: number): void {
  Atomics.store(shared.rssKb, 0, Math.min(2 ** 31 - 1, Math.ceil(bytes / 1024)));
}

/** The process's RSS as last published (0 before the first sample). */
export function publishedRss(shared: SharedCache): number {
  return Atomics.load(shared.rssKb, 0) * 1024;
}

/** Bytes all slices' caches count now. */
export function cacheTotalBytes(shared: SharedCache): number {
  let kb = 0;
  for (let i = 0; i < shared.counters.length; i++) kb += Atomics.load(shared.counters, i);
  return kb * 1024;
}

/** Bytes the cache counts for a decoded column. */
export function cachedBytes(v: Vector): number {
  // each array slot of a dictionary is a pointer beside the string it points to
  return vectorBytes(v) + (v.dict ? v.dict.length * 8 : 0);
}

type Reader = (file: string, types: SqlType[], columns: number[]) => Promise<Vector[]>;

interface Entry { vector: Vector; kb: number }

export class ColumnCache {
  /** by `file/column`, least recently used first */
  private entries = new Map<string, Entry>();
  private ownKb = 0;

  constructor(private readonly shared: SharedCache, private readonly slot: number, private readonly read: Reader, private readonly rss: () => number = () => publishedRss(shared)) {}

  /** Columns `want` of segment `file`, decoding (one read of the file) those not cached. */
  async columns(file: string, types: SqlType[], want: number[]): Promise<Vector[]> {
    const out: (Vector | undefined)[] = new Array(want.length);
    const missing: number[] = [];
    want.forEach((c, i) => {
      const key = `${file}/${c}`;
      const e = this.entries.get(key);
      if (!e) { missing.push(c); return; }
      this.entries.delete(key); // most recently used last
      this.entries.set(key, e);
      out[i] = e.vector;
    });
    if (!missing.length) return out as Vector[];
    const read = await this.read(file, types, missing);
    const keep = new Set<string>();
    missing.forEach((c, k) => {
      const key = `${file}/${c}`;
      const kb = Math.ceil(cachedBytes(read[k]) / 1024);
      const old = this.entries.get(key); // a concurrent request decoded it too
      if (old) this.forget(key, old);
      this.entries.set(key, { vector: read[k], kb });
      this.ownKb += kb;
      Atomics.add(this.shared.counters, this.slot, kb);
      keep.add(key);
      out[want.indexOf(c)] = read[k];
    });
    // the request's own columns stay: evicting them would only decode them again next time
    for (const c of want) keep.add(`${file}/${c}`);
    this.evict(keep);
    return out as Vector[];
  }

  /** Whether column `column` of segment `file` is decoded here now. */
  has(file: string, column: number): boolean {
    return this.entries.has(`${file}/${column}`);
  }

  /** Bytes this slice's cache counts, the process-wide total and this slice's entries. */
  get usage(): { ownBytes: number; totalBytes: number; entries: number } {
    return { ownBytes: this.ownKb * 1024, totalBytes: cacheTotalBytes(this.shared), entries: this.entries.size };
  }

  /** Drops every column of these files (the files were deleted). */
  drop(files: string[]): void {
    const gone = new Set(files);
    for (const [key, e] of this.entries) if (gone.has(key.slice(0, key.lastIndexOf('/')))) this.forget(key, e);
  }

  /** Gives every column back (the process is short of memory). */
  clear(): void {
    for (const [key, e] of this.entries) this.forget(key, e);
  }

  private forget(key: string, e: Entry): void {
    this.entries.delete(key);
    this.ownKb -= e.kb;
    Atomics.sub(this.shared.counters, this.slot, e.kb);
  }

  private evict(keep: Set<string>): void {
    let total = cacheTotalBytes(this.shared);
    let target = this.shared.budgetBytes;
    if (this.shared.pressureBytes > 0) {
      // over the pressure mark, the cache gives back what the process holds beyond it
      const excess = this.rss() - this.shared.pressureBytes;
      if (excess > 0) target = Math.min(target, total - excess);
    }
    if (total <= target) return;
    for (const [key, e] of this.entries) {
      if (keep.has(key)) continue;
      this.forget(key, e);
      total -= e.kb * 1024;
      if (total <= target) break;
    }
  }
}
