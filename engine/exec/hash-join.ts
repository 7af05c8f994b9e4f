// Hash join: build a chained hash table (hash-table.ts) over the build side's key columns once, then probe it
// batch by batch. Used inside slices (build side broadcast) and at the leader.
import type { Batch, Vector } from '../types/vector.ts';
import { makeVector, gather } from '../types/vector.ts';
import { TYPES, isString, type SqlType, type TypedArray } from '../types/types.ts';
import { KeyBatch, KeyScratch, KeyTable, keyKind } from './hash-table.ts';
import { ReusedArray, type ReusedColumns } from './scratch.ts';
import { takeArray, zeroedArray, type ArrayLease } from './array-pool.ts';
import type { JoinStep } from './fragment.ts';
import { filterBatch, projectBatch } from './kernels.ts';
import { usedColumns, type BExpr } from '../plan/bound.ts';
import { vectorBytes } from './memory-budget.ts';
import { NO_TICKS, type Ticker } from './query-guard.ts';
import { packedMap } from '../types/packed-map.ts';
import { SqlError } from '../errors.ts';

const noop = () => {};

/** The build side: an id per distinct key, and rows chained per id (head row per id, next row per row). */
export class BuildTable {
  readonly keys: KeyTable;
  readonly head: Int32Array;
  readonly next: Int32Array;
  /** build rows that found a partner (for RIGHT/FULL joins) */
  readonly matched: Uint8Array;
  /**
   * What one probe of this table uses and drops (probe keys, first matches, row pairs), reused
   * batch after batch: a probe runs synchronously and hands on only the rows it gathers.
   */
  private readonly probeKeys = new KeyScratch();
  private readonly firstRows = new ReusedArray(Int32Array);
  readonly probeRows = new ReusedArray(Int32Array);
  readonly buildRows = new ReusedArray(Int32Array);

  /**
   * `nullEq[k]` marks key parts where NULL matches NULL (IS NOT DISTINCT FROM); elsewhere a NULL
   * part never matches. With `arrays`, the table's arrays come from a statement's lease of a
   * slice's pool (array-pool.ts) and go back when the statement ends.
   */
  constructor(readonly build: Vector[], keyCols: Vector[], readonly nullEq: boolean[] = [], ticks: Ticker = NO_TICKS, readonly arrays: ArrayLease | null = null) {
    const n = build.length ? build[0].length : keyCols[0]?.length ?? 0;
    this.next = takeArray(arrays, Int32Array, n).fill(-1);
    this.matched = zeroedArray(arrays, Uint8Array, n);
    this.keys = new KeyTable(packedMap(keyCols, (c) => keyKind(c.type)), Math.min(n, 1 << 20), arrays);
    const ids = this.keys.insert(new KeyBatch(keyCols, n, nullEq), takeArray(arrays, Int32Array, n));
    ticks.tick();
    this.head = takeArray(arrays, Int32Array, this.keys.size).fill(-1);
    for (let r = n - 1; r >= 0; r--) {
      const id = ids[r];
      if (id < 0) continue;
      this.next[r] = this.head[id];
      this.head[id] = r;
    }
  }

  /**
   * Bytes a table over `rows` build rows and `keys` key columns holds besides the rows
   * themselves: slots (up to 4 a row, each an id and a hash), a hash and a stored key per id, chains and flags.
   */
  static estimateBytes(rows: number, keys: number): number {
    return rows * (32 + 4 + 8 * keys + 4 + 4 + 1);
  }

  /** For each probe row (the n rows at `sel`, or the first n), the first build row with its key, or -1 (good until the next call). */
  firstMatches(probeKeys: Vector[], n: number, sel: Uint32Array | null = null): Int32Array {
    let ids: Int32Array = this.firstRows.take(n);
    // one numeric key where NULL matches nothing: hashed and looked up where it is
    if (!(probeKeys.length === 1 && this.nullEq[0] !== true && this.keys.findColumn(probeKeys[0], sel, n, ids))) {
      ids = this.keys.find(new KeyBatch(probeKeys, n, this.nullEq, sel, this.probeKeys), ids);
    }
    for (let r = 0; r < n; r++) if (ids[r] >= 0) ids[r] = this.head[ids[r]];
    return ids;
  }
}

/**
 * Gathers rows by index; index -1 yields NULL (outer join padding). With `into` (`count`
 * elements of the column's array kind, reused) the values go there instead of a new array.
 */
