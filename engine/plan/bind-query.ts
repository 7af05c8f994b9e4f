// Query binding: SELECT blocks and set operations -> logical plans.
import type * as A from '../sql/ast.ts';
import { SqlError } from '../errors.ts';
import { T, orVarchar, typeName, type SqlType } from '../types/types.ts';
import { commonSupertype } from '../types/coerce.ts';
import { type BExpr, BOOL, mapCols, usedColumns, hasModelCall } from './bound.ts';
import { type Field, type LNode, type SortKey, type TableRef, type WindowCall, newSlot } from './logical.ts';
import { ExprBinder, type AggContext, type BindContext, type Scope, type CteScope, type Host, containsAggregate, containsWindow, containsSubquery, resolveColumn, astText } from './bind-expr.ts';
import { Subqueries, asMembership, type KeyedDomain } from './subqueries.ts';
import { referencesTo } from './cte-refs.ts';
import { mirroredFrames } from './window-frames.ts';
import { windowOver } from './window-models.ts';
import { GROUPING_ID, expandGroupingSets, groupingSets } from './grouping-sets.ts';
import type { TableState } from '../catalog/catalog.ts';
import type { Batch } from '../types/vector.ts';

/** What a name in FROM can be. */
export type Relation =
  /** `denied`: for a user with SELECT on some columns only, why each other column may not be read */
  | { kind: 'table'; table: TableState; ref: TableRef; denied?: (column: string) => string | null }
  /** `bind`: binds the view's query as the view's owner (session/views.ts); without it, in this binder */
  | { kind: 'view'; query: A.Query; columns?: string[]; path: string[]; bind?: () => Promise<LNode> }
  | { kind: 'batch'; batch: Batch; fields: { name: string; type: SqlType }[]; path: string[] };

export interface QueryContext extends Omit<BindContext, 'bindQuery'> {
  resolveRelation(name: string[], pos: A.Pos): Relation;
}

type Ctes = CteScope;

/** Binds one query (with its CTEs and subqueries) against a catalog snapshot. */
export class QueryBinder {
  readonly exprs: ExprBinder;
  private readonly subqueries: Subqueries;

  constructor(private readonly ctx: QueryContext) {
    this.exprs = new ExprBinder({
      ...ctx,
      bindQuery: (q, outer) => this.query(q, outer, outer?.ctes),
      subquery: (e, scope, agg) => this.subqueries.plan(e, scope, agg, false),
    });
    this.subqueries = new Subqueries(this.exprs, (q, outer, ctes, domain) => this.query(q, outer, ctes, domain));
  }

  /**
   * Binds a query. With a `domain` (a decorrelated subquery's distinct outer values), the domain
   * is joined below the query's FROM and its columns lead the output, so every row says which
   * outer values it was computed for. A keyed domain leads with expressions over the FROM instead.
   */
  async query(q: A.Query, outer?: Scope, ctes?: Ctes, domain?: LNode | KeyedDomain): Promise<LNode> {
    const scopeCtes: Ctes | undefined = q.with?.length ? { map: new Map(q.with.map((c) => [c.name, c])), parent: ctes } : ctes;
    if (q.kind === 'SetOp') {
      if (domain && 'keyed' in domain) throw new SqlError('INTERNAL_ERROR', 'a set operation cannot be keyed by its correlations', q.pos);
      return this.setOp(q, outer, scopeCtes, domain);
    }
    return this.select(q, outer, scopeCtes, domain);
  }

  // ------------------------------------------------------------------ set operations

  private async setOp(q: A.SetOp, outer: Scope | undefined, ctes: Ctes | undefined, domain: LNode | undefined): Promise<LNode> {
    let left = await this.query(q.left, outer, ctes, domain);
    let right = await this.query(q.right, outer, ctes, domain);
    const k = domain?.fields.length ?? 0;
    const lf = visible(left), rf = visible(right);
    if (lf.length !== rf.length) throw new SqlError('SYNTAX_ERROR', `each ${q.op} query must have the same number of columns (${lf.length} vs ${rf.length})`, q.pos);
    const types = lf.map((f, i) => {
      const t = commonSupertype(f.type, rf[i].type);
      if (!t) throw new SqlError('DATATYPE_MISMATCH', `${q.op} types ${typeName(f.type)} and ${typeName(rf[i].type)} cannot be matched (column ${i + 1})`, q.pos);
      return orVarchar(t);
    });
    left = this.castTo(left, types, k, q.pos);
    right = this.castTo(right, types, k, q.pos);
    const fields = [...left.fields.slice(0, k), ...lf.map((f, i) => ({ name: f.name, type: types[i] }))];
    let node: LNode = { k: 'setop', op: q.op, all: q.all, left, right, fields };
    node = await this.orderAndLimit(node, q.orderBy, q.limit, q.offset, null, { fields: [], outer, ctes }, k);
    return node;
  }

  /** The visible columns cast to `types`, after the first k (domain) columns. */
  private castTo(n: LNode, types: SqlType[], k: number, pos: A.Pos): LNode {
    const vf = visible(n);
    const lead = n.fields.slice(0, k).map((f, i): BExpr => ({ k: 'col', index: i, type: f.type }));
    const exprs = [...lead, ...vf.map((f, i) => this.exprs.coerce({ k: 'col', index: n.fields.indexOf(f), type: f.type }, types[i], pos))];
    return { k: 'project', input: n, exprs, fields: [...n.fields.slice(0, k), ...vf.map((f, i) => ({ name: f.name, type: types[i] }))] };
  }

