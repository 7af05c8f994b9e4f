// Bound expressions: names resolved to input column indexes, every node typed.
// Plain JSON, so fragments can be shipped to slice workers and compiled there.
import type { SqlType } from '../types/types.ts';
import type { LNode } from './logical.ts';
import { isCostlyFunction } from '../functions/registry.ts';

export type CmpOp = '=' | '<>' | '<' | '<=' | '>' | '>=';
export type ArithOp = '+' | '-' | '*' | '/' | '%';

/** A typed expression over the columns of one input batch. */
/**
 * One version of a model, as the binder resolved a call to it (in the snapshot of the query,
 * for a shared model in the producer's catalog). Plain JSON: it travels to the slices.
 */
export interface ModelRef {
  /** the account that owns the model (the producer's, for a shared model) */
  account: string;
  database: string;
  schema: string;
  /** the model's name */
  name: string;
  /** the version's unique id and its number */
  id: string;
  version: number;
  /** the version's ONNX graph, a file name under <dataDir>/models */
  onnx?: string;
  /** or the SageMaker endpoint that serves it (remote inference) */
  remote?: RemoteModelRef;
}

/** A model served by a SageMaker endpoint: calls go to InvokeEndpoint (ml/sagemaker/invoke.ts). */
export interface RemoteModelRef {
  endpoint: string;
  /** a multi-model endpoint's model (SAGEMAKER 'endpoint':'model') */
  targetModel?: string;
  /** SETTINGS REGION; else the server's AWS_REGION */
  region?: string;
  /** rows per InvokeEndpoint call (SETTINGS MAX_BATCH_ROWS) */
  maxBatchRows: number;
  /** calls in flight per slice (SETTINGS MAX_CONCURRENT_CALLS) */
  maxConcurrency: number;
}

export type BExpr =
  | { k: 'col'; index: number; type: SqlType }
  | { k: 'const'; value: number | string | boolean | null; type: SqlType }
  | { k: 'arith'; op: ArithOp; left: BExpr; right: BExpr; type: SqlType }
  | { k: 'concat'; left: BExpr; right: BExpr; type: SqlType }
  | { k: 'cmp'; op: CmpOp; left: BExpr; right: BExpr; type: SqlType }
  | { k: 'and' | 'or'; args: BExpr[]; type: SqlType }
  | { k: 'not'; arg: BExpr; type: SqlType }
  | { k: 'isnull'; arg: BExpr; negated: boolean; type: SqlType }
  | { k: 'isbool'; arg: BExpr; value: boolean; negated: boolean; type: SqlType }
  | { k: 'cast'; arg: BExpr; type: SqlType; assign?: boolean }
  | { k: 'neg'; arg: BExpr; type: SqlType }
  | { k: 'case'; whens: { when: BExpr; then: BExpr }[]; else: BExpr | null; type: SqlType }
  | { k: 'in'; arg: BExpr; list: BExpr[]; negated: boolean; type: SqlType }
  | { k: 'like'; arg: BExpr; pattern: BExpr; escape: string | null; ci: boolean; negated: boolean; type: SqlType }
  | { k: 'call'; name: string; args: BExpr[]; type: SqlType }
  | { k: 'extract'; field: string; arg: BExpr; type: SqlType }
  | { k: 'interval'; months: number; days: number; micros: number; type: SqlType }
  | { k: 'dateArith'; op: '+' | '-'; left: BExpr; right: BExpr; type: SqlType }
  /** a model call: `ref` is the version resolved at bind time, which the whole query runs */
  | { k: 'model'; ref: ModelRef; args: BExpr[]; proba: boolean; type: SqlType; explain?: string[] }
  /** a constant lifted out of generated code (so one compiled kernel serves every value) */
  | { k: 'param'; index: number; type: SqlType }
  /**
   * An uncorrelated subquery. The executor runs its plan once before the plan that uses it and
   * puts the result in its place (a constant, or a comparison with the constants it returned),
   * so binding and EXPLAIN never run it. `arg` is the outer value compared (IN, ANY, ALL).
   */
  | { k: 'subquery'; mode: SubqueryMode; plan: LNode; arg: BExpr | null; op: CmpOp; type: SqlType };

