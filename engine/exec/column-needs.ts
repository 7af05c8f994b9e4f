// Which batch columns a slice program still reads after each of its steps, so a hash probe
// gathers only those of its joined rows (late materialization): the probe side's key columns
// and the build side's keys are often read by nothing after their join, and a join tree's
// batch widens at every join. TPC-H Q9 gathered 20 % of its slice CPU into columns nothing read.
import { aggInputs, usedColumns, type BExpr } from '../plan/bound.ts';
import type { FragmentSpec, PipelineStep } from './fragment.ts';

/** `after[i]`: the batch columns (absolute positions) read by steps i+1.. and the output. */
export function columnsReadAfter(f: FragmentSpec): Set<number>[] {
  const need = outputColumns(f.output);
  const after: Set<number>[] = new Array(f.steps.length);
  for (let i = f.steps.length - 1; i >= 0; i--) {
    after[i] = new Set(need);
    stepColumns(f.steps[i], need);
  }
  return after;
}

function outputColumns(o: FragmentSpec['output']): Set<number> {
  const need = new Set<number>();
  if (o.kind === 'rows') for (const e of o.exprs) usedColumns(e, need);
  else if (o.kind === 'agg') {
    for (const e of o.spec.keys) usedColumns(e, need);
    for (const a of o.spec.aggs) for (const e of aggInputs(a)) usedColumns(e, need);
    if (o.spec.filter) usedColumns(o.spec.filter, need);
  } else {
    readAll(o.join.probeKeys, need);
    if (o.join.residual) usedColumns(o.join.residual, need);
  }
  return need;
}

/** Adds the columns step `s` reads to `need`. */
function stepColumns(s: PipelineStep, need: Set<number>): void {
  switch (s.k) {
    case 'filter': usedColumns(s.pred, need); break;
    case 'join':
      readAll(s.join.probeKeys, need);
      if (s.join.residual) usedColumns(s.join.residual, need);
      break;
    case 'model': readAll(s.model.args, need); break;
    case 'compute': readAll(s.exprs, need); break;
    case 'repeat': usedColumns(s.count, need); break;
  }
}

function readAll(exprs: BExpr[], need: Set<number>): void {
  for (const e of exprs) usedColumns(e, need);
}