  // ------------------------------------------------------------------ SELECT

  private async select(q: A.Select, outer: Scope | undefined, ctes: Ctes | undefined, domainIn: LNode | KeyedDomain | undefined): Promise<LNode> {
    const keyed = domainIn && 'keyed' in domainIn ? domainIn : undefined;
    const domain = keyed ? undefined : domainIn as LNode | undefined;
    let node: LNode = domain ? await this.overDomain(q.from, domain, outer, ctes) : q.from.length ? await this.from(q.from, outer, ctes) : { k: 'values', rows: [[]], fields: [] };
    const host: Host = { node };
    const input: Scope = { fields: node.fields, outer, host, ctes };
    // the domain's columns lead the FROM; a keyed subquery's keys are expressions over it
    const domainCols = (domain?.fields ?? []).map((f, i): BExpr => ({ k: 'col', index: i, type: f.type }));
    for (const [i, x] of (keyed?.keyed ?? []).entries()) domainCols.push(this.exprs.coerce(await this.exprs.bind(x, input), keyed!.types[i], x.pos));
    const k = domainCols.length;
    if (keyed?.only) {
      const only = keyed.only;
      host.node = { k: 'join', joinType: 'SEMI', left: host.node, right: only, leftKeys: domainCols, rightKeys: only.fields.map((f, i): BExpr => ({ k: 'col', index: i, type: f.type })), residual: null, fields: host.node.fields, outerKeys: true };
    }
    if (q.where) await this.where(q.where, input, host);
    const items = this.expandStars(q.columns, input);
    // GROUP BY items may be ordinals or output aliases
    const sets = groupingSets(q.groupBy);
    const groupAsts = (sets ? sets.keys : q.groupBy).map((g) => this.groupItem(g, items, input));
    const grouped = groupAsts.length > 0 || items.some((i) => containsAggregate(i.expr)) || containsAggregate(q.having) || q.orderBy.some((o) => containsAggregate(o.expr));
    // a decorrelated subquery groups and partitions by its outer values first
    // above GROUP BY the domain columns are the aggregate's first keys
    const domainOutCols = grouped ? domainCols.map((c, i): BExpr => ({ k: 'col', index: i, type: c.type })) : domainCols;
    const agg: AggContext = { input, keys: grouped ? [...domainCols] : [], aggs: [], windows: [], grouped, ...(k ? { partitionPrefix: domainOutCols } : {}) };
    for (const g of groupAsts) {
      if (containsAggregate(g)) throw new SqlError('SYNTAX_ERROR', 'aggregate functions are not allowed in GROUP BY', g.pos);
      if (containsSubquery(g)) (agg.subqueryKeys ??= new Map()).set(astText(g), agg.keys.length);
      agg.keys.push(await this.exprs.bind(g, input));
    }
    if (sets) {
      if (k) throw new SqlError('FEATURE_NOT_SUPPORTED', 'ROLLUP, CUBE and GROUPING SETS are not supported in a correlated subquery', q.pos);
      agg.groupingId = agg.keys.length;
      agg.keys.push(GROUPING_ID);
    }
    const anyWindow = items.some((i) => containsWindow(i.expr)) || q.orderBy.some((o) => containsWindow(o.expr));
    const post = grouped || anyWindow;
    // select list, HAVING and ORDER BY bound above the aggregate (when there is one)
    const selectExprs: BExpr[] = [];
    for (const it of items) selectExprs.push(post ? await this.exprs.bind(it.expr, input, agg) : await this.exprs.bind(it.expr, input));
    let having: BExpr | null = null;
    if (q.having) {
      if (!grouped) agg.grouped = true;
      // a conjunct that is an uncorrelated [NOT] IN semi/anti joins the groups (subqueries.ts)
      const terms: BExpr[] = [];
      for (const t of splitAnd(q.having)) {
        const sub = topLevelSubquery(t);
        const b = sub ? await this.subqueries.plan(sub, input, agg, true) : await this.exprs.bind(t, input, agg);
        if (b) terms.push(this.exprs.boolean(b, 'HAVING', t.pos));
      }
      having = terms.length === 0 ? null : terms.length === 1 ? terms[0] : { k: 'and', args: terms, type: BOOL };
    }
    const outFields: Field[] = items.map((it, i) => ({ name: it.name, type: selectExprs[i].type, qualifier: it.qualifier }));
    // ORDER BY: output columns by ordinal/alias, else expressions over the input (hidden columns)
    const sortKeys: SortKey[] = [];
    const hidden: BExpr[] = [];
    for (const o of q.orderBy) {
      let idx = -1;
      if (o.expr.kind === 'Literal' && o.expr.literalType === 'integer') {
        idx = Number(o.expr.value) - 1;
        if (idx < 0 || idx >= items.length) throw new SqlError('SYNTAX_ERROR', `ORDER BY position ${o.expr.value} is not in select list`, o.pos);
      } else if (o.expr.kind === 'ColumnRef' && o.expr.name.length === 1) {
        const matches = outFields.map((f, i) => (f.name === (o.expr as A.ColumnRef).name[0] ? i : -1)).filter((i) => i >= 0);
        if (matches.length === 1) idx = matches[0];
      }
      let expr: BExpr;
      if (idx >= 0) expr = { k: 'col', index: k + idx, type: outFields[idx].type };
      else {
        const b = post ? await this.exprs.bind(o.expr, input, agg) : await this.exprs.bind(o.expr, input);
        const same = selectExprs.findIndex((s) => JSON.stringify(s) === JSON.stringify(b));
        if (same >= 0) expr = { k: 'col', index: k + same, type: b.type };
        else {
          if (q.distinct) throw new SqlError('SYNTAX_ERROR', 'for SELECT DISTINCT, ORDER BY expressions must appear in select list', o.pos);
          hidden.push(b);
          expr = { k: 'col', index: k + items.length + hidden.length - 1, type: b.type };
        }
      }
      sortKeys.push({ expr, desc: o.desc, nullsFirst: o.nullsFirst ?? o.desc });
    }
    node = host.node;
    // subqueries above GROUP BY join the aggregate's output; their results replace placeholders
    let placed = (e: BExpr) => e;
    if (agg.grouped) {
      const fields: Field[] = [...agg.keys.map((x, i) => ({ name: `key${i}`, type: x.type, hidden: true })), ...agg.aggs.map((a, i) => ({ name: `agg${i}`, type: a.type, hidden: true }))];
      node = { k: 'aggregate', input: node, keys: agg.keys, aggs: agg.aggs, fields };
      if (sets) node = expandGroupingSets(node, sets.sets, agg.groupingId!);
      // a scalar aggregate yields a row for every outer value, also where no input row has it
      if (domain && !groupAsts.length) node = this.subqueries.fillDomain(domain, node, agg.aggs);
      const done = await this.subqueries.attachDeferred(host, node);
      node = done.node;
      placed = done.place;
      if (having) node = { k: 'filter', input: node, pred: placed(having), fields: node.fields };
    }
    // window functions run over the (grouped) rows before the final projection
    let projInput = node;
    let fix = placed;
    if (agg.windows.length) {
      const base = node.fields.length;
      const calls: WindowCall[] = mirroredFrames(agg.windows).map((c) => ({ ...c, args: c.args.map(placed), partitionBy: c.partitionBy.map(placed), orderBy: c.orderBy.map((o) => ({ ...o, expr: placed(o.expr) })) }));
      fix = (e: BExpr) => mapCols(placed(e), (i) => (i < 0 ? { k: 'col', index: base + (-1 - i), type: agg.windows[-1 - i].type } : { k: 'col', index: i, type: node.fields[i].type }));
      projInput = windowOver(node, calls, [...node.fields, ...calls.map((c, i) => ({ name: `win${i}`, type: c.type, hidden: true }))]);
    }
    const allExprs = [...domainOutCols, ...[...selectExprs, ...hidden].map(fix)];
    const domainOut: Field[] = domainCols.map((c, i) => ({ name: domain?.fields[i].name ?? `\u0000key${i}`, type: c.type, hidden: true }));
    node = { k: 'project', input: projInput, exprs: allExprs, fields: [...domainOut, ...outFields, ...hidden.map((h, i) => ({ name: `sort${i}`, type: h.type, hidden: true }))] };
    if (q.distinct) node = { k: 'distinct', input: node, fields: node.fields };
    node = await this.orderAndLimit(node, [], q.limit, q.offset, sortKeys, { fields: [], outer, ctes }, k);
    if (hidden.length) {
      const keep = [...domainOut, ...outFields];
      node = { k: 'project', input: node, exprs: keep.map((f, i) => ({ k: 'col', index: i, type: f.type })), fields: keep };
    }
    return node;
  }

