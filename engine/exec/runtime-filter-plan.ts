// Join filter pushdown, the planner's half: which hash joins in the slices hand their build keys'
// min/max and Bloom filter to the probe side's scan (runtime-filter.ts does the filtering). A
// join qualifies when a probe row without a partner is dropped anyway — INNER and SEMI joins,
// never the preserved side of an outer join, never ANTI — when NULL never matches (no IS NOT
// DISTINCT FROM key), and when every probe key is a column of one scan below it (through
// filters, projections and the probe sides of other joins), or a cast of one that cannot fail:
// the scan computes the keys exactly as the join does, so mixed key types hash and compare alike.
import type { BExpr } from '../plan/bound.ts';
import { TYPES, isString, type SqlType } from '../types/types.ts';
import { explainExpr } from './explain.ts';
import type { PhysicalOperator } from './operators/operator.ts';
import { ScanOp } from './operators/scan.ts';
import { SliceFilterOp } from './operators/filter.ts';
import { SliceProjectOp } from './operators/project.ts';
import { HashProbeOp } from './operators/hash-join.ts';

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
  if (j.joinType !== 'INNER' && j.joinType !== 'SEMI') return null;
  if (j.nullEq?.some(Boolean)) return null;
  const probeKeys = op.probeIsLeft ? j.leftKeys : j.rightKeys;
  let scan: ScanOp | null = null;
  const names: string[] = [], ranged: string[] = [];
  for (const key of probeKeys) {
    const col = key.k === 'col' ? key : key.k === 'cast' && key.arg.k === 'col' && castCannotFail(key.arg.type, key) ? key.arg : null;
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
    // the probe side's fields pass through (first when it is the left input, after the build's otherwise)
    const offset = op.probeIsLeft ? 0 : op.build.fields.length;
    const outputsBuild = op.join.joinType === 'INNER' || op.join.joinType === 'LEFT';
    const f = outputsBuild ? field - offset : field;
    return f >= 0 && f < op.probeSide.fields.length ? scanColumn(op.probeSide, f) : null;
  }
  return null; // a redistributed input, an aggregate, ...: not one scan's rows
}

/**
 * Casts the scan may compute on rows a later filter would have dropped: widening numbers
 * (to floating point, to a wider integer, to a DECIMAL with room for every digit) and DATE to
 * TIMESTAMP. Others could fail on such a row, so their keys get no filter.
 */
function castCannotFail(from: SqlType, cast: Extract<BExpr, { k: 'cast' }>): boolean {
  if (cast.assign) return false;
  const to = cast.type, f = TYPES[from.id], t = TYPES[to.id];
  if (f.kind === 'date' && t.kind === 'timestamp') return true;
  if (!f.numeric || !t.numeric) return false;
  if (t.kind === 'float') return true;
  if (f.kind === 'float') return false;
  const intDigits = from.id === 'DECIMAL' ? from.precision - from.scale : f.digits;
  const scale = from.id === 'DECIMAL' ? from.scale : 0;
  if (t.kind === 'integer') return f.kind === 'integer' && t.rank >= f.rank;
  return to.id === 'DECIMAL' && to.precision - to.scale >= intDigits && to.scale >= scale;
}
