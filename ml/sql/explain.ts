// EXPLAIN_MODEL: `SELECT EXPLAIN_MODEL(m)` (or 'm') returns the model's per-feature importance:
// permutation importance on the validation split, one row per input column, largest first, and
// the mean |SHAP| of each column over the training sample the model's graph carries (TreeSHAP for
// trees, KernelSHAP otherwise; see ml/explain).
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SqlError } from '../../engine/errors.ts';
import type { Result } from '../../engine/result.ts';
import type { StatementContext } from '../../engine/session/context.ts';
import type * as A from '../../engine/sql/ast.ts';
import { type ModelVersion, getModel } from './catalog.ts';
import { checkExecute, notReady } from './functions.ts';
import type { ModelJobs } from './jobs.ts';

/** KernelSHAP's cost grows with the rows explained: mean |SHAP| over this many of the sample. */
const KERNEL_ROWS = 50;

/** The model named by a statement of the form `SELECT EXPLAIN_MODEL(name)`, else null. */
export function explainModelTarget(stmt: A.Statement): { name: string[]; pos: A.Pos } | null {
  if (stmt.kind !== 'Query' || stmt.query.kind !== 'Select') return null;
  const q = stmt.query;
  if (q.from.length || q.columns.length !== 1 || q.where || q.groupBy.length || q.orderBy.length || q.with) return null;
  const e = q.columns[0].expr;
  if (e.kind !== 'FunctionCall' || e.name.length !== 1 || e.name[0].toLowerCase() !== 'explain_model' || e.args.length !== 1) return null;
  const a = e.args[0];
  if (a.kind === 'ColumnRef') return { name: a.name, pos: e.pos };
  if (a.kind === 'Literal' && typeof a.value === 'string') return { name: a.value.split('.'), pos: e.pos };
  return null;
}

export async function explainModel(target: { name: string[]; pos: A.Pos }, ctx: StatementContext, jobs: ModelJobs): Promise<Result> {
  const m = getModel(ctx, target.name, target.pos);
  checkExecute(ctx, m, target.pos);
  if (m.entry.state !== 'READY' || !jobs) throw notReady(m.entry, jobs, target.pos);
  if (!m.entry.featureImportance) {
    throw new SqlError('FEATURE_NOT_SUPPORTED', `EXPLAIN_MODEL needs a model trained by CREATE MODEL; "${m.entry.name}" is a brought-your-own ONNX model (its fn_explain works per row)`, target.pos);
  }
  const shap = await meanAbsShap(ctx, m.entry);
  const rows = m.entry.featureImportance.map((f) => [f.feature, f.importance, 'permutation', shap?.get(f.feature) ?? null]);
  return {
    command: 'SELECT', rowCount: rows.length, rows,
    columns: [{ name: 'feature', type: 'VARCHAR' }, { name: 'importance', type: 'DOUBLE PRECISION' }, { name: 'method', type: 'VARCHAR' }, { name: 'mean_abs_shap', type: 'DOUBLE PRECISION' }],
  };
}

/** Mean |SHAP| per argument over the graph's training sample; null for graphs without one (trained before it was kept). */
export async function meanAbsShap(ctx: StatementContext, v: ModelVersion): Promise<Map<string, number> | null> {
  if (!v.onnxFile) return null;
  const bytes = new Uint8Array(await readFile(join(ctx.db.dataDir, 'models', v.onnxFile)));
  const { Explainer } = await import('../explain/explainer.ts');
  const ex = await Explainer.create(bytes, { argNames: v.args.map((a) => a.name), argTypes: v.args.map((a) => a.type), outputType: v.returns });
  try {
    const r = await ex.meanAbs(ex.method === 'tree' ? Infinity : KERNEL_ROWS);
    return r ? new Map(v.args.map((a, i) => [a.name, r.values[i]])) : null;
  } finally {
    await ex.release();
  }
}
