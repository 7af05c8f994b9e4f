// Expression binding: AST expressions -> typed bound expressions over a scope's fields.
// Type rules come from types/coerce.ts; constants are folded by running the generated code once.
import type * as A from '../sql/ast.ts';
import { SqlError } from '../errors.ts';
import { MAX_EXACT, T, isBoolean, isDate, isDecimal, isInteger, isNullType, isNumeric, isString, isTemporal, isTimestamp, orVarchar, resolveTypeName, sameType, scaleOf, typeName, type SqlType } from '../types/types.ts';
import { commonSupertype, commonSupertypeOf, arithmeticType, INTERVAL, canImplicitlyCast } from '../types/coerce.ts';
import { parseValue } from '../types/values.ts';
import { parseInterval } from '../types/interval.ts';
import { canCast } from '../functions/ops.ts';
import { lookupScalar, isScalarFunction, isVolatileFunction, describeSignatures, extractType } from '../functions/registry.ts';
import { aggregateName, aggregateFor } from '../functions/aggregates/registry.ts';
import { groupingValue } from './grouping-sets.ts';
import { type BExpr, type BAgg, type ModelRef, BOOL, walk, usedColumns, constArgCodes, isCostly } from './bound.ts';
import type { Field, LNode, SortKey, WindowCall } from './logical.ts';
import { projectBatch } from '../exec/kernels.ts';
import { runtime } from '../exec/runtime.ts';
import { didYouMean } from './did-you-mean.ts';

/** The fields an expression can see, plus the enclosing query's scope (outer references). */
export interface Scope {
  fields: Field[];
  outer?: Scope;
  /** the plan the fields come from: subqueries in expressions attach their joins to it */
  host?: Host;
  /** the WITH names visible here (subqueries see their enclosing query's CTEs) */
  ctes?: CteScope;
  /** set while discovering a subquery's outer references: which of these fields it uses */
  refs?: Set<number>;
  /** binding only to discover outer references; the plan is thrown away */
  probe?: boolean;
  /** uncorrelated subqueries run first as constants, never join the host (an outer join's ON,
   *  where a join would cross the sides) */
  constantSubqueries?: boolean;
}

/** A query block's plan while its expressions are bound; joins for subqueries wrap `node`. */
export interface Host {
  node: LNode;
}

/** WITH names in scope; `tables` are names already bound to a plan (a recursive query's working table). */
export interface CteScope {
  map: Map<string, A.Cte>;
  parent?: CteScope;
  tables?: Map<string, LNode>;
  /** the WITH query whose body this scope binds (found again inside it: a cycle) */
  expanding?: A.Cte;
}

/** Whether a scope is bound only to discover a subquery's outer references (its plan thrown away). */
export function isProbing(scope: Scope | undefined): boolean {
  for (let s = scope; s; s = s.outer) if (s.probe) return true;
  return false;
}

/** A subquery expression: scalar, [NOT] EXISTS, [NOT] IN or quantified comparison. */
export type SubqueryExpr = A.Subquery | A.Exists | A.InSubquery | A.Quantified;

/** Callbacks into the session: catalog lookups and running uncorrelated subqueries. */
export interface BindContext {
  bindQuery(q: A.Query, outer: Scope | undefined): Promise<LNode>;
  /**
   * Plans a subquery expression where it has a host plan (queries); null leaves it to the
   * fallback that runs it now (statements without a plan, such as INSERT ... VALUES).
   */
  subquery?(e: SubqueryExpr, scope: Scope, agg: AggContext | undefined): Promise<BExpr | null>;
  /** the statement's clock (microseconds since the epoch): what CURRENT_DATE, GETDATE() ... read */
  now?(): number;
  runQuery(plan: LNode): Promise<{ rows: unknown[][]; fields: Field[]; physical: (number | string | boolean | null)[][] }>;
  resolveModelFunction(name: string[], pos: A.Pos): { ref: ModelRef; proba: boolean; type: SqlType; argTypes: SqlType[]; explain?: string[] } | null;
  /** The session's user, for CURRENT_USER (absent where there is no session, e.g. DEFAULT) */
  currentUser?: string;
}

/** State for binding above a GROUP BY: keys and aggregates found so far. */
export interface AggContext {
  input: Scope;
  keys: BExpr[];
  aggs: BAgg[];
  /** window calls found (bound over the aggregate's output) */
  windows: WindowCall[];
  /** true when the query aggregates (GROUP BY or an aggregate call) */
  grouped: boolean;
  /** window partitions start with these (a decorrelated subquery's outer columns) */
  partitionPrefix?: BExpr[];
  /** with ROLLUP/CUBE/GROUPING SETS: the index of the grouping id among the keys */
  groupingId?: number;
  /** GROUP BY items with a subquery, by their text (`astText`): the key each one is */
  subqueryKeys?: Map<string, number>;
}

/** An AST expression's text without positions: two writings of one expression compare equal. */
export const astText = (e: A.Expr): string => JSON.stringify(e, (key, v) => (key === 'pos' ? undefined : v));

/** Names that read the session's user. */
const SESSION_USER = new Set(['current_user', 'session_user', 'user', 'current_user_name']);
const WINDOW_ONLY = new Set(['row_number', 'rank', 'dense_rank', 'percent_rank', 'cume_dist', 'ntile', 'lag', 'lead', 'first_value', 'last_value', 'nth_value']);

export function isAggregateCall(e: A.Expr): boolean {
  return e.kind === 'FunctionCall' && !e.over && e.name.length === 1 && aggregateName(e.name[0]) !== null;
}

/** Whether an AST expression contains an aggregate call (outside subqueries). */
export function containsAggregate(e: A.Expr | undefined): boolean {
  if (!e) return false;
  if (isAggregateCall(e)) return true;
  return astChildren(e).some(containsAggregate);
}

export function containsWindow(e: A.Expr | undefined): boolean {
  if (!e) return false;
  if (e.kind === 'FunctionCall' && e.over) return true;
  return astChildren(e).some(containsWindow);
}

/** Whether an expression has a subquery in it (not looking into the subqueries themselves). */
export function containsSubquery(e: A.Expr | undefined): boolean {
  if (!e) return false;
  if (e.kind === 'Subquery' || e.kind === 'Exists' || e.kind === 'InSubquery' || e.kind === 'Quantified') return true;
  return astChildren(e).some(containsSubquery);
}

