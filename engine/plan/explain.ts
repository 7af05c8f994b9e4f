// EXPLAIN: the plan as an indented tree; the part that runs inside every slice is marked.
import { type LNode, type SharedSlot, mapPlanExprs } from './logical.ts';
import { type BExpr, walk } from './bound.ts';
import { matchChain } from '../exec/fragments.ts';
import { typeName } from '../types/types.ts';

/** Numbers of the uncorrelated subqueries of the plan being explained (set while explaining). */
let subqueryNumbers = new Map<LNode, number>();

function expr(e: BExpr, fields: { name: string }[] = []): string {
  switch (e.k) {
    case 'subquery': {
      const ref = `(subquery ${subqueryNumbers.get(e.plan) ?? '?'})`;
      if (e.mode === 'scalar') return ref;
      if (e.mode === 'exists') return `EXISTS ${ref}`;
      return `${expr(e.arg!, fields)} ${e.op} ${e.mode.toUpperCase()} ${ref}`;
    }
    case 'col': return fields[e.index]?.name ?? `$${e.index}`;
    case 'const': return e.value === null ? 'NULL' : typeof e.value === 'string' ? `'${e.value}'` : String(e.value);
    case 'arith': case 'cmp': return `(${expr(e.left, fields)} ${e.op} ${expr(e.right, fields)})`;
    case 'concat': return `(${expr(e.left, fields)} || ${expr(e.right, fields)})`;
    case 'and': case 'or': return `(${e.args.map((a) => expr(a, fields)).join(` ${e.k.toUpperCase()} `)})`;
    case 'not': return `NOT ${expr(e.arg, fields)}`;
    case 'cast': return `${expr(e.arg, fields)}::${typeName(e.type)}`;
    case 'call': case 'model': return `${e.k === 'model' ? e.model : e.name}(${e.args.map((a) => expr(a, fields)).join(', ')})`;
    case 'in': return `${expr(e.arg, fields)}${e.negated ? ' NOT' : ''} IN (${e.list.map((a) => expr(a, fields)).join(', ')})`;
    case 'like': return `${expr(e.arg, fields)} ${e.negated ? 'NOT ' : ''}${e.ci ? 'ILIKE' : 'LIKE'} ${expr(e.pattern, fields)}`;
    case 'isnull': return `${expr(e.arg, fields)} IS ${e.negated ? 'NOT ' : ''}NULL`;
    default: return e.k;
  }
}

/** Lines of the plan tree. Slice-side fragments show how many slices run them. */
export function explainPlan(plan: LNode, slices: number): string[] {
  const out: string[] = [];
  const sharedNumbers = new Map<SharedSlot, number>();
  const visit = (n: LNode, depth: number) => {
    const pad = '  '.repeat(depth) + (depth ? '->  ' : '');
    if (n.k === 'shared') {
      const seen = sharedNumbers.get(n.slot);
      if (seen) { out.push(`${pad}Shared result ${seen} (reused)`); return; }
      sharedNumbers.set(n.slot, sharedNumbers.size + 1);
      out.push(`${pad}Shared result ${sharedNumbers.size} (runs once, read again below)`);
      visit(n.input, depth + 1);
      return;
    }
    const chain = matchChain(n);
    if (chain) {
      const t = chain.scan.table;
      const what = chain.agg ? `Partial Aggregate (keys: ${chain.agg.keys.length}, aggregates: ${chain.agg.aggs.map((a) => a.fn).join(', ')})` : 'Scan';
      out.push(`${pad}Slice Fragment x${slices} [${what}] on ${chain.scan.ref.schema}.${chain.scan.ref.name} (${t.distStyle}${t.distKey !== null ? ` KEY(${t.columns[t.distKey].name})` : ''}, ${t.segments.length} segments)`);
      if (chain.preFilter) out.push(`${pad}    Filter (fused, zone maps prune segments): ${expr(chain.preFilter, chain.scan.fields)}`);
      if (chain.join) {
        out.push(`${pad}    Hash ${chain.join.node.joinType} Join (probe in slices, build side broadcast)`);
        visit(chain.join.build, depth + 3);
      }
      if (chain.agg) out.push(`${pad}Leader: Final Aggregate (merge ${slices} partials)`);
      return;
    }
    switch (n.k) {
      case 'filter': out.push(`${pad}Filter: ${expr(n.pred, n.input.fields)}`); break;
      case 'project': out.push(`${pad}Project: ${n.fields.filter((f) => !f.hidden).map((f) => f.name).join(', ')}`); break;
      case 'aggregate': out.push(`${pad}Aggregate (leader): ${n.keys.length} keys, ${n.aggs.map((a) => a.fn).join(', ')}`); break;
      case 'join': out.push(`${pad}Hash ${n.joinType} Join (leader)${n.leftKeys.length ? ` on ${n.leftKeys.length} key(s)` : ''}`); break;
      case 'sort': out.push(`${pad}Sort (leader): ${n.keys.map((k) => `${expr(k.expr, n.input.fields)}${k.desc ? ' DESC' : ''}`).join(', ')}`); break;
      case 'limit': {
        const topN = n.limit !== null && n.input.k === 'sort' && matchChain(n.input.input)?.agg === null;
        out.push(`${pad}Limit ${n.limit ?? 'ALL'}${n.offset ? ` OFFSET ${n.offset}` : ''}${topN ? ' (top-N: each slice keeps its first rows in sort order)' : ''}`);
        break;
      }
      case 'distinct': out.push(`${pad}Distinct (leader)`); break;
      case 'setop': out.push(n.recursive ? `${pad}Recursive ${n.op}${n.all ? ' ALL' : ''} ${n.recursive.name} (the second input repeats over the rows each round adds)` : `${pad}${n.op}${n.all ? ' ALL' : ''}`); break;
      case 'window': out.push(`${pad}Window (leader): ${n.calls.map((c) => c.fn).join(', ')}`); break;
      case 'values': out.push(`${pad}Result (${n.rows.length} row${n.rows.length === 1 ? '' : 's'})`); break;
      case 'batch': out.push(`${pad}System view ${n.label}`); break;
      case 'scan': out.push(`${pad}Scan ${n.ref.name}`); break;
    }
    const kids = n.k === 'join' || n.k === 'setop' ? [n.left, n.right] : n.k === 'scan' || n.k === 'batch' || n.k === 'values' ? [] : [n.input];
    for (const k of kids) visit(k, depth + 1);
  };
  // uncorrelated subqueries: numbered in the order they appear, each listed after the plan
  const subs: LNode[] = [];
  const collect = (n: LNode) => mapPlanExprs(n, (e) => {
    walk(e, (x) => { if (x.k === 'subquery' && !subs.includes(x.plan)) { subs.push(x.plan); collect(x.plan); } });
    return e;
  });
  collect(plan);
  subqueryNumbers = new Map(subs.map((s, i) => [s, i + 1]));
  visit(plan, 0);
  subs.forEach((s, i) => {
    out.push(`Subquery ${i + 1} (runs once, before the plan that uses it)`);
    visit(s, 1);
  });
  return out;
}
