// Join filter pushdown, the planner's half: which hash joins in the slices hand their build keys'
// min/max and Bloom filter to the probe side's scan (runtime-filter.ts does the filtering). A
// join qualifies when a probe row without a partner is dropped anyway — INNER and SEMI joins,
// and the right side of a SEMI or ANTI join built on its left; never the preserved side of an
// outer join, never the left of an ANTI join — when NULL never matches (no IS NOT
// DISTINCT FROM key), and when every probe key is a column of one scan below it (through
// filters, projections and the probe sides of other joins), or a cast of one that cannot fail:
// the scan computes the keys exactly as the join does, so mixed key types hash and compare alike.
// The filter goes to the program that scans: the join's own, or one whose rows are redistributed
// to it; a redistributed build side is in parts, one per slice, and the slices merge their filters.
import { isString } from '../types/types.ts';
import { keyColumn } from './join-filter-keys.ts';
import { explainExpr } from './explain.ts';
import type { PhysicalOperator } from './operators/operator.ts';
import { ScanOp } from './operators/scan.ts';
import { SliceFilterOp } from './operators/filter.ts';
import { SliceProjectOp } from './operators/project.ts';
import { HashProbeOp } from './operators/hash-join.ts';
import { RedistributeOp } from './operators/redistribute.ts';

/** A join's filter on a scan: which scan, and EXPLAIN's words for it. */
export interface RuntimeFilterPlan {
  scan: ScanOp;
  text: string;
}

/** Marks every qualifying join of a physical plan and the scan its filter goes to. */
export function planRuntimeFilters(root: PhysicalOperator): void {
  const seen = new Set<PhysicalOperator>();
  const visit = (op: PhysicalOperator) => {
    if (seen.has(op)) return;
    seen.add(op);
    if (op instanceof HashProbeOp) {
      const plan = runtimeFilterOf(op);
      if (plan) { op.runtimeFilter = plan; plan.scan.runtimeFilters.push(plan.text); }
    }
    op.children.forEach(visit);
  };
  visit(root);
}

function runtimeFilterOf(op: HashProbeOp): RuntimeFilterPlan | null {
  const j = op.join;
  // a join that marks its build side drops a probe row without a partner, ANTI too, and so
  // does a LEFT join built on its left (its right rows probe)
  const dropsUnmatched = j.joinType === 'INNER' || j.joinType === 'SEMI' || op.marksBuild || (op.keepsBuild && j.joinType === 'LEFT');
  if (!dropsUnmatched) return null;
  if (j.nullEq?.some(Boolean)) return null;
  const probeKeys = op.probeIsLeft ? j.leftKeys : j.rightKeys;
  let scan: ScanOp | null = null;
  const names: string[] = [], ranged: string[] = [];
  for (const key of probeKeys) {
    const col = keyColumn(key);
    if (!col) return null;
    const at = scanColumn(op.probeSide, col.index);
    if (!at || (scan && at.scan !== scan)) return null;
    scan = at.scan;
    const name = scan.fields[at.column].name;
    names.push(key.k === 'cast' ? explainExpr({ ...key, arg: { ...col, index: 0 } }, [{ name }]) : name);
    if (key.k === 'col' && !isString(key.type)) ranged.push(name);
  }
  if (!scan) return null;
  const buildKeys = op.buildKeys.map((k) => explainExpr(k, op.build.fields));
  const list = (xs: string[]) => (xs.length === 1 ? xs[0] : `(${xs.join(', ')})`);
  const range = ranged.length === 0 ? '' : ranged.length === names.length && names.length === 1 ? ', min/max' : `, min/max of ${ranged.join(', ')}`;
  return { scan, text: `${list(names)} IN bloom(${buildKeys.join(', ')})${range}` };
}

/** The scan column a slice operator's output field reads unchanged, or null. */
function scanColumn(op: PhysicalOperator, field: number): { scan: ScanOp; column: number } | null {
  if (op instanceof ScanOp) return { scan: op, column: field };
  if (op instanceof SliceFilterOp) return scanColumn(op.input, field);
  if (op instanceof SliceProjectOp) {
    const e = op.exprs[field];
    return e && e.k === 'col' ? scanColumn(op.input, e.index) : null;
  }
  if (op instanceof HashProbeOp) {
    // rows of a build side the probe marked come from a program of their own
    // (nor the probe side of a join that keeps its build rows: dropping a probe row there adds a padded build row)
    if (op.marksBuild || op.keepsBuild) return null;
    // the probe side's fields pass through (first when it is the left input, after the build's otherwise)
    const offset = op.probeIsLeft ? 0 : op.build.fields.length;
    const outputsBuild = op.join.joinType === 'INNER' || op.join.joinType === 'LEFT' || op.join.joinType === 'FULL';
    const f = outputsBuild ? field - offset : field;
    return f >= 0 && f < op.probeSide.fields.length ? scanColumn(op.probeSide, f) : null;
  }
  // rows move between slices unchanged (the join merges the slices' filters when it must)
  if (op instanceof RedistributeOp) return scanColumn(op.input, field);
  return null; // an aggregate, ...: not one scan's rows
}
