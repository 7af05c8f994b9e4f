// Subqueries in expressions, planned as joins after Neumann & Kemper, "Unnesting Arbitrary
// Queries": a correlated subquery is bound once over the domain D (the distinct values of the
// outer columns it uses), with D joined below its FROM, so the dependent join becomes ordinary
// joins and aggregates grouped by D; its result joins back to the outer rows on D. Outer columns
// match with IS NOT DISTINCT FROM, so a NULL outer value gets its own answer. An uncorrelated
// `x [NOT] IN (q)` (`= ANY`, `<> ALL`) joins q's rows too (see `membership`), unless q can
// give only a few rows; other uncorrelated subqueries, and those few rows, become
// `subquery` expressions the executor runs once, before the plan.
//
// Two cases avoid the domain, which reads the outer rows twice (DuckDB does the same):
// - when every correlation is `inner = outer` in the subquery's WHERE, the subquery runs
//   uncorrelated, keyed (grouped) by the inner sides, and joins the outer rows on them
//   ("delim join elimination"); a top-level [NOT] EXISTS / [NOT] IN without aggregates also
//   takes other comparisons, as join conditions;
// - otherwise the outer rows are a `shared` plan: computed once, read by the domain and the join.
import type * as A from '../sql/ast.ts';
import { SqlError } from '../errors.ts';
import { T, orVarchar, type SqlType } from '../types/types.ts';
import { type BExpr, type BAgg, BOOL, mapCols, usedColumns } from './bound.ts';
import { keySource, remap } from './key-source.ts';
import { type Field, type LNode, type SortKey, type WindowCall, newSlot, inputsOf } from './logical.ts';
import { type AggContext, type ExprBinder, type Host, type Scope, type CteScope, type SubqueryExpr, containsAggregate, containsSubquery, containsWindow, isAggregateCall, isProbing } from './bind-expr.ts';
import { commonSupertype } from '../types/coerce.ts';
import { aggregateName } from '../functions/aggregates/registry.ts';
import { mostRows } from './cardinality.ts';
import { neverNull } from './not-null.ts';
import { windowOver } from './window-models.ts';

/**
 * A correlated subquery bound without a domain: its rows lead with these expressions over its
 * own FROM (the inner sides of its correlations), cast to `types`, grouped and numbered by them.
 */
export interface KeyedDomain {
  keyed: A.Expr[];
  types: SqlType[];
  /** the distinct outer key values: only FROM rows with one of them are read (a semi join) */
  only?: LNode;
}

type BindQuery = (q: A.Query, outer: Scope | undefined, ctes: CteScope | undefined, domain?: LNode | KeyedDomain) => Promise<LNode>;

type CmpOp = '=' | '<>' | '<' | '<=' | '>' | '>=';
const COMPARISONS = new Set<string>(['=', '<>', '<', '<=', '>', '>=']);

/** `inner op outer` (or `outer op inner` when `outerFirst`), a conjunct of a subquery's WHERE. */
interface Correlation { conjunct: A.Expr; op: CmpOp; inner: A.Expr; outer: number; outerFirst: boolean; type: SqlType }

/**
 * What a subquery's rows are used for, which decides what keyed planning must preserve: a
 * top-level [NOT] EXISTS / [NOT] IN (a semi or anti join), a scalar value, or its rows as
 * they are (EXISTS inside an expression, LATERAL).
 */
type Use = 'semi' | 'scalar' | 'rows';

/** A subquery planned keyed by its correlations: the query without them, and for a scalar
 *  aggregate whose value over no rows is not NULL (a count), that value. */
interface Keyed { corrs: Correlation[]; query: A.Select; empty?: BExpr }

/**
 * An uncorrelated IN subquery that gives at most this many rows whatever its filters keep (a
 * VALUES list, a small table, a LIMIT) stays a list of constants: ~80 bytes a value at the
 * leader, tested in the scan, and zone maps skip blocks with it. The bound, not the estimate,
 * decides: a misjudged filter or join must not put a large list at the leader.
 */
export const FEW_IN_ROWS = 1000;

/** Column indexes at and above this stand for subquery results not yet joined (above GROUP BY). */
const PLACEHOLDER = 1 << 28;

const konst = (value: number | string | boolean | null, type: SqlType): BExpr => ({ k: 'const', value, type });
const col = (index: number, type: SqlType): BExpr => ({ k: 'col', index, type });
const isNull = (arg: BExpr, negated = false): BExpr => ({ k: 'isnull', arg, negated, type: BOOL });

/** `x = ANY (q)` is `x IN (q)` and `x <> ALL (q)` is `x NOT IN (q)`; any other subquery is itself. */
export function asMembership<E extends SubqueryExpr>(e: E): E | A.InSubquery {
  if (e.kind !== 'Quantified' || e.op !== (e.quantifier === 'ANY' ? '=' : '<>')) return e;
  return { kind: 'InSubquery', pos: e.pos, expr: e.expr, query: e.query, negated: e.quantifier === 'ALL' };
}

/** A SELECT that aggregates without GROUP BY yields at most one row (per outer value). */
function isScalarAggregate(q: A.Query): boolean {
  return q.kind === 'Select' && q.groupBy.length === 0 && (q.columns.some((c) => containsAggregate(c.expr)) || containsAggregate(q.having));
}