/**
 * Child expressions of an AST expression, not descending into subqueries: every slot, a call's
 * WITHIN GROUP keys, OVER keys and frame offsets included. The binder's tests (aggregate, window,
 * subquery) and `cte-refs.ts` read these, so a slot seen by one is seen by all.
 */
export function astChildren(e: A.Expr): A.Expr[] {
  switch (e.kind) {
    case 'Unary': return [e.operand];
    case 'Binary': return [e.left, e.right];
    case 'FunctionCall': {
      const over = e.over, frame = over?.frame;
      return [
        ...e.args, ...(e.withinGroup ?? []).map((o) => o.expr),
        ...(over ? [...over.partitionBy, ...over.orderBy.map((o) => o.expr)] : []),
        ...(frame ? [frame.start.offset, frame.end?.offset].filter((x): x is A.Expr => !!x) : []),
      ];
    }
    case 'Cast': return [e.expr];
    case 'Case': return [...(e.operand ? [e.operand] : []), ...e.whens.flatMap((w) => [w.when, w.then]), ...(e.else ? [e.else] : [])];
    case 'InList': return [e.expr, ...e.list];
    case 'InSubquery': case 'Quantified': return [e.expr];
    case 'Between': return [e.expr, e.low, e.high];
    case 'Like': return [e.expr, e.pattern, ...(e.escape ? [e.escape] : [])];
    case 'IsNull': case 'IsBool': case 'Extract': return [e.expr];
    default: return [];
  }
}

/** Where an expression names a column, outside its subqueries. */
const columnRefs = (e: A.Expr): A.Pos[] => e.kind === 'ColumnRef' ? [e.pos] : astChildren(e).flatMap(columnRefs);

/** A query block's own expressions (not its FROM's or WITH's): every slot, LIMIT and OFFSET included. */
export function queryExprs(q: A.Query): A.Expr[] {
  const order = q.orderBy.map((o) => o.expr);
  const limits = [q.limit, q.offset].filter((x): x is A.Expr => !!x);
  if (q.kind === 'SetOp') return [...order, ...limits];
  return [...q.columns.map((c) => c.expr), ...(q.where ? [q.where] : []), ...q.groupBy, ...(q.having ? [q.having] : []), ...order, ...limits];
}

const UNTYPED = new WeakSet<BExpr>();
const DATEPART_FUNCTIONS = new Set(['dateadd', 'datediff', 'date_part', 'datepart', 'date_trunc']);
const konst = (value: number | string | boolean | null, type: SqlType): BExpr => ({ k: 'const', value, type });

/** Binds expressions of one query block. */
export class ExprBinder {
  /** AST nodes already planned elsewhere (decorrelated subqueries) and what they became */
  readonly replacements = new Map<A.Expr, BExpr>();

  constructor(readonly ctx: BindContext) {}

  async bind(e: A.Expr, scope: Scope, agg?: AggContext): Promise<BExpr> {
    const replaced = this.replacements.get(e);
    if (replaced) return replaced;
    if (agg) {
      const hit = await this.bindGrouped(e, scope, agg);
      if (hit) return hit;
    }
    switch (e.kind) {
      case 'Literal': return this.literal(e);
      case 'TypedLiteral': {
        const t = this.type(e.typeName);
        return this.constOf(t, e.value, e.pos);
      }
      case 'Interval': {
        const iv = this.interval(e);
        return { k: 'interval', ...iv, type: INTERVAL as unknown as SqlType };
      }
      case 'ColumnRef': return this.column(e, scope);
      case 'Star': throw new SqlError('SYNTAX_ERROR', '"*" is not allowed here', e.pos);
      case 'Parameter': throw new SqlError('FEATURE_NOT_SUPPORTED', `parameter $${e.index} has no value`, e.pos);
      case 'Default': throw new SqlError('SYNTAX_ERROR', 'DEFAULT is not allowed here', e.pos);
      case 'Unary': {
        const a = await this.bind(e.operand, scope, agg);
        if (e.op === 'NOT') return this.fold({ k: 'not', arg: this.boolean(a, 'NOT', e.pos), type: BOOL });
        if (!isNumeric(a.type) && !isNullType(a.type)) throw new SqlError('DATATYPE_MISMATCH', `operator does not exist: ${e.op} ${typeName(a.type)}`, e.pos);
        return e.op === '-' ? this.fold({ k: 'neg', arg: a, type: a.type }) : a;
      }
      case 'Binary': return this.binary(e, scope, agg);
      case 'FunctionCall': return this.call(e, scope, agg);
      case 'Cast': {
        const a = await this.bind(e.expr, scope, agg);
        return this.cast(a, this.type(e.type), e.pos);
      }
      case 'Case': return this.caseExpr(e, scope, agg);
      case 'InList': {
        const a = await this.bind(e.expr, scope, agg);
        const list = await Promise.all(e.list.map((x) => this.bind(x, scope, agg)));
        return this.inList(a, list, e.negated, e.pos);
      }
      case 'InSubquery': case 'Exists': case 'Subquery': case 'Quantified': {
        const planned = this.ctx.subquery ? await this.ctx.subquery(e, scope, agg) : null;
        return planned ?? this.subqueryNow(e, scope, agg);
      }
      case 'Between': {
        const a = await this.bind(e.expr, scope, agg);
        const lo = await this.bind(e.low, scope, agg), hi = await this.bind(e.high, scope, agg);
        const both: BExpr = { k: 'and', args: [this.compare('>=', a, lo, e.pos), this.compare('<=', a, hi, e.pos)], type: BOOL };
        return e.negated ? { k: 'not', arg: both, type: BOOL } : both;
      }
      case 'Like': {
        const a = await this.bind(e.expr, scope, agg);
        const p = await this.bind(e.pattern, scope, agg);
        for (const [x, what] of [[a, 'value'], [p, 'pattern']] as const) {
          if (!isString(x.type) && !isNullType(x.type)) throw new SqlError('DATATYPE_MISMATCH', `${e.caseInsensitive ? 'ILIKE' : 'LIKE'} ${what} must be a string, not ${typeName(x.type)}`, e.pos);
        }
        let escape: string | null = null;
        if (e.escape) {
          const esc = await this.bind(e.escape, scope);
          if (esc.k !== 'const' || typeof esc.value !== 'string' || esc.value.length > 1) throw new SqlError('INVALID_PARAMETER', 'ESCAPE must be a single character', e.pos);
          escape = esc.value;
        }
        return { k: 'like', arg: a, pattern: p, escape: escape ?? '\\', ci: e.caseInsensitive, negated: e.negated, type: BOOL };
      }
      case 'IsNull': return { k: 'isnull', arg: await this.bind(e.expr, scope, agg), negated: e.negated, type: BOOL };
      case 'IsBool': return { k: 'isbool', arg: this.boolean(await this.bind(e.expr, scope, agg), 'IS', e.pos), value: e.value, negated: e.negated, type: BOOL };
      case 'Extract': {
        const a = await this.bind(e.expr, scope, agg);
        if (!isTemporal(a.type)) throw new SqlError('DATATYPE_MISMATCH', `EXTRACT needs a DATE or TIMESTAMP, not ${typeName(a.type)}`, e.pos);
        return this.fold({ k: 'extract', field: e.field, arg: a, type: extractType(e.field, a.type) });
      }
    }
  }