  /**
   * WHERE: plain conditions filter first (so subqueries see fewer outer rows), then each condition
   * with a subquery; a top-level [NOT] EXISTS or [NOT] IN becomes a semi or anti join.
   */
  private async where(where: A.Expr, input: Scope, host: Host, clause = 'WHERE'): Promise<void> {
    if (containsAggregate(where)) throw new SqlError('SYNTAX_ERROR', `aggregate functions are not allowed in ${clause}`, where.pos);
    const terms = splitAnd(where);
    const filter = (pred: BExpr) => { host.node = { k: 'filter', input: host.node, pred, fields: host.node.fields }; };
    const plain = terms.filter((t) => !containsSubquery(t));
    if (plain.length) {
      const preds: BExpr[] = [];
      for (const t of plain) preds.push(this.exprs.boolean(await this.exprs.bind(t, input), clause, t.pos));
      filter(preds.length === 1 ? preds[0] : { k: 'and', args: preds, type: BOOL });
    }
    for (const t of terms.filter((x) => containsSubquery(x))) {
      const sub = topLevelSubquery(t);
      const b = sub ? await this.subqueries.plan(sub, input, undefined, true) : await this.exprs.bind(t, input);
      if (b) filter(this.exprs.boolean(b, clause, t.pos));
    }
  }