/** Whether a SELECT groups or aggregates (its rows are not its FROM's rows). */
function aggregates(q: A.Select): boolean {
  return q.groupBy.length > 0 || !!q.having || q.columns.some((c) => containsAggregate(c.expr)) || q.orderBy.some((o) => containsAggregate(o.expr));
}

/**
 * Whether an expression over aggregates is NULL when its group has no rows: an aggregate other
 * than a count, or arithmetic and casts over one. Then a missing group and an empty one agree.
 */
function nullWhenEmpty(e: A.Expr): boolean {
  if (isAggregateCall(e)) {
    const fn = (e as A.FunctionCall).name[0].toLowerCase();
    return !(e as A.FunctionCall).approximate && aggregateName(fn) !== 'count';
  }
  if (e.kind === 'Binary' && ['+', '-', '*', '/', '%'].includes(e.op)) return nullWhenEmpty(e.left) || nullWhenEmpty(e.right);
  if (e.kind === 'Unary' && e.op === '-') return nullWhenEmpty(e.operand);
  if (e.kind === 'Cast') return nullWhenEmpty(e.expr);
  return false;
}

/**
 * A scalar aggregate's select expression over no rows, with counts 0 and other aggregates NULL,
 * or null when it also reads columns or subqueries (then it is not a constant).
 */
function valueWhenEmpty(e: A.Expr): A.Expr | null {
  let constant = true;
  const map = (x: unknown): unknown => {
    if (Array.isArray(x)) return x.map(map);
    if (!x || typeof x !== 'object') return x;
    const node = x as A.Expr;
    if (node.kind === 'ColumnRef' || node.kind === 'Subquery' || node.kind === 'Exists' || node.kind === 'InSubquery' || node.kind === 'Quantified') constant = false;
    if (typeof node.kind === 'string' && isAggregateCall(node)) {
      const count = aggregateName((node as A.FunctionCall).name[0]) === 'count';
      return { kind: 'Literal', pos: node.pos, value: count ? 0 : null, literalType: count ? 'integer' : 'null', text: count ? '0' : 'NULL' };
    }
    return Object.fromEntries(Object.entries(x).map(([key, v]) => [key, key === 'pos' ? v : map(v)]));
  };
  const out = map(e) as A.Expr;
  return constant ? out : null;
}

/**
 * EXISTS reads no column of its subquery: a plain SELECT's list becomes one constant, so the
 * joins that plan it carry only their keys, not every column of every matching row. (Not
 * with LIMIT/OFFSET, whose ORDER BY may name output columns, nor over aggregates, whose
 * grouping the list decides.)
 */
function existenceOnly(q: A.Query): A.Query {
  if (q.kind !== 'Select' || q.limit || q.offset || aggregates(q)) return q;
  const one: A.Expr = { kind: 'Literal', pos: q.pos, value: 1, literalType: 'integer', text: '1' };
  return { ...q, distinct: false, columns: [{ kind: 'SelectItem', pos: q.pos, expr: one }], orderBy: [] };
}

/** Whether a plan filters or joins its rows anywhere (so it may keep few of them). */
function filters(n: LNode): boolean {
  return n.k === 'filter' || n.k === 'join' || inputsOf(n).some(filters);
}

/**
 * Whether a plan is one table's scan under filters and projections, or such scans' semi joins
 * (an uncorrelated IN): cheap to compute twice.
 */
function scansOnly(n: LNode): boolean {
  if (n.k === 'join') return n.joinType === 'SEMI' && scansOnly(n.left) && scansOnly(n.right);
  return n.k === 'scan' || ((n.k === 'filter' || n.k === 'project') && scansOnly(n.input));
}

function splitAnd(e: A.Expr): A.Expr[] {
  return e.kind === 'Binary' && e.op === 'AND' ? [...splitAnd(e.left), ...splitAnd(e.right)] : [e];
}

function andOf(terms: A.Expr[]): A.Expr | undefined {
  return terms.reduce<A.Expr | undefined>((a, t) => (a ? { kind: 'Binary', pos: t.pos, op: 'AND', left: a, right: t } : t), undefined);
}

type Attach = (host: Host) => Promise<BExpr | null>;

/** Plans the subqueries of one statement. */
export class Subqueries {
  /** per query block: subqueries above GROUP BY, joined once the aggregate exists */
  private readonly deferred = new WeakMap<Host, Attach[]>();

  constructor(private readonly exprs: ExprBinder, private readonly bindQuery: BindQuery) {}