  /** Fallback outside queries: an uncorrelated subquery runs now and its rows become constants. */
  private async subqueryNow(e: SubqueryExpr, scope: Scope, agg?: AggContext): Promise<BExpr> {
    switch (e.kind) {
      case 'InSubquery': {
        const a = await this.bind(e.expr, scope, agg);
        const values = await this.subqueryColumn(e.query, scope, e.pos);
        const list = values.map((v) => konst(v.value, v.type));
        if (list.length === 0) return konst(e.negated, BOOL);
        return this.inList(a, list, e.negated, e.pos);
      }
      case 'Exists': {
        const plan = await this.ctx.bindQuery(e.query, scope);
        const r = await this.ctx.runQuery({ k: 'limit', input: plan, limit: 1, offset: 0, fields: plan.fields });
        return konst(e.negated ? r.rows.length === 0 : r.rows.length > 0, BOOL);
      }
      case 'Subquery': {
        const values = await this.subqueryColumn(e.query, scope, e.pos);
        if (values.length > 1) throw new SqlError('INVALID_PARAMETER', 'more than one row returned by a subquery used as an expression', e.pos);
        return values.length ? konst(values[0].value, values[0].type) : konst(null, values.type);
      }
      case 'Quantified': throw new SqlError('FEATURE_NOT_SUPPORTED', `${e.quantifier} (subquery) is supported in queries only`, e.pos);
    }
  }

  // ------------------------------------------------------------------ grouping

  /** Above GROUP BY: aggregates become references to aggregate outputs, group keys to key outputs. */
  private async bindGrouped(e: A.Expr, scope: Scope, agg: AggContext): Promise<BExpr | null> {
    if (e.kind === 'FunctionCall' && e.over) return this.windowCall(e, scope, agg);
    if (e.kind === 'FunctionCall' && e.name.length === 1 && e.name[0] === 'grouping') return this.groupingCall(e, agg);
    if (isAggregateCall(e)) {
      const a = await this.aggregate(e as A.FunctionCall, agg.input);
      const key = JSON.stringify(a);
      let i = agg.aggs.findIndex((x) => JSON.stringify(x) === key);
      if (i < 0) { i = agg.aggs.length; agg.aggs.push(a); }
      return { k: 'col', index: agg.keys.length + i, type: a.type };
    }
    // a subquery is planned anew each time it is bound: a key with one is found by its text
    const keyed = agg.subqueryKeys?.size && containsSubquery(e) ? agg.subqueryKeys.get(astText(e)) : undefined;
    if (keyed !== undefined) return { k: 'col', index: keyed, type: agg.keys[keyed].type };
    if (!agg.grouped || containsAggregate(e) || containsWindow(e) || containsSubquery(e)) return null;
    const b = await this.bind(e, agg.input);
    const key = JSON.stringify(b);
    const i = agg.keys.findIndex((k) => JSON.stringify(k) === key);
    if (i >= 0) return { k: 'col', index: i, type: agg.keys[i].type };
    if (usedColumns(b).size === 0) return b;
    if (e.kind === 'ColumnRef') {
      throw new SqlError('DATATYPE_MISMATCH', `column "${e.name.join('.')}" must appear in the GROUP BY clause or be used in an aggregate function`, e.pos);
    }
    return null; // bind the parts: each must be a key or inside an aggregate
  }

  /** GROUPING(k, ...): which of these GROUP BY keys the row's grouping set aggregates away, as bits. */
  private async groupingCall(e: A.FunctionCall, agg: AggContext): Promise<BExpr> {
    if (!agg.grouped || e.args.length === 0 || e.distinct || e.star) throw new SqlError('SYNTAX_ERROR', 'GROUPING needs GROUP BY expressions as arguments', e.pos);
    const indexes: number[] = [];
    for (const x of e.args) {
      const key = JSON.stringify(await this.bind(x, agg.input));
      const i = agg.keys.findIndex((k, n) => n !== agg.groupingId && JSON.stringify(k) === key);
      if (i < 0) throw new SqlError('SYNTAX_ERROR', 'arguments to GROUPING must be grouping expressions of the query', x.pos);
      indexes.push(i);
    }
    // a plain GROUP BY never aggregates a key away
    if (agg.groupingId === undefined) return konst(0, T.int);
    return groupingValue({ k: 'col', index: agg.groupingId, type: T.int }, indexes);
  }

  /** An aggregate call below GROUP BY: its inputs are bound over the aggregate's input rows. */
  async aggregate(e: A.FunctionCall, input: Scope): Promise<BAgg> {
    return this.bindAggregate(e, (x) => this.bind(x, input));
  }