  private async orderAndLimit(node: LNode, orderBy: A.OrderItem[], limit: A.Expr | undefined, offset: A.Expr | undefined, keys: SortKey[] | null, scope: Scope, k = 0): Promise<LNode> {
    const sortKeys = keys ?? [];
    for (const o of orderBy) {
      let idx = -1;
      const vis = node.fields.slice(k);
      if (o.expr.kind === 'Literal' && o.expr.literalType === 'integer') idx = Number(o.expr.value) - 1;
      else if (o.expr.kind === 'ColumnRef') idx = vis.findIndex((f) => f.name === (o.expr as A.ColumnRef).name[(o.expr as A.ColumnRef).name.length - 1]);
      if (idx < 0 || idx >= vis.length) throw new SqlError('SYNTAX_ERROR', 'ORDER BY on a UNION/INTERSECT/EXCEPT result must name a result column', o.pos);
      sortKeys.push({ expr: { k: 'col', index: k + idx, type: vis[idx].type }, desc: o.desc, nullsFirst: o.nullsFirst ?? o.desc });
    }
    const lim = limit ? await this.exprs.constInt(limit, 'LIMIT', scope) : null;
    const off = offset ? await this.exprs.constInt(offset, 'OFFSET', scope) : 0;
    // in a decorrelated subquery, order matters only to LIMIT, which counts rows per outer value
    if (k) return lim !== null || off ? this.subqueries.limitPerDomain(node, k, sortKeys, lim, off ?? 0) : node;
    if (sortKeys.length) node = { k: 'sort', input: node, keys: sortKeys, fields: node.fields };
    if (lim !== null || off) node = { k: 'limit', input: node, limit: lim, offset: off ?? 0, fields: node.fields };
    return node;
  }

  /** A GROUP BY item: a position, an input column, or else an output alias (PostgreSQL's order). */
  private groupItem(g: A.Expr, items: SelectItemInfo[], input: Scope): A.Expr {
    if (g.kind === 'Literal' && g.literalType === 'integer') {
      const i = Number(g.value) - 1;
      if (i < 0 || i >= items.length) throw new SqlError('SYNTAX_ERROR', `GROUP BY position ${g.value} is not in select list`, g.pos);
      return items[i].expr;
    }
    if (g.kind === 'ColumnRef' && g.name.length === 1 && !resolveColumn(input.fields, g.name, g.pos)) {
      const alias = items.find((it) => it.alias === g.name[0]);
      if (alias && !(alias.expr.kind === 'ColumnRef')) return alias.expr;
    }
    return g;
  }

  private expandStars(cols: A.SelectItem[], scope: Scope): SelectItemInfo[] {
    const out: SelectItemInfo[] = [];
    for (const c of cols) {
      if (c.expr.kind === 'Star') {
        const star = c.expr;
        const fields = scope.fields.map((f, i) => ({ f, i })).filter(({ f }) => !f.hidden && !f.corr && (!star.table || f.qualifier === star.table[star.table.length - 1]));
        if (star.table && fields.length === 0) throw new SqlError('UNDEFINED_TABLE', `missing FROM-clause entry for table "${star.table.join('.')}"`, star.pos);
        for (const { f } of fields) out.push({ expr: { kind: 'ColumnRef', pos: star.pos, name: f.qualifier ? [f.qualifier, f.name] : [f.name] }, name: f.name, qualifier: f.qualifier });
        continue;
      }
      out.push({ expr: c.expr, name: c.alias ?? defaultName(c.expr), alias: c.alias });
    }
    return out;
  }

  // ------------------------------------------------------------------ FROM

  /**
   * A decorrelated block's FROM: the domain joined with each item. A subquery in FROM that uses
   * the outer values is bound over the domain too and joins it on them (a lateral join).
   */
  private async overDomain(refs: A.TableRef[], domain: LNode, outer: Scope | undefined, ctes: Ctes | undefined): Promise<LNode> {
    const k = domain.fields.length;
    let node = domain;
    for (const r of refs) {
      let right: LNode | null = null;
      if (r.kind === 'SubqueryRef' && r.lateral) { node = await this.joinItem(node, r, outer, ctes); continue; }
      if (r.kind === 'SubqueryRef') {
        const probe: Scope = { fields: domain.fields, refs: new Set(), probe: true };
        await this.query(r.query, probe, ctes);
        if (probe.refs!.size) {
          const plan = await this.query(r.query, { fields: [] }, ctes, domain);
          const named = requalify(plan, r.alias, r.columnAliases, undefined, r.pos, k);
          const keys = (n: LNode, at: number) => domain.fields.map((f, i): BExpr => ({ k: 'col', index: at + i, type: f.type }));
          node = { k: 'join', joinType: 'INNER', left: node, right: named, leftKeys: keys(node, 0), rightKeys: keys(named, 0), residual: null, fields: [...node.fields, ...named.fields], nullEq: domain.fields.map(() => true) };
          continue;
        }
      }
      right ??= await this.tableRef(r, outer, ctes);
      node = { k: 'join', joinType: 'CROSS', left: node, right, leftKeys: [], rightKeys: [], residual: null, fields: [...node.fields, ...right.fields] };
    }
    return node;
  }

  private async from(refs: A.TableRef[], outer: Scope | undefined, ctes: Ctes | undefined): Promise<LNode> {
    let node = await this.tableRef(refs[0], outer, ctes);
    for (const r of refs.slice(1)) node = await this.joinItem(node, r, outer, ctes);
    return node;
  }

