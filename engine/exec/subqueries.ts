// Uncorrelated subqueries (PostgreSQL's "init plans"): before a plan runs, each subquery in its
// expressions runs once and is replaced by what it returned, so the slices see constants (and
// zone maps can use them). Correlated subqueries never get here: the binder turns them into joins.
import { type LNode, mapPlanExprs, inputsOf, ownExprs } from '../plan/logical.ts';
import { type BExpr, BOOL, walk, mapChildren } from '../plan/bound.ts';
import { valueAt, type Batch, type Vector } from '../types/vector.ts';
import { T, isDecimal, scaleOf } from '../types/types.ts';
import { formatDecimal } from '../types/values.ts';
import { tooManyRows } from './hash-join.ts';
import { narrowComparison } from '../plan/narrow-comparison.ts';
import { allPhases } from './concurrent-phases.ts';

type Subquery = Extract<BExpr, { k: 'subquery' }>;
type Value = number | string | boolean | bigint | null;

/** Runs each subquery of a plan once and substitutes its result. */
export class SubqueryResults {
  /** nodes whose expressions hold no subquery any more */
  private readonly ready = new WeakSet<LNode>();
  private readonly results = new Map<LNode, Value[]>();

  /**
   * `stop` raises the statement's flag (a failed subquery stops the others running beside it);
   * `settled` hears of each result once its values are taken: its rows can be given back, and
   * the values (and the constants made of them) take `bytes` until the run ends.
   */
  constructor(private readonly runPlan: (plan: LNode) => Promise<Batch>, private readonly stop: () => void = () => {},
    private readonly settled: (rows: Batch, bytes: number) => void = () => {}) {}

  async resolve(node: LNode): Promise<LNode> {
    if (this.ready.has(node)) return node;
    const found: Subquery[] = [];
    visitPlanExprs(node, (e) => walk(e, (x) => { if (x.k === 'subquery') found.push(x); }));
    // each subquery plan once (the first use decides how many rows it keeps), all at once: they do not depend on each other
    const pending = new Map<LNode, Subquery>();
    for (const s of found) if (!this.results.has(s.plan) && !pending.has(s.plan)) pending.set(s.plan, s);
    const subs = [...pending.values()];
    const batches = await allPhases(this.stop, subs.map((s) => () => this.runPlan(s.plan)));
    subs.forEach((s, i) => {
      // ANY / ALL's plan gives one row of four values (its extremes and counts)
      const values = s.mode === 'any' || s.mode === 'all' ? firstRow(batches[i]) : firstColumn(batches[i], s.mode === 'exists' ? 1 : Infinity);
      this.results.set(s.plan, values);
      this.settled(batches[i], valuesBytes(values, s.mode === 'in'));
    });
    const out = found.length ? mapPlanExprs(node, (e) => this.substitute(e)) : node;
    markReady(out, this.ready);
    return out;
  }

  private substitute(e: BExpr): BExpr {
    // a comparison with a value now known may compare the column at its own scale
    if (e.k !== 'subquery') return narrowComparison(mapChildren(e, (x) => this.substitute(x)));
    const rows = this.results.get(e.plan)!;
    const arg = e.arg ? this.substitute(e.arg) : null;
    switch (e.mode) {
      case 'exists': return konst(rows.length > 0, BOOL);
      case 'scalar':
        if (rows.length > 1) throw tooManyRows();
        return konst(rows.length ? rows[0] : null, e.type);
      case 'in': return rows.length ? { k: 'in', arg: arg!, list: [...new Set(rows)].map((v) => konst(v, e.plan.fields[0].type)), negated: false, type: BOOL } : konst(false, BOOL);
      case 'any': case 'all': return quantified(e, arg!, rows);
    }
  }
}

/**
 * A value as an expression. An exact integer past 2^53 (a BIGINT or wide DECIMAL) is its text
 * cast to the type, as the binder writes a large literal: plans are plain JSON, a double would
 * round it.
 */
function konst(value: Value, type: BExpr['type']): BExpr {
  if (typeof value !== 'bigint') return { k: 'const', value, type };
  const text = isDecimal(type) ? formatDecimal(value, scaleOf(type)) : String(value);
  return { k: 'cast', arg: { k: 'const', value: text, type: T.varchar }, type };
}

/**
 * `arg op ANY (rows)` is the OR of `arg op row` over the rows and `arg op ALL (rows)` their AND,
 * decided by the rows' least and greatest non-NULL values and their counts (`extremes`): over no
 * rows FALSE for ANY and TRUE for ALL; `x < ALL` is `x < least`, `x < ANY` is `x < greatest`
 * (and the mirror for `>`), `x = ALL` and `x <> ANY` test both; with a NULL among the rows,
 * what those tests leave undecided is NULL, as the comparison with it would be.
 */
function quantified(e: Subquery, arg: BExpr, [least, greatest, nonNull, rows]: Value[]): BExpr {
  const any = e.mode === 'any';
  if (!Number(rows)) return konst(!any, BOOL);
  if (Number(nonNull) === 0) return konst(null, BOOL);
  const type = e.plan.fields[0].type;
  const test = (v: Value): BExpr => ({ k: 'cmp', op: e.op, left: arg, right: konst(v, type), type: BOOL });
  const below = e.op === '<' || e.op === '<=';
  const tests = e.op === '=' || e.op === '<>' ? [test(least), test(greatest)] : [test(below === any ? greatest : least)];
  if (Number(nonNull) < Number(rows)) tests.push(konst(null, BOOL));
  return tests.length === 1 ? tests[0] : { k: any ? 'or' : 'and', args: tests, type: BOOL };
}

/**
 * Heap bytes of a result's values: an array slot each and the strings, plus a constant
 * expression each when they become a list of comparisons (`= ANY`, `<> ALL`).
 */
function valuesBytes(values: readonly Value[], listed: boolean): number {
  let bytes = 0;
  for (const v of values) bytes += (listed ? 80 : 16) + (typeof v === 'string' ? 24 + v.length * 2 : 0);
  return bytes;
}

/** The first row's values (one per column), or none for no rows. */
function firstRow(b: Batch): Value[] {
  return b.length ? b.columns.map((v) => (v.valid && v.valid[0] === 0 ? null : valueAt(v, 0) as Value)) : [];
}

/** The first visible column's values (at most `limit` rows). */
function firstColumn(b: Batch, limit: number): Value[] {
  const v: Vector | undefined = b.columns[0];
  const n = Math.min(b.length, limit);
  const out: Value[] = [];
  for (let i = 0; i < n; i++) {
    if (!v || (v.valid && v.valid[i] === 0)) { out.push(null); continue; }
    out.push(valueAt(v, i) as Value);
  }
  return out;
}

/** Every expression of the plan, in mapPlanExprs' order (inputs first), without copying it. */
function visitPlanExprs(n: LNode, f: (e: BExpr) => void): void {
  for (const c of inputsOf(n)) visitPlanExprs(c, f);
  for (const e of ownExprs(n)) f(e);
}

function markReady(n: LNode, ready: WeakSet<LNode>): void {
  ready.add(n);
  for (const c of inputsOf(n)) markReady(c, ready);
}
