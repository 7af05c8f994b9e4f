// A correlated aggregate subquery over tables the outer query already joins, with the same
// filters, becomes a window over the outer rows (after Zuzarte et al., "WinMagic"), so those
// tables are read once. TPC-H Q17
//   ... FROM lineitem, part WHERE p_partkey = l_partkey AND <part filters>
//       AND l_quantity < (SELECT 0.2 * avg(l_quantity) FROM lineitem WHERE l_partkey = p_partkey)
// is then avg(l_quantity) OVER (PARTITION BY l_partkey) over the joined rows, and Q2's
// min(ps_supplycost) over partsupp ⋈ supplier ⋈ nation ⋈ region likewise.
//
// Why it is equal: the outer rows with key k are the subquery's rows for k (its tables, under
// its filters, with inner key k), each joined to the same rows of the other outer tables (those
// whose correlated column is k), so every subquery row appears f(k) times. min, max, avg,
// bool_and and bool_or do not change when every value repeats f times, and a surviving outer
// row is itself one of its key's subquery rows, so the subquery is never empty for it. Hence:
// - the subquery's tables map one to one onto outer tables of the same name;
// - its filters are outer filters, and the outer filters on those tables are exactly its
//   filters plus the correlations `inner = outer` (which also drop NULL keys);
// - its only aggregates are the ones above, without ORDER BY or HAVING.
// It applies when the statistics expect the outer rows to be few against the rows it saves
// scanning (a window holds its rows; the subquery's tables are read again otherwise).
import type { LNode, Field, WindowCall } from './logical.ts';
import { type BExpr, type BAgg, BOOL, usedColumns, mapCols, walk } from './bound.ts';
import { isFloat } from '../types/types.ts';
import { estimateRows } from './cardinality.ts';
import { windowOver } from './window-models.ts';
import { isVolatileFunction } from '../functions/registry.ts';

/** At most this many outer rows expected (as common-subplans keeps shared results). */
const MAX_ROWS = 1 << 20;
/** The subquery's tables must scan at least this many rows per outer row. */
const MIN_SAVING = 16;

type Scan = Extract<LNode, { k: 'scan' }>;
type Join = Extract<LNode, { k: 'join' }>;
type Cmp = Extract<BExpr, { k: 'cmp' }>;

const conj = (e: BExpr): BExpr[] => (e.k === 'and' ? e.args.flatMap(conj) : [e]);
const col = (index: number, type: BExpr['type']): BExpr => ({ k: 'col', index, type });

/** A text key for a condition; `a = b` and `b = a` get the same one. */
function condKey(e: BExpr): string {
  if (e.k === 'cmp' && (e.op === '=' || e.op === '<>')) return JSON.stringify([e.op, ...[JSON.stringify(e.left), JSON.stringify(e.right)].sort()]);
  return JSON.stringify(e);
}

/** A condition with the same answer each time it is tested: nothing run, nothing random. */
function repeatable(e: BExpr): boolean {
  let ok = true;
  walk(e, (x) => { if (x.k === 'subquery' || x.k === 'model' || (x.k === 'call' && isVolatileFunction(x.name))) ok = false; });
  return ok;
}

/** The scans of a FROM list (comma joins without conditions), each with its first column. */
function leavesOf(n: LNode, at = 0, out: { scan: Scan; at: number }[] = []): { scan: Scan; at: number }[] | null {
  if (n.k === 'scan') { out.push({ scan: n, at }); return out; }
  if (n.k === 'join' && n.joinType === 'CROSS' && !n.leftKeys.length && !n.residual && !n.nullEq) {
    return leavesOf(n.left, at, out) && leavesOf(n.right, at + n.left.fields.length, out);
  }
  return null;
}

const sameTable = (a: Scan, b: Scan) => a.table === b.table && JSON.stringify(a.ref) === JSON.stringify(b.ref) && a.fields.length === b.fields.length;

/** Aggregates whose value stays when every input value repeats the same number of times. */
function repeatProof(a: BAgg): boolean {
  if (!a.arg || a.order?.length) return false;
  if (a.fn === 'min' || a.fn === 'max' || a.fn === 'bool_and' || a.fn === 'bool_or') return true;
  // a float sum repeated is not the sum repeated, to the last bit
  return a.fn === 'avg' && !a.distinct && !isFloat(a.arg.type);
}

/** The subquery side of a keyed LEFT join: its FROM, filters, keys and aggregates, or null. */
function subqueryParts(right: LNode, keys: number) {
  if (right.k !== 'project' || right.input.k !== 'aggregate') return null;
  const agg = right.input;
  if (agg.keys.length !== keys || !agg.keys.every((k) => k.k === 'col') || !agg.aggs.length || !agg.aggs.every(repeatProof)) return null;
  if (!right.exprs.slice(0, keys).every((e, i) => e.k === 'col' && e.index === i)) return null;
  // under the aggregate: its WHERE, and the semi join with the outer keys (only a narrowing)
  const filters: BExpr[] = [];
  let from = agg.input;
  for (;;) {
    if (from.k === 'filter') { filters.push(...conj(from.pred)); from = from.input; } else if (from.k === 'join' && from.joinType === 'SEMI' && from.outerKeys) from = from.left;
    else break;
  }
  const leaves = leavesOf(from);
  if (!leaves) return null;
  const width = from.fields.length;
  if (![...filters, ...agg.keys, ...agg.aggs.map((a) => a.arg!)].every((e) => [...usedColumns(e)].every((i) => i < width))) return null;
  return { project: right, agg, filters, leaves };
}

