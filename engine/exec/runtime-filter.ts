// Join filter pushdown in a slice: once a hash join's build table is complete (a broadcast build
// side, or a co-located one the slice built from its own rows), its keys' [min, max] per column
// and a Bloom filter over the key hashes the table computed go to the probe side's scan. Zone
// maps then skip the blocks (and whole segments) of the probe table that no build key falls in,
// and the Bloom filter drops rows before the join probes them. Only for joins where a probe row
// without a partner is dropped anyway (INNER, SEMI) and NULL never matches; the planner decides
// that (runtime-filter-plan.ts) and marks the join step.
import type { Batch, Vector } from '../types/vector.ts';
import type { JoinFilterSpec } from './fragment.ts';
import type { BuildTable } from './hash-join.ts';
import { KeyBatch, KeyScratch } from './hash-table.ts';
import { ReusedArray } from './scratch.ts';
import { bloomProbe } from './bloom-probe.ts';
import { isString } from '../types/types.ts';
import { BloomFilter, keyBits, rawKeyHash } from './bloom-filter.ts';
import { SqlError } from '../errors.ts';
import { blockOverlaps } from './block-zones.ts';
import { projectBatch } from './kernels.ts';
import { packedMap } from '../types/packed-map.ts';

/** Rows the Bloom filter must see before its pass rate decides whether it keeps running. */
const SAMPLE_ROWS = 65_536;
/** A Bloom filter passing more than this share of the rows costs more hashing than it saves probing. */
const MAX_PASS_RATE = 0.8;

/** What one join's filter removed in one slice (EXPLAIN ANALYZE). */
export interface RuntimeFilterCounters {
  /** the join filter's position in its program */
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

/**
 * A join filter as one slice derives it from its build table, in a form that crosses threads:
 * the build keys, per key column [min, max] (an empty range when there are no values, the whole
 * line when a NaN makes a range meaningless; nothing for string keys), and the Bloom filter's words.
 */
export interface FilterParts {
  keys: number;
  ranges: ([number, number] | null)[];
  words: Int32Array;
  /**
   * A key of several columns (not merged between slices): per key column that is a bare numeric
   * column, a Bloom filter of its values alone (null for the others); see ColumnBloom.
   */
  columns?: (Int32Array | null)[];
}

/**
 * Whether the Bloom filter hashes the key straight from its number (rawKeyHash): one probe key, a
 * bare numeric column. Otherwise it holds the join's own key hashes (KeyBatch), so keys of mixed
 * types, strings and several columns hash as the join compares them. Decided from the spec
 * alone, so every slice's part of a merged filter hashes alike.
 */
export function hashesRawKeys(spec: JoinFilterSpec): boolean {
  return spec.keys.length === 1 && spec.keys[0].k === 'col' && !isString(spec.keys[0].type);
}

/**
 * This slice's filter parts; `bloomKeys` sizes the Bloom filter (to a power of two of words, so
 * the slices' filters fold to one size and merge).
 */
export function filterParts(spec: JoinFilterSpec, table: BuildTable, bloomKeys: number): FilterParts {
  const keys = table.keys;
  const ranges = spec.zoneCols.map((col, k): [number, number] | null => {
    if (col < 0) return null;
    if (keys.size === 0) return [Infinity, -Infinity];
    return keys.numericRange(k) ?? [-Infinity, Infinity];
  });
  if (hashesRawKeys(spec)) {
    const stored = keys.numbers(0);
    if (stored === null) throw new SqlError('INTERNAL_ERROR', 'a numeric join filter key over a build key that is not a number');
    return { keys: keys.size, ranges, words: rawBloom(stored, bloomKeys) };
  }
  const bloom = BloomFilter.forKeys(bloomKeys);
  bloom.addAll(keys.idHashes());
  const words = bloom.words;
  if (spec.merge || keys.size === 0) return { keys: keys.size, ranges, words };
  const columns = spec.keys.map((e, k) => {
    const stored = e.k === 'col' && spec.zoneCols[k] >= 0 ? keys.numbers(k) : null;
    return stored === null ? null : rawBloom(stored, keys.size);
  });
  return { keys: keys.size, ranges, words, columns };
}

/** A Bloom filter of raw key hashes (rawKeyHash) over a build table's stored numbers of one key column. */
function rawBloom(stored: { values: Float64Array; nulls: Uint8Array | null }, bloomKeys: number): Int32Array {
  const bloom = BloomFilter.forKeys(bloomKeys);
  const words = bloom.words, shift = bloom.shift;
  // a NULL key (stored only where NULL matches NULL, which no join filter is planned for) matches nothing
  const { values, nulls } = stored;
  for (let id = 0; id < values.length; id++) {
    if (nulls !== null && nulls[id] === 1) continue;
    const h = rawKeyHash(values[id]);
    words[h >>> shift] |= keyBits(h);
  }
  return words;
}

/** Whether a filter that checked `checked` rows and kept `kept` costs more hashing than it saves probing. */
const keepsMost = (checked: number, kept: number): boolean => checked >= SAMPLE_ROWS && kept > MAX_PASS_RATE * checked;

/**
 * One column of a key of several, tested alone before the whole key: a Bloom filter of that
 * column's build values, over the column's raw values in the one-column loop (bloomProbe). The
 * whole key hashes every column of every row (KeyBatch), while one column often decides alone:
 * TPC-H Q9's lineitem probes (l_suppkey, l_partkey), where the parts of one colour are 5% of
 * l_partkey's values and the suppliers all of l_suppkey's. A column's filter that keeps most
 * rows switches itself off, as the whole key's does.
 */
class ColumnBloom {
  private checked = 0;
  private kept = 0;
  on = true;
  private readonly out = new ReusedArray(Uint32Array);