  /**
   * Binds an aggregate call, grouped or windowed: the canonical function, its input expressions
   * (bound by `bindInput`) and the result type from the aggregate's own module.
   */
  private async bindAggregate(e: A.FunctionCall, bindInput: (x: A.Expr) => Promise<BExpr>): Promise<BAgg> {
    const written = e.name[0];
    let fn = aggregateName(written)!;
    if (e.approximate) {
      if (fn !== 'count' || !e.distinct) throw new SqlError('SYNTAX_ERROR', 'APPROXIMATE applies only to COUNT(DISTINCT ...)', e.pos);
      fn = 'approx_count_distinct';
    }
    if (e.star) {
      if (fn !== 'count') throw new SqlError('SYNTAX_ERROR', `${written}(*) is not valid; only count(*) is`, e.pos);
      return { fn: 'count_star', arg: null, distinct: false, type: T.bigint };
    }
    for (const x of e.args) if (containsAggregate(x)) throw new SqlError('SYNTAX_ERROR', 'aggregate function calls cannot be nested', x.pos);
    const percentile = fn === 'percentile_cont' || fn === 'percentile_disc';
    const maxArgs = fn === 'listagg' ? 2 : 1;
    if (e.args.length < 1 || e.args.length > maxArgs) throw new SqlError('UNDEFINED_FUNCTION', `function ${written} takes ${maxArgs === 1 ? 'one argument' : 'one or two arguments'}`, e.pos);
    if (e.withinGroup && fn !== 'listagg' && !percentile && fn !== 'median') throw new SqlError('SYNTAX_ERROR', `${written} does not take WITHIN GROUP`, e.pos);
    const call: BAgg = { fn, arg: null, distinct: e.distinct && fn !== 'approx_count_distinct', type: T.null };
    if (percentile) {
      if (!e.withinGroup || e.withinGroup.length !== 1) throw new SqlError('SYNTAX_ERROR', `${written} needs WITHIN GROUP (ORDER BY one expression)`, e.pos);
      const f = await bindInput(e.args[0]);
      const fraction = f.k === 'const' && typeof f.value === 'number' ? f.value / 10 ** scaleOf(f.type) : NaN;
      if (!(fraction >= 0 && fraction <= 1)) throw new SqlError('INVALID_PARAMETER', `${written} needs a constant fraction between 0 and 1`, e.args[0].pos);
      call.fraction = fraction;
      call.arg = await bindInput(e.withinGroup[0].expr);
      call.desc = e.withinGroup[0].desc;
    } else {
      call.arg = await bindInput(e.args[0]);
      if (fn === 'median' && e.withinGroup) throw new SqlError('SYNTAX_ERROR', 'median does not take WITHIN GROUP', e.pos);
    }
    if (fn === 'listagg') {
      call.arg = this.cast(call.arg, T.varchar, e.pos);
      const sep = e.args[1] ? await bindInput(e.args[1]) : null;
      if (sep && (sep.k !== 'const' || (sep.value !== null && typeof sep.value !== 'string'))) throw new SqlError('INVALID_PARAMETER', 'the LISTAGG delimiter must be a constant string', e.args[1].pos);
      call.sep = sep && sep.value !== null ? String(sep.value) : '';
      if (e.withinGroup) {
        call.order = [];
        for (const o of e.withinGroup) call.order.push({ expr: await bindInput(o.expr), desc: o.desc, nullsFirst: o.nullsFirst ?? o.desc });
        // DISTINCT replays each distinct value once, so it can only sort by that value
        if (call.distinct && call.order.some((o) => JSON.stringify(o.expr) !== JSON.stringify((call.arg as Extract<BExpr, { k: 'cast' }>).arg ?? call.arg))) {
          throw new SqlError('SYNTAX_ERROR', 'with LISTAGG(DISTINCT x), WITHIN GROUP must order by x', e.pos);
        }
      }
    }
    const type = aggregateFor(fn).resultType(call.arg!.type, { name: fn, distinct: e.distinct, withinGroup: !!e.withinGroup, fraction: call.fraction });
    if (typeof type === 'string') throw new SqlError('UNDEFINED_FUNCTION', type, e.pos);
    call.type = type;
    return call;
  }

  private async windowCall(e: A.FunctionCall, scope: Scope, agg: AggContext): Promise<BExpr> {
    const over = e.over!;
    const fn = e.name[0];
    // window arguments and keys see the grouped output (aggregates, keys)
    const args = aggregateName(fn) !== null ? [] : await Promise.all(e.args.map((x) => this.bind(x, scope, agg)));
    const partitionBy = [...(agg.partitionPrefix ?? []), ...await Promise.all(over.partitionBy.map((x) => this.bind(x, scope, agg)))];
    const orderBy: SortKey[] = [];
    for (const o of over.orderBy) orderBy.push({ expr: await this.bind(o.expr, scope, agg), desc: o.desc, nullsFirst: o.nullsFirst ?? o.desc });
    let call: WindowCall;
    if (aggregateName(fn) !== null) {
      // the aggregate's inputs are bound over the grouped output, like the other window arguments
      const a = await this.bindAggregate(e, (x) => this.bind(x, scope, agg));
      call = { fn: 'agg', agg: a, args: [], partitionBy, orderBy, type: a.type };
    } else if (WINDOW_ONLY.has(fn)) {
      let type: SqlType = T.bigint;
      if (fn === 'percent_rank' || fn === 'cume_dist') type = T.double;
      if (fn === 'lag' || fn === 'lead' || fn === 'first_value' || fn === 'last_value' || fn === 'nth_value') {
        if (!args.length) throw new SqlError('UNDEFINED_FUNCTION', `function ${fn} needs an argument`, e.pos);
        type = args[0].type;
      }
      // an uncorrelated subquery runs before the plan and becomes a constant
      if (fn === 'ntile' && (!args.length || (args[0].k !== 'const' && !(args[0].k === 'subquery' && args[0].mode === 'scalar')))) throw new SqlError('INVALID_PARAMETER', 'ntile needs a constant bucket count', e.pos);
      // buckets are counted in whole numbers: a DECIMAL's value, not its scaled digits (2.00 is 2 buckets, not 200)
      if (fn === 'ntile' && !isInteger(args[0].type) && !isNullType(args[0].type)) {
        if (!isNumeric(args[0].type)) throw new SqlError('DATATYPE_MISMATCH', `ntile's bucket count must be a number, not ${typeName(args[0].type)}`, e.pos);
        args[0] = this.cast(args[0], T.bigint, e.pos);
      }
      call = { fn: fn as WindowCall['fn'], args, partitionBy, orderBy, type };
    } else throw new SqlError('UNDEFINED_FUNCTION', `function ${fn} is not a window function`, e.pos);
    if (over.frame) {
      // a RANGE frame's bounds are peer groups; an offset would be a distance in the ORDER BY value
      const rangeOffset = over.frame.units === 'RANGE' && [over.frame.start, over.frame.end].some((b) => b?.offset && !(b.offset.kind === 'Literal' && Number(b.offset.value) === 0));
      if (rangeOffset) throw new SqlError('FEATURE_NOT_SUPPORTED', 'RANGE frames with an offset (n PRECEDING or FOLLOWING) are not supported; use ROWS, UNBOUNDED or CURRENT ROW', e.pos);
      const bound = async (b: A.FrameBound | undefined, dflt: number | null): Promise<number | null> => {
        if (!b) return dflt;
        if (b.type === 'UNBOUNDED PRECEDING' || b.type === 'UNBOUNDED FOLLOWING') return null;
        if (b.type === 'CURRENT ROW') return 0;
        // an offset is a constant (a subquery in it runs now), as LIMIT's is: not a column of the row
        const off = (await this.constInt(b.offset!, `a frame offset (n ${b.type})`, scope, false))!;
        return b.type === 'PRECEDING' ? -off : off;
      };
      call.frame = { units: over.frame.units, start: await bound(over.frame.start, null), end: await bound(over.frame.end, 0) };
    }
    const index = agg.windows.length;
    agg.windows.push(call);
    return { k: 'col', index: -1 - index, type: call.type }; // resolved by the query binder
  }