export function takeRows(v: Vector, rows: Int32Array, count: number, into: TypedArray | null = null): Vector {
  const values = into ?? new (v.values.constructor as { new (n: number): typeof v.values })(count);
  const valid = takeLoop(v.values)(v.values, v.valid, rows, count, values);
  // a reused array still holds an earlier batch's values where this one's rows are NULL: zeros, as in a new one
  if (into !== null && valid !== null) for (let i = 0; i < count; i++) if (valid[i] === 0) values[i] = 0;
  return makeVector(v.type, count, values, valid, v.dict, v.big && Array.from(rows.subarray(0, count), (r) => (r < 0 ? null : v.big![r])));
}

/**
 * A column of `count` rows nothing reads (a probe gathers only the columns read after it): its
 * type and dictionary stay, its values are an empty array of its kind.
 */
function unread(v: Vector, count: number): Vector {
  const empty = new (v.values.constructor as { new (n: number): typeof v.values })(0);
  return makeVector(v.type, count, empty, null, v.dict);
}

/**
 * Appends `cols` gathered at `rows` to `out` (their column positions start at `offset`): the
 * columns in `keep` (all without it) as takeRows gives them, into `reuse`'s arrays when given,
 * the others unread. A probe builds its joined columns by pushing into one array literal, so
 * they always have one elements kind: an array spread or `.map` of an empty list yields another
 * (Smi elements), and the probe's optimized code, specialized to one, deoptimized on every batch
 * that met the other (Q3 at SF 1, 2 slices: ~30 deopts a query).
 */
function gatherColumns(out: Vector[], cols: Vector[], rows: Int32Array, count: number, offset: number, keep: Set<number> | null, reuse: ReusedColumns | null): Vector[] {
  for (let i = 0; i < cols.length; i++) {
    const c = cols[i];
    out.push(keep === null || keep.has(offset + i) ? takeRows(c, rows, count, reuse === null ? null : reuse.take(offset + i, c.values, count)) : unread(c, count));
  }
  return out;
}

/** dst[i] = src[rows[i]]; returns the validity of the result (null: no NULL), a row -1 or NULL at its source being NULL. */
type TakeLoop = (src: TypedArray, valid: Uint8Array | null, rows: Int32Array, count: number, dst: TypedArray) => Uint8Array | null;

const takeLoops = new Map<string, TakeLoop>();

/**
 * One generated gather loop per kind of typed array: a loop shared by every column kind is
 * polymorphic, and V8 then reads and writes the elements through its slow generic path.
 */
function takeLoop(src: TypedArray): TakeLoop {
  const kind = src.constructor.name;
  let loop = takeLoops.get(kind);
  if (!loop) {
    // eslint-disable-next-line no-new-func -- fixed source; only its feedback differs per array kind
    loop = new Function('src', 'valid', 'rows', 'count', 'dst', `
      let out = null;
      for (let i = 0; i < count; i++) {
        const r = rows[i];
        if (r < 0 || (valid !== null && valid[r] === 0)) { if (out === null) out = new Uint8Array(count).fill(1); out[i] = 0; continue; }
        dst[i] = src[r];
      }
      return out;
      //# sourceURL=strata-take-rows.js`) as TakeLoop;
    takeLoops.set(kind, loop);
  }
  return loop;
}

export type JoinKind = 'INNER' | 'LEFT' | 'SEMI' | 'ANTI';

/**
 * Probes `table` with each row of `probe` (keys already evaluated in `probeKeys`). INNER/LEFT
 * output probe columns then build columns; SEMI/ANTI output probe columns only. A residual
 * predicate (over the joined columns) decides which key matches count. With `sel` (no residual)
 * only the probe rows it lists take part, read where they are: the batch is not compacted first.
 * With `needed`, only those columns are gathered (late gather); `marks` records the build rows
 * matched (`table.matched`), which only a join adding the unmatched ones reads. With `reuse` the
 * joined columns go into its arrays, overwritten by the next probe: for rows only the next
 * probe reads, which copies what it keeps.
 */
export function probe(probeBatch: Batch, probeKeys: Vector[], table: BuildTable, kind: JoinKind, residual: BExpr | null, ticks: Ticker = NO_TICKS, sel: Uint32Array | null = null, needed: Set<number> | null = null, marks = true, reuse: ReusedColumns | null = null): Batch {
  return new ProbePieces(probeBatch, probeKeys, table, kind, residual, ticks, sel, needed, marks, reuse, Infinity).next();
}

/** Joined rows one piece of `probePieces` holds at most. */
export const PROBE_PIECE = 65_536;