  constructor(private readonly column: number, private readonly bloom: BloomFilter) {}

  filter(batch: Batch, sel: Uint32Array | null, count: number): { sel: Uint32Array | null; count: number } {
    if (!this.on || count === 0) return { sel, count };
    const v = batch.columns[this.column];
    const out = this.out.take(count);
    const m = bloomProbe(v.values, v.valid, sel, count, this.bloom.words, this.bloom.shift, out);
    this.checked += count;
    this.kept += m;
    if (keepsMost(this.checked, this.kept)) this.on = false;
    return { sel: out.subarray(0, m), count: m };
  }
}

/**
 * The filter of the union of the slices' build keys. Each slice sized its Bloom filter for its
 * own keys times the slices, the planner's estimate at least; all fold to the smallest.
 */
export function mergeParts(parts: FilterParts[]): FilterParts {
  const blooms = parts.map((p) => new BloomFilter(p.words));
  const size = Math.min(...blooms.map((b) => b.wordCount));
  const bloom = new BloomFilter(new Int32Array(size));
  const out: FilterParts = { keys: 0, ranges: parts[0].ranges.map((r) => (r ? [Infinity, -Infinity] : null)), words: bloom.words };
  parts.forEach((p, i) => {
    out.keys += p.keys;
    p.ranges.forEach((r, k) => {
      const o = out.ranges[k];
      if (r && o) { o[0] = Math.min(o[0], r[0]); o[1] = Math.max(o[1], r[1]); }
    });
    bloom.merge(blooms[i].fold(size));
  });
  return out;
}

export class RuntimeFilter {
  readonly counters: RuntimeFilterCounters;
  /** no build key at all (or only NULLs): no probe row can match */
  readonly empty: boolean;
  /** per key: [batch column, min, max] of the keys that are bare numeric scan columns */
  private readonly ranges: [number, number, number][] = [];
  private bloom: BloomFilter | null = null;
  /** the whole key's Bloom filter: rows it checked and kept */
  private bloomChecked = 0;
  private bloomKept = 0;
  /** a key of several columns: its bare numeric columns' own filters, run first */
  private readonly columns: ColumnBloom[] = [];
  /** probe keys that are plain columns of the batch (no expression to compute) */
  private readonly bare: number[] | null;
  /** the Bloom filter holds raw key hashes (hashesRawKeys) */
  private readonly raw: boolean;
  /** the rows a batch keeps and its hashed keys, reused batch after batch */
  private readonly kept = new ReusedArray(Uint32Array);
  private readonly keyScratch = new KeyScratch();