  /**
   * A LIMIT, OFFSET or frame offset of the query `scope` binds: a non-negative integer constant,
   * bound without the query's columns (a subquery in it runs now); NULL (no limit) where `orNull`.
   */
  async constInt(e: A.Expr, what: string, scope: Scope, orNull = true): Promise<number | null> {
    if (orNull && e.kind === 'Literal' && e.literalType === 'null') return null;
    const outer = scope.outer;
    const b = await this.bind(e, { fields: [], outer, ctes: scope.ctes }).catch((err) => {
      // the query's own columns are not in scope here: for a name written in the offset itself,
      // say why rather than that it does not exist (one inside its subquery keeps its own error)
      if (err instanceof SqlError && err.code === 'UNDEFINED_COLUMN' && columnRefs(e).some((p) => p.line === err.position?.line && p.column === err.position.column)) {
        throw new SqlError('FEATURE_NOT_SUPPORTED', `${what} must be a constant: it cannot read the rows' columns`, err.position ?? e.pos);
      }
      throw err;
    });
    // while a subquery's outer references are probed, its own subqueries are not run: any value does
    if (isProbing(outer)) return orNull ? null : 0;
    if (b.k !== 'const' || typeof b.value !== 'number' || !Number.isInteger(b.value) || b.value < 0) {
      throw new SqlError('INVALID_PARAMETER', `${what} must be a non-negative integer constant`, e.pos);
    }
    return b.value;
  }

  // ------------------------------------------------------------------ leaves

  private literal(e: A.Literal): BExpr {
    switch (e.literalType) {
      case 'null': return konst(null, T.null);
      case 'boolean': return konst(e.value as boolean, BOOL);
      case 'string': { const c = konst(e.value as string, T.varchar); UNTYPED.add(c); return c; }
      case 'integer': {
        const v = Number(e.text);
        if (Math.abs(v) <= 2147483647) return konst(v, T.int);
        if (Math.abs(v) <= MAX_EXACT) return konst(v, T.bigint);
        // past 2^53 an integer that fits int64 is a BIGINT, read exactly from its text at run time
        if (BigInt(e.text) <= INT64_MAX) return { k: 'cast', arg: konst(e.text, T.varchar), type: T.bigint };
        return wideLiteral(e.text, 0) ?? konst(v, T.double);
      }
      case 'decimal': {
        const [ip, fp = ''] = e.text.split('.');
        const scale = fp.length;
        const digits = (ip.replace(/^0+/, '') + fp).length || 1;
        if (digits > 15) return wideLiteral(e.text, scale) ?? konst(Number(e.text), T.double);
        const t = T.decimal(Math.max(digits, scale), scale);
        return konst(parseValue(t, e.text) as number, t);
      }
      case 'float': return konst(Number(e.text), T.double);
    }
  }

  /**
   * A column of this scope, else of an enclosing query. An outer reference is recorded in the
   * scope that has the column (the binder then plans the subquery as a join over it); while
   * probing for such references it binds as a typed NULL.
   */
  private column(e: A.ColumnRef, scope: Scope): BExpr {
    const r = resolveColumn(scope.fields, e.name, e.pos) ?? resolveColumn(scope.fields, e.name, e.pos, true);
    if (r?.field.denied) throw new SqlError('PERMISSION_DENIED', r.field.denied, e.pos);
    if (r) return { k: 'col', index: r.index, type: r.field.type };
    let probing = !!scope.probe;
    for (let o = scope.outer; o; o = o.outer) {
      probing ||= !!o.probe;
      const hit = resolveColumn(o.fields, e.name, e.pos) ?? resolveColumn(o.fields, e.name, e.pos, true);
      if (!hit) continue;
      if (hit.field.denied) throw new SqlError('PERMISSION_DENIED', hit.field.denied, e.pos);
      o.refs?.add(hit.index);
      if (probing) return konst(null, hit.field.type);
      throw new SqlError('FEATURE_NOT_SUPPORTED', `column "${e.name.join('.')}" refers to an outer query from a subquery in FROM or WITH (a subquery in FROM sees the items before it only when it is LATERAL)`, e.pos);
    }
    throw new SqlError('UNDEFINED_COLUMN', `column "${e.name.join('.')}" does not exist${didYouMean(e.name[e.name.length - 1], scope.fields.filter((f) => !f.hidden).map((f) => f.name))}`, e.pos);
  }

  type(t: A.TypeRef): SqlType {
    const r = resolveTypeName(t.name, t.params);
    if (!r) throw new SqlError('UNDEFINED_OBJECT', `type "${t.name.toLowerCase()}" does not exist`, t.pos);
    if (isDecimal(r) && ((r.precision ?? 18) < 1 || (r.precision ?? 18) > 38 || (r.scale ?? 0) > (r.precision ?? 18))) {
      throw new SqlError('INVALID_PARAMETER', `invalid DECIMAL precision/scale (${r.precision},${r.scale})`, t.pos);
    }
    return r;
  }

