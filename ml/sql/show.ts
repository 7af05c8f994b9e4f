// SHOW MODEL m (key/value rows, like Redshift), SHOW MODEL m VERSIONS (one row per version) and
// SHOW MODEL ALL (one row per model).
import type { Result } from '../../engine/result.ts';
import type { StatementContext } from '../../engine/session/context.ts';
import { hasSchemaUsage } from '../../engine/session/privileges.ts';
import type * as A from '../../engine/sql/ast.ts';
import { typeName } from '../../engine/types/types.ts';
import { type ModelEntry, type ModelVersion, getModel, modelsOf, versionsOf } from './catalog.ts';
import type { ModelJobs } from './jobs.ts';

/** The reason shown for a model whose training died with the process that ran it. */
export const INTERRUPTED = 'training was interrupted: the server stopped before it finished';

/** State and reason as users see them: a model left TRAINING by a stopped process is FAILED. */
export function effectiveState(e: ModelVersion, jobs: ModelJobs): { state: string; reason?: string } {
  if (e.state === 'TRAINING' && jobs.interrupted.has(e.id)) return { state: 'FAILED', reason: INTERRUPTED };
  return { state: e.state, reason: e.reason };
}

/** `fn(TYPE, ...)` with the return type. */
export function signature(e: ModelEntry): string {
  return `${e.function}(${e.args.map((a) => typeName(a.type)).join(', ')}) RETURNS ${typeName(e.returns)}`;
}

/** SHOW MODEL's fields, in display order (also the GraphQL `model` field's source). */
export function describeModel(e: ModelEntry, schema: string, jobs: ModelJobs): [string, string | null][] {
  const st = effectiveState(e, jobs);
  const score = e.validationScore === undefined ? null : `${e.objective ?? 'score'} ${round(e.validationScore)}`;
  const rows: [string, string | null][] = [
    ['Model Name', e.name], ['Schema Name', schema], ['Owner', e.owner], ['Creation Time', e.createdAt],
    ['Model State', st.state],
    ['Model Version', `${e.version ?? 1} (current; SHOW MODEL ${e.name} VERSIONS lists all ${versionsOf(e).length})`],
    ['Aliases', e.aliases && Object.keys(e.aliases).length ? Object.entries(e.aliases).map(([a, v]) => `${a} -> ${v}`).join(', ') : null],
  ];
  if (st.reason) rows.push(['Failure Reason', st.reason]);
  rows.push(
    ['Validation Score', score],
    ['Query', e.query ?? null],
    ['Source', e.source ?? null],
    ['SageMaker Endpoint', e.remote ? `${e.remote.endpoint}${e.remote.targetModel ? ` (model ${e.remote.targetModel})` : ''}${e.remote.region ? ` in ${e.remote.region}` : ''}` : null],
    ['Target Column', e.target ?? null],
    ['Auto', e.auto === undefined ? null : e.auto ? 'ON' : 'OFF'],
    ['Model Type', e.modelType ?? null],
    ['Problem Type', e.problemType ?? null],
    ['Objective', e.objective ?? null],
    ['Function Name', e.function],
    ['Function Parameters', e.args.map((a) => a.name).join(' ')],
    ['Function Parameter Types', e.args.map((a) => typeName(a.type)).join(' ')],
    ['Function Return Type', typeName(e.returns)],
    ['Probability Function', e.proba ? `${e.function}_prob (labels ${JSON.stringify(e.labels ?? null)})` : null],
    ['Training Rows', e.trainingRows === undefined ? null : String(e.trainingRows)],
    ['Training Time', e.trainingSeconds === undefined ? null : `${e.trainingSeconds.toFixed(1)} s`],
    ['Hyperparameters', e.hyperparameters && Object.keys(e.hyperparameters).length ? Object.entries(e.hyperparameters).map(([k, v]) => `${k}=${v}`).join(', ') : null],
    ['Preprocessing', e.preprocessing ? e.preprocessing.map((p) => `${p.column}: ${p.transform}`).join('; ') : null],
    ['Candidates', e.candidates?.length ? e.candidates.map((c) => `${c.modelType} ${round(c.validationScore)}`).join(', ') : null],
    ['Explain Baseline', e.explainBaseline ?? null],
    ['Settings', Object.keys(e.settings).length ? Object.entries(e.settings).map(([k, v]) => `${k}=${v}`).join(', ') : null],
  );
  if (e.autoRetrain) rows.push(['Auto Retrain', 'ON DRIFT (a DRIFTED monitor run retrains it; see SHOW MONITORS)']);
  return rows;
}