  /**
   * Plans subquery `e` seen in `scope`. Returns the expression standing for its value, or null:
   * when `top` (a WHERE condition of its own) and it became a semi/anti join of the host, or when
   * there is no host plan (the caller then runs it now).
   */
  async plan(e: SubqueryExpr, scope: Scope, agg: AggContext | undefined, top: boolean): Promise<BExpr | null> {
    e = asMembership(e);
    const probing = isProbing(scope);
    const host = scope.host;
    if (!host && !probing) return null;
    const arg = e.kind === 'InSubquery' || e.kind === 'Quantified' ? await this.exprs.bind(e.expr, scope, agg) : null;
    // bind once to learn which outer columns it uses (and its type)
    const probe: Scope = { fields: scope.fields, outer: scope.outer, refs: new Set(), probe: true, ctes: scope.ctes };
    const shape = await this.bindQuery(e.query, probe, scope.ctes);
    const vis = shape.fields.filter((f) => !f.hidden);
    if (e.kind !== 'Exists' && vis.length !== 1) throw new SqlError('SYNTAX_ERROR', `subquery must return only one column, not ${vis.length}`, e.pos);
    // (the whole query was bound above, so errors in its select list are still reported)
    if (e.kind === 'Exists') e = { ...e, query: existenceOnly(e.query) };
    const type = e.kind === 'Subquery' ? vis[0].type : BOOL;
    if (probing) return konst(null, type);
    const refs = [...probe.refs!].sort((a, b) => a - b);
    if (!refs.length) return this.uncorrelated(e, arg, scope, agg, top);
    const dFields = refs.map((i) => scope.fields[i]);
    const at = (i: number) => refs.indexOf(i);
    if (agg?.grouped) {
      // above GROUP BY the outer columns must be group keys; the join waits for the aggregate
      const keys = refs.map((i) => {
        const j = agg.keys.findIndex((x) => x.k === 'col' && x.index === i);
        if (j < 0) throw new SqlError('DATATYPE_MISMATCH', `subquery uses ungrouped column "${scope.fields[i].name}" from outer query`, e.pos);
        return col(j, agg.keys[j].type);
      });
      const list = this.deferred.get(host!) ?? [];
      this.deferred.set(host!, list);
      list.push((h) => this.correlated(h, e, arg, keys, at, dFields, scope, false));
      return col(PLACEHOLDER + list.length - 1, type);
    }
    return this.correlated(host!, e, arg, refs.map((i) => col(i, scope.fields[i].type)), at, dFields, scope, top);
  }

  /** Plans a correlated subquery keyed by its correlations when it can, else over its domain. */
  private async correlated(host: Host, e: SubqueryExpr, arg: BExpr | null, dExprs: BExpr[], at: (outer: number) => number, dFields: Field[], scope: Scope, top: boolean): Promise<BExpr | null> {
    const use: Use | null = e.kind === 'Subquery' ? 'scalar' : (e.kind === 'Exists' || e.kind === 'InSubquery') && top ? 'semi' : e.kind === 'Exists' ? 'rows' : null;
    const keyed = use && await this.correlations(e.query, scope, use);
    if (keyed) return this.joinKeyed(host, e, arg, keyed, (i) => dExprs[at(i)], scope, top);
    return this.attach(host, e, arg, dExprs, dFields, scope, top);
  }

  /**
   * The correlations of a subquery that can be planned without a domain, and the subquery
   * without them; null when it needs the domain. Each outer reference must sit in a WHERE
   * conjunct `inner op outer`, where op is `=` (any comparison for a top-level [NOT] EXISTS /
   * [NOT] IN or a scalar subquery over plain rows, with or without an equality). A missing key must mean what an empty subquery means: so no scalar
   * aggregate unless its value is NULL over no rows, and no comparison carried per row (ANY/ALL).
   */
  private async correlations(q: A.Query, scope: Scope, use: Use): Promise<Keyed | null> {
    if (q.kind !== 'Select' || !q.where || q.from.length === 0) return null;
    const grouped = aggregates(q);
    const windowed = q.columns.some((c) => containsWindow(c.expr)) || q.orderBy.some((o) => containsWindow(o.expr));
    // a scalar aggregate has a row for every outer value: a missing key must read as its value over no rows
    let empty: A.Expr | undefined;
    if (grouped && q.groupBy.length === 0) {
      if (use !== 'scalar') return null;
      if (!nullWhenEmpty(q.columns[0].expr)) {
        const v = q.having || windowed ? null : valueWhenEmpty(q.columns[0].expr);
        if (!v) return null;
        empty = v;
      }
    }
    // rows neither aggregated, windowed, cut (LIMIT) nor made distinct per outer row: each outer
    // row's are the FROM's rows its correlations pass, so every correlation may be any comparison
    // (the join's condition; with no equality among them, a nested loop)
    const plain = !grouped && !windowed && !q.limit && !q.offset && (use === 'semi' || (use === 'scalar' && !q.distinct));
    const probe = (): Scope => ({ fields: scope.fields, outer: scope.outer, refs: new Set(), probe: true, ctes: scope.ctes });
    /** the outer columns an expression over the subquery's FROM uses, and its type */
    const probeExpr = async (x: A.Expr): Promise<{ refs: Set<number>; type: SqlType }> => {
      const p = probe();
      const select: A.Select = { kind: 'Select', pos: x.pos, with: q.with, distinct: false, columns: [{ kind: 'SelectItem', pos: x.pos, expr: x }], from: q.from, groupBy: [], orderBy: [] };
      const plan = await this.bindQuery(select, p, scope.ctes);
      return { refs: p.refs!, type: plan.fields.find((f) => !f.hidden)!.type };
    };
    const corrs: Correlation[] = [];
    const rest: A.Expr[] = [];
    for (const t of splitAnd(q.where)) {
      const c = t.kind === 'Binary' && COMPARISONS.has(t.op) && !containsSubquery(t) && !containsAggregate(t) ? await this.correlation(t, probeExpr, scope) : null;
      if (c && (c.op === '=' || plain)) corrs.push(c);
      else rest.push(t);
    }
    if (!corrs.length) return null;
    const query: A.Select = { ...q, where: andOf(rest) };
    const p = probe();
    await this.bindQuery(query, p, scope.ctes);
    if (p.refs!.size) return null;
    return { corrs, query, empty: empty && await this.exprs.bind(empty, { fields: [], ctes: scope.ctes }) };
  }