  private interval(e: A.Interval): { months: number; days: number; micros: number } {
    try {
      return parseInterval(e.value, e.unit);
    } catch (err) {
      throw new SqlError('INVALID_TEXT_REPRESENTATION', (err as Error).message.replace(/ at line.*$/, ''), e.pos);
    }
  }

  /**
   * A string literal read as type t. Constants are doubles, so a BIGINT past 2^53 stays a cast
   * from its text, which generated code evaluates exactly.
   */
  private constOf(t: SqlType, text: string, pos: A.Pos): BExpr {
    const v = this.parseConst(t, text, pos);
    return typeof v === 'bigint' ? { k: 'cast', arg: konst(text, T.varchar), type: t } : konst(v, t);
  }

  private parseConst(t: SqlType, text: string, pos: A.Pos): number | string | boolean | bigint {
    try {
      return parseValue(t, text);
    } catch (err) {
      const s = err as SqlError;
      throw new SqlError(s.code ?? 'INVALID_TEXT_REPRESENTATION', s.message.replace(/ at line.*$/, ''), pos);
    }
  }

  // ------------------------------------------------------------------ operators

  private async binary(e: A.Binary, scope: Scope, agg?: AggContext): Promise<BExpr> {
    const l = await this.bind(e.left, scope, agg);
    const r = await this.bind(e.right, scope, agg);
    switch (e.op) {
      case 'AND': case 'OR': {
        const args = [this.boolean(l, e.op, e.pos), this.boolean(r, e.op, e.pos)];
        return this.fold({ k: e.op === 'AND' ? 'and' : 'or', args, type: BOOL });
      }
      case '=': case '<>': case '<': case '<=': case '>': case '>=':
        return this.compare(e.op, l, r, e.pos);
      case '||': {
        return this.fold({ k: 'concat', left: this.cast(l, T.varchar, e.pos), right: this.cast(r, T.varchar, e.pos), type: T.varchar });
      }
      default:
        return this.arith(e.op, l, r, e.pos);
    }
  }

  arith(op: '+' | '-' | '*' | '/' | '%', l: BExpr, r: BExpr, pos: A.Pos): BExpr {
    if (l.k === 'interval' || r.k === 'interval') {
      const [d, iv] = l.k === 'interval' ? [r, l] : [l, r];
      if (op === '-' && l.k === 'interval') throw new SqlError('DATATYPE_MISMATCH', 'cannot subtract a DATE or TIMESTAMP from an INTERVAL', pos);
      const base = UNTYPED.has(d) ? this.coerce(d, T.timestamp, pos) : d;
      if (!isTemporal(base.type) && !isNullType(base.type)) throw new SqlError('DATATYPE_MISMATCH', `operator does not exist: ${typeName(base.type)} ${op} INTERVAL`, pos);
      if (op !== '+' && op !== '-') throw new SqlError('DATATYPE_MISMATCH', `operator does not exist: ${typeName(base.type)} ${op} INTERVAL`, pos);
      const ivx = iv as Extract<BExpr, { k: 'interval' }>;
      // a whole-day interval keeps a DATE a DATE here, so date columns compare without conversion
      const keepDate = isDate(base.type) && ivx.micros === 0;
      return this.fold({ k: 'dateArith', op, left: base, right: iv, type: keepDate ? T.date : T.timestamp });
    }
    const lt = UNTYPED.has(l) ? r.type : l.type, rt = UNTYPED.has(r) ? l.type : r.type;
    const L = UNTYPED.has(l) ? this.coerce(l, lt, pos) : l;
    const R = UNTYPED.has(r) ? this.coerce(r, rt, pos) : r;
    const type = arithmeticType(op, L.type, R.type);
    if (!type) throw new SqlError('DATATYPE_MISMATCH', `operator does not exist: ${typeName(L.type)} ${op} ${typeName(R.type)}`, pos);
    return this.fold({ k: 'arith', op, left: L, right: R, type });
  }

  compare(op: A.BinaryOp, l: BExpr, r: BExpr, pos: A.Pos): BExpr {
    let t = commonSupertype(l.type, r.type, { aUntypedLiteral: UNTYPED.has(l), bUntypedLiteral: UNTYPED.has(r) });
    if (!t) throw new SqlError('DATATYPE_MISMATCH', `operator does not exist: ${typeName(l.type)} ${op} ${typeName(r.type)}`, pos);
    // a DATE column against a midnight TIMESTAMP constant compares as DATE (keeps zone maps usable)
    for (const [a, b] of [[l, r], [r, l]] as const) {
      if (isDate(a.type) && b.k === 'const' && isTimestamp(b.type) && typeof b.value === 'number' && b.value % 86400000000 === 0) {
        t = T.date;
        const conv = konst(b.value / 86400000000, T.date);
        return this.fold({ k: 'cmp', op: op as never, left: a === l ? l : conv, right: a === l ? conv : r, type: BOOL });
      }
    }
    if (isNullType(t)) t = T.varchar;
    return this.fold({ k: 'cmp', op: op as never, left: this.coerce(l, t, pos), right: this.coerce(r, t, pos), type: BOOL });
  }

  private inList(a: BExpr, list: BExpr[], negated: boolean, pos: A.Pos): BExpr {
    let t: SqlType | null = a.type;
    for (const x of list) {
      t = commonSupertype(t!, x.type, { bUntypedLiteral: UNTYPED.has(x), aUntypedLiteral: UNTYPED.has(a) && x === list[0] });
      if (!t) throw new SqlError('DATATYPE_MISMATCH', `IN list item of type ${typeName(x.type)} does not match ${typeName(a.type)}`, pos);
    }
    const tt = orVarchar(t!);
    return this.fold({ k: 'in', arg: this.coerce(a, tt, pos), list: list.map((x) => this.coerce(x, tt, pos)), negated, type: BOOL });
  }

