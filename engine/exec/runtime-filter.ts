// Join filter pushdown in a slice: once a hash join's build table is complete (a broadcast build
// side, or a co-located one the slice built from its own rows), its keys' [min, max] per column
// and a Bloom filter over the key hashes the table computed go to the probe side's scan. Zone
// maps then skip the blocks (and whole segments) of the probe table that no build key falls in,
// and the Bloom filter drops rows before the join probes them. Only for joins where a probe row
// without a partner is dropped anyway (INNER, SEMI) and NULL never matches; the planner decides
// that (runtime-filter-plan.ts) and marks the join step.
import type { Batch, Vector } from '../types/vector.ts';
import type { JoinStep } from './fragment.ts';
import type { BuildTable } from './hash-join.ts';
import { KeyBatch } from './hash-table.ts';
import { BloomFilter } from './bloom-filter.ts';
import { blockOverlaps } from './block-zones.ts';
import { projectBatch } from './kernels.ts';

/** Rows the Bloom filter must see before its pass rate decides whether it keeps running. */
const SAMPLE_ROWS = 65_536;
/** A Bloom filter passing more than this share of the rows costs more hashing than it saves probing. */
const MAX_PASS_RATE = 0.8;

/** What one join's filter removed in one slice (EXPLAIN ANALYZE). */
export interface RuntimeFilterCounters {
  /** the join step's index in its program */
  step: number;
  /** rows removed by min/max: in skipped blocks and segments */
  rangeRows: number;
  blocks: number;
  segments: number;
  /** rows the Bloom filter removed, and rows it checked */
  bloomRows: number;
  checked: number;
  /** why the Bloom filter did not run to the end: 'build' (build keys outnumber the probe rows), 'pass rate' */
  bloomOff?: 'build' | 'pass rate';
}

export class RuntimeFilter {
  readonly counters: RuntimeFilterCounters;
  /** no build key at all (or only NULLs): no probe row can match */
  readonly empty: boolean;
  /** per key: [batch column, min, max] of the keys that are bare numeric scan columns */
  private readonly ranges: [number, number, number][] = [];
  private bloom: BloomFilter | null = null;
  /** probe keys that are plain columns of the batch (no expression to compute) */
  private readonly bare: number[] | null;

  /** `probeRows`: the rows this slice's probe scan reads at most. */
  constructor(private readonly step: JoinStep, table: BuildTable, index: number, probeRows: number, reserve: (bytes: number) => void) {
    this.counters = { step: index, rangeRows: 0, blocks: 0, segments: 0, bloomRows: 0, checked: 0 };
    const keys = table.keys;
    this.empty = keys.size === 0;
    const zoneCols = step.runtimeFilter?.zoneCols ?? [];
    zoneCols.forEach((col, k) => {
      if (col < 0) return;
      const r = keys.numericRange(k);
      if (r) this.ranges.push([col, r[0], r[1]]);
    });
    this.bare = step.probeKeys.every((e) => e.k === 'col') ? step.probeKeys.map((e) => (e as { index: number }).index) : null;
    if (this.empty) return;
    if (keys.size > probeRows) { this.counters.bloomOff = 'build'; return; }
    const bloom = BloomFilter.forKeys(keys.size);
    reserve(bloom.bytes);
    const hashes = keys.idHashes();
    for (let i = 0; i < hashes.length; i++) bloom.add(hashes[i]);
    this.bloom = bloom;
  }

  /** The batch columns zone maps read (bare numeric key columns). */
  get zoneColumns(): number[] {
    return this.ranges.map((r) => r[0]);
  }

  /** Whether the filter can remove anything: an empty build side, a key range or a Bloom filter. */
  get useful(): boolean {
    return this.empty || this.ranges.length > 0 || this.bloom !== null;
  }

  /** False when block `blockIndex` of the scanned columns holds no key inside the build keys' range. */
  blockMayMatch(cols: Vector[], blockIndex: number, block: number): boolean {
    if (this.empty) return false;
    for (const [col, min, max] of this.ranges) if (!blockOverlaps(cols[col], blockIndex, block, min, max)) return false;
    return true;
  }

  /**
   * The selected rows (all `count` rows when `sel` is null) whose key the Bloom filter may hold.
   * Keys are hashed exactly as the join hashes them (the same expressions, the same KeyBatch).
   */
  filter(batch: Batch, sel: Uint32Array | null, count: number): { sel: Uint32Array | null; count: number } {
    const bloom = this.bloom;
    if (bloom === null) return { sel, count };
    const kb = this.bare
      ? new KeyBatch(this.bare.map((c) => batch.columns[c]), count, false, sel)
      : new KeyBatch(projectBatch(batch, this.step.probeKeys, sel, count), count);
    const hashes = kb.hashes, skip = kb.skip;
    const out = new Uint32Array(count);
    let m = 0;
    for (let i = 0; i < count; i++) {
      if (skip !== null && skip[i] === 1) continue; // a NULL key part matches nothing
      if (bloom.mayContain(hashes[i])) out[m++] = sel ? sel[i] : i;
    }
    const c = this.counters;
    c.checked += count;
    c.bloomRows += count - m;
    if (c.checked >= SAMPLE_ROWS && c.checked - c.bloomRows > MAX_PASS_RATE * c.checked) {
      // it keeps nearly every row: hashing them twice costs more than probing them
      this.bloom = null;
      c.bloomOff = 'pass rate';
    }
    return { sel: out.subarray(0, m), count: m };
  }
}