  /** `inner op outer` when one side of comparison `t` is an outer column and the other uses none. */
  private async correlation(t: A.Binary, probeExpr: (x: A.Expr) => Promise<{ refs: Set<number>; type: SqlType }>, scope: Scope): Promise<Correlation | null> {
    for (const [outerSide, innerSide, outerFirst] of [[t.right, t.left, false], [t.left, t.right, true]] as const) {
      if (outerSide.kind !== 'ColumnRef') continue;
      const o = await probeExpr(outerSide);
      if (o.refs.size !== 1) continue;
      const i = await probeExpr(innerSide);
      if (i.refs.size || containsWindow(innerSide)) return null;
      const outer = [...o.refs][0];
      const type = commonSupertype(i.type, scope.fields[outer].type);
      if (!type) return null;
      return { conjunct: t, op: t.op as CmpOp, inner: innerSide, outer, outerFirst, type: orVarchar(type) };
    }
    return null;
  }

  /**
   * Joins a subquery keyed by its correlations' inner sides to the host: equalities are join
   * keys (an outer NULL matches nothing, as `=` says), other comparisons the join's residual.
   */
  private async joinKeyed(host: Host, e: SubqueryExpr, arg: BExpr | null, { corrs, query, empty }: Keyed, hostExpr: (outer: number) => BExpr, scope: Scope, top: boolean): Promise<BExpr | null> {
    const outerKeys = corrs.map((c) => this.exprs.coerce(hostExpr(c.outer), c.type, e.pos));
    // an aggregating subquery under a filtered outer query groups only the keys the outer rows
    // have (the domain's semi join, as filter): those of the filtered part of the outer plan
    // that holds the keys when that part filters (then nothing waits for the outer rows), else
    // those of the outer rows: computed again when they are a filtered scan, else computed once
    let n = host.node;
    let only: LNode | undefined;
    if (aggregates(query) && filters(n)) {
      const keyFields: Field[] = corrs.map((c, i) => ({ name: `key${i}`, type: c.type, hidden: true }));
      const keyCols = new Set<number>();
      for (const k of outerKeys) usedColumns(k, keyCols);
      const src = keySource(n, keyCols);
      let source: LNode, keys = outerKeys;
      if (src.node !== n && filters(src.node)) {
        source = src.node;
        keys = outerKeys.map((k) => remap(k, src)!);
      } else if (scansOnly(n)) {
        // a filtered scan is read again in the slices: cheaper than keeping its rows at the leader
        source = n;
      } else {
        n = n.k === 'shared' ? n : { k: 'shared', input: n, slot: newSlot(), fields: n.fields };
        source = n;
      }
      only = { k: 'distinct', input: { k: 'project', input: source, exprs: keys, fields: keyFields }, fields: keyFields };
    }
    const inner = await this.bindQuery(query, { fields: scope.fields, outer: scope.outer, ctes: scope.ctes }, scope.ctes, { keyed: corrs.map((c) => c.inner), types: corrs.map((c) => c.type), only });
    const nl = n.fields.length;
    const k = corrs.length;
    const leftKeys: BExpr[] = [], rightKeys: BExpr[] = [], conds: BExpr[] = [];
    corrs.forEach((c, i) => {
      const outer = outerKeys[i];
      if (c.op === '=') { leftKeys.push(outer); rightKeys.push(col(i, c.type)); return; }
      const mine = col(nl + i, c.type);
      conds.push({ k: 'cmp', op: c.op, left: c.outerFirst ? outer : mine, right: c.outerFirst ? mine : outer, type: BOOL });
    });
    const and = (xs: BExpr[]): BExpr | null => (xs.length === 0 ? null : xs.length === 1 ? xs[0] : { k: 'and', args: xs, type: BOOL });
    const join = (joinType: 'LEFT' | 'SINGLE' | 'SEMI' | 'ANTI', right: LNode, residual: BExpr | null, extra?: { left: BExpr; right: BExpr }): void => {
      const semi = joinType === 'SEMI' || joinType === 'ANTI';
      host.node = {
        k: 'join', joinType, left: n, right,
        leftKeys: extra ? [...leftKeys, extra.left] : leftKeys, rightKeys: extra ? [...rightKeys, extra.right] : rightKeys, residual,
        fields: semi ? n.fields : [...n.fields, ...right.fields.map((f) => ({ ...f, hidden: true }))],
      };
    };
    const value = inner.fields[k] ? col(k, inner.fields[k].type) : null;
    if (e.kind === 'Exists' && top) { join(e.negated ? 'ANTI' : 'SEMI', inner, and(conds)); return null; }
    if (e.kind === 'InSubquery') {
      const c = this.exprs.compare('=', arg!, value!, e.pos);
      if (c.k !== 'cmp') throw new SqlError('INTERNAL_ERROR', 'IN did not bind to a comparison', e.pos);
      if (!e.negated) { join('SEMI', inner, and(conds), { left: c.left, right: c.right }); return null; }
      // NOT IN: no row of the subquery (for this outer row) equals it or is NULL, and it is not NULL
      const y = mapCols(c.right, (i, x) => col(i + nl, x.type));
      join('ANTI', inner, and([...conds, { k: 'or', args: [{ ...c, right: y }, isNull(c.left), isNull(y)], type: BOOL }]));
      return null;
    }
    if (e.kind === 'Subquery') {
      join(isScalarAggregate(query) ? 'LEFT' : 'SINGLE', inner, and(conds));
      const v = col(nl + k, value!.type);
      // no row for the key (an equality key of a matched row is never NULL): the value over no rows
      if (!empty) return v;
      return { k: 'case', whens: [{ when: isNull(col(nl, corrs[0].type)), then: this.exprs.coerce(empty, v.type, e.pos) }], else: v, type: v.type };
    }
    // EXISTS inside an expression: a mark per key that has rows
    const dR = corrs.map((c, i) => col(i, c.type));
    const markFields: Field[] = [...inner.fields.slice(0, k), { name: 'exists', type: BOOL, hidden: true }];
    join('LEFT', { k: 'distinct', input: { k: 'project', input: inner, exprs: [...dR, konst(true, BOOL)], fields: markFields }, fields: markFields }, null);
    return isNull(col(nl + k, BOOL), !(e as A.Exists).negated);
  }