  private async caseExpr(e: A.Case, scope: Scope, agg?: AggContext): Promise<BExpr> {
    const operand = e.operand ? await this.bind(e.operand, scope, agg) : null;
    const whens: { when: BExpr; then: BExpr }[] = [];
    for (const w of e.whens) {
      const cond = await this.bind(w.when, scope, agg);
      whens.push({ when: operand ? this.compare('=', operand, cond, w.when.pos) : this.boolean(cond, 'CASE WHEN', w.when.pos), then: await this.bind(w.then, scope, agg) });
    }
    const els = e.else ? await this.bind(e.else, scope, agg) : null;
    const results = [...whens.map((w) => w.then), ...(els ? [els] : [])];
    const typed = results.filter((x) => !UNTYPED.has(x));
    let t = commonSupertypeOf((typed.length ? typed : results).map((x) => x.type));
    if (!t) throw new SqlError('DATATYPE_MISMATCH', `CASE types ${results.map((x) => typeName(x.type)).join(', ')} cannot be matched`, e.pos);
    if (isNullType(t)) t = T.varchar;
    const tt = t;
    return this.fold({ k: 'case', whens: whens.map((w) => ({ when: w.when, then: this.coerce(w.then, tt, e.pos) })), else: els ? this.coerce(els, tt, e.pos) : null, type: tt });
  }

  /** CONVERT(type, x): the type is written as a bare name (INTEGER) or a call (VARCHAR(10), DECIMAL(12,2)). */
  private convertType(t: A.Expr): SqlType | null {
    if (t.kind === 'ColumnRef' && t.name.length === 1) return resolveTypeName(t.name[0]);
    if (t.kind === 'FunctionCall' && t.name.length === 1 && t.args.every((a) => a.kind === 'Literal' && a.literalType === 'integer')) {
      return resolveTypeName(t.name[0], t.args.map((a) => Number((a as A.Literal).value)));
    }
    return null;
  }

  private async call(e: A.FunctionCall, scope: Scope, agg?: AggContext): Promise<BExpr> {
    const name = e.name.join('.');
    if (isAggregateCall(e) || e.over) {
      throw new SqlError('SYNTAX_ERROR', `${e.over ? 'window' : 'aggregate'} function ${name} is not allowed here`, e.pos);
    }
    if (WINDOW_ONLY.has(name)) throw new SqlError('SYNTAX_ERROR', `window function ${name} requires an OVER clause`, e.pos);
    if (SESSION_USER.has(name) && e.args.length === 0) {
      // the statement's user is fixed while it runs: a constant
      if (this.ctx.currentUser === undefined) throw new SqlError('FEATURE_NOT_SUPPORTED', `${name} is not available here`, e.pos);
      return konst(this.ctx.currentUser, T.varchar);
    }
    const convert = name === 'convert' && e.args.length === 2 ? this.convertType(e.args[0]) : null;
    if (convert) return this.cast(await this.bind(e.args[1], scope, agg), convert, e.pos);
    // DATEADD(day, n, d): the date part is a bare keyword in Redshift
    const partFirst = DATEPART_FUNCTIONS.has(name) && e.args[0]?.kind === 'ColumnRef' && (e.args[0] as A.ColumnRef).name.length === 1;
    const args = await Promise.all(e.args.map((x, i) => (i === 0 && partFirst ? konst((x as A.ColumnRef).name[0], T.varchar) : this.bind(x, scope, agg))));
    // fn@3(...) reaches the model extension as the name `fn@3`
    const model = this.ctx.resolveModelFunction(e.version === undefined ? e.name : [...e.name.slice(0, -1), `${e.name[e.name.length - 1]}@${e.version}`], e.pos);
    if (!model && e.version !== undefined) throw new SqlError('UNDEFINED_FUNCTION', `function ${name}@${e.version} does not exist: only model functions take a version or alias`, e.pos);
    if (model) {
      if (args.length !== model.argTypes.length) {
        throw new SqlError('UNDEFINED_FUNCTION', `function ${name} takes ${model.argTypes.length} arguments (${model.argTypes.map(typeName).join(', ')}), got ${args.length}`, e.pos);
      }
      const cast = args.map((a, i) => {
        const want = model.argTypes[i];
        if (!UNTYPED.has(a) && !commonSupertype(a.type, want) && !(isNumeric(a.type) && isNumeric(want)) && !isNullType(a.type)) {
          throw new SqlError('DATATYPE_MISMATCH', `argument ${i + 1} of ${name} must be ${typeName(want)}, not ${typeName(a.type)}`, e.pos);
        }
        return this.coerce(a, want, e.pos);
      });
      return { k: 'model', ref: model.ref, args: cast, proba: model.proba, type: model.type, ...(model.explain ? { explain: model.explain } : {}) };
    }
    if (e.name.length !== 1 || !isScalarFunction(name)) throw new SqlError('UNDEFINED_FUNCTION', `function ${name} does not exist`, e.pos);
    let bound = args;
    const variadicSame = ['coalesce', 'nvl', 'nullif', 'greatest', 'least', 'nvl2'];
    if (variadicSame.includes(name)) {
      const from = name === 'nvl2' ? bound.slice(1) : bound;
      const typed = from.filter((x) => !UNTYPED.has(x));
      let t = commonSupertypeOf((typed.length ? typed : from).map((x) => x.type));
      if (!t) throw new SqlError('DATATYPE_MISMATCH', `${name} arguments ${from.map((x) => typeName(x.type)).join(', ')} cannot be matched`, e.pos);
      if (isNullType(t)) t = T.varchar;
      const tt = t;
      bound = name === 'nvl2' ? [bound[0], ...from.map((x) => this.coerce(x, tt, e.pos))] : from.map((x) => this.coerce(x, tt, e.pos));
    }
    let fn = lookupScalar(name, bound.map((a) => a.type), constArgCodes(bound));
    if (!fn && bound.some((a) => UNTYPED.has(a) || isNullType(a.type))) {
      // untyped literals and NULLs take whatever type makes a signature match
      bound = bound.map((a) => (isNullType(a.type) ? konst(null, T.varchar) : a));
      fn = lookupScalar(name, bound.map((a) => a.type), constArgCodes(bound));
    }
    if (!fn) {
      throw new SqlError('UNDEFINED_FUNCTION', `function ${name}(${bound.map((a) => typeName(a.type).toLowerCase()).join(', ')}) does not exist${describeSignatures(name) ? `; candidates: ${describeSignatures(name)}` : ''}`, e.pos);
    }
    return this.fold({ k: 'call', name, args: bound, type: fn.returnType });
  }

  // ------------------------------------------------------------------ helpers