  /** A FROM list item joined to the items before it, which a LATERAL subquery may refer to. */
  private async joinItem(node: LNode, r: A.TableRef, outer: Scope | undefined, ctes: Ctes | undefined): Promise<LNode> {
    if (r.kind === 'SubqueryRef' && r.lateral) {
      const named = (plan: LNode, k: number) => requalify(plan, r.alias, r.columnAliases, undefined, r.pos, k);
      const lateral = await this.subqueries.lateral(node, r.query, outer, ctes, 'INNER', named, async () => null);
      if (lateral) return lateral;
    }
    const right = await this.tableRef(r, outer, ctes);
    return { k: 'join', joinType: 'CROSS', left: node, right, leftKeys: [], rightKeys: [], residual: null, fields: [...node.fields, ...right.fields] };
  }

  /** `left [INNER | LEFT | CROSS] JOIN LATERAL (query) alias [ON ...]`, or null when the query does not use left. */
  private async lateralJoin(j: A.Join, r: A.SubqueryRef, outer: Scope | undefined, ctes: Ctes | undefined): Promise<LNode | null> {
    const left = await this.tableRef(j.left, outer, ctes);
    if (j.joinType === 'RIGHT' || j.joinType === 'FULL') {
      if ((await this.subqueries.columnsUsed(r.query, left.fields, outer, ctes)).length) {
        throw new SqlError('FEATURE_NOT_SUPPORTED', `a LATERAL subquery may refer to the left side of an INNER or LEFT JOIN only, not of a ${j.joinType} JOIN`, r.pos);
      }
      return null;
    }
    if (j.using) throw new SqlError('FEATURE_NOT_SUPPORTED', 'JOIN LATERAL ... USING is not supported; write the condition with ON', j.pos);
    const on = j.on;
    if (on && containsSubquery(on)) throw new SqlError('FEATURE_NOT_SUPPORTED', 'a subquery in the ON condition of a JOIN LATERAL is not supported; move it into the LATERAL query', on.pos);
    const named = (plan: LNode, k: number) => requalify(plan, r.alias, r.columnAliases, undefined, r.pos, k);
    const bindOn = async (fields: Field[]) => (on ? this.exprs.boolean(await this.exprs.bind(on, { fields, outer, ctes }), 'JOIN/ON', on.pos) : null);
    return this.subqueries.lateral(left, r.query, outer, ctes, j.joinType === 'LEFT' ? 'LEFT' : 'INNER', named, bindOn);
  }

  private async tableRef(r: A.TableRef, outer: Scope | undefined, ctes: Ctes | undefined): Promise<LNode> {
    switch (r.kind) {
      case 'TableName': {
        const work = r.name.length === 1 ? findCteTable(ctes, r.name[0]) : undefined;
        if (work) return requalify(work, r.alias ?? r.name[0], r.columnAliases, undefined, r.pos);
        const cte = r.name.length === 1 ? findCte(ctes, r.name[0]) : undefined;
        if (cte) {
          // a WITH query named again while its own body is bound would be expanded without end
          if (expanding(ctes, cte)) throw new SqlError('SYNTAX_ERROR', `recursive query "${cte.name}" reads itself other than in the FROM of the second query of <query> UNION [ALL] <query>`, r.pos);
          const body: Ctes = { map: new Map(), parent: ctes, expanding: cte };
          const plan = cte.recursive && referencesTo(cte.query, cte.name).length ? await this.recursive(cte, body) : await this.query(cte.query, undefined, body);
          return requalify(plan, r.alias ?? cte.name, r.columnAliases ?? cte.columns, undefined, r.pos);
        }
        const rel = this.ctx.resolveRelation(r.name, r.pos);
        if (rel.kind === 'table') {
          const fields: Field[] = rel.table.columns.map((c) => {
            const denied = rel.denied?.(c.name);
            return { name: c.name, type: c.type, qualifier: r.alias ?? rel.ref.name, path: r.alias ? undefined : [rel.ref.database, rel.ref.schema, rel.ref.name], ...(denied ? { denied } : {}) };
          });
          return requalify({ k: 'scan', table: rel.table, ref: rel.ref, fields }, r.alias ?? rel.ref.name, r.columnAliases, r.alias ? undefined : [rel.ref.database, rel.ref.schema, rel.ref.name], r.pos);
        }
        if (rel.kind === 'batch') {
          const fields = rel.fields.map((f) => ({ ...f }));
          return requalify({ k: 'batch', batch: rel.batch, fields, label: rel.path.join('.') }, r.alias ?? rel.path[rel.path.length - 1], r.columnAliases, rel.path, r.pos);
        }
        const plan = rel.bind ? await rel.bind() : await this.query(rel.query, undefined, undefined);
        return requalify(plan, r.alias ?? rel.path[rel.path.length - 1], r.columnAliases ?? rel.columns, r.alias ? undefined : rel.path, r.pos);
      }
      case 'SubqueryRef': {
        const plan = await this.query(r.query, outer, ctes);
        return requalify(plan, r.alias, r.columnAliases, undefined, r.pos);
      }
      case 'Join': return this.join(r, outer, ctes);
    }
  }

