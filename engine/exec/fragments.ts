// Physical planning of the slice-side part of a query: finds the chain
// [aggregate] [project] [filter] [join probe] [filter] scan at the bottom of a plan and turns it
// into a FragmentSpec every slice runs over its own segments. Also prunes segments by zone maps.
import type { LNode } from '../plan/logical.ts';
import { type BExpr, type BAgg, BOOL, aggInputs, mapAggInputs, mapCols, mapChildren, usedColumns, hasModelCall } from '../plan/bound.ts';
import type { FragmentSpec, ModelStep, SegmentRef, TopN } from './fragment.ts';
import { type SegmentEntry, type TableState, tableRowCount } from '../catalog/catalog.ts';
import type { Vector } from '../types/vector.ts';
import type { AggSpec } from './aggregate.ts';
import { isString, type SqlType } from '../types/types.ts';
import { SqlError } from '../errors.ts';

type Scan = Extract<LNode, { k: 'scan' }>;
type Join = Extract<LNode, { k: 'join' }>;

/** The pieces of a plan chain that can run inside the slices. */
export interface Chain {
  scan: Scan;
  preFilter: BExpr | null; // over table columns
  join: { node: Join; probeIsLeft: boolean; build: LNode } | null;
  postFilter: BExpr | null; // over the join's fields
  project: BExpr[] | null; // over the (joined) fields
  agg: { keys: BExpr[]; aggs: BAgg[] } | null;
  limit: number | null;
  /** ORDER BY + LIMIT pushed into the slices (rows output only) */
  topN?: TopN;
}

const and = (a: BExpr | null, b: BExpr): BExpr => (a ? { k: 'and', args: [a, b], type: BOOL } : b);

function scanChain(n: LNode): { scan: Scan; filter: BExpr | null } | null {
  let filter: BExpr | null = null;
  while (n.k === 'filter') { filter = and(filter, n.pred); n = n.input; }
  return n.k === 'scan' ? { scan: n, filter } : null;
}

function estimateRows(n: LNode): number {
  if (n.k === 'scan') return tableRowCount(n.table);
  if (n.k === 'batch') return n.batch.length;
  if (n.k === 'values') return n.rows.length;
  if (n.k === 'join') return Math.max(estimateRows(n.left), estimateRows(n.right));
  if (n.k === 'setop') return estimateRows(n.left) + estimateRows(n.right);
  return estimateRows(n.input);
}

/** Matches the slice-side chain at `node`, or null when the node must run at the leader. */
export function matchChain(node: LNode, limit: number | null = null): Chain | null {
  let n = node;
  let agg: Chain['agg'] = null;
  let project: BExpr[] | null = null;
  if (n.k === 'aggregate') { agg = { keys: n.keys, aggs: n.aggs }; n = n.input; }
  if (n.k === 'project') {
    if (agg) {
      // compose the projection into the aggregate's expressions
      const p = n.exprs;
      const sub = (e: BExpr) => mapCols(e, (i) => p[i]);
      agg = { keys: agg.keys.map(sub), aggs: agg.aggs.map((a) => mapAggInputs(a, sub)) };
    } else project = n.exprs;
    n = n.input;
  }
  let postFilter: BExpr | null = null;
  while (n.k === 'filter') { postFilter = and(postFilter, n.pred); n = n.input; }
  const direct = scanChain(n);
  if (direct) {
    const pre = postFilter ? and(direct.filter, postFilter) : direct.filter;
    return { scan: direct.scan, preFilter: pre, join: null, postFilter: null, project, agg, limit: agg ? null : limit };
  }
  if (n.k !== 'join' || n.joinType === 'FULL' || n.joinType === 'CROSS' || n.joinType === 'SINGLE' || n.leftKeys.length === 0) return null;
  const l = scanChain(n.left), r = scanChain(n.right);
  let probeIsLeft: boolean;
  if (n.joinType === 'LEFT' || n.joinType === 'SEMI' || n.joinType === 'ANTI') {
    if (!l) return null;
    probeIsLeft = true;
  } else if (l && r) probeIsLeft = estimateRows(n.left) >= estimateRows(n.right);
  else if (l) probeIsLeft = true;
  else if (r) probeIsLeft = false;
  else return null;
  const probe = probeIsLeft ? l! : r!;
  return { scan: probe.scan, preFilter: probe.filter, join: { node: n, probeIsLeft, build: probeIsLeft ? n.right : n.left }, postFilter, project, agg, limit: agg ? null : limit };
}

/**
 * Builds the fragment for a chain. Expressions are remapped from logical field indexes to the
 * fragment batch's layout: [needed table columns..., build columns..., model outputs...].
 */
