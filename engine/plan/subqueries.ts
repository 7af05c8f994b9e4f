// Subqueries in expressions, planned as joins after Neumann & Kemper, "Unnesting Arbitrary
// Queries": a correlated subquery is bound once over the domain D (the distinct values of the
// outer columns it uses), with D joined below its FROM, so the dependent join becomes ordinary
// joins and aggregates grouped by D; its result joins back to the outer rows on D. Outer columns
// match with IS NOT DISTINCT FROM, so a NULL outer value gets its own answer. Uncorrelated
// subqueries become `subquery` expressions the executor runs once, before the plan.
import type * as A from '../sql/ast.ts';
import { SqlError } from '../errors.ts';
import { T, type SqlType } from '../types/types.ts';
import { type BExpr, type BAgg, BOOL, mapCols } from './bound.ts';
import type { Field, LNode, SortKey, WindowCall } from './logical.ts';
import { type AggContext, type ExprBinder, type Host, type Scope, type CteScope, type SubqueryExpr, containsAggregate } from './bind-expr.ts';

type BindQuery = (q: A.Query, outer: Scope | undefined, ctes: CteScope | undefined, domain?: LNode) => Promise<LNode>;

/** Column indexes at and above this stand for subquery results not yet joined (above GROUP BY). */
const PLACEHOLDER = 1 << 28;

const konst = (value: number | string | boolean | null, type: SqlType): BExpr => ({ k: 'const', value, type });
const col = (index: number, type: SqlType): BExpr => ({ k: 'col', index, type });
const isNull = (arg: BExpr, negated = false): BExpr => ({ k: 'isnull', arg, negated, type: BOOL });

function isProbing(scope: Scope | undefined): boolean {
  for (let s = scope; s; s = s.outer) if (s.probe) return true;
  return false;
}

/** A SELECT that aggregates without GROUP BY yields at most one row (per outer value). */
function isScalarAggregate(q: A.Query): boolean {
  return q.kind === 'Select' && q.groupBy.length === 0 && (q.columns.some((c) => containsAggregate(c.expr)) || containsAggregate(q.having));
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
    const probing = isProbing(scope);
    const host = scope.host;
    if (!host && !probing) return null;
    const arg = e.kind === 'InSubquery' || e.kind === 'Quantified' ? await this.exprs.bind(e.expr, scope, agg) : null;
    // bind once to learn which outer columns it uses (and its type)
    const probe: Scope = { fields: scope.fields, outer: scope.outer, refs: new Set(), probe: true, ctes: scope.ctes };
    const shape = await this.bindQuery(e.query, probe, scope.ctes);
    const vis = shape.fields.filter((f) => !f.hidden);
    if (e.kind !== 'Exists' && vis.length !== 1) throw new SqlError('SYNTAX_ERROR', `subquery must return only one column, not ${vis.length}`, e.pos);
    const type = e.kind === 'Subquery' ? vis[0].type : BOOL;
    if (probing) return konst(null, type);
    const refs = [...probe.refs!].sort((a, b) => a - b);
    if (!refs.length) return this.once(e, arg, scope);
    const dFields = refs.map((i) => scope.fields[i]);
    if (agg?.grouped) {
      // above GROUP BY the outer columns must be group keys; the join waits for the aggregate
      const keys = refs.map((i) => {
        const j = agg.keys.findIndex((x) => x.k === 'col' && x.index === i);
        if (j < 0) throw new SqlError('DATATYPE_MISMATCH', `subquery uses ungrouped column "${scope.fields[i].name}" from outer query`, e.pos);
        return col(j, agg.keys[j].type);
      });
      const list = this.deferred.get(host!) ?? [];
      this.deferred.set(host!, list);
      list.push((h) => this.attach(h, e, arg, keys, dFields, scope, false));
      return col(PLACEHOLDER + list.length - 1, type);
    }
    return this.attach(host!, e, arg, refs.map((i) => col(i, scope.fields[i].type)), dFields, scope, top);
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
    const numbered: LNode = { k: 'window', input: node, calls: [call], fields: [...node.fields, { name: 'row_number', type: T.bigint, hidden: true }] };
    const rn = col(n, T.bigint);
    const tests: BExpr[] = [{ k: 'cmp', op: '>', left: rn, right: konst(offset, T.bigint), type: BOOL }];
    if (limit !== null) tests.push({ k: 'cmp', op: '<=', left: rn, right: konst(offset + limit, T.bigint), type: BOOL });
    const kept: LNode = { k: 'filter', input: numbered, pred: tests.length === 1 ? tests[0] : { k: 'and', args: tests, type: BOOL }, fields: numbered.fields };
    return { k: 'project', input: kept, exprs: node.fields.map((f, i) => col(i, f.type)), fields: node.fields };
  }

  /** An uncorrelated subquery: run once by the executor (see exec/subqueries.ts). */
  private async once(e: SubqueryExpr, arg: BExpr | null, scope: Scope): Promise<BExpr> {
    const plan = await this.bindQuery(e.query, { fields: scope.fields, outer: scope.outer, ctes: scope.ctes }, scope.ctes);
    const first = plan.fields.find((f) => !f.hidden)!;
    const y = col(plan.fields.indexOf(first), first.type);
    const only = (value: BExpr): LNode => ({ k: 'project', input: plan, exprs: [value], fields: [{ name: first.name, type: value.type }] });
    if (e.kind === 'Subquery') return { k: 'subquery', mode: 'scalar', plan: only(y), arg: null, op: '=', type: first.type };
    if (e.kind === 'Exists') {
      const probe: LNode = { k: 'limit', input: only(y), limit: 1, offset: 0, fields: [first] };
      const x: BExpr = { k: 'subquery', mode: 'exists', plan: probe, arg: null, op: '=', type: BOOL };
      return e.negated ? { k: 'not', arg: x, type: BOOL } : x;
    }
    const op = e.kind === 'InSubquery' ? '=' : e.op;
    const c = this.exprs.compare(op, arg!, y, e.pos);
    if (c.k !== 'cmp') throw new SqlError('INTERNAL_ERROR', 'comparison with a subquery did not bind to a comparison', e.pos);
    const mode = e.kind === 'InSubquery' || e.quantifier === 'ANY' ? 'any' : 'all';
    const x: BExpr = { k: 'subquery', mode, plan: only(c.right), arg: c.left, op: c.op, type: BOOL };
    return e.kind === 'InSubquery' && e.negated ? { k: 'not', arg: x, type: BOOL } : x;
  }

  /**
   * Binds a correlated subquery over its domain and joins it to the host plan. `dExprs` compute
   * the outer columns it uses over the host; `dFields` are how it refers to them.
   */
  private async attach(host: Host, e: SubqueryExpr, arg: BExpr | null, dExprs: BExpr[], dFields: Field[], scope: Scope, top: boolean): Promise<BExpr | null> {
    const n = host.node;
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