  /**
   * WITH RECURSIVE name AS (anchor UNION [ALL] step): the step reads `name` as the working
   * table, the rows the previous round added; the executor repeats it until a round adds none.
   */
  private async recursive(cte: A.Cte, ctes: Ctes | undefined): Promise<LNode> {
    const q = cte.query;
    if (q.kind !== 'SetOp' || q.op !== 'UNION' || q.orderBy.length || q.limit || q.offset || referencesTo(q.left, cte.name).length) {
      throw new SqlError('FEATURE_NOT_SUPPORTED', `recursive query "${cte.name}" must be <query> UNION [ALL] <query referring to "${cte.name}">`, cte.pos);
    }
    // the step runs once per round over that round's rows; a subquery expression is planned once
    const inExpression = referencesTo(q.right, cte.name).find((x) => x.inExpression);
    if (inExpression) throw new SqlError('FEATURE_NOT_SUPPORTED', `recursive query "${cte.name}" may read "${cte.name}" in its FROM clause only, not inside a subquery expression; join it instead`, inExpression.pos);
    const anchor = await this.query(q.left, undefined, ctes);
    const vis = visible(anchor);
    if (cte.columns && cte.columns.length !== vis.length) throw new SqlError('SYNTAX_ERROR', `WITH query "${cte.name}" has ${vis.length} columns available but ${cte.columns.length} columns specified`, cte.pos);
    const types = vis.map((f) => orVarchar(f.type));
    const fields: Field[] = vis.map((f, i) => ({ name: cte.columns?.[i] ?? f.name, type: types[i] }));
    const work: Batch = { length: 0, columns: [] };
    const workNode: LNode = { k: 'batch', batch: work, fields, label: cte.name };
    const step = await this.query(q.right, undefined, { map: new Map(), parent: ctes, tables: new Map([[cte.name, workNode]]) });
    const sv = visible(step);
    if (sv.length !== vis.length) throw new SqlError('SYNTAX_ERROR', `each UNION query must have the same number of columns (${vis.length} vs ${sv.length})`, q.pos);
    // the anchor's types are the query's: the step's rows convert to them
    const cast = (n: LNode): LNode => ({ k: 'project', input: n, exprs: visible(n).map((f, i) => this.exprs.coerce({ k: 'col', index: n.fields.indexOf(f), type: f.type }, types[i], q.pos)), fields });
    return { k: 'setop', op: 'UNION', all: q.all, left: cast(anchor), right: cast(step), fields, recursive: { name: cte.name, work } };
  }

  private async join(j: A.Join, outer: Scope | undefined, ctes: Ctes | undefined): Promise<LNode> {
    if (j.right.kind === 'SubqueryRef' && j.right.lateral) {
      const lateral = await this.lateralJoin(j, j.right, outer, ctes);
      if (lateral) return lateral;
    }
    let left = await this.tableRef(j.left, outer, ctes);
    let right = await this.tableRef(j.right, outer, ctes);
    const swap = j.joinType === 'RIGHT';
    if (swap) [left, right] = [right, left];
    const fields = [...left.fields, ...right.fields];
    const scope: Scope = { fields, outer };
    let cond: BExpr | null = null;
    if (j.using) {
      const parts: BExpr[] = [];
      for (const c of j.using) {
        const li = left.fields.findIndex((f) => f.name === c && !f.hidden);
        const ri = right.fields.findIndex((f) => f.name === c && !f.hidden);
        if (li < 0 || ri < 0) throw new SqlError('UNDEFINED_COLUMN', `column "${c}" specified in USING clause does not exist in ${li < 0 ? 'left' : 'right'} table`, j.pos);
        for (const f of [left.fields[li], right.fields[ri]]) if (f.denied) throw new SqlError('PERMISSION_DENIED', f.denied, j.pos);
        parts.push(this.exprs.compare('=', { k: 'col', index: li, type: left.fields[li].type }, { k: 'col', index: left.fields.length + ri, type: right.fields[ri].type }, j.pos));
        // the right side's copy is reachable only by its qualifier
        fields[swap ? li : left.fields.length + ri] = { ...fields[swap ? li : left.fields.length + ri], hidden: true };
      }
      cond = parts.length === 1 ? parts[0] : { k: 'and', args: parts, type: BOOL };
    } else if (j.on) {
      // a subquery in ON that refers to the joined tables joins them (see onWithSubqueries)
      const host: Host = { node: { k: 'join', joinType: 'CROSS', left, right, leftKeys: [], rightKeys: [], residual: null, fields } };
      const crossed = host.node;
      const constantSubqueries = j.joinType !== 'INNER';
      cond = this.exprs.boolean(await this.exprs.bind(j.on, { ...scope, host, ctes, constantSubqueries }), 'JOIN/ON', j.on.pos);
      if (host.node !== crossed) {
        const node = await this.onWithSubqueries(j.joinType === 'RIGHT' ? 'LEFT' : j.joinType, left, right, j.on, outer, ctes);
        return swap ? this.restoreOrder(node, left, right) : node;
      }
    }
    const type = j.joinType === 'RIGHT' ? 'LEFT' : j.joinType === 'CROSS' ? 'CROSS' : j.joinType;
    if (type !== 'CROSS' && !cond) throw new SqlError('SYNTAX_ERROR', `${j.joinType} JOIN needs an ON or USING condition`, j.pos);
    const node = splitJoin(type, left, right, cond, fields);
    return swap ? this.restoreOrder(node, left, right) : node;
  }