  /**
   * `left [LEFT] JOIN LATERAL (q) ON ...`: q runs for each row of `left` (a dependent join),
   * planned like a correlated subquery whose rows are kept: keyed by its `inner = outer`
   * equalities when those are its only correlations, else over the domain of the left columns it
   * uses, joined back on them. Returns null when q does not use `left` (an ordinary subquery).
   * `name` gives q's plan its alias (keeping the first k key columns, hidden); `on` binds the
   * join condition over the joined fields. The result has left's fields, then q's.
   */
  async lateral(left: LNode, q: A.Query, outer: Scope | undefined, ctes: CteScope | undefined, joinType: 'INNER' | 'LEFT',
    name: (plan: LNode, k: number) => LNode, on: (fields: Field[]) => Promise<BExpr | null>): Promise<LNode | null> {
    const scope: Scope = { fields: left.fields, outer, ctes };
    const refs = await this.columnsUsed(q, left.fields, outer, ctes);
    if (!refs.length) return null;
    const keyed = await this.correlations(q, scope, 'rows');
    let l = left, inner: LNode, leftKeys: BExpr[], nullEq: boolean;
    if (keyed) {
      inner = await this.bindQuery(keyed.query, scope, ctes, { keyed: keyed.corrs.map((c) => c.inner), types: keyed.corrs.map((c) => c.type) });
      leftKeys = keyed.corrs.map((c) => this.exprs.coerce(col(c.outer, left.fields[c.outer].type), c.type, q.pos));
      nullEq = false;
    } else {
      l = { k: 'shared', input: left, slot: newSlot(), fields: left.fields };
      const fields: Field[] = refs.map((i) => ({ ...left.fields[i], corr: true }));
      leftKeys = refs.map((i) => col(i, left.fields[i].type));
      const domain: LNode = { k: 'distinct', input: { k: 'project', input: l, exprs: leftKeys, fields }, fields };
      inner = await this.bindQuery(q, scope, ctes, domain);
      nullEq = true;
    }
    const k = leftKeys.length;
    const named = name(inner, k);
    const nl = l.fields.length;
    const fields = [...l.fields, ...named.fields];
    const joined: LNode = {
      k: 'join', joinType, left: l, right: named, leftKeys, rightKeys: named.fields.slice(0, k).map((f, i) => col(i, f.type)),
      residual: await on(fields), fields, ...(nullEq ? { nullEq: leftKeys.map(() => true) } : {}),
    };
    const keep = fields.map((_, i) => i).filter((i) => i < nl || i >= nl + k);
    return { k: 'project', input: joined, exprs: keep.map((i) => col(i, fields[i].type)), fields: keep.map((i) => fields[i]) };
  }

  /** Which of `fields` query q refers to, as an outer query's columns (found by binding it once). */
  async columnsUsed(q: A.Query, fields: Field[], outer: Scope | undefined, ctes: CteScope | undefined): Promise<number[]> {
    const probe: Scope = { fields, outer, ctes, refs: new Set(), probe: true };
    await this.bindQuery(q, probe, ctes);
    return [...probe.refs!].sort((a, b) => a - b);
  }

  /** Joins the deferred subqueries of a block to its aggregate; `place` swaps in their results. */
  async attachDeferred(host: Host, aggregated: LNode): Promise<{ node: LNode; place: (e: BExpr) => BExpr }> {
    const h: Host = { node: aggregated };
    const results: BExpr[] = [];
    for (const f of this.deferred.get(host) ?? []) results.push((await f(h))!);
    const place = (e: BExpr) => (results.length ? mapCols(e, (i, c) => (i >= PLACEHOLDER ? results[i - PLACEHOLDER] : c)) : e);
    return { node: h.node, place };
  }