export function buildFragment(c: Chain, build: Vector[] | null, onnxFileOf: (model: string) => string | undefined): FragmentSpec {
  const table = c.scan.table;
  const identity = (fields: { type: SqlType }[]) => fields.map((f, i): BExpr => ({ k: 'col', index: i, type: f.type }));
  const outputExprs = c.agg ? null : c.project ?? identity(c.join ? c.join.node.fields : c.scan.fields);
  const upper: BExpr[] = [
    ...(c.postFilter ? [c.postFilter] : []),
    ...(outputExprs ?? []),
    ...(c.agg ? [...c.agg.keys, ...c.agg.aggs.flatMap(aggInputs)] : []),
    ...(c.join?.node.residual ? [c.join.node.residual] : []),
  ];
  // which table columns are needed, and where do logical fields land in the batch
  const nl = c.join ? c.join.node.left.fields.length : 0;
  const probeOffset = c.join && !c.join.probeIsLeft ? nl : 0; // logical index of the probe's first field
  const needed = new Set<number>();
  if (c.preFilter) usedColumns(c.preFilter, needed);
  const probeKeys = c.join ? (c.join.probeIsLeft ? c.join.node.leftKeys : c.join.node.rightKeys) : [];
  for (const k of probeKeys) usedColumns(k, needed);
  const probeFields = c.scan.fields.length;
  for (const e of upper) {
    for (const i of usedColumns(e)) {
      const pi = i - probeOffset;
      if (!c.join || (pi >= 0 && pi < probeFields)) needed.add(pi);
    }
  }
  const columns = [...needed].sort((a, b) => a - b);
  if (columns.length === 0) columns.push(0); // count(*) still needs the row count
  const pos = new Map(columns.map((col, i) => [col, i]));
  const tableIdx = (e: BExpr) => mapCols(e, (i, col) => ({ k: 'col', index: pos.get(i)!, type: col.type }));
  const buildWidth = build ? build.length : 0;
  const logical = (e: BExpr) => mapCols(e, (i, col) => {
    if (!c.join) return { k: 'col', index: pos.get(i)!, type: col.type };
    const pi = i - probeOffset;
    if (pi >= 0 && pi < probeFields) return { k: 'col', index: pos.get(pi)!, type: col.type };
    const bi = c.join.probeIsLeft ? i - nl : i; // index within the build side
    return { k: 'col', index: columns.length + bi, type: col.type };
  });
  // model calls become extra columns computed per batch before the fused loop
  const models: ModelStep[] = [];
  const width = columns.length + buildWidth;
  const lift = (e: BExpr): BExpr => {
    if (!hasModelCall(e)) return e;
    return liftModels(e, models, width, onnxFileOf);
  };
  const spec: FragmentSpec = {
    tableTypes: table.columns.map((col) => col.type),
    columns,
    filter: c.preFilter ? tableIdx(c.preFilter) : null,
    models: [],
    joins: [],
    output: { kind: 'rows', exprs: [] },
  };
  // a join condition calling a model becomes a filter after the join (and the model)
  let modelResidual: BExpr | null = null;
  if (c.join && build) {
    let residual = c.join.node.residual ? logical(c.join.node.residual) : null;
    if (residual && hasModelCall(residual)) {
      if (c.join.node.joinType !== 'INNER') throw new SqlError('FEATURE_NOT_SUPPORTED', 'model functions in an outer or semi join condition are not supported; use them in WHERE');
      modelResidual = lift(residual);
      residual = null;
    }
    spec.joins.push({
      joinType: c.join.node.joinType as 'INNER' | 'LEFT' | 'SEMI' | 'ANTI',
      probeKeys: probeKeys.map((k) => tableIdx(mapCols(k, (i, col) => ({ k: 'col', index: i, type: col.type })))),
      buildKeys: [],
      build,
      residual,
      ...(c.join.node.nullEq ? { nullEq: c.join.node.nullEq } : {}),
    });
  }
  let post = c.postFilter ? lift(logical(c.postFilter)) : null;
  if (modelResidual) post = post ? and(modelResidual, post) : modelResidual;
  if (spec.filter && hasModelCall(spec.filter)) {
    // a filter on a model's output runs after the model, on the surviving rows
    post = post ? and(lift(spec.filter), post) : lift(spec.filter);
    spec.filter = null;
  }
  if (c.agg) {
    const aggSpec: AggSpec = { keys: c.agg.keys.map((k) => lift(logical(k))), aggs: c.agg.aggs.map((a) => mapAggInputs(a, (x) => lift(logical(x)))), filter: post };
    // with no join and no model, the filter runs inside the aggregation loop itself
    if (!c.join && models.length === 0 && spec.filter) { aggSpec.filter = post ? and(spec.filter, post) : spec.filter; spec.filter = null; }
    spec.output = { kind: 'agg', spec: aggSpec };
  } else {
    const exprs = outputExprs!.map((e) => lift(logical(e)));
    spec.output = { kind: 'rows', exprs, limit: c.limit ?? undefined, topN: c.topN };
    spec.postFilter = post;
  }
  spec.models = models;
  return spec;
}