/**
 * `probe`'s joined rows in pieces of at most `maxRows`: a key matching many build rows makes up
 * to (probe rows × its build rows) pairs, which must not be one batch. A probe row whose pairs
 * span pieces is padded (LEFT) or kept (SEMI / ANTI with a residual) once, in its last piece.
 * Each piece is good until the next is asked for (with `reuse`, it is overwritten).
 */
export class ProbePieces {
  private first: Int32Array;
  private copied = false;
  private readonly n: number;
  private readonly at: ProbeCursor = { row: 0, build: -1, hit: 0 };

  constructor(private readonly probeBatch: Batch, probeKeys: Vector[], private readonly table: BuildTable, private readonly kind: JoinKind, private readonly residual: BExpr | null,
    private readonly ticks: Ticker = NO_TICKS, private readonly sel: Uint32Array | null = null, private readonly needed: Set<number> | null = null,
    private readonly marks = true, private readonly reuse: ReusedColumns | null = null, private readonly maxRows = PROBE_PIECE) {
    if (sel !== null && residual) throw new Error('a probe through a selection takes no residual');
    this.n = sel ? sel.length : probeBatch.length;
    this.first = table.firstMatches(probeKeys, this.n, sel);
  }

  /** Whether probe rows are left (another piece may come). */
  get more(): boolean {
    return this.at.row < this.n;
  }

  /** The next piece (maybe empty: its pairs failed the residual). */
  next(): Batch {
    const out = probeFrom(this.at, this.maxRows, this.probeBatch, this.first, this.n, this.table, this.kind, this.residual, this.ticks, this.sel, this.needed, this.marks, this.reuse);
    // the table's first-match array serves its next probe, which may run before our next piece
    if (this.more && !this.copied) { this.first = this.first.slice(0, this.n); this.copied = true; }
    return out;
  }

  *[Symbol.iterator](): Generator<Batch> {
    while (this.more) {
      const b = this.next();
      if (b.length) yield b;
    }
  }
}

/** `probe`'s joined rows a piece of at most `maxRows` at a time (ProbePieces). */
export function probePieces(probeBatch: Batch, probeKeys: Vector[], table: BuildTable, kind: JoinKind, residual: BExpr | null, ticks: Ticker = NO_TICKS, maxRows = PROBE_PIECE): ProbePieces {
  return new ProbePieces(probeBatch, probeKeys, table, kind, residual, ticks, null, null, true, null, maxRows);
}

/**
 * Where a probe goes on: the probe row, the build row of its key's chain to resume at (-1: the
 * row's start), and whether that row already had a pair passing the residual (a row cut mid-chain).
 */
interface ProbeCursor { row: number; build: number; hit: number }