  /**
   * An aggregate without GROUP BY in a decorrelated subquery is grouped by the domain, which
   * loses the outer values no row matched: join them back, with COUNT 0 and other aggregates NULL.
   */
  fillDomain(domain: LNode, aggregated: LNode, aggs: BAgg[]): LNode {
    const k = domain.fields.length;
    const dL = domain.fields.map((f, i) => col(i, f.type));
    const dR = aggregated.fields.slice(0, k).map((f, i) => col(i, f.type));
    const joined: LNode = {
      k: 'join', joinType: 'LEFT', left: domain, right: aggregated, leftKeys: dL, rightKeys: dR, residual: null,
      fields: [...domain.fields, ...aggregated.fields], nullEq: dL.map(() => true),
    };
    const values = aggs.map((a, i): BExpr => {
      const c = col(2 * k + i, a.type);
      return a.fn === 'count' || a.fn === 'count_star' ? { k: 'case', whens: [{ when: isNull(c), then: konst(0, a.type) }], else: c, type: a.type } : c;
    });
    return { k: 'project', input: joined, exprs: [...dL, ...values], fields: aggregated.fields };
  }

  /** LIMIT/OFFSET in a decorrelated subquery count rows per outer value (row_number per domain). */
  limitPerDomain(node: LNode, k: number, keys: SortKey[], limit: number | null, offset: number): LNode {
    const call: WindowCall = { fn: 'row_number', args: [], partitionBy: node.fields.slice(0, k).map((f, i) => col(i, f.type)), orderBy: keys, type: T.bigint };
    const n = node.fields.length;
    const numbered = windowOver(node, [call], [...node.fields, { name: 'row_number', type: T.bigint, hidden: true }]);
    const rn = col(n, T.bigint);
    const tests: BExpr[] = [{ k: 'cmp', op: '>', left: rn, right: konst(offset, T.bigint), type: BOOL }];
    if (limit !== null) tests.push({ k: 'cmp', op: '<=', left: rn, right: konst(offset + limit, T.bigint), type: BOOL });
    const kept: LNode = { k: 'filter', input: numbered, pred: tests.length === 1 ? tests[0] : { k: 'and', args: tests, type: BOOL }, fields: numbered.fields };
    return { k: 'project', input: kept, exprs: node.fields.map((f, i) => col(i, f.type)), fields: node.fields };
  }

  /**
   * An uncorrelated subquery: `x [NOT] IN (q)`, `x = ANY (q)` and `x <> ALL (q)` that may give
   * more than a few rows join the host (`membership`), so q's rows stay in the slices; the rest
   * run once by the executor. Above GROUP BY the join waits for the aggregate (`top`: a HAVING
   * conjunct, joining the groups).
   */
  private async uncorrelated(e: SubqueryExpr, arg: BExpr | null, scope: Scope, agg: AggContext | undefined, top: boolean): Promise<BExpr | null> {
    const plan = await this.bindQuery(e.query, { fields: scope.fields, outer: scope.outer, ctes: scope.ctes }, scope.ctes);
    const member = e.kind === 'InSubquery';
    const negated = member && e.negated;
    if (!member || scope.constantSubqueries || mostRows(plan) <= FEW_IN_ROWS) return this.once(e, arg, plan);
    if (!agg?.grouped) return this.membership(scope.host!, plan, arg!, negated, top, e.pos);
    const list = this.deferred.get(scope.host!) ?? [];
    this.deferred.set(scope.host!, list);
    // a HAVING conjunct's semi join leaves nothing to test: TRUE stands in its place
    list.push(async (h) => this.membership(h, plan, arg!, negated, top, e.pos) ?? konst(true, BOOL));
    return col(PLACEHOLDER + list.length - 1, BOOL);
  }