  /** `index`: the join filter's position in its program; `probeRows`: the rows this slice's scan reads at most. */
  constructor(private readonly spec: JoinFilterSpec, parts: FilterParts, index: number, probeRows: number) {
    this.counters = { step: index, rangeRows: 0, blocks: 0, segments: 0, bloomRows: 0, checked: 0 };
    this.empty = parts.keys === 0;
    parts.ranges.forEach((r, k) => {
      // the whole line prunes nothing
      if (r && (r[0] > -Infinity || r[1] < Infinity)) this.ranges.push([spec.zoneCols[k], r[0], r[1]]);
    });
    this.bare = spec.keys.every((e) => e.k === 'col') ? packedMap(spec.keys, (e) => (e as { index: number }).index) : null;
    this.raw = hashesRawKeys(spec);
    if (this.empty) return;
    if (parts.keys > probeRows) { this.counters.bloomOff = 'build'; return; }
    this.bloom = new BloomFilter(parts.words);
    parts.columns?.forEach((words, k) => { if (words) this.columns.push(new ColumnBloom(spec.zoneCols[k], new BloomFilter(words))); });
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
   * The rows kept are in an array this filter reuses: good until its next call.
   */
  filter(batch: Batch, sel: Uint32Array | null, count: number): { sel: Uint32Array | null; count: number } {
    if (this.bloom === null && !this.columns.some((c) => c.on)) return { sel, count };
    const entered = count;
    for (const c of this.columns) ({ sel, count } = c.filter(batch, sel, count));
    const kept = this.bloom === null || count === 0 ? { sel, count } : this.wholeKey(this.bloom, batch, sel, count);
    const c = this.counters;
    c.checked += entered;
    c.bloomRows += entered - kept.count;
    if (this.bloom === null && !this.columns.some((x) => x.on)) c.bloomOff = 'pass rate';
    return kept;
  }

  /** The rows whose whole key the Bloom filter may hold. */
  private wholeKey(bloom: BloomFilter, batch: Batch, sel: Uint32Array | null, count: number): { sel: Uint32Array; count: number } {
    const out = this.kept.take(count);
    let m = 0;
    if (this.raw) {
      // one numeric column: hash its values in place (values past 2^53 by their double, as the build side did)
      const one = batch.columns[this.bare![0]];
      return this.passed(out, count, bloomProbe(one.values, one.valid, sel, count, bloom.words, bloom.shift, out));
    }
    const kb = this.bare
      ? new KeyBatch(packedMap(this.bare, (c) => batch.columns[c]), count, false, sel, this.keyScratch)
      : new KeyBatch(projectBatch(batch, this.spec.keys, sel, count), count, false, null, this.keyScratch);
    const hashes = kb.hashes, skip = kb.skip, words = bloom.words, shift = bloom.shift;
    for (let i = 0; i < count; i++) {
      if (skip !== null && skip[i] === 1) continue; // a NULL key part matches nothing
      const h = hashes[i] | 0, bits = keyBits(h);
      if ((words[h >>> shift] & bits) === bits) out[m++] = sel ? sel[i] : i;
    }
    return this.passed(out, count, m);
  }

  /** Counts what a batch kept, switches the Bloom filter off when it keeps most rows, and returns the rows kept. */
  private passed(out: Uint32Array, count: number, m: number): { sel: Uint32Array; count: number } {
    this.bloomChecked += count;
    this.bloomKept += m;
    // it keeps nearly every row: hashing them twice costs more than probing them
    if (keepsMost(this.bloomChecked, this.bloomKept)) this.bloom = null;
    return { sel: out.subarray(0, m), count: m };
  }
}
