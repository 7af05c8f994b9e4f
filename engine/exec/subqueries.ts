// Uncorrelated subqueries (PostgreSQL's "init plans"): before a plan runs, each subquery in its
// expressions runs once and is replaced by what it returned, so the slices see constants (and
// zone maps can use them). Correlated subqueries never get here: the binder turns them into joins.
import { type LNode, mapPlanExprs, inputsOf, ownExprs } from '../plan/logical.ts';
import { type BExpr, BOOL, walk, mapChildren } from '../plan/bound.ts';
import { valueAt, type Batch, type Vector } from '../types/vector.ts';
import { T, isDecimal, scaleOf } from '../types/types.ts';
import { formatDecimal } from '../types/values.ts';
import { SqlError } from '../errors.ts';
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
      const values = firstColumn(batches[i], s.mode === 'exists' ? 1 : Infinity);
      this.results.set(s.plan, values);
      this.settled(batches[i], valuesBytes(values, (s.mode === 'any' || s.mode === 'all') && (s.op === '=' || s.op === '<>')));
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
        if (rows.length > 1) throw new SqlError('CARDINALITY_VIOLATION', 'more than one row returned by a subquery used as an expression');
        return konst(rows.length ? rows[0] : null, e.type);
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
 * which gives SQL's three-valued answers (FALSE for ANY and TRUE for ALL over no rows; NULL when
 * no row decides and some comparison is NULL). `= ANY` is an IN list.
 */
function quantified(e: Subquery, arg: BExpr, rows: Value[]): BExpr {
  const any = e.mode === 'any';
  if (rows.length === 0) return konst(!any, BOOL);
  const type = e.plan.fields.find((f) => !f.hidden)!.type;
  const distinct = [...new Set(rows)];
  const consts = distinct.map((v) => konst(v, type));
  if (e.op === '=' && any) return { k: 'in', arg, list: consts, negated: false, type: BOOL };
  if (e.op === '<>' && !any) return { k: 'in', arg, list: consts, negated: true, type: BOOL };
  const nonNull = distinct.filter((v) => v !== null);
  const hasNull = nonNull.length < distinct.length;
  let tests: BExpr[];
  if (e.op !== '=' && e.op !== '<>' && nonNull.length > 0) {
    // an ordering test against many values is one test against the least or greatest of them
    const lowest = e.op === '>' || e.op === '>=' ? any : !any;
    const pick = nonNull.reduce((a, b) => ((lowest ? b! < a! : b! > a!) ? b : a));
    tests = [{ k: 'cmp', op: e.op, left: arg, right: konst(pick, type), type: BOOL }];
    if (hasNull) tests.push(konst(null, BOOL));
  } else {
    tests = consts.map((c): BExpr => ({ k: 'cmp', op: e.op, left: arg, right: c, type: BOOL }));
  }
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