/** `probe` from `at` until `maxPairs` pairs are made (or the rows end); moves `at` past them. */
function probeFrom(at: ProbeCursor, maxPairs: number, probeBatch: Batch, first: Int32Array, n: number, table: BuildTable, kind: JoinKind, residual: BExpr | null, ticks: Ticker,
  sel: Uint32Array | null, needed: Set<number> | null, marks: boolean, reuse: ReusedColumns | null): Batch {
  // with `needed`, only the columns read later (and the residual's) are gathered; the others keep their place, unread
  const width = probeBatch.columns.length;
  const keep = needed && residual ? usedColumns(residual, new Set(needed)) : needed;
  const start = at.row, resumed = at.build, carried = at.hit;
  let cap = Math.max(16, Math.min(n - start, maxPairs));
  // reused while they suffice; a probe with more pairs than rows grows them into new arrays
  let pRows: Int32Array = table.probeRows.take(cap), bRows: Int32Array = table.buildRows.take(cap);
  let m = 0;
  const next = table.next;
  const padUnmatched = kind === 'LEFT' || kind === 'ANTI';
  // one build row per key found is enough: SEMI keeps the probe row, ANTI drops it
  const firstOnly = (kind === 'SEMI' || kind === 'ANTI') && !residual;
  // the probe row and build row the next piece starts at; cut: that row has pairs in this piece too
  let stopRow = n, stopBuild = -1, cut = false;
  rows: for (let r = start; r < n; r++) {
    // `ticks` lets a cancel or timeout stop a probe whose output explodes (many matches per key)
    if ((r & 1023) === 0) ticks.tick();
    let b = r === start && resumed >= 0 ? resumed : first[r];
    if (b < 0) { if (!padUnmatched) continue; }
    else if (firstOnly) { if (kind === 'ANTI') continue; }
    else if (next[b] >= 0 || b === resumed) {
      // several build rows share the key: every pair
      for (; b >= 0; b = next[b]) {
        ticks.tick();
        if (m === cap) {
          if (m >= maxPairs) { stopRow = r; stopBuild = b; cut = b !== first[r]; break rows; }
          ({ pRows, bRows, cap } = grown(pRows, bRows, m, maxPairs));
        }
        pRows[m] = r; bRows[m] = b; m++;
      }
      continue;
    }
    if (m === cap) {
      if (m >= maxPairs) { stopRow = r; break; }
      ({ pRows, bRows, cap } = grown(pRows, bRows, m, maxPairs));
    }
    pRows[m] = r; bRows[m] = b; m++;
  }
  at.row = stopRow;
  at.build = cut ? stopBuild : -1;
  // pairs name the i-th selected row: gather from the row it is
  if (sel !== null) for (let i = 0; i < m; i++) pRows[i] = sel[pRows[i]];
  let joined: Batch = { length: m, columns: gatherColumns(gatherColumns([], probeBatch.columns, pRows, m, 0, keep, reuse), table.build, bRows, m, width, keep, reuse) };
  if (residual) {
    // keep pairs passing the residual; unmatched probe rows of LEFT/ANTI stay (padded)
    const { sel, count } = filterBatch(joined, residual);
    const passed = new Uint8Array(m);
    for (let i = 0; i < count; i++) passed[sel[i]] = 1;
    const hit = new Uint8Array(n);
    for (let i = 0; i < m; i++) if (passed[i] && bRows[i] >= 0) hit[pRows[i]] = 1;
    // a row cut mid-chain: what its earlier pieces found; it is decided (padded, kept) only in its
    // last piece, and every row before `stopRow` in this one
    if (resumed >= 0) hit[start] |= carried;
    at.hit = cut ? hit[stopRow] : 0;
    const rowsP = new Int32Array(m + n), rowsB = new Int32Array(m + n);
    let k = 0;
    if (kind === 'SEMI' || kind === 'ANTI') {
      for (let r = start; r < stopRow; r++) if ((kind === 'SEMI') === (hit[r] === 1)) { rowsP[k] = r; rowsB[k] = -1; k++; }
    } else {
      const padded = new Uint8Array(n);
      for (let i = 0; i < m; i++) {
        const p = pRows[i];
        if (passed[i] && bRows[i] >= 0) { rowsP[k] = p; rowsB[k] = bRows[i]; k++; }
        else if (kind === 'LEFT' && !hit[p] && !padded[p] && p < stopRow) { padded[p] = 1; rowsP[k] = p; rowsB[k] = -1; k++; }
      }
    }
    pRows = rowsP; bRows = rowsB; m = k;
    joined = { length: m, columns: gatherColumns(gatherColumns([], probeBatch.columns, pRows, m, 0, keep, reuse), table.build, bRows, m, width, keep, reuse) };
  }
  // the build rows matched, for a join that later adds the others (a write per pair, at random: only when asked)
  if (marks) for (let i = 0; i < m; i++) if (bRows[i] >= 0) table.matched[bRows[i]] = 1;
  if (kind === 'SEMI' || kind === 'ANTI') {
    if (!residual) return { length: m, columns: gatherColumns([], probeBatch.columns, pRows, m, 0, keep, reuse) };
    return { length: m, columns: joined.columns.slice(0, probeBatch.columns.length) };
  }
  return joined;
}

/** The pair arrays of a probe, doubled (to at most `limit`). */
function grown(pRows: Int32Array, bRows: Int32Array, m: number, limit: number): { pRows: Int32Array; bRows: Int32Array; cap: number } {
  const cap = Math.min(m * 2, limit);
  const np = new Int32Array(cap); np.set(pRows);
  const nb = new Int32Array(cap); nb.set(bRows);
  return { pRows: np, bRows: nb, cap };
}

/** Candidate pairs a residual is tested over at a time (bounds the memory of keys with many rows). */
const MARK_PAIRS = 65_536;

/**
 * Marks the build rows (`table.matched`) some row of `probeBatch` matches: keys equal and, with
 * a residual, the residual true over (probe columns ++ build columns). A semi or anti join built
 * on its preserved side then keeps the marked rows, or the others. Rows already marked are not
 * tested again.
 */