  /** A RIGHT join planned as a LEFT join with the sides swapped, in the written column order. */
  private restoreOrder(node: LNode, left: LNode, right: LNode): LNode {
    const nl = left.fields.length, nr = right.fields.length;
    const order = [...Array.from({ length: nr }, (_, i) => nl + i), ...Array.from({ length: nl }, (_, i) => i)];
    return { k: 'project', input: node, exprs: order.map((i) => ({ k: 'col', index: i, type: node.fields[i].type })), fields: order.map((i) => node.fields[i]) };
  }

  /**
   * A join whose ON has subqueries. The pairs that satisfy ON are found as for WHERE over the
   * cross product (a correlated subquery joins it). An outer join numbers its preserved sides'
   * rows first (each side computed once) and joins the pairs back to them by row number: a
   * row no pair has keeps NULLs on the other side.
   */
  private async onWithSubqueries(type: 'INNER' | 'LEFT' | 'FULL' | 'CROSS', left: LNode, right: LNode, on: A.Expr, outer: Scope | undefined, ctes: Ctes | undefined): Promise<LNode> {
    const fields = [...left.fields, ...right.fields];
    const col = (index: number, f: Field): BExpr => ({ k: 'col', index, type: f.type });
    if (type === 'INNER' || type === 'CROSS') {
      const host: Host = { node: { k: 'join', joinType: 'CROSS', left, right, leftKeys: [], rightKeys: [], residual: null, fields } };
      await this.where(on, { fields, outer, host, ctes }, host, 'JOIN/ON');
      return { k: 'project', input: host.node, exprs: fields.map((f, i) => col(i, f)), fields };
    }
    const l = numbered(left), r = type === 'FULL' ? numbered(right) : right;
    const nl = left.fields.length, nr = right.fields.length;
    const crossFields = [...l.fields, ...r.fields];
    const host: Host = { node: { k: 'join', joinType: 'CROSS', left: l, right: r, leftKeys: [], rightKeys: [], residual: null, fields: crossFields } };
    await this.where(on, { fields: crossFields, outer, host, ctes }, host, 'JOIN/ON');
    // the matching pairs: [left row number, right row number (FULL), right's columns]
    const rightAt = nl + 1;
    const pairExprs = [col(nl, l.fields[nl]), ...(type === 'FULL' ? [col(rightAt + nr, r.fields[nr])] : []), ...right.fields.map((f, i) => col(rightAt + i, f))];
    const pairFields: Field[] = [ROW_NUMBER, ...(type === 'FULL' ? [ROW_NUMBER] : []), ...right.fields];
    const pairs: LNode = { k: 'shared', input: { k: 'project', input: host.node, exprs: pairExprs, fields: pairFields }, slot: newSlot(), fields: pairFields };
    const p0 = type === 'FULL' ? 2 : 1; // where the pairs' right columns start
    const withLeft: LNode = { k: 'join', joinType: 'LEFT', left: l, right: pairs, leftKeys: [col(nl, l.fields[nl])], rightKeys: [col(0, ROW_NUMBER)], residual: null, fields: [...l.fields, ...pairFields] };
    const matched: LNode = { k: 'project', input: withLeft, exprs: [...left.fields.map((f, i) => col(i, f)), ...right.fields.map((f, i) => col(nl + 1 + p0 + i, f))], fields };
    if (type === 'LEFT') return matched;
    // FULL: right rows in no pair, with NULLs for the left side
    const unmatched: LNode = { k: 'join', joinType: 'ANTI', left: r, right: pairs, leftKeys: [col(nr, r.fields[nr])], rightKeys: [col(1, ROW_NUMBER)], residual: null, fields: r.fields };
    const padded: LNode = { k: 'project', input: unmatched, exprs: [...left.fields.map((f): BExpr => ({ k: 'const', value: null, type: f.type })), ...right.fields.map((f, i) => col(i, f))], fields };
    return { k: 'setop', op: 'UNION', all: true, left: matched, right: padded, fields };
  }
}

const ROW_NUMBER: Field = { name: '\u0000row', type: T.bigint, hidden: true };

/** A side of an outer join with its rows numbered (a hidden last column), computed once. */
function numbered(n: LNode): LNode {
  const fields = [...n.fields, ROW_NUMBER];
  const input: LNode = { k: 'window', input: n, calls: [{ fn: 'row_number', args: [], partitionBy: [], orderBy: [], type: T.bigint }], fields };
  return { k: 'shared', input, slot: newSlot(), fields };
}

function splitAnd(e: A.Expr): A.Expr[] {
  return e.kind === 'Binary' && e.op === 'AND' ? [...splitAnd(e.left), ...splitAnd(e.right)] : [e];
}

/** A WHERE condition that is itself [NOT] EXISTS or [NOT] IN (subquery) (a semi/anti join). */
function topLevelSubquery(e: A.Expr): A.Exists | A.InSubquery | null {
  if (e.kind === 'Exists' || e.kind === 'InSubquery') return e;
  if (e.kind === 'Quantified') {
    const m = asMembership(e);
    return m.kind === 'InSubquery' ? m : null;
  }
  if (e.kind === 'Unary' && e.op === 'NOT') {
    const inner = topLevelSubquery(e.operand);
    return inner && { ...inner, negated: !inner.negated };
  }
  return null;
}

interface SelectItemInfo { expr: A.Expr; name: string; alias?: string; qualifier?: string }

function findCteTable(ctes: Ctes | undefined, name: string): LNode | undefined {
  for (let c = ctes; c; c = c.parent) {
    const t = c.tables?.get(name);
    if (t) return t;
    if (c.map.has(name)) return undefined; // an inner WITH of the same name hides it
  }
  return undefined;
}