/**
 * scalar: the one value (NULL for none); exists: any row; in: `arg IN (rows)`; any/all:
 * `arg op ANY|ALL (rows)`, where the plan gives one row: the rows' least and greatest non-NULL
 * values, how many are not NULL and how many there are.
 */
export type SubqueryMode = 'scalar' | 'exists' | 'in' | 'any' | 'all';

export type AggFn =
  | 'count' | 'count_star' | 'sum' | 'avg' | 'min' | 'max' | 'stddev_samp' | 'stddev_pop' | 'var_samp' | 'var_pop'
  | 'bool_and' | 'bool_or' | 'listagg' | 'median' | 'percentile_cont' | 'percentile_disc' | 'approx_count_distinct';

/** One aggregate call: its function, argument (none for count(*)), DISTINCT, and result type. */
export interface BAgg {
  fn: AggFn;
  arg: BExpr | null;
  distinct: boolean;
  type: SqlType;
  /** listagg delimiter */
  sep?: string;
  /** percentile_cont/disc: the fraction, a constant in [0, 1] */
  fraction?: number;
  /** percentile_cont/disc, median: WITHIN GROUP (ORDER BY arg DESC) */
  desc?: boolean;
  /** listagg: WITHIN GROUP (ORDER BY ...) keys, bound over the same input as arg */
  order?: { expr: BExpr; desc: boolean; nullsFirst: boolean }[];
}

/** The expressions an aggregate call evaluates per input row: its argument, then its sort keys. */
export function aggInputs(a: BAgg): BExpr[] {
  return [...(a.arg ? [a.arg] : []), ...(a.order ?? []).map((o) => o.expr)];
}

/** The same call with each input expression (in aggInputs order) replaced by f(expr). */
export function mapAggInputs(a: BAgg, f: (e: BExpr) => BExpr): BAgg {
  const out: BAgg = { ...a, arg: a.arg ? f(a.arg) : null };
  if (a.order) out.order = a.order.map((o) => ({ ...o, expr: f(o.expr) }));
  return out;
}

export const BOOL: SqlType = { id: 'BOOLEAN' };

/** Walks an expression tree, calling `visit` on every node (pre-order). */
export function walk(e: BExpr, visit: (e: BExpr) => void): void {
  visit(e);
  for (const c of children(e)) walk(c, visit);
}

export function children(e: BExpr): BExpr[] {
  switch (e.k) {
    case 'arith': case 'cmp': case 'concat': case 'dateArith': return [e.left, e.right];
    case 'and': case 'or': return e.args;
    case 'not': case 'isnull': case 'isbool': case 'cast': case 'neg': case 'extract': return [e.arg];
    case 'case': return [...e.whens.flatMap((w) => [w.when, w.then]), ...(e.else ? [e.else] : [])];
    case 'in': return [e.arg, ...e.list];
    case 'like': return [e.arg, e.pattern];
    case 'call': case 'model': return e.args;
    case 'subquery': return e.arg ? [e.arg] : [];
    default: return [];
  }
}

/** The same node with each direct child replaced by f(child). */
export function mapChildren(e: BExpr, f: (x: BExpr) => BExpr): BExpr {
  switch (e.k) {
    case 'arith': case 'cmp': case 'concat': case 'dateArith': return { ...e, left: f(e.left), right: f(e.right) };
    case 'and': case 'or': return { ...e, args: e.args.map(f) };
    case 'not': case 'isnull': case 'isbool': case 'cast': case 'neg': case 'extract': return { ...e, arg: f(e.arg) } as BExpr;
    case 'case': return { ...e, whens: e.whens.map((w) => ({ when: f(w.when), then: f(w.then) })), else: e.else ? f(e.else) : null };
    case 'in': return { ...e, arg: f(e.arg), list: e.list.map(f) };
    case 'like': return { ...e, arg: f(e.arg), pattern: f(e.pattern) };
    case 'call': case 'model': return { ...e, args: e.args.map(f) } as BExpr;
    case 'subquery': return e.arg ? { ...e, arg: f(e.arg) } : e;
    default: return e;
  }
}