export function markMatches(probeBatch: Batch, probeKeys: Vector[], table: BuildTable, residual: BExpr | null, ticks: Ticker = NO_TICKS): void {
  const n = probeBatch.length;
  const first = table.firstMatches(probeKeys, n);
  const { matched, next } = table;
  if (!residual) {
    // a key's rows are marked together, so its first row tells whether they all are
    for (let r = 0; r < n; r++) {
      let b = first[r];
      if (b < 0 || matched[b]) continue;
      for (; b >= 0; b = next[b]) matched[b] = 1;
    }
    return;
  }
  const width = probeBatch.columns.length;
  const used = usedColumns(residual);
  const pRows = table.probeRows.take(MARK_PAIRS), bRows = table.buildRows.take(MARK_PAIRS);
  let m = 0;
  const test = () => {
    // only the columns the residual reads are gathered; the others keep their (unread) place
    const columns = packedMap([...probeBatch.columns, ...table.build], (c, i) => (used.has(i) ? takeRows(c, i < width ? pRows : bRows, m) : c));
    const { sel, count } = filterBatch({ length: m, columns }, residual);
    for (let i = 0; i < count; i++) matched[bRows[sel[i]]] = 1;
    m = 0;
  };
  for (let r = 0; r < n; r++) {
    ticks.tick();
    for (let b = first[r]; b >= 0; b = next[b]) {
      if (matched[b]) continue;
      pRows[m] = r; bRows[m] = b; m++;
      if (m === MARK_PAIRS) test();
    }
  }
  if (m) test();
}

/**
 * Flags (`hit[base + r] = 1`) the rows of `probeBatch` some build row of `table` matches: keys
 * equal and, with a residual, the residual true over (probe columns ++ build columns). For a join
 * keeping or dropping probe rows by whether any of several tables matched them.
 */
export function probeHits(probeBatch: Batch, probeKeys: Vector[], table: BuildTable, residual: BExpr | null, hit: Uint8Array, base: number, ticks: Ticker = NO_TICKS): void {
  const n = probeBatch.length;
  const first = table.firstMatches(probeKeys, n);
  if (!residual) {
    for (let r = 0; r < n; r++) if (first[r] >= 0) hit[base + r] = 1;
    return;
  }
  const width = probeBatch.columns.length;
  const used = usedColumns(residual);
  const { next } = table;
  const pRows = table.probeRows.take(MARK_PAIRS), bRows = table.buildRows.take(MARK_PAIRS);
  let m = 0;
  const test = () => {
    const columns = packedMap([...probeBatch.columns, ...table.build], (c, i) => (used.has(i) ? takeRows(c, i < width ? pRows : bRows, m) : c));
    const { sel, count } = filterBatch({ length: m, columns }, residual);
    for (let i = 0; i < count; i++) hit[base + pRows[sel[i]]] = 1;
    m = 0;
  };
  for (let r = 0; r < n; r++) {
    ticks.tick();
    if (hit[base + r]) continue;
    for (let b = first[r]; b >= 0; b = next[b]) {
      pRows[m] = r; bRows[m] = b; m++;
      if (m === MARK_PAIRS) test();
    }
  }
  if (m) test();
}

/** Rows one batch of marked (or unmarked) rows takes at most. */
const PAD_BATCH = 65536;

/**
 * The rows of `columns` (`n` rows) whose mark is `want` (0: those no row of the other side
 * matched), a batch of at most PAD_BATCH rows at a time: the rows an outer join pads, a semi
 * join keeps (1) or an anti join keeps (0).
 */
export function* rowsMarked(columns: Vector[], marks: Uint8Array, n: number, want: 0 | 1 = 0): Generator<Batch> {
  const rows = new Uint32Array(Math.min(n, PAD_BATCH));
  for (let start = 0; start < n;) {
    let m = 0;
    for (; start < n && m < rows.length; start++) if (marks[start] === want) rows[m++] = start;
    if (m) yield { length: m, columns: m === n ? columns : packedMap(columns, (c) => gather(c, rows, m)) };
  }
}

/**
 * The build rows of `table` no probe row matched (an outer join keeping its build side), a batch
 * of at most PAD_BATCH rows at a time: probe columns NULL (of `probeTypes`), then the build columns
 * (`build`: the table's, or the first of them; `matched`: the table's marks, or others).
 */
export function* unmatchedBuildRows(table: BuildTable, probeTypes: SqlType[], build = table.build, matched = table.matched): Generator<Batch> {
  for (const b of rowsMarked(build, matched, matched.length)) yield padProbeSide(probeTypes, b.columns, b.length);
}