/** Ways to map each subquery scan onto a distinct outer scan of the same table. */
function* mappings(sub: { scan: Scan }[], outer: { scan: Scan }[], used: number[] = []): Generator<number[]> {
  if (used.length === sub.length) { yield [...used]; return; }
  const s = sub[used.length].scan;
  for (let j = 0; j < outer.length; j++) {
    if (used.includes(j) || !sameTable(s, outer[j].scan)) continue;
    used.push(j);
    yield* mappings(sub, outer, used);
    used.pop();
  }
}

/** The window form of `filter(join)`'s keyed LEFT join with an aggregate subquery, or null. */
function asWindow(j: Join): LNode | null {
  if (j.joinType !== 'LEFT' || j.nullEq || j.residual || !j.leftKeys.length || !j.leftKeys.every((k) => k.k === 'col')) return null;
  if (!j.rightKeys.every((k, i) => k.k === 'col' && k.index === i)) return null;
  const outer = j.left;
  if (!j.leftKeys.every((k, i) => JSON.stringify(k.type) === JSON.stringify(j.rightKeys[i].type))) return null;
  if (outer.k !== 'filter') return null;
  const outerLeaves = leavesOf(outer.input);
  const sub = subqueryParts(j.right, j.leftKeys.length);
  if (!outerLeaves || !sub) return null;
  const outerConds = conj(outer.pred);
  if (![...sub.filters, ...outerConds].every(repeatable)) return null;
  const outerKeys = new Set(outerConds.map(condKey));
  const leafOf = (i: number) => outerLeaves.findIndex((l) => i >= l.at && i < l.at + l.scan.fields.length);
  for (const m of mappings(sub.leaves, outerLeaves)) {
    // subquery column -> outer column
    const to = (i: number) => { const s = sub.leaves.findIndex((l) => i >= l.at && i < l.at + l.scan.fields.length); return outerLeaves[m[s]].at + i - sub.leaves[s].at; };
    const move = (e: BExpr) => mapCols(e, (i, c) => ({ ...c, index: to(i) }));
    const mine = new Set(m);
    const filters = sub.filters.map((f) => condKey(move(f)));
    if (!filters.every((f) => outerKeys.has(f))) continue;
    // each correlation `inner = outer`, its outer column from a table the subquery does not map
    const corrs = sub.agg.keys.map((k, i): Cmp => ({ k: 'cmp', op: '=', left: move(k), right: j.leftKeys[i], type: BOOL }));
    if (j.leftKeys.some((k) => mine.has(leafOf((k as { index: number }).index)))) continue;
    const allowed = new Set([...filters, ...corrs.map(condKey)]);
    if (!corrs.every((c) => outerKeys.has(condKey(c)))) continue;
    // no other outer condition may drop some of a key's subquery rows but not others
    const touches = (e: BExpr) => [...usedColumns(e)].some((i) => mine.has(leafOf(i)));
    if (outerConds.some((c) => touches(c) && !allowed.has(condKey(c)))) continue;
    const saved = sub.leaves.reduce((s, l) => s + estimateRows(l.scan), 0);
    const rows = estimateRows(outer);
    if (rows > MAX_ROWS || rows * MIN_SAVING > saved) return null;
    return windowed(j, outer, sub, move);
  }
  return null;
}

/** The join's rows computed by a window over its outer rows instead. */
function windowed(j: Join, outer: LNode, sub: NonNullable<ReturnType<typeof subqueryParts>>, move: (e: BExpr) => BExpr): LNode {
  const partitionBy = sub.agg.keys.map(move);
  const calls: WindowCall[] = sub.agg.aggs.map((a) => ({ fn: 'agg', agg: { ...a, arg: move(a.arg!) }, args: [], partitionBy, orderBy: [], type: a.type }));
  const n = outer.fields.length;
  const k = j.leftKeys.length;
  const callFields: Field[] = calls.map((c, i) => ({ name: sub.agg.fields[k + i].name, type: c.type, hidden: true }));
  const window = windowOver(outer, calls, [...outer.fields, ...callFields]);
  // the subquery's keys equal the outer keys here; its values read the window's calls
  const value = (e: BExpr) => mapCols(e, (i, c) => (i < k ? j.leftKeys[i] : col(n + i - k, c.type)));
  const exprs = [...outer.fields.map((f, i) => col(i, f.type)), ...sub.project.exprs.map(value)];
  return { k: 'project', input: window, exprs, fields: j.fields };
}

/** Applies the rewrite everywhere in a plan, bottom-up (a shared plan once). */
export function subqueriesAsWindows(n: LNode, done = new Map<object, LNode>()): LNode {
  const key = n.k === 'shared' ? n.slot : n;
  const seen = done.get(key);
  if (seen) return seen;
  const r = (x: LNode) => subqueriesAsWindows(x, done);
  let out: LNode;
  switch (n.k) {
    case 'scan': case 'batch': case 'values': out = n; break;
    case 'join': case 'setop': out = { ...n, left: r(n.left), right: r(n.right) } as LNode; break;
    default: out = { ...n, input: r(n.input) } as LNode;
  }
  if (out.k === 'join') out = asWindow(out) ?? out;
  done.set(key, out);
  return out;
}