/** Rewrites column references (e.g. when an expression moves above a projection). */
export function mapCols(e: BExpr, f: (index: number, col: Extract<BExpr, { k: 'col' }>) => BExpr): BExpr {
  if (e.k === 'col') return f(e.index, e);
  return mapChildren(e, (x) => mapCols(x, f));
}

export function usedColumns(e: BExpr, into = new Set<number>()): Set<number> {
  walk(e, (x) => { if (x.k === 'col') into.add(x.index); });
  return into;
}

export function hasModelCall(e: BExpr): boolean {
  let found = false;
  walk(e, (x) => { if (x.k === 'model') found = true; });
  return found;
}

/** JS source of constant arguments (functions like round(x, 2) type themselves by them). */
export function constArgCodes(args: BExpr[]): (string | undefined)[] {
  return args.map((a) => (a.k === 'const' && a.value !== null && !isLongText(a.value) ? (typeof a.value === 'string' ? JSON.stringify(a.value) : String(a.value)) : undefined));
}

/**
 * Text constants longer than this are never written into generated code, kernel cache keys or
 * constant codes: they are parameters. Code and keys grow with the text, and compiling a
 * 60-million-character literal held the leader for most of a minute.
 */
export const LONG_TEXT = 256;

const isLongText = (v: unknown): boolean => typeof v === 'string' && v.length > LONG_TEXT;

/**
 * Text longer than Redshift's longest VARCHAR (65535): expressions over such constants take time
 * in proportion to it (UPPER, MD5, concatenation of repeat('x', 60000000)), like costly calls.
 */
export const HUGE_TEXT = 65_535;

/**
 * Whether computing these expressions may take long for even one row: a costly call (regular
 * expressions) or a text constant past HUGE_TEXT. The binder does not fold them and the leader
 * hands them to the slices (exec/costly-exprs.ts), so its thread stays free for other clients.
 */
export function isCostly(exprs: BExpr[]): boolean {
  let found = false;
  for (const e of exprs) {
    walk(e, (x) => {
      if ((x.k === 'call' && isCostlyFunction(x.name)) || (x.k === 'const' && typeof x.value === 'string' && x.value.length > HUGE_TEXT)) found = true;
    });
  }
  return found;
}

/**
 * An empty array whose elements V8 keeps as tagged values whatever is pushed, so every
 * parameter array has one map. Pushed into `[]`, an array takes the element kind its
 * allocation site learnt from earlier queries (small integers, doubles, anything), and a
 * kernel optimized for one kind was thrown away when a later query's parameters came in another.
 */
function taggedArray(): unknown[] {
  const a: unknown[] = [null];
  a.length = 0;
  return a;
}

/**
 * Replaces the constants compared with or combined arithmetically with other values by
 * parameters, so queries that differ only in those literals share one compiled kernel. Long
 * text constants become parameters wherever they are.
 */
export function parameterize(exprs: BExpr[]): { exprs: BExpr[]; params: unknown[] } {
  const params = taggedArray();
  // equal literals of one type share a parameter, so generated code can compute `1 - x` once per row
  const seen = new Map<string, number>();
  const param = (x: Extract<BExpr, { k: 'const' }>): BExpr => {
    const v = x.value;
    const key = isLongText(v) ? null : `${JSON.stringify(x.type)}|${typeof v}|${Object.is(v, -0) ? '-0' : String(v)}`;
    let index = key === null ? undefined : seen.get(key);
    if (index === undefined) {
      index = params.push(x.value) - 1;
      if (key !== null) seen.set(key, index);
    }
    return { k: 'param', index, type: x.type };
  };
  const lift = (x: BExpr): BExpr => (x.k === 'const' && (typeof x.value === 'number' || typeof x.value === 'string') ? param(x) : visit(x));
  const visit = (e: BExpr): BExpr => {
    if (e.k === 'const' && isLongText(e.value)) return param(e);
    if (e.k === 'cmp' || e.k === 'arith') return { ...e, left: lift(e.left), right: lift(e.right) };
    return mapChildren(e, visit);
  };
  return { exprs: exprs.map(visit), params };
}
