// Common subplans: an aggregate (or DISTINCT) that a statement computes twice over the same
// input, e.g. a view read in the FROM and again in an uncorrelated subquery (TPC-H Q15's
// revenue view and its MAX), becomes one `shared` plan: it runs once per execution and both
// places read its rows. The executor runs a statement's subqueries and its main plan in one run
// context, so the second reader finds the rows the first kept.
import { type LNode, type SharedSlot, newSlot, inputsOf, mapPlanExprs, ownExprs } from './logical.ts';
import { type BExpr, walk, mapChildren } from './bound.ts';
import { estimateRows } from './cardinality.ts';
import { isVolatileFunction } from '../functions/registry.ts';

/** Results larger than this stay unshared: a shared result is kept whole at the leader. */
export const MAX_SHARED_ROWS = 1 << 20;

const candidate = (n: LNode): boolean => n.k === 'aggregate' || n.k === 'distinct';

/** Identifies plans that compute the same rows: equal ids, equal results within one statement. */
export class Fingerprints {
  private readonly ids = new Map<string, number>();
  private readonly memo = new WeakMap<LNode, number | null>();

  /** The plan's id, or null when it may differ between two runs (volatile calls, subqueries, a
   *  recursive query's working table, batches). */
  of(n: LNode): number | null {
    let id = this.memo.get(n);
    if (id === undefined) { id = this.compute(n); this.memo.set(n, id); }
    return id;
  }

  private compute(n: LNode): number | null {
    if (n.k === 'batch' || n.k === 'values' || (n.k === 'setop' && n.recursive)) return null;
    const children: number[] = [];
    for (const c of inputsOf(n)) {
      const id = this.of(c);
      if (id === null) return null;
      children.push(id);
    }
    let own: string;
    if (n.k === 'scan') own = `scan ${n.table.id}@${n.table.version} ${JSON.stringify(n.ref)}`;
    else if (n.k === 'shared') own = `shared ${n.slot.id}`;
    else {
      if (!ownExprs(n).every(isRepeatable)) return null;
      const { fields: _f, est: _e, input: _i, left: _l, right: _r, ...rest } = n as LNode & Record<string, unknown>;
      own = JSON.stringify(rest);
    }
    const key = `${own} [${n.fields.map((f) => JSON.stringify(f.type)).join(',')}] (${children.join(',')})`;
    let id = this.ids.get(key);
    if (id === undefined) { id = this.ids.size; this.ids.set(key, id); }
    return id;
  }
}

function isRepeatable(e: BExpr): boolean {
  let ok = true;
  walk(e, (x) => { if (x.k === 'subquery' || (x.k === 'call' && isVolatileFunction(x.name))) ok = false; });
  return ok;
}

/** The uncorrelated subqueries' plans in a node's own expressions. */
export function subqueryPlans(n: LNode): LNode[] {
  const out: LNode[] = [];
  for (const e of ownExprs(n)) walk(e, (x) => { if (x.k === 'subquery') out.push(x.plan); });
  return out;
}

/**
 * The plan with each aggregate or DISTINCT that occurs more than once (here or in the plans of
 * its uncorrelated subqueries, compared by what they compute) made one shared plan.
 */
export function shareCommonSubplans(root: LNode): LNode {
  // plans that compute the same rows have the same kind and output types: without two such
  // aggregates or DISTINCTs there is nothing to share, and no fingerprint to take
  if (!repeatedCandidates(root)) return root;
  const fps = new Fingerprints();
  const counts = new Map<number, number>();
  const seen = new Set<LNode>();
  const count = (n: LNode): void => {
    if (seen.has(n)) return;
    seen.add(n);
    if (n.k === 'setop' && n.recursive) return;
    const id = candidate(n) ? fps.of(n) : null;
    if (id !== null) counts.set(id, (counts.get(id) ?? 0) + 1);
    for (const p of subqueryPlans(n)) count(p);
    for (const c of inputsOf(n)) count(c);
  };
  count(root);
  const common = (n: LNode): number | null => {
    if (!candidate(n)) return null;
    const id = fps.of(n);
    return id !== null && (counts.get(id) ?? 0) > 1 && estimateRows(n) <= MAX_SHARED_ROWS ? id : null;
  };
  if (![...seen].some((n) => common(n) !== null)) return root;

  const slots = new Map<number, SharedSlot>();
  const done = new Map<LNode, LNode>();
  const rewrite = (n: LNode): LNode => {
    let out = done.get(n);
    if (out) return out;
    const id = common(n);
    if (id !== null) {
      let slot = slots.get(id);
      if (!slot) { slot = newSlot(); slots.set(id, slot); }
      out = { k: 'shared', input: n, slot, fields: n.fields };
    } else if (n.k === 'setop' && n.recursive) out = n;
    else out = withInputs(mapOwnExprs(n, inExprs), rewrite);
    done.set(n, out);
    return out;
  };
  const inExprs = (e: BExpr): BExpr => (e.k === 'subquery' ? { ...mapChildren(e, inExprs), plan: rewrite(e.plan) } as BExpr : mapChildren(e, inExprs));
  return rewrite(root);
}

/** Whether two aggregates or DISTINCTs of the plan (or of its subqueries' plans) have the same kind and output types. */
function repeatedCandidates(root: LNode): boolean {
  const kinds = new Set<string>();
  const seen = new Set<LNode>();
  const visit = (n: LNode): boolean => {
    if (seen.has(n)) return false;
    seen.add(n);
    if (n.k === 'setop' && n.recursive) return false;
    if (candidate(n)) {
      const kind = `${n.k} ${n.fields.map((f) => JSON.stringify(f.type)).join(',')}`;
      if (kinds.has(kind)) return true;
      kinds.add(kind);
    }
    return subqueryPlans(n).some(visit) || inputsOf(n).some(visit);
  };
  return visit(root);
}

const LEAF: LNode = { k: 'values', rows: [], fields: [] };

/** The node with its own expressions (not its inputs') replaced by f(expression). */
export function mapOwnExprs(n: LNode, f: (e: BExpr) => BExpr): LNode {
  const inputs = inputsOf(n);
  let i = 0;
  return withInputs(mapPlanExprs(withInputs(n, () => LEAF), f), () => inputs[i++]);
}

/** The node with its inputs replaced by f(input). */
export function withInputs(n: LNode, f: (x: LNode) => LNode): LNode {
  switch (n.k) {
    case 'scan': case 'batch': case 'values': return n;
    case 'join': case 'setop': return { ...n, left: f(n.left), right: f(n.right) };
    default: return { ...n, input: f(n.input) } as LNode;
  }
}
