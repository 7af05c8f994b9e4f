// What a slice runs once as it starts, before queries need it: scan requests like TPC-H's over
// small synthetic segments (integer and BIGINT keys, DECIMAL amounts, dates, dictionary strings),
// so V8 optimizes the engine's shared code (the scan loop, zone maps, join filters, hash join
// build and probe on one and two keys, semi and anti joins, GROUP BY tables, partial states,
// groups finished in the slice, top-N and sorts, the wire format) with the type feedback real
// queries give it. Each slice is its own isolate and
// compiles that code itself: left to the first queries, a 2-slice process was still compiling it
// in its second and third runs, on the same two cores the slices ran on. The requests go through
// the worker's own request handler, their segments served from memory, so every object they
// meet has the shape a real request's has (feedback from hand-made objects of other shapes
// deoptimized the code the first real query ran).
import type { Vector } from '../types/vector.ts';
import { makeVector } from '../types/vector.ts';
import { type SqlType, typeInfo } from '../types/types.ts';
import type { BExpr, BAgg } from '../plan/bound.ts';
import type { FragmentSpec, JoinStep, SegmentRef } from './fragment.ts';
import { encodeSegment } from '../storage/segment.ts';

/** One warm-up request: a program (nested programs compute its joins' build sides) and each program's segments. */
export interface WarmupRequest { fragment: FragmentSpec; segments: SegmentRef[][] }

/** The warm-up's requests and the bytes of the segments they read, by file name. */
export interface Warmup { requests: WarmupRequest[]; files: Map<string, Uint8Array> }

const BIGINT: SqlType = { id: 'BIGINT' };
const INTEGER: SqlType = { id: 'INTEGER' };
const DATE: SqlType = { id: 'DATE' };
const AMOUNT: SqlType = { id: 'DECIMAL', precision: 15, scale: 2 };
const NAME: SqlType = { id: 'CHAR', length: 25 };
const MODE: SqlType = { id: 'CHAR', length: 10 };
const MODES = ['AIR', 'FOB', 'MAIL', 'RAIL', 'REG AIR', 'SHIP', 'TRUCK'];
const BOOLEAN: SqlType = { id: 'BOOLEAN' };
/** sum(price * (1 - discount))'s type */
const SUM: SqlType = { id: 'DECIMAL', precision: 38, scale: 4 };

/** How many times a slice runs the requests: the second round runs on code the first had optimized, and fixes what that code had not seen. */
export const WARMUP_ROUNDS = 2;

/** Rows of the fact table's segment: two batches of the scan loop's 65,536. */
const LINES = 131_072;
const ORDERS = LINES / 4;
/**
 * The fact table again, as many segments of this many rows. The large segment calls the code
 * run once per batch or segment (the scan loop's steps, zone and join filters, joined output)
 * a few times, where a query over 6M rows calls it ~100 times a slice: V8 then compiled that
 * code during the first dozens of queries, on the cores the slices needed.
 */
const LINE_BITS = 1_024;
const LINE_BIT_SEGMENTS = 96;
const PARTS = 2_048;
const NATIONS = 25;

/** Segment names no table's segment has (those are generated ids): a slice serves these from memory. */
const FILE_PREFIX = 'warm-up:';

/** Whether a segment file name is one of the warm-up's. */
export const isWarmupFile = (file: string): boolean => file.startsWith(FILE_PREFIX);

/** A deterministic stream of numbers in [0, 1): the same rows in every slice and process. */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** A column of `n` values from `f`, typed for `type` (strings by code into `dict`). */
function column(type: SqlType, n: number, f: (i: number) => number, dict?: string[]): Vector {
  const values = new (typeInfo(type).array)(n);
  for (let i = 0; i < n; i++) values[i] = f(i);
  return makeVector(type, n, values, null, dict);
}

const col = (index: number, type: SqlType): BExpr => ({ k: 'col', index, type });
const before = (index: number, day: number): BExpr => ({ k: 'cmp', op: '<', left: col(index, DATE), right: { k: 'const', value: day, type: DATE }, type: BOOLEAN });
const after = (index: number, day: number): BExpr => ({ k: 'cmp', op: '>', left: col(index, DATE), right: { k: 'const', value: day, type: DATE }, type: BOOLEAN });

/** sum(price * (1 - discount)), typed as the binder types it */
function revenue(price: number, discount: number): BAgg {
  const oneMinus: BExpr = { k: 'arith', op: '-', left: { k: 'const', value: 1, type: INTEGER }, right: col(discount, AMOUNT), type: { id: 'DECIMAL', precision: 16, scale: 2 } };
  const arg: BExpr = { k: 'arith', op: '*', left: col(price, AMOUNT), right: oneMinus, type: { id: 'DECIMAL', precision: 32, scale: 4 } };
  return { fn: 'sum', arg, distinct: false, type: SUM };
}