export async function showModel(stmt: A.ShowModel, ctx: StatementContext, jobs: ModelJobs): Promise<Result> {
  if (stmt.name && stmt.versions) return showVersions(getModel(ctx, stmt.name, stmt.pos).entry, jobs);
  if (stmt.name) {
    const m = getModel(ctx, stmt.name, stmt.pos);
    const rows = describeModel(m.entry, m.schema, jobs).filter(([, v]) => v !== null);
    return { command: 'SHOW', rowCount: rows.length, columns: [{ name: 'key', type: 'VARCHAR' }, { name: 'value', type: 'VARCHAR' }], rows };
  }
  const rows: unknown[][] = [];
  const db = ctx.currentDatabase();
  for (const sc of Object.values(db.schemas)) {
    // as SHOW TABLES: nothing of a schema the user may not use
    if (!hasSchemaUsage(ctx, db, sc)) continue;
    for (const e of Object.values(modelsOf(sc))) {
      rows.push([sc.name, e.name, effectiveState(e, jobs).state, e.modelType ?? null, e.problemType ?? null, signature(e), e.validationScore ?? null]);
    }
  }
  rows.sort((a, b) => String(a[0]).localeCompare(String(b[0])) || String(a[1]).localeCompare(String(b[1])));
  const columns = [['schema_name', 'VARCHAR'], ['model_name', 'VARCHAR'], ['model_state', 'VARCHAR'], ['model_type', 'VARCHAR'], ['problem_type', 'VARCHAR'], ['function', 'VARCHAR'], ['validation_score', 'DOUBLE PRECISION']];
  return { command: 'SHOW', rowCount: rows.length, columns: columns.map(([name, type]) => ({ name, type })), rows };
}

/** One row per version, oldest first: state, whether current, aliases, metrics, training query. */
export function versionRows(e: ModelEntry, jobs: ModelJobs): unknown[][] {
  return versionsOf(e).map((v) => {
    const st = effectiveState(v, jobs);
    const aliases = Object.entries(e.aliases ?? {}).filter(([, k]) => k === v.version).map(([a]) => a);
    return [
      v.version, st.state, v.version === (e.version ?? 1), aliases.join(', ') || null, v.modelType ?? null, v.objective ?? null,
      v.validationScore ?? null, v.trainingRows ?? null, v.query ?? null, v.source ?? null, v.createdAt, v.finishedAt ?? null, st.reason ?? null,
    ];
  });
}

const VERSION_COLUMNS = [
  ['version', 'INTEGER'], ['state', 'VARCHAR'], ['is_current', 'BOOLEAN'], ['aliases', 'VARCHAR'], ['model_type', 'VARCHAR'],
  ['objective', 'VARCHAR'], ['validation_score', 'DOUBLE PRECISION'], ['training_rows', 'INTEGER'], ['query', 'VARCHAR'],
  ['source', 'VARCHAR'], ['created_at', 'VARCHAR'], ['finished_at', 'VARCHAR'], ['failure_reason', 'VARCHAR'],
];

function showVersions(e: ModelEntry, jobs: ModelJobs): Result {
  const rows = versionRows(e, jobs);
  return { command: 'SHOW', rowCount: rows.length, columns: VERSION_COLUMNS.map(([name, type]) => ({ name, type })), rows };
}

/** Scores as people read them: 4 decimals, as training progress shows them (F1 0.7093). */
const round = (x: number) => x.toFixed(4);