  /**
   * `x [NOT] IN (q)` for an uncorrelated q as a join with q's rows, planned and placed like any
   * other join. A WHERE conjunct IN is a semi join. NOT IN is an anti join made null-aware by
   * two existence tests run first (one row each at most): no row when q has a NULL, nor for a
   * NULL x unless q is empty; a test is left out where the plan shows its column never NULL.
   * Elsewhere a LEFT join with q's distinct values marks the rows that have x, and the same
   * tests give SQL's NULL where no value matched. Returns the condition left for the caller to
   * filter by, or null when the join is the whole test.
   */
  private membership(host: Host, q: LNode, arg: BExpr, negated: boolean, top: boolean, pos: A.Pos): BExpr | null {
    const first = q.fields.find((f) => !f.hidden)!;
    const c = this.exprs.compare('=', arg, col(q.fields.indexOf(first), first.type), pos);
    if (c.k !== 'cmp') throw new SqlError('INTERNAL_ERROR', 'IN did not bind to a comparison', pos);
    const x = c.left;
    const y = col(0, c.right.type);
    const plain = q.fields.length === 1 && c.right.k === 'col';
    const values: LNode = plain ? q : { k: 'project', input: q, exprs: [c.right], fields: [{ name: first.name, type: c.right.type }] };
    const exists = (rows: LNode): BExpr => ({ k: 'subquery', mode: 'exists', plan: { k: 'limit', input: rows, limit: 1, offset: 0, fields: rows.fields }, arg: null, op: '=', type: BOOL });
    const n = host.node;
    const join = (joinType: 'SEMI' | 'ANTI' | 'LEFT', right: LNode): LNode => ({
      k: 'join', joinType, left: n, right, leftKeys: [x], rightKeys: [y], residual: null,
      fields: joinType === 'LEFT' ? [...n.fields, ...right.fields.map((f) => ({ ...f, hidden: true }))] : n.fields,
    });
    // a WHERE conjunct IN is the semi join alone: it needs none of the NULL tests below
    if (top && !negated) { host.node = join('SEMI', values); return null; }
    // each test is left out where the plan shows its column is never NULL
    const nullX = !neverNull(n, x);
    const nonEmpty = exists(values);
    const hasNull = neverNull(values, y) ? konst(false, BOOL) : exists({ k: 'filter', input: values, pred: isNull(y), fields: values.fields });
    const not = (a: BExpr): BExpr => ({ k: 'not', arg: a, type: BOOL });
    if (top) {
      host.node = join('ANTI', values);
      const tests: BExpr[] = [];
      if (hasNull.k !== 'const') tests.push(not(hasNull));
      if (nullX) tests.push({ k: 'or', args: [isNull(x, true), not(nonEmpty)], type: BOOL });
      return tests.length === 0 ? null : tests.length === 1 ? tests[0] : { k: 'and', args: tests, type: BOOL };
    }
    const markFields: Field[] = [values.fields[0], { name: 'in', type: BOOL, hidden: true }];
    host.node = join('LEFT', { k: 'distinct', input: { k: 'project', input: values, exprs: [y, konst(true, BOOL)], fields: markFields }, fields: markFields });
    const unknown: BExpr = nullX ? { k: 'or', args: [hasNull, { k: 'and', args: [isNull(x), nonEmpty], type: BOOL }], type: BOOL } : hasNull;
    const found: BExpr = {
      k: 'case',
      whens: [{ when: isNull(col(n.fields.length + 1, BOOL), true), then: konst(true, BOOL) }, { when: unknown, then: konst(null, BOOL) }],
      else: konst(false, BOOL),
      type: BOOL,
    };
    return negated ? not(found) : found;
  }

  /** An uncorrelated subquery run once by the executor (see exec/subqueries.ts); `plan` is its bound query. */
  private once(e: SubqueryExpr, arg: BExpr | null, plan: LNode): BExpr {
    const first = plan.fields.find((f) => !f.hidden)!;
    const y = col(plan.fields.indexOf(first), first.type);
    const only = (value: BExpr): LNode => ({ k: 'project', input: plan, exprs: [value], fields: [{ name: first.name, type: value.type }] });
    if (e.kind === 'Subquery') {
      // two rows tell "more than one row" from one: the slices, a nested loop stop there
      const rows = only(y);
      const plan: LNode = mostRows(rows) > 2 ? { k: 'limit', input: rows, limit: 2, offset: 0, fields: rows.fields } : rows;
      return { k: 'subquery', mode: 'scalar', plan, arg: null, op: '=', type: first.type };
    }
    if (e.kind === 'Exists') {
      const probe: LNode = { k: 'limit', input: only(y), limit: 1, offset: 0, fields: [first] };
      const x: BExpr = { k: 'subquery', mode: 'exists', plan: probe, arg: null, op: '=', type: BOOL };
      return e.negated ? { k: 'not', arg: x, type: BOOL } : x;
    }
    const c = this.exprs.compare(e.kind === 'InSubquery' ? '=' : e.op, arg!, y, e.pos);
    if (c.k !== 'cmp') throw new SqlError('INTERNAL_ERROR', 'comparison with a subquery did not bind to a comparison', e.pos);
    if (e.kind === 'InSubquery') {
      const x: BExpr = { k: 'subquery', mode: 'in', plan: only(c.right), arg: c.left, op: '=', type: BOOL };
      return e.negated ? { k: 'not', arg: x, type: BOOL } : x;
    }
    // any other ANY / ALL is decided by q's least and greatest non-NULL values and its counts:
    // one row, whatever q's size (exec/subqueries.ts `quantified`)
    const v = c.right;
    const aggs: BAgg[] = [
      { fn: 'min', arg: v, distinct: false, type: v.type },
      { fn: 'max', arg: v, distinct: false, type: v.type },
      { fn: 'count', arg: v, distinct: false, type: T.bigint },
      { fn: 'count_star', arg: null, distinct: false, type: T.bigint },
    ];
    const fields: Field[] = ['least', 'greatest', 'non_null', 'rows'].map((name, i) => ({ name, type: aggs[i].type }));
    const extremes: LNode = { k: 'aggregate', input: plan, keys: [], aggs, fields };
    return { k: 'subquery', mode: e.quantifier === 'ANY' ? 'any' : 'all', plan: extremes, arg: c.left, op: c.op, type: BOOL };
  }