/** Replaces model calls by columns `width + i` of the steps it appends (shared by the leader). */
export function liftModels(e: BExpr, models: ModelStep[], width: number, onnxFileOf: (model: string) => string | undefined): BExpr {
  if (e.k === 'model') {
    const args = e.args.map((a) => liftModels(a, models, width, onnxFileOf));
    const key = JSON.stringify({ m: e.model, args, p: e.proba, x: e.explain });
    let i = models.findIndex((m) => JSON.stringify({ m: m.model, args: m.args, p: m.proba, x: m.explain }) === key);
    if (i < 0) { i = models.length; models.push({ model: e.model, onnx: onnxFileOf(e.model), args, proba: e.proba, type: e.type, ...(e.explain ? { explain: e.explain } : {}) }); }
    return { k: 'col', index: width + i, type: e.type };
  }
  return mapChildren(e, (x) => liftModels(x, models, width, onnxFileOf));
}

// ------------------------------------------------------------------ zone maps

export interface ZonePred { col: number; op: '=' | '<' | '<=' | '>' | '>='; value: number | string }

/** Simple `column op constant` terms of a table-level filter, usable against zone maps. */
export function zonePredicates(filter: BExpr | null): ZonePred[] {
  if (!filter) return [];
  const out: ZonePred[] = [];
  const terms = filter.k === 'and' ? filter.args.flatMap((t) => (t.k === 'and' ? t.args : [t])) : [filter];
  const flip: Record<string, ZonePred['op']> = { '<': '>', '<=': '>=', '>': '<', '>=': '<=', '=': '=' };
  for (const t of terms) {
    if (t.k === 'cmp' && t.op !== '<>') {
      if (t.left.k === 'col' && t.right.k === 'const' && t.right.value !== null && typeof t.right.value !== 'boolean') out.push({ col: t.left.index, op: t.op, value: t.right.value });
      else if (t.right.k === 'col' && t.left.k === 'const' && t.left.value !== null && typeof t.left.value !== 'boolean') out.push({ col: t.right.index, op: flip[t.op], value: t.left.value });
    }
  }
  return out;
}

/** False when a segment's min/max prove no row can pass every predicate. */
export function segmentMayMatch(seg: SegmentEntry, preds: ZonePred[], types: SqlType[]): boolean {
  for (const p of preds) {
    const z = seg.zones[p.col];
    if (!z) continue;
    if (z.min === null || z.max === null) { if (z.nullCount >= seg.rows) return false; continue; }
    if (isString(types[p.col]) !== (typeof p.value === 'string')) continue;
    if (!rangeMayMatch(p, z.min as number | string, z.max as number | string)) return false;
  }
  return true;
}

/** Whether some value in [min, max] can satisfy `column op value`. */
export function rangeMayMatch(p: ZonePred, min: number | string, max: number | string): boolean {
  switch (p.op) {
    case '=': return !(p.value < min || p.value > max);
    case '<': return min < p.value;
    case '<=': return min <= p.value;
    case '>': return max > p.value;
    case '>=': return max >= p.value;
  }
}

/**
 * Each slice's segments of a table that may hold matching rows. Queries read one copy of an ALL
 * table (slice 0's); writers pass `allCopies` to change every slice's copy.
 */
export function segmentsBySlice(table: TableState, slices: number, filter: BExpr | null, allCopies = false): { bySlice: SegmentRef[][]; total: number; pruned: number } {
  const preds = zonePredicates(filter);
  const types = table.columns.map((c) => c.type);
  const bySlice: SegmentRef[][] = Array.from({ length: slices }, () => []);
  let pruned = 0;
  for (const seg of table.segments) {
    if (table.distStyle === 'ALL' && seg.slice !== 0 && !allCopies) continue;
    if (!segmentMayMatch(seg, preds, types)) { pruned++; continue; }
    bySlice[seg.slice % slices].push({ file: seg.file, rows: seg.rows, deleted: seg.deleted });
  }
  return { bySlice, total: table.segments.length, pruned };
}