/** A table: its column types and one segment of it. */
interface Table { types: SqlType[]; segment: SegmentRef }

/**
 * The warm-up: shapes of TPC-H's joins and groupings over four tables. A filtered scan probing
 * orders (a nested program's rows) by a BIGINT key, with a join filter, into a GROUP BY of three
 * keys that the slice finishes and cuts to a top-N (Q3); probes on two INTEGER keys then one into
 * a GROUP BY of a string and a year, sent to the leader (Q5) or finished and sorted in the slice
 * (Q9); a GROUP BY of one BIGINT key with many groups (Q18); semi and anti joins with rows out.
 */
export async function warmup(): Promise<Warmup> {
  const r = random(11);
  const files = new Map<string, Uint8Array>();
  const table = async (name: string, columns: Vector[]): Promise<Table> => {
    const file = `${FILE_PREFIX}${name}`;
    const { chunks, rows } = await encodeSegment(columns);
    files.set(file, Buffer.concat(chunks));
    return { types: columns.map((c) => c.type), segment: { file, rows } };
  };
  const lineColumns = (n: number): Vector[] => [
    column(BIGINT, n, (i) => 1 + Math.floor(i / 4) * 4 + Math.floor(r() * 4)),
    column(INTEGER, n, () => 1 + Math.floor(r() * PARTS)),
    column(INTEGER, n, () => 1 + Math.floor(r() * 4)),
    column(AMOUNT, n, () => 100 + Math.floor(r() * 4_900)),
    column(AMOUNT, n, () => 90_000 + Math.floor(r() * 10_000_000)),
    column(AMOUNT, n, () => Math.floor(r() * 11)),
    column(DATE, n, () => 8_000 + Math.floor(r() * 2_500)),
    column(MODE, n, () => Math.floor(r() * MODES.length), MODES),
  ];
  const lines = await table('lines', lineColumns(LINES));
  // two small segments, whose string column's dictionaries differ (rows concatenated across them are recoded)
  const lineBits = [await table('line-bits', lineColumns(LINE_BITS)), await table('line-bits-2', lineColumns(LINE_BITS))];
  const orders = await table('orders', [
    column(BIGINT, ORDERS, (i) => 1 + i * 4),
    column(INTEGER, ORDERS, () => 1 + Math.floor(r() * 15_000)),
    column(DATE, ORDERS, () => 8_000 + Math.floor(r() * 2_500)),
    column(INTEGER, ORDERS, () => 0),
  ]);
  const partsupp = await table('partsupp', [
    column(INTEGER, PARTS * 4, (i) => 1 + (i >> 2)),
    column(INTEGER, PARTS * 4, (i) => 1 + (i & 3)),
    column(INTEGER, PARTS * 4, () => Math.floor(r() * NATIONS)),
    column(AMOUNT, PARTS * 4, () => 100 + Math.floor(r() * 100_000)),
  ]);
  const names = Array.from({ length: NATIONS }, (_, i) => `NATION ${i}`);
  const nations = await table('nations', [column(INTEGER, NATIONS, (i) => i), column(NAME, NATIONS, (i) => i, names)]);

  /** A program scanning `t`'s columns `columns` (the batch holds them in that order). */
  const scan = (t: Table, columns: number[], filter: BExpr | null, steps: FragmentSpec['steps'], output: FragmentSpec['output']): FragmentSpec =>
    ({ tableTypes: t.types, columns, filter, steps, output });
  const rowsOf = (t: Table, columns: number[], filter: BExpr | null = null): FragmentSpec =>
    scan(t, columns, filter, [], { kind: 'rows', exprs: columns.map((c, i) => col(i, t.types[c])) });
  /** A program reading the groups nested program `program` (a GROUP BY) finished where they are, into `output`. */
  const finished = (program: number, groups: FragmentSpec, output: FragmentSpec['output']): FragmentSpec =>
    ({ source: { program, spec: groups, keys: [], local: true }, tableTypes: [], columns: [], filter: null, steps: [], output });
  /** A join whose build side is nested program `program`'s rows. */
  const join = (joinType: JoinStep['joinType'], probeKeys: BExpr[], program: number, spec: FragmentSpec, buildKeys: number[]): JoinStep =>
    ({ joinType, probeKeys, buildKeys, build: [], local: { program, spec } });

  // Q3: l_orderkey, l_extendedprice, l_discount, l_shipdate ++ o_orderkey, o_custkey, o_orderdate, o_shippriority;
  // its groups are finished where they are (the rows are placed by the order key) and cut to a top-N
  const byOrder = join('INNER', [col(0, BIGINT)], 2, rowsOf(orders, [0, 1, 2, 3], before(2, 9_204)), [0]);
  const q3groups = scan(lines, [0, 4, 5, 6], after(3, 9_204), [{ k: 'join', join: byOrder }],
    { kind: 'agg', spec: { keys: [col(0, BIGINT), col(6, DATE), col(7, INTEGER)], aggs: [revenue(1, 2)], filter: null } });
  q3groups.joinFilters = [{ join: byOrder, keys: [col(0, BIGINT)], zoneCols: [0] }];
  const q3 = finished(1, q3groups, { kind: 'rows', exprs: [col(0, BIGINT), col(3, SUM), col(1, DATE), col(2, INTEGER)], topN: { keys: [{ expr: col(1, SUM), desc: true, nullsFirst: true }, { expr: col(2, DATE), desc: false, nullsFirst: false }], limit: 10 } });

  // Q9: l_partkey, l_suppkey, l_extendedprice, l_discount, l_shipdate ++ ps_partkey, ps_suppkey, nation ++ n_nationkey, n_name;
  // its joins' build sides are programs `first` and `first + 1`
  const q9groups = (first: number): FragmentSpec => scan(lines, [1, 2, 4, 5, 6], null, [
    { k: 'join', join: join('INNER', [col(1, INTEGER), col(0, INTEGER)], first, rowsOf(partsupp, [0, 1, 2]), [1, 0]) },
    { k: 'join', join: join('INNER', [col(7, INTEGER)], first + 1, rowsOf(nations, [0, 1]), [0]) },
  ], { kind: 'agg', spec: { keys: [col(9, NAME), { k: 'extract', field: 'year', arg: col(4, DATE), type: INTEGER }], aggs: [revenue(2, 3)], filter: null } });
  // the partial groups go to the leader (Q5's shape); or each slice finishes them and sorts them
  const q9 = q9groups(1);
  const q9sorted = finished(1, q9groups(2), { kind: 'rows', exprs: [col(0, NAME), col(1, INTEGER), col(2, SUM)], sort: [{ expr: col(0, NAME), desc: false, nullsFirst: false }, { expr: col(1, INTEGER), desc: true, nullsFirst: true }] });

  // Q18: l_orderkey, l_quantity; group ids by hash, or (as the statistics give Q18) from an array over the key range
  const quantities = { fn: 'sum', arg: col(1, AMOUNT), distinct: false, type: { id: 'DECIMAL', precision: 38, scale: 2 } } satisfies BAgg;
  const q18 = scan(lines, [0, 3], null, [], { kind: 'agg', spec: { keys: [col(0, BIGINT)], aggs: [quantities], filter: null } });
  const q18ranged = scan(lines, [0, 3], null, [], { kind: 'agg', spec: { keys: [col(0, BIGINT)], aggs: [quantities], filter: null, keyRange: [1, LINES + 4] } });

  // l_partkey, l_extendedprice ++ ps_partkey, ps_suppkey, nation, ps_supplycost: every line meets its part's
  // four suppliers (a probe through chains of equal keys, its pairs past a batch's room), a DECIMAL gathered
  const manyToMany = scan(lines, [1, 4], null, [{ k: 'join', join: join('INNER', [col(0, INTEGER)], 1, rowsOf(partsupp, [0, 1, 2, 3]), [0]) }],
    { kind: 'agg', spec: { keys: [col(4, INTEGER)], aggs: [revenue(1, 5)], filter: null } });

  // l_orderkey, l_quantity, l_shipdate of the lines whose order is (or is not) one of a date range
  const keyed = (joinType: JoinStep['joinType']): FragmentSpec =>
    scan(lines, [0, 3, 6, 7], after(2, 9_204), [{ k: 'join', join: join(joinType, [col(0, BIGINT)], 1, rowsOf(orders, [0], null), [0]) }], { kind: 'rows', exprs: [col(0, BIGINT), col(1, AMOUNT), col(3, MODE)] });

  /** the requests over the fact table's segments `facts` */
  const requests = (facts: SegmentRef[]): WarmupRequest[] => {
    const twoTables = [facts, [orders.segment]];
    const q9tables = [facts, [partsupp.segment], [nations.segment]];
    return [
      { fragment: q3, segments: [[], ...twoTables] },
      { fragment: q9, segments: q9tables },
      { fragment: q9sorted, segments: [[], ...q9tables] },
      { fragment: q18, segments: [facts] },
      { fragment: q18ranged, segments: [facts] },
      { fragment: manyToMany, segments: [facts, [partsupp.segment]] },
      { fragment: keyed('SEMI'), segments: twoTables },
      { fragment: keyed('ANTI'), segments: twoTables },
    ];
  };
  // over the one large segment, then over many small ones (LINE_BITS)
  return { files, requests: [...requests([lines.segment]), ...requests(Array.from({ length: LINE_BIT_SEGMENTS }, (_, i) => lineBits[i % 2].segment))] };
}
