// A total computed from groups: an aggregate without GROUP BY over the same input as a grouped
// aggregate elsewhere in the statement, whose SUM, MIN and MAX calls the grouped one also
// computes, is those calls over the groups instead (the SUM of the per-group sums, ...). TPC-H
// Q11's HAVING threshold sums the same partsupp ⋈ supplier ⋈ nation join its GROUP BY sums per
// part; the join then runs once, in one slice request, not twice in two. The grouped result is
// a `shared` plan (kept at the leader, read by both), so it is done only when the groups are
// few beside the rows the input scans (reading them again costs more than keeping them).
import { type LNode, type SharedSlot, newSlot, inputsOf } from './logical.ts';
import { type BAgg, type BExpr, mapChildren } from './bound.ts';
import { estimateRows } from './cardinality.ts';
import { Fingerprints, MAX_SHARED_ROWS, subqueryPlans, mapOwnExprs, withInputs } from './common-subplans.ts';
import { isFloat } from '../types/types.ts';

type Aggregate = Extract<LNode, { k: 'aggregate' }>;

/** Groups are kept when the input scans at least this many times as many rows. */
const SCAN_PER_GROUP = 4;

/** The calls whose value over all rows is the same call over the groups' values. */
const FOLDS = new Set(['sum', 'min', 'max']);

/** Rows the plan's table scans read (their estimates before filters). */
function scannedRows(n: LNode): number {
  return n.k === 'scan' ? estimateRows(n) : inputsOf(n).reduce((sum, c) => sum + scannedRows(c), 0);
}

/** Where each of the total's calls is among the grouped aggregate's, or null when one is not. */
function foldable(total: Aggregate, grouped: Aggregate): number[] | null {
  const at: number[] = [];
  for (const a of total.aggs) {
    // floats would round differently summed in another order
    if (!FOLDS.has(a.fn) || a.distinct || !a.arg || isFloat(a.type)) return null;
    const j = grouped.aggs.findIndex((g) => g.fn === a.fn && !g.distinct && JSON.stringify(g.arg) === JSON.stringify(a.arg) && JSON.stringify(g.type) === JSON.stringify(a.type));
    if (j < 0) return null;
    at.push(grouped.keys.length + j);
  }
  return at;
}

/** Whether the plan (or its subqueries' plans) holds an aggregate without GROUP BY and one with, each of whose calls could fold. */
function totalAndGroups(root: LNode): boolean {
  let total = false, grouped = false;
  const seen = new Set<LNode>();
  const visit = (n: LNode): boolean => {
    if (seen.has(n)) return false;
    seen.add(n);
    if (n.k === 'setop' && n.recursive) return false;
    if (n.k === 'aggregate') {
      if (n.keys.length) grouped = true;
      else if (n.aggs.every((a) => FOLDS.has(a.fn))) total = true;
      if (total && grouped) return true;
    }
    return subqueryPlans(n).some(visit) || inputsOf(n).some(visit);
  };
  return visit(root);
}

/**
 * The plan with each aggregate without GROUP BY that can be computed from a grouped aggregate
 * over the same input (here or in its uncorrelated subqueries' plans) computed from it.
 */
export function totalsFromGroups(root: LNode): LNode {
  // without both a total and a grouped aggregate there is nothing to fold, and no fingerprint to take
  if (!totalAndGroups(root)) return root;
  const fps = new Fingerprints();
  const grouped = new Map<number, Aggregate[]>();
  const totals: Aggregate[] = [];
  const seen = new Set<LNode>();
  const collect = (n: LNode): void => {
    if (seen.has(n)) return;
    seen.add(n);
    if (n.k === 'setop' && n.recursive) return;
    if (n.k === 'aggregate') {
      const id = fps.of(n.input);
      if (id !== null && n.keys.length === 0) totals.push(n);
      else if (id !== null) grouped.set(id, [...(grouped.get(id) ?? []), n]);
    }
    for (const p of subqueryPlans(n)) collect(p);
    for (const c of inputsOf(n)) collect(c);
  };
  collect(root);
  // each total, the grouped aggregate it reads and where its calls are there
  const plans = new Map<LNode, { from: Aggregate; at: number[] }>();
  for (const t of totals) {
    for (const g of grouped.get(fps.of(t.input)!) ?? []) {
      const rows = estimateRows(g);
      const at = fps.of(g) !== null && rows <= MAX_SHARED_ROWS && rows * SCAN_PER_GROUP <= scannedRows(g.input) ? foldable(t, g) : null;
      if (at) { plans.set(t, { from: g, at }); break; }
    }
  }
  if (!plans.size) return root;

  // the grouped aggregates read twice, one slot per distinct one (equal fingerprints share)
  const slots = new Map<number, SharedSlot>();
  const slotOf = (g: Aggregate) => { const id = fps.of(g)!; let s = slots.get(id); if (!s) { s = newSlot(); slots.set(id, s); } return s; };
  const sharedIds = new Set([...plans.values()].map((p) => fps.of(p.from)));
  const done = new Map<LNode, LNode>();
  const rewrite = (n: LNode): LNode => {
    let out = done.get(n);
    if (out) return out;
    const plan = plans.get(n);
    if (plan) {
      const t = n as Aggregate;
      const groups: LNode = { k: 'shared', input: plan.from, slot: slotOf(plan.from), fields: plan.from.fields };
      const aggs: BAgg[] = t.aggs.map((a, i) => ({ fn: a.fn, arg: { k: 'col', index: plan.at[i], type: a.type }, distinct: false, type: a.type }));
      out = { ...t, input: groups, aggs };
    } else if (n.k === 'aggregate' && n.keys.length && sharedIds.has(fps.of(n))) {
      out = { k: 'shared', input: n, slot: slotOf(n), fields: n.fields };
    } else if (n.k === 'setop' && n.recursive) out = n;
    else out = withInputs(mapOwnExprs(n, inExprs), rewrite);
    done.set(n, out);
    return out;
  };
  const inExprs = (e: BExpr): BExpr => (e.k === 'subquery' ? { ...mapChildren(e, inExprs), plan: rewrite(e.plan) } as BExpr : mapChildren(e, inExprs));
  return rewrite(root);
}
