// EXPLAIN CREATE MODEL: runs the statement's checks and its FROM query, then says what training
// would do, without training or changing the catalog: rows kept after MAX_CELLS sampling,
// features after preprocessing (per column), how candidates are compared, the candidates AUTO will
// try, and an estimated time. Redshift samples silently; this shows it before it happens.
import type { Result } from '../../engine/result.ts';
import type { StatementContext } from '../../engine/session/context.ts';
import type * as A from '../../engine/sql/ast.ts';
import { planTraining } from '../train/plan.ts';
import { trainingSnapshot } from './create.ts';
import { summarizePrep } from './jobs.ts';
import { planModel } from './spec.ts';
import { usesAutopilot } from '../sagemaker/settings.ts';
import { versionTarget } from './versions.ts';

export async function explainCreateModel(stmt: A.CreateModel, ctx: StatementContext): Promise<Result> {
  const target = versionTarget(ctx, stmt.name, stmt.function, stmt.pos);
  const { columns } = await trainingSnapshot(stmt, ctx);
  const planned = planModel(stmt, columns);
  const spec = planned.spec;
  const p = planTraining(columns, spec);
  const out: string[] = [];
  const what = target.existing ? `${target.key.name} (version ${(target.existing.lastVersion ?? target.existing.version ?? 1) + 1})` : target.key.name;
  out.push(`CREATE MODEL ${what}: ${planned.remote ? "remote training (TRAINER 'sagemaker')" : 'local training'}, AUTO ${spec.auto ? 'ON' : 'OFF'}${spec.modelType ? `, MODEL_TYPE ${spec.modelType}` : ''}`);
  const cells = (p.inputRows - p.nullTargets) * columns.length;
  const sampling = p.sampled
    ? `sampled: ${p.inputRows - p.nullTargets} rows x ${columns.length} columns = ${cells} cells exceed MAX_CELLS ${p.maxCells}`
    : `no sampling: ${cells} cells within MAX_CELLS ${p.maxCells}`;
  out.push(`  rows: ${p.inputRows} from the query${p.nullTargets ? `, ${p.nullTargets} with a NULL target dropped` : ''}; ${p.rows} used (${sampling})`);
  const autopilot = planned.remote !== null && usesAutopilot(spec);
  if (!autopilot) out.push(`  features: ${p.featureColumns} input columns -> ${p.features} features after preprocessing${p.dropped.length ? `; dropped ${p.dropped.map((d) => `${d.name} (${d.reason})`).join(', ')}` : ''}`);
  if (autopilot) out.push(`  features: the ${p.featureColumns} input columns as they are, in a CSV with a header; Autopilot preprocesses them itself`);
  else for (const c of summarizePrep(p.prep)) out.push(`    ${c.column}: ${c.transform}`);
  if (planned.problemType) out.push(`  problem: ${planned.problemType}${p.classes ? ` (${p.classes} classes)` : ''}, objective ${planned.objective}`);
  out.push(`  function: ${target.fn}(${planned.args.map((a) => a.name).join(', ')})`);
  if (autopilot) {
    out.push('  candidates: a SageMaker Autopilot job (CreateAutoMLJobV2, hyperparameter tuning over XGBoost), scored by Autopilot on its own validation split');
    out.push(`  import: the best candidate when it is the XGBoost container alone over numeric columns; else ${planned.remote!.deployInstanceType ? `deployed to an endpoint on ${planned.remote!.deployInstanceType}` : 'the model FAILS (SETTINGS DEPLOY_INSTANCE_TYPE deploys it to an endpoint)'}`);
    out.push('  estimated time: not estimated (depends on Autopilot and MAX_RUNTIME)');
    return lines(out);
  }
  if (planned.remote) {
    out.push('  candidates: one SageMaker training job (built-in XGBoost), validated on a held-out split');
    out.push('  estimated time: not estimated (depends on the SageMaker job queue and instance)');
    return lines(out);
  }
  out.push(`  validation: ${p.validation}`);
  out.push(`  candidates (${p.candidates.length}${spec.auto && !spec.modelType ? ', AUTO' : ''}):`);
  p.candidates.forEach((c, i) => out.push(`    ${i + 1}. ${c.modelType} ${Object.entries(c.params).map(([k, v]) => `${k}=${v}`).join(' ')} (~${fmt(c.seconds)} s)`));
  if (p.refit) out.push(`  refit: the chosen candidate on all ${p.rows} rows`);
  out.push(`  estimated time: ~${fmt(p.estimatedSeconds)} s (cost model of this machine; load and early stopping move it)`);
  return lines(out);
}

const fmt = (s: number) => (s < 10 ? s.toFixed(1) : String(Math.round(s)));

function lines(text: string[]): Result {
  return { command: 'EXPLAIN', rowCount: text.length, columns: [{ name: 'QUERY PLAN', type: 'VARCHAR' }], rows: text.map((l) => [l]) };
}