  /**
   * Binds a correlated subquery over its domain and joins it to the host plan. `dExprs` compute
   * the outer columns it uses over the host; `dFields` are how it refers to them.
   */
  private async attach(host: Host, e: SubqueryExpr, arg: BExpr | null, dExprs: BExpr[], dFields: Field[], scope: Scope, top: boolean): Promise<BExpr | null> {
    // the outer rows feed the domain and the join back: computed once, read by both
    const n: LNode = host.node.k === 'shared' ? host.node : { k: 'shared', input: host.node, slot: newSlot(), fields: host.node.fields };
    const nl = n.fields.length;
    // IN / ANY / ALL inside a larger expression compare per outer value: the value joins the domain
    const carry = arg !== null && !top;
    const exprs = carry ? [...dExprs, arg] : dExprs;
    const fields: Field[] = [...dFields.map((f) => ({ ...f, corr: true })), ...(carry ? [{ name: '\u0000arg', type: arg.type, hidden: true, corr: true }] : [])];
    const domain: LNode = { k: 'distinct', input: { k: 'project', input: n, exprs, fields }, fields };
    const k = fields.length;
    const inner = await this.bindQuery(e.query, { fields: scope.fields, outer: scope.outer, ctes: scope.ctes }, scope.ctes, domain);
    const dR = fields.map((f, i) => col(i, f.type));
    const nullEq = fields.map(() => true);
    const join = (joinType: 'LEFT' | 'SINGLE' | 'SEMI' | 'ANTI', right: LNode, extra?: { left: BExpr; right: BExpr }, residual: BExpr | null = null): void => {
      const semi = joinType === 'SEMI' || joinType === 'ANTI';
      host.node = {
        k: 'join', joinType, left: n, right,
        leftKeys: extra ? [...exprs, extra.left] : exprs, rightKeys: extra ? [...dR, extra.right] : dR, residual,
        fields: semi ? n.fields : [...n.fields, ...right.fields.map((f) => ({ ...f, hidden: true }))],
        nullEq: extra ? [...nullEq, false] : nullEq,
      };
    };
    const value = inner.fields[k] ? col(k, inner.fields[k].type) : null;
    if (e.kind === 'Exists' && top) { join(e.negated ? 'ANTI' : 'SEMI', inner); return null; }
    if (e.kind === 'InSubquery' && top) {
      const c = this.exprs.compare('=', arg!, value!, e.pos);
      if (c.k !== 'cmp') throw new SqlError('INTERNAL_ERROR', 'IN did not bind to a comparison', e.pos);
      if (!e.negated) { join('SEMI', inner, { left: c.left, right: c.right }); return null; }
      // NOT IN keeps a row only if no subquery row equals it or is NULL, and it is not NULL itself
      const y = mapCols(c.right, (i, x) => col(i + nl, x.type));
      join('ANTI', inner, undefined, { k: 'or', args: [{ ...c, right: y }, isNull(c.left), isNull(y)], type: BOOL });
      return null;
    }
    if (e.kind === 'Subquery') {
      join(isScalarAggregate(e.query) ? 'LEFT' : 'SINGLE', inner);
      return col(nl + k, value!.type);
    }
    if (e.kind === 'Exists') {
      const markFields: Field[] = [...inner.fields.slice(0, k), { name: 'exists', type: BOOL, hidden: true }];
      const marks: LNode = { k: 'distinct', input: { k: 'project', input: inner, exprs: [...dR, konst(true, BOOL)], fields: markFields }, fields: markFields };
      join('LEFT', marks);
      return isNull(col(nl + k, BOOL), !e.negated);
    }
    // x op ANY|ALL (subquery), x [NOT] IN (subquery): per domain row, did any comparison come out
    // TRUE (or FALSE for ALL), how many were not NULL, and how many rows were there
    const any = e.kind === 'InSubquery' || e.quantifier === 'ANY';
    const c = this.exprs.compare(e.kind === 'InSubquery' ? '=' : e.op, col(k - 1, arg!.type), value!, e.pos);
    const aggs: BAgg[] = [
      { fn: 'bool_or', arg: any ? c : { k: 'not', arg: c, type: BOOL }, distinct: false, type: BOOL },
      { fn: 'count', arg: c, distinct: false, type: T.bigint },
      { fn: 'count_star', arg: null, distinct: false, type: T.bigint },
    ];
    const sumFields: Field[] = [...inner.fields.slice(0, k), ...aggs.map((a, i) => ({ name: `mark${i}`, type: a.type, hidden: true }))];
    join('LEFT', { k: 'aggregate', input: inner, keys: dR, aggs, fields: sumFields });
    const decided = col(nl + k, BOOL), nonNull = col(nl + k + 1, T.bigint), rows = col(nl + k + 2, T.bigint);
    const result: BExpr = {
      k: 'case',
      whens: [
        { when: isNull(rows), then: konst(!any, BOOL) },
        { when: decided, then: konst(any, BOOL) },
        { when: { k: 'cmp', op: '<', left: nonNull, right: rows, type: BOOL }, then: konst(null, BOOL) },
      ],
      else: konst(!any, BOOL),
      type: BOOL,
    };
    return e.kind === 'InSubquery' && e.negated ? { k: 'not', arg: result, type: BOOL } : result;
  }
}