  boolean(e: BExpr, where: string, pos: A.Pos): BExpr {
    if (isBoolean(e.type)) return e;
    if (isNullType(e.type)) return konst(null, BOOL);
    if (UNTYPED.has(e)) return this.coerce(e, BOOL, pos);
    throw new SqlError('DATATYPE_MISMATCH', `argument of ${where} must be type boolean, not type ${typeName(e.type)}`, pos);
  }

  /** Converts e to type t (implicitly): constants are converted now, columns get a cast. */
  coerce(e: BExpr, t: SqlType, pos: A.Pos): BExpr {
    if (sameType(e.type, t)) return e;
    if (e.k === 'const' && e.value === null) return konst(null, t);
    if (e.k === 'const' && typeof e.value === 'string' && !isString(t)) return this.constOf(t, e.value, pos);
    return this.cast(e, t, pos);
  }

  /** Assignment (INSERT/UPDATE): implicit casts plus numeric narrowing, with length/precision checks. */
  assign(e: BExpr, t: SqlType, column: string, pos: A.Pos): BExpr {
    if (isNullType(e.type)) return konst(null, t);
    if (e.k === 'const' && typeof e.value === 'string' && UNTYPED.has(e) && !isString(t)) return this.constOf(t, e.value, pos);
    const ok = canImplicitlyCast(e.type, t) || (isNumeric(e.type) && isNumeric(t)) || (isString(e.type) && isString(t)) || e.type.id === t.id;
    if (!ok) throw new SqlError('DATATYPE_MISMATCH', `column "${column}" is of type ${typeName(t).toLowerCase()} but expression is of type ${typeName(e.type).toLowerCase()}`, pos);
    if (JSON.stringify(e.type) === JSON.stringify(t)) return e;
    try {
      return this.fold({ k: 'cast', arg: e, type: t, assign: true });
    } catch (err) {
      const s = err as SqlError;
      throw new SqlError(s.code ?? 'INVALID_TEXT_REPRESENTATION', String(s.message).replace(/ at line.*$/, ''), pos);
    }
  }

  cast(e: BExpr, t: SqlType, pos: A.Pos): BExpr {
    if (isNullType(e.type)) return konst(null, t);
    if (!canCast(e.type, t)) throw new SqlError('DATATYPE_MISMATCH', `cannot cast type ${typeName(e.type)} to ${typeName(t)}`, pos);
    try {
      return this.fold({ k: 'cast', arg: e, type: t });
    } catch (err) {
      const s = err as SqlError;
      throw new SqlError(s.code ?? 'INVALID_TEXT_REPRESENTATION', String(s.message).replace(/ at line.*$/, ''), pos);
    }
  }

  /** Evaluates an expression without column references once, turning it into a constant. */
  fold(e: BExpr): BExpr {
    let constant = true;
    walk(e, (x) => {
      if (x.k === 'col' || x.k === 'model' || x.k === 'subquery') constant = false;
      if (x.k === 'call' && isVolatileFunction(x.name)) constant = false;
    });
    // costly work (regular expressions, text past 64K) runs when the statement does, in a slice
    if (constant && isCostly([e])) return e;
    if (!constant || e.k === 'const' || e.k === 'interval') return e;
    // the kernels read the time from the shared runtime; set it to this statement's clock in the
    // same synchronous step that evaluates, so no other session's statement can come between
    if (this.ctx.now) runtime.now = this.ctx.now();
    const [v] = projectBatch({ length: 1, columns: [] }, [e], null, 1);
    if (v.valid && v.valid[0] === 0) return konst(null, e.type);
    if (v.big?.[0] != null) return e; // an exact DECIMAL past 2^53 stays an expression (constants are doubles)
    if (isString(e.type)) return konst(v.dict![v.values[0]], e.type);
    if (isBoolean(e.type)) return konst(v.values[0] === 1, e.type);
    return konst(v.values[0], e.type);
  }

  private async subqueryColumn(q: A.Query, scope: Scope, pos: A.Pos): Promise<{ value: number | string | boolean | null; type: SqlType }[] & { type: SqlType }> {
    const plan = await this.ctx.bindQuery(q, scope);
    const visible = plan.fields.filter((f) => !f.hidden);
    if (visible.length !== 1) throw new SqlError('SYNTAX_ERROR', `subquery must return only one column, not ${visible.length}`, pos);
    const r = await this.ctx.runQuery(plan);
    const type = visible[0].type;
    const out = r.physical.map((row) => ({ value: row[0], type })) as { value: number | string | boolean | null; type: SqlType }[] & { type: SqlType };
    out.type = type;
    return out;
  }
}

/**
 * Finds a column by name parts ([col], [alias, col], [schema, table, col], [db, schema, table, col])
 * among the scope's own fields, or (corr) among the outer columns copied into a decorrelated subquery.
 */
export function resolveColumn(fields: Field[], name: string[], pos: A.Pos, corr = false): { index: number; field: Field } | null {
  const col = name[name.length - 1];
  const qual = name.slice(0, -1);
  const hits: number[] = [];
  fields.forEach((f, i) => {
    if (f.name !== col || !!f.corr !== corr) return;
    if (qual.length === 0) { if (!f.hidden) hits.push(i); return; }
    if (qual.length === 1 && f.qualifier === qual[0]) { hits.push(i); return; }
    if (f.path && qual.length <= f.path.length && f.path.slice(-qual.length).join('.') === qual.join('.')) hits.push(i);
  });
  if (hits.length > 1) {
    // the same column reached twice through USING/NATURAL is not ambiguous
    throw new SqlError('AMBIGUOUS_COLUMN', `column reference "${name.join('.')}" is ambiguous`, pos);
  }
  return hits.length ? { index: hits[0], field: fields[hits[0]] } : null;
}

export { UNTYPED, konst };
/**
 * A numeric literal past 2^53 with at most 38 digits: an exact DECIMAL, parsed at run time from
 * its text (bound constants are doubles, so it stays a CAST of the text rather than folding).
 */
const INT64_MAX = 2n ** 63n - 1n;

function wideLiteral(text: string, scale: number): BExpr | null {
  const digits = text.replace(/^[+-]/, '').replace('.', '').replace(/^0+/, '').length;
  if (digits > 38) return null;
  return { k: 'cast', arg: konst(text, T.varchar), type: T.decimal(Math.max(digits, scale, 16), scale) };
}