/** Whether `cte`'s own body is being bound in `ctes` (a WITH query reached again from inside itself). */
function expanding(ctes: Ctes | undefined, cte: A.Cte): boolean {
  for (let c = ctes; c; c = c.parent) if (c.expanding === cte) return true;
  return false;
}

/** The WITH query `name` names here; a plain WITH query is not visible in its own body (there the name is an outer one's, or a table's). */
function findCte(ctes: Ctes | undefined, name: string): A.Cte | undefined {
  for (let c = ctes; c; c = c.parent) {
    const x = c.map.get(name);
    if (x && (x.recursive || !expanding(ctes, x))) return x;
  }
  return undefined;
}

function visible(n: LNode): Field[] {
  return n.fields.filter((f) => !f.hidden);
}

/**
 * Renames a subplan's output for use in FROM: new qualifier, optional column aliases. The first
 * `keep` fields (a lateral subquery's domain columns) stay in front, hidden.
 */
function requalify(plan: LNode, qualifier: string, columns: string[] | undefined, path: string[] | undefined, pos: A.Pos, keep = 0): LNode {
  const vf = visible(plan);
  if (keep) {
    const lead = plan.fields.slice(0, keep).map((f, i) => ({ expr: { k: 'col', index: i, type: f.type } as BExpr, field: { name: '\u0000domain', type: f.type, hidden: true } as Field }));
    const rest = vf.map((f, i) => ({ expr: { k: 'col', index: plan.fields.indexOf(f), type: f.type } as BExpr, field: { name: columns?.[i] ?? f.name, type: f.type, qualifier, ...deniedOf(f) } as Field }));
    return { k: 'project', input: plan, exprs: [...lead, ...rest].map((x) => x.expr), fields: [...lead, ...rest].map((x) => x.field) };
  }
  if (columns && columns.length > vf.length) throw new SqlError('SYNTAX_ERROR', `"${qualifier}" has ${vf.length} columns available but ${columns.length} columns specified`, pos);
  if (plan.fields.every((f) => !f.hidden) && plan.k === 'scan' && !columns) {
    return { ...plan, fields: plan.fields.map((f) => ({ ...f, qualifier, path })) };
  }
  const exprs: BExpr[] = vf.map((f) => ({ k: 'col', index: plan.fields.indexOf(f), type: f.type }));
  return { k: 'project', input: plan, exprs, fields: vf.map((f, i) => ({ name: columns?.[i] ?? f.name, type: f.type, qualifier, path, ...deniedOf(f) })) };
}

/** A renamed column stays as unreadable as the table column it is. */
const deniedOf = (f: Field) => (f.denied ? { denied: f.denied } : {});

/** Splits a join condition into equi-join keys (left expr = right expr) and a residual. */
export function splitJoin(type: 'INNER' | 'LEFT' | 'FULL' | 'CROSS', left: LNode, right: LNode, cond: BExpr | null, fields: Field[]): LNode {
  const nl = left.fields.length;
  const leftKeys: BExpr[] = [], rightKeys: BExpr[] = [], rest: BExpr[] = [];
  // `a AND b AND c` binds as nested ANDs: every term of them may be a key
  const flat = (e: BExpr): BExpr[] => (e.k === 'and' ? e.args.flatMap(flat) : [e]);
  const terms = cond ? flat(cond) : [];
  for (const t of terms) {
    // model calls stay in the residual: join keys are computed before models run
    if (t.k === 'cmp' && t.op === '=' && !hasModelCall(t)) {
      const lc = usedColumns(t.left), rc = usedColumns(t.right);
      const side = (s: Set<number>) => (s.size === 0 ? 'none' : [...s].every((i) => i < nl) ? 'L' : [...s].every((i) => i >= nl) ? 'R' : 'both');
      const ls = side(lc), rs = side(rc);
      if (ls === 'L' && rs === 'R') { leftKeys.push(t.left); rightKeys.push(shift(t.right, -nl)); continue; }
      if (ls === 'R' && rs === 'L') { leftKeys.push(t.right); rightKeys.push(shift(t.left, -nl)); continue; }
    }
    rest.push(t);
  }
  const residual = rest.length === 0 ? null : rest.length === 1 ? rest[0] : { k: 'and' as const, args: rest, type: BOOL };
  const jt = type === 'CROSS' && (leftKeys.length || residual) ? 'INNER' : type;
  return { k: 'join', joinType: jt, left, right, leftKeys, rightKeys, residual, fields };
}

function shift(e: BExpr, by: number): BExpr {
  return mapCols(e, (i, c) => ({ k: 'col', index: i + by, type: c.type }));
}

function defaultName(e: A.Expr): string {
  switch (e.kind) {
    case 'ColumnRef': return e.name[e.name.length - 1];
    case 'FunctionCall': return e.name[e.name.length - 1];
    case 'Cast': return e.expr.kind === 'ColumnRef' ? e.expr.name[e.expr.name.length - 1] : e.type.name.toLowerCase().split(' ')[0];
    case 'Extract': return e.field === 'epoch' ? 'date_part' : 'date_part';
    case 'Case': return 'case';
    case 'Exists': return 'exists';
    case 'Subquery': return '?column?';
    default: return '?column?';
  }
}