/** The error of a scalar subquery's join whose row matched a second row. */
export const tooManyRows = (): SqlError => new SqlError('CARDINALITY_VIOLATION', 'more than one row returned by a subquery used as an expression');

/** Probe rows (whole columns of `n` rows) before build columns of NULLs of `buildTypes`. */
export function padBuildSide(probeColumns: Vector[], buildTypes: SqlType[], n: number): Batch {
  const nulls = packedMap(buildTypes, (t): Vector => makeVector(t, n, new (TYPES[t.id].array)(n), new Uint8Array(n), isString(t) ? [] : undefined));
  return { length: n, columns: [...probeColumns, ...nulls] };
}

/** Build rows (whole columns of `n` rows) after probe columns of NULLs of `probeTypes`. */
export function padProbeSide(probeTypes: SqlType[], buildColumns: Vector[], n: number): Batch {
  const nulls = packedMap(probeTypes, (t): Vector => makeVector(t, n, new (TYPES[t.id].array)(n), new Uint8Array(n), isString(t) ? [] : undefined));
  return { length: n, columns: [...nulls, ...buildColumns] };
}

const built = new WeakMap<JoinStep, BuildTable>();

/**
 * A slice's probe step of a broadcast join (the build table is built once per fragment), over
 * the rows at `sel` (or all). Plain key columns are read where they are and, without a residual,
 * the selected rows are gathered once, into the joined rows; otherwise they are compacted first.
 */
export function hashJoinBatch(batch: Batch, step: JoinStep, ticks: Ticker = NO_TICKS, reserve: (bytes: number) => void = noop, sel: Uint32Array | null = null, needed: Set<number> | null = null, reuse: ReusedColumns | null = null): Batch {
  return hashJoinPieces(batch, step, ticks, reserve, sel, needed, reuse, Infinity).next();
}

/** `hashJoinBatch`'s joined rows a piece of at most `maxRows` at a time. */
export function hashJoinPieces(batch: Batch, step: JoinStep, ticks: Ticker = NO_TICKS, reserve: (bytes: number) => void = noop, sel: Uint32Array | null = null, needed: Set<number> | null = null, reuse: ReusedColumns | null = null, maxRows = PROBE_PIECE): ProbePieces {
  const table = buildTableOf(step, ticks, reserve);
  const plainKeys = step.probeKeys.every((e) => e.k === 'col');
  if (sel !== null && (!plainKeys || step.residual)) {
    // compacted first: with `needed`, only the columns the keys, the residual and later steps read
    const rows = sel;
    const keep = needed ? new Set(needed) : null;
    if (keep) { for (const e of step.probeKeys) usedColumns(e, keep); if (step.residual) usedColumns(step.residual, keep); }
    batch = { length: rows.length, columns: packedMap(batch.columns, (c, i) => (keep === null || keep.has(i) ? gather(c, rows, rows.length) : unread(c, rows.length))) };
    sel = null;
  }
  const keys = plainKeys ? packedMap(step.probeKeys, (e) => batch.columns[(e as { index: number }).index]) : projectBatch(batch, step.probeKeys, null, batch.length);
  return new ProbePieces(batch, keys, table, step.joinType, step.residual ?? null, ticks, sel, needed, step.keepsBuild !== undefined, reuse, maxRows);
}

/** Bytes a slice's join step takes to build its table (besides the build rows it holds already). */
export function stepTableBytes(step: JoinStep): number {
  // a broadcast build side's arrays are shared with the leader (which counts them), but each
  // slice decodes its own dictionary strings; a co-located one was counted as the slice made it
  const copy = step.local ? 0 : step.build.reduce((s, v) => s + (v.dict ? vectorBytes(v) - v.values.byteLength - (v.valid?.byteLength ?? 0) : 0), 0);
  return copy + BuildTable.estimateBytes(step.build[0]?.length ?? 0, step.buildKeys.length);
}

/**
 * The build table of a slice's join step, built on first use (by the probe, or by the join
 * filter before the scan starts); with `arrays`, its arrays come from the statement's lease.
 */
export function buildTableOf(step: JoinStep, ticks: Ticker = NO_TICKS, reserve: (bytes: number) => void = noop, arrays: ArrayLease | null = null): BuildTable {
  let table = built.get(step);
  // a table whose statement ended gave its arrays back to the pool: never read it again
  if (!table || table.arrays?.ended) {
    reserve(stepTableBytes(step));
    table = new BuildTable(step.build, packedMap(step.buildKeys, (c) => step.build[c]), step.nullEq, ticks, arrays);
    built.set(step, table);
  }
  return table;
}
