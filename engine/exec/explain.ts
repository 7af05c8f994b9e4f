// EXPLAIN: the physical plan as an indented tree, one operator a line with where it runs (the
// leader or every slice), how data moves between them (the Gather and Broadcast exchanges) and
// its estimated rows; with ANALYZE, each operator's actual rows and own time, per slice too.
// Uncorrelated subqueries are numbered and listed after the plan that uses them.
import { type LNode, mapPlanExprs } from '../plan/logical.ts';
import { type BExpr, walk } from '../plan/bound.ts';
import { typeName } from '../types/types.ts';
import type { PhysicalOperator } from './operators/operator.ts';
import type { OperatorMetrics } from './operators/run-context.ts';
import type { RuntimeFilterCounters } from './runtime-filter.ts';
import { plural } from './operators/operator.ts';

/** Numbers of the uncorrelated subqueries of the plan being explained (set while explaining). */
let subqueryNumbers = new Map<LNode, number>();

export function explainExpr(e: BExpr, fields: { name: string }[] = []): string {
  switch (e.k) {
    case 'subquery': {
      const ref = `(subquery ${subqueryNumbers.get(e.plan) ?? '?'})`;
      if (e.mode === 'scalar') return ref;
      if (e.mode === 'exists') return `EXISTS ${ref}`;
      if (e.mode === 'in') return `${explainExpr(e.arg!, fields)} IN ${ref}`;
      return `${explainExpr(e.arg!, fields)} ${e.op} ${e.mode.toUpperCase()} ${ref}`;
    }
    case 'col': return fields[e.index]?.name ?? `$${e.index}`;
    case 'const': return e.value === null ? 'NULL' : typeof e.value === 'string' ? `'${e.value}'` : String(e.value);
    case 'arith': case 'cmp': return `(${explainExpr(e.left, fields)} ${e.op} ${explainExpr(e.right, fields)})`;
    case 'concat': return `(${explainExpr(e.left, fields)} || ${explainExpr(e.right, fields)})`;
    case 'and': case 'or': return `(${e.args.map((a) => explainExpr(a, fields)).join(` ${e.k.toUpperCase()} `)})`;
    case 'not': return `NOT ${explainExpr(e.arg, fields)}`;
    case 'cast': return `${explainExpr(e.arg, fields)}::${typeName(e.type)}`;
    case 'call': case 'model': return `${e.k === 'model' ? `${e.ref.name}@${e.ref.version}` : e.name}(${e.args.map((a) => explainExpr(a, fields)).join(', ')})`;
    case 'in': return `${explainExpr(e.arg, fields)}${e.negated ? ' NOT' : ''} IN (${e.list.map((a) => explainExpr(a, fields)).join(', ')})`;
    case 'like': return `${explainExpr(e.arg, fields)} ${e.negated ? 'NOT ' : ''}${e.ci ? 'ILIKE' : 'LIKE'} ${explainExpr(e.pattern, fields)}`;
    case 'isnull': return `${explainExpr(e.arg, fields)} IS ${e.negated ? 'NOT ' : ''}NULL`;
    default: return e.k;
  }
}

/** The uncorrelated subqueries of a plan, in the order they appear (nested ones after their parent). */
export function subqueriesOf(plan: LNode): LNode[] {
  const subs: LNode[] = [];
  const collect = (n: LNode) => mapPlanExprs(n, (e) => {
    walk(e, (x) => { if (x.k === 'subquery' && !subs.includes(x.plan)) { subs.push(x.plan); collect(x.plan); } });
    return e;
  });
  collect(plan);
  return subs;
}

/** What a scan's join filters removed in one slice (summed over its filters). */
function runtimeRemoved(filters: RuntimeFilterCounters[]): string {
  let rangeRows = 0, blocks = 0, segments = 0, bloomRows = 0, checked = 0;
  const off = new Set<string>();
  for (const f of filters) {
    rangeRows += f.rangeRows; blocks += f.blocks; segments += f.segments; bloomRows += f.bloomRows; checked += f.checked;
    if (f.bloomOff) off.add(f.bloomOff);
  }
  const bloom = off.has('build') && !checked ? 'bloom not used (build side larger than the scan)'
    : `bloom ${bloomRows} of ${checked} rows${off.has('pass rate') ? ', then switched off (it kept most rows)' : ''}`;
  return `${rangeRows + bloomRows} rows (min/max ${rangeRows} rows in ${plural(blocks, 'block')}, ${plural(segments, 'segment')}; ${bloom})`;
}

/** EXPLAIN ANALYZE's first line: what its times mean. */
export const ANALYZE_TIMES = "Times are each operator's own work, not its inputs' nor its consumer's (rows handed on in pieces count where they are used): "
  + "at the leader, its time there (an exchange's includes waiting for the slices); in the slices, summed over them, then per slice "
  + '(a projection there has no step of its own: the steps reading its columns compute them); phases that run at once (uncorrelated subqueries, build sides) each count the time they overlap';

const ms = (x: number) => `${x < 10 ? x.toFixed(2) : x.toFixed(1)} ms`;

/** Lines of a physical plan; with `metrics` (EXPLAIN ANALYZE), what each operator did. */
export function explainOperators(root: PhysicalOperator, slices: number, metrics?: Map<PhysicalOperator, OperatorMetrics>, depth0 = 0): string[] {
  const out: string[] = [];
  const printed = new Set<PhysicalOperator>();
  const visit = (op: PhysicalOperator, depth: number, whole: boolean) => {
    const pad = '  '.repeat(depth) + (depth ? '->  ' : '');
    if (printed.has(op)) { out.push(`${pad}${op.explainAgain(whole)}`); return; }
    printed.add(op);
    const where = op.placement === 'slices' ? `${slices} slice${slices === 1 ? '' : 's'}` : 'leader';
    let line = `${pad}${op.explain(whole)}  [${where}; est. rows ${op.estRows}`;
    if (metrics) {
      const m = metrics.get(op);
      if (!m) line += '; never ran';
      else {
        line += `; actual rows ${m.rows}, ${ms(m.ms)}${m.runs > 1 ? ` over ${m.runs} runs` : ''}`;
        if (m.slices) line += `; per slice: ${m.slices.map((s, i) => `#${i} ${s.rows} rows ${ms(s.ms)}`).join(', ')}`;
      }
    }
    out.push(`${line}]`);
    const under = ' '.repeat(pad.length + 2);
    for (const d of op.details()) out.push(`${under}${d}`);
    const removed = metrics?.get(op)?.runtimeFilters;
    if (removed) out.push(`${under}Runtime filter removed, per slice: ${removed.map((s, i) => `#${i} ${runtimeRemoved(s)}`).join(', ')}`);
    for (const c of op.children) visit(c, depth + 1, whole || op.inputsWhole);
  };
  visit(root, depth0, false);
  return out;
}

/**
 * EXPLAIN's lines: the plan, then each uncorrelated subquery's plan (`plan` makes a logical plan
 * physical). Subqueries are printed by number wherever an expression uses them.
 */
export function explainPlan(logical: LNode, plan: (n: LNode) => PhysicalOperator, slices: number, metrics?: Map<PhysicalOperator, OperatorMetrics>): string[] {
  const subs = subqueriesOf(logical);
  subqueryNumbers = new Map(subs.map((s, i) => [s, i + 1]));
  try {
    const out = explainOperators(plan(logical), slices, metrics);
    subs.forEach((s, i) => {
      out.push(`Subquery ${i + 1} (runs once, before the plan that uses it)`);
      out.push(...explainOperators(plan(s), slices, undefined, 1));
    });
    return out;
  } finally {
    subqueryNumbers = new Map();
  }
}
